/* The HTTP filters' per-route and per-host configuration
 * (translate_route.h): header changes, local rate limits, RBAC, CORS and
 * the Lua cookie rewrites, as typed_per_filter_config entries. */
#include "xds/translate_route.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/rbac/v3/rbac.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/cors/v3/cors.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/lua/v3/lua.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "envoy/type/v3/token_bucket.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* Contour writes set headers with OVERWRITE_IF_EXISTS_OR_ADD. */
HeaderValueOption **
translate_header_options(struct arena *a, const struct dag_header_value *hv,
    size_t n,
    size_t *nout)
{
	HeaderValueOption **out = pb_array(a, n);

	for (size_t i = 0; i < n; i++) {
		HeaderValueOption *o = pb_new(a,
		    &envoy__config__core__v3__header_value_option__descriptor);

		o->header = pb_new(a, &envoy__config__core__v3__header_value__descriptor);
		o->header->key = pb_str(a, hv[i].key);
		o->header->value = pb_str(a, hv[i].value);
		o->append_action =
		    ENVOY__CONFIG__CORE__V3__HEADER_VALUE_OPTION__HEADER_APPEND_ACTION__OVERWRITE_IF_EXISTS_OR_ADD;
		out[i] = o;
	}
	*nout = n;
	return out;
}

/* set (overwrite) then Gateway API's add (append to existing values). */
HeaderValueOption **
translate_policy_options(struct arena *a, const struct dag_headers_policy *hp,
    size_t *nout)
{
	HeaderValueOption **set, **out;
	size_t nset;

	set = translate_header_options(a, hp->set, hp->nset, &nset);
	if (hp->nadd == 0) {
		*nout = nset;
		return set;
	}
	out = pb_array(a, nset + hp->nadd);
	memcpy(out, set, nset * sizeof *out);
	for (size_t i = 0; i < hp->nadd; i++) {
		HeaderValueOption *o = pb_new(a,
		    &envoy__config__core__v3__header_value_option__descriptor);

		o->header = pb_new(a, &envoy__config__core__v3__header_value__descriptor);
		o->header->key = pb_str(a, hp->add[i].key);
		o->header->value = pb_str(a, hp->add[i].value);
		o->append_action =
		    ENVOY__CONFIG__CORE__V3__HEADER_VALUE_OPTION__HEADER_APPEND_ACTION__APPEND_IF_EXISTS_OR_ADD;
		out[nset + i] = o;
	}
	*nout = nset + hp->nadd;
	return out;
}

char **
translate_header_names(struct arena *a, const char **names, size_t n,
    size_t *nout)
{
	char **out = pb_array(a, n);

	for (size_t i = 0; i < n; i++)
		out[i] = pb_str(a, names[i]);
	*nout = n;
	return out;
}

Envoy__Config__Core__V3__RuntimeFractionalPercent *
translate_percent(struct arena *a, uint32_t numerator)
{
	Envoy__Config__Core__V3__RuntimeFractionalPercent *rp = pb_new(a,
	    &envoy__config__core__v3__runtime_fractional_percent__descriptor);

	rp->default_value = pb_new(a, &envoy__type__v3__fractional_percent__descriptor);
	rp->default_value->numerator = numerator;
	rp->default_value->denominator =
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__HUNDRED;
	return rp;
}

/* Contour's LocalRateLimitConfig, stat prefix "vhost.<fqdn>". */
Google__Protobuf__Any *
translate_local_ratelimit(struct arena *a,
    const struct dag_local_ratelimit *rl, const char *fqdn)
{
	Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit *c = pb_new(a,
	    &envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__descriptor);

	c->stat_prefix = arena_printf(a, "vhost.%s", fqdn);
	c->token_bucket = pb_new(a, &envoy__type__v3__token_bucket__descriptor);
	c->token_bucket->max_tokens = rl->max_tokens;
	c->token_bucket->tokens_per_fill = pb_uint32(a, rl->tokens_per_fill);
	c->token_bucket->fill_interval = pb_duration_ms(a, rl->fill_interval_ms);
	c->filter_enabled = translate_percent(a, 100);
	c->filter_enforced = translate_percent(a, 100);
	if (rl->status_code != 0) {
		c->status = pb_new(a, &envoy__type__v3__http_status__descriptor);
		c->status->code = (Envoy__Type__V3__StatusCode)rl->status_code;
	}
	if (rl->nresponse_headers > 0)
		c->response_headers_to_add = translate_header_options(a, rl->response_headers,
		    rl->nresponse_headers, &c->n_response_headers_to_add);
	return pb_any(a, &c->base);
}

/* Contour's IP filtering: RBACPerRoute with one policy "ip-rules"; source
 * Remote matches the client address (X-Forwarded-For aware), Peer the
 * direct peer. */
Google__Protobuf__Any *
translate_rbac(struct arena *a, const struct dag_ip_filter *f)
{
	Envoy__Extensions__Filters__Http__Rbac__V3__RBACPerRoute *pr = pb_new(a,
	    &envoy__extensions__filters__http__rbac__v3__rbacper_route__descriptor);
	Envoy__Extensions__Filters__Http__Rbac__V3__RBAC *rbac = pb_new(a,
	    &envoy__extensions__filters__http__rbac__v3__rbac__descriptor);
	Envoy__Config__Rbac__V3__RBAC *rules = pb_new(a,
	    &envoy__config__rbac__v3__rbac__descriptor);
	Envoy__Config__Rbac__V3__RBAC__PoliciesEntry *entry = pb_new(a,
	    &envoy__config__rbac__v3__rbac__policies_entry__descriptor);
	Envoy__Config__Rbac__V3__Policy *policy = pb_new(a,
	    &envoy__config__rbac__v3__policy__descriptor);
	Envoy__Config__Rbac__V3__Permission *any = pb_new(a,
	    &envoy__config__rbac__v3__permission__descriptor);

	any->rule_case = ENVOY__CONFIG__RBAC__V3__PERMISSION__RULE_ANY;
	any->any = 1;
	policy->n_permissions = 1;
	policy->permissions = pb_array(a, 1);
	policy->permissions[0] = any;
	policy->n_principals = f->n;
	policy->principals = pb_array(a, f->n);
	for (size_t i = 0; i < f->n; i++) {
		Envoy__Config__Rbac__V3__Principal *p = pb_new(a,
		    &envoy__config__rbac__v3__principal__descriptor);
		Envoy__Config__Core__V3__CidrRange *cidr = pb_new(a,
		    &envoy__config__core__v3__cidr_range__descriptor);

		cidr->address_prefix = pb_str(a, f->rules[i].prefix);
		cidr->prefix_len = pb_uint32(a, f->rules[i].len);
		if (f->rules[i].remote) {
			p->identifier_case = ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_REMOTE_IP;
			p->remote_ip = cidr;
		} else {
			p->identifier_case =
			    ENVOY__CONFIG__RBAC__V3__PRINCIPAL__IDENTIFIER_DIRECT_REMOTE_IP;
			p->direct_remote_ip = cidr;
		}
		policy->principals[i] = p;
	}
	entry->key = "ip-rules";
	entry->value = policy;
	rules->action = f->allow ? ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__ALLOW :
	    ENVOY__CONFIG__RBAC__V3__RBAC__ACTION__DENY;
	rules->n_policies = 1;
	rules->policies = pb_array(a, 1);
	rules->policies[0] = entry;
	rbac->rules = rules;
	pr->rbac = rbac;
	return pb_any(a, &pr->base);
}

Google__Protobuf__Any *
translate_cors(struct arena *a, const struct dag_cors *c)
{
	Envoy__Extensions__Filters__Http__Cors__V3__CorsPolicy *cp = pb_new(a,
	    &envoy__extensions__filters__http__cors__v3__cors_policy__descriptor);

	cp->n_allow_origin_string_match = c->norigins;
	cp->allow_origin_string_match = pb_array(a, c->norigins);
	for (size_t i = 0; i < c->norigins; i++)
		cp->allow_origin_string_match[i] = c->origins[i].regex ?
		    translate_string_matcher(a,
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX,
		    c->origins[i].value, false) :
		    translate_string_matcher(a,
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT,
		    c->origins[i].value, true);
	cp->allow_methods = pb_str(a, c->allow_methods);
	cp->allow_headers = pb_str(a, c->allow_headers);
	cp->expose_headers = pb_str(a, c->expose_headers);
	if (c->max_age != NULL)
		cp->max_age = pb_str(a, c->max_age);
	cp->allow_credentials = pb_bool(a, c->allow_credentials);
	cp->allow_private_network_access = pb_bool(a, c->allow_private_network);
	return pb_any(a, &cp->base);
}

void
translation_route_filter_config(struct arena *a, void *route_msg,
    const char *filter, ProtobufCMessage *cfg)
{
	Envoy__Config__Route__V3__Route *route = route_msg;
	Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry **entries, *e;

	e = pb_new(a,
	    &envoy__config__route__v3__route__typed_per_filter_config_entry__descriptor);
	e->key = (char *)filter;
	e->value = pb_any(a, cfg);
	entries = pb_array(a, route->n_typed_per_filter_config + 1);
	if (route->n_typed_per_filter_config > 0)
		memcpy(entries, route->typed_per_filter_config,
		    sizeof entries[0] * route->n_typed_per_filter_config);
	entries[route->n_typed_per_filter_config++] = e;
	route->typed_per_filter_config = entries;
}

/* s as a Lua string literal. */
static void
lua_quote(struct strbuf *sb, const char *s)
{
	strbuf_putc(sb, '"');
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			strbuf_printf(sb, "\\%c", *p);
		else if (*p < 0x20 || *p >= 0x7f)
			strbuf_printf(sb, "\\%03u", (unsigned)*p);
		else
			strbuf_putc(sb, (char)*p);
	}
	strbuf_putc(sb, '"');
}

/* The rewrite of Set-Cookie headers, run by Envoy's Lua filter on the
 * response (Contour's cookieRewritePolicies): a cookie named in the rules
 * loses the attributes a rule sets, which are then appended. */
static const char cookie_lua_body[] =
    "local function trim(s)\n"
    "  return (string.gsub(s, \"^%s*(.-)%s*$\", \"%1\"))\n"
    "end\n"
    "\n"
    "local function rewrite(cookie)\n"
    "  local semi = string.find(cookie, \";\", 1, true)\n"
    "  local pair = cookie\n"
    "  if semi ~= nil then\n"
    "    pair = string.sub(cookie, 1, semi - 1)\n"
    "  end\n"
    "  local eq = string.find(pair, \"=\", 1, true)\n"
    "  if eq == nil then\n"
    "    return cookie\n"
    "  end\n"
    "  local rule = rules[trim(string.sub(pair, 1, eq - 1))]\n"
    "  if rule == nil then\n"
    "    return cookie\n"
    "  end\n"
    "  local out = { trim(pair) }\n"
    "  if semi ~= nil then\n"
    "    for attr in string.gmatch(string.sub(cookie, semi + 1), \"[^;]+\") do\n"
    "      attr = trim(attr)\n"
    "      local key = string.lower(trim(string.match(attr, \"^[^=]*\")))\n"
    "      local replaced = (key == \"path\" and rule.path ~= nil) or\n"
    "        (key == \"domain\" and rule.domain ~= nil) or\n"
    "        (key == \"secure\" and rule.secure ~= nil) or\n"
    "        (key == \"samesite\" and rule.samesite ~= nil)\n"
    "      if attr ~= \"\" and not replaced then\n"
    "        out[#out + 1] = attr\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "  if rule.path ~= nil then\n"
    "    out[#out + 1] = \"Path=\" .. rule.path\n"
    "  end\n"
    "  if rule.domain ~= nil then\n"
    "    out[#out + 1] = \"Domain=\" .. rule.domain\n"
    "  end\n"
    "  if rule.secure then\n"
    "    out[#out + 1] = \"Secure\"\n"
    "  end\n"
    "  if rule.samesite ~= nil then\n"
    "    out[#out + 1] = \"SameSite=\" .. rule.samesite\n"
    "  end\n"
    "  return table.concat(out, \"; \")\n"
    "end\n"
    "\n"
    "function envoy_on_response(response_handle)\n"
    "  local headers = response_handle:headers()\n"
    "  local n = headers:getNumValues(\"set-cookie\")\n"
    "  if n == 0 then\n"
    "    return\n"
    "  end\n"
    "  local cookies = {}\n"
    "  for i = 0, n - 1 do\n"
    "    cookies[i + 1] = rewrite(headers:getAtIndex(\"set-cookie\", i))\n"
    "  end\n"
    "  headers:remove(\"set-cookie\")\n"
    "  for _, cookie in ipairs(cookies) do\n"
    "    headers:add(\"set-cookie\", cookie)\n"
    "  end\n"
    "end\n";

/* LuaPerRoute with the rules of c[0..n) and the rewrite above. */
Google__Protobuf__Any *
translate_cookie_rewrite(struct arena *a,
    const struct dag_cookie_rewrite *c, size_t n)
{
	Envoy__Extensions__Filters__Http__Lua__V3__LuaPerRoute *pr = pb_new(a,
	    &envoy__extensions__filters__http__lua__v3__lua_per_route__descriptor);
	Envoy__Config__Core__V3__DataSource *ds = pb_new(a,
	    &envoy__config__core__v3__data_source__descriptor);
	struct strbuf sb = STRBUF_INIT;

	strbuf_puts(&sb, "-- cairn: cookieRewritePolicies\nlocal rules = {\n");
	for (size_t i = 0; i < n; i++) {
		strbuf_puts(&sb, "  [");
		lua_quote(&sb, c[i].name);
		strbuf_puts(&sb, "] = {");
		if (c[i].path != NULL) {
			strbuf_puts(&sb, " path = ");
			lua_quote(&sb, c[i].path);
			strbuf_putc(&sb, ',');
		}
		if (c[i].domain != NULL) {
			strbuf_puts(&sb, " domain = ");
			lua_quote(&sb, c[i].domain);
			strbuf_putc(&sb, ',');
		}
		if (c[i].secure >= 0)
			strbuf_printf(&sb, " secure = %s,", c[i].secure ? "true" :
			    "false");
		if (c[i].same_site != NULL) {
			strbuf_puts(&sb, " samesite = ");
			lua_quote(&sb, c[i].same_site);
			strbuf_putc(&sb, ',');
		}
		strbuf_puts(&sb, " },\n");
	}
	strbuf_puts(&sb, "}\n\n");
	strbuf_puts(&sb, cookie_lua_body);
	ds->specifier_case = ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
	ds->inline_string = pb_str(a, sb.buf);
	strbuf_free(&sb);
	pr->override_case =
	    ENVOY__EXTENSIONS__FILTERS__HTTP__LUA__V3__LUA_PER_ROUTE__OVERRIDE_SOURCE_CODE;
	pr->source_code = ds;
	return pb_any(a, &pr->base);
}

void
translate_filter_config_add(struct filter_configs *fc, const char *name,
    Google__Protobuf__Any *v)
{
	fc->names[fc->n] = name;
	fc->values[fc->n++] = v;
}
