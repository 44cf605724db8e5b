/* RouteConfigurations: ingress_http for Envoy (one virtual host per FQDN,
 * routes in the order of SPEC §7, which the DAG already sorted), and one
 * per root FQDN for proxyless gRPC clients, named after the FQDN.
 *
 * The proxyless ones exist because gRPC refuses a RouteConfiguration that
 * holds anything it cannot do (grpc-js NACKs direct_response and
 * redirect routes; both clients NACK per-filter configs of filters they
 * lack, such as CORS): one host's directResponsePolicy must not cut every
 * proxyless client of every other host off. They keep each route's match
 * and send requests a route cannot forward to a cluster that does not
 * have endpoints, which gRPC answers with UNAVAILABLE. */
#include "xds/translate_internal.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/cluster/v3/cluster.pb-c.h"
#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/endpoint/v3/endpoint.pb-c.h"
#include "envoy/config/core/v3/address.pb-c.h"
#include "envoy/config/rbac/v3/rbac.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/filters/http/cors/v3/cors.pb-c.h"
#include "envoy/extensions/filters/http/local_ratelimit/v3/local_rate_limit.pb-c.h"
#include "envoy/extensions/filters/http/lua/v3/lua.pb-c.h"
#include "envoy/extensions/filters/http/rbac/v3/rbac.pb-c.h"
#include "envoy/extensions/internal_redirect/previous_routes/v3/previous_routes_config.pb-c.h"
#include "envoy/extensions/internal_redirect/safe_cross_scheme/v3/safe_cross_scheme_config.pb-c.h"
#include "envoy/type/matcher/v3/regex.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "envoy/type/v3/token_bucket.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__RouteMatch RouteMatch;
typedef Envoy__Config__Route__V3__RouteAction RouteAction;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;
typedef Envoy__Config__Route__V3__QueryParameterMatcher QueryParameterMatcher;
typedef Envoy__Config__Route__V3__WeightedCluster WeightedCluster;
typedef Envoy__Config__Route__V3__WeightedCluster__ClusterWeight ClusterWeight;
typedef Envoy__Config__Route__V3__RedirectAction RedirectAction;
typedef Envoy__Config__Route__V3__RetryPolicy RetryPolicy;
typedef Envoy__Config__Route__V3__RouteAction__HashPolicy HashPolicy;
typedef Envoy__Config__Core__V3__HeaderValueOption HeaderValueOption;
typedef Envoy__Type__Matcher__V3__StringMatcher StringMatcher;
typedef Envoy__Type__Matcher__V3__RegexMatcher RegexMatcher;

#define FILTER_CORS "envoy.filters.http.cors"
#define FILTER_LOCAL_RATELIMIT "envoy.filters.http.local_ratelimit"
#define FILTER_RBAC "envoy.filters.http.rbac"
#define FILTER_LUA "envoy.filters.http.lua"

/* Where proxyless clients' requests go when a route cannot forward them
 * (see not_forwarded_cluster). */
#define PROXYLESS_NO_CLUSTER "cairn/not-forwarded"

static RegexMatcher *
regex_matcher(struct arena *a, const char *re)
{
	RegexMatcher *m = pb_new(a, &envoy__type__matcher__v3__regex_matcher__descriptor);

	m->regex = pb_str(a, re);
	return m;
}

static StringMatcher *
string_matcher(struct arena *a, int kind, const char *value, bool ignore_case)
{
	StringMatcher *sm = pb_new(a, &envoy__type__matcher__v3__string_matcher__descriptor);

	sm->match_pattern_case = kind;
	sm->ignore_case = ignore_case;
	switch (kind) {
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT:
		sm->exact = pb_borrow(value);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX:
		sm->prefix = pb_borrow(value);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SUFFIX:
		sm->suffix = pb_borrow(value);
		break;
	case ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS:
		sm->contains = pb_borrow(value);
		break;
	default:
		sm->match_pattern_case =
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX;
		sm->safe_regex = regex_matcher(a, value);
		sm->ignore_case = false;
		break;
	}
	return sm;
}

/* RE2 and JavaScript (grpc-js) text matching s literally, ASCII letters
 * in either case: neither has a common way to say "ignore case". */
static void
regex_quote_ci(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			strbuf_printf(sb, "[%c%c]", c & ~0x20, c | 0x20);
		else
			strbuf_put_regex_literal(sb, (char[]){ (char)c, '\0' });
	}
}

/* For proxyless clients: the header_match_specifier fields both gRPC
 * clients accept (C-core 1.51 refuses string_match, grpc-js refuses
 * contains_match): exact_match, else a regex (ignore_case spelled out as
 * both cases of each letter). */
static HeaderMatcher *
header_matcher_legacy(struct arena *a, const struct dag_header_match *h,
    HeaderMatcher *m)
{
	struct strbuf sb = STRBUF_INIT;

	if (h->kind == DAG_HEADER_EXACT && !h->ignore_case) {
		m->header_match_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_EXACT_MATCH;
		m->exact_match = pb_borrow(h->value);
		return m;
	}
	/* grpc-js has no contains_match: contains is a regex too. */
	if (h->kind == DAG_HEADER_REGEX) {
		strbuf_puts(&sb, h->value);
	} else {
		if (h->kind == DAG_HEADER_CONTAINS)
			strbuf_puts(&sb, ".*");
		if (h->ignore_case)
			regex_quote_ci(&sb, h->value);
		else
			strbuf_put_regex_literal(&sb, h->value);
		if (h->kind == DAG_HEADER_CONTAINS)
			strbuf_puts(&sb, ".*");
	}
	m->header_match_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_SAFE_REGEX_MATCH;
	m->safe_regex_match = regex_matcher(a, sb.buf);
	strbuf_free(&sb);
	return m;
}

static HeaderMatcher *header_matcher(struct arena *a,
    const struct dag_header_match *h, bool proxyless);

/* For translate_ratelimit.c. */
void *
translate_header_matcher(struct arena *a, const struct dag_header_match *h)
{
	return header_matcher(a, h, false);
}

static HeaderMatcher *
header_matcher(struct arena *a, const struct dag_header_match *h, bool proxyless)
{
	HeaderMatcher *m = pb_new(a, &envoy__config__route__v3__header_matcher__descriptor);
	int kind;

	m->name = pb_borrow(h->name);
	m->invert_match = h->invert;
	m->treat_missing_header_as_empty = h->treat_missing_as_empty;
	if (h->kind == DAG_HEADER_PRESENT) {
		m->header_match_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PRESENT_MATCH;
		m->present_match = 1;
		return m;
	}
	if (proxyless)
		return header_matcher_legacy(a, h, m);
	kind = h->kind == DAG_HEADER_EXACT ?
	    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT :
	    h->kind == DAG_HEADER_CONTAINS ?
	    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS :
	    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX;
	m->header_match_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_STRING_MATCH;
	m->string_match = string_matcher(a, kind, h->value, h->ignore_case);
	return m;
}

static QueryParameterMatcher *
query_matcher(struct arena *a, const struct dag_query_match *q)
{
	QueryParameterMatcher *m = pb_new(a,
	    &envoy__config__route__v3__query_parameter_matcher__descriptor);
	int kind = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX;

	m->name = pb_borrow(q->name);
	switch (q->kind) {
	case DAG_QUERY_PRESENT:
		m->query_parameter_match_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_PRESENT_MATCH;
		m->present_match = 1;
		return m;
	case DAG_QUERY_EXACT:
		kind = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
		break;
	case DAG_QUERY_PREFIX:
		kind = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_PREFIX;
		break;
	case DAG_QUERY_SUFFIX:
		kind = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SUFFIX;
		break;
	case DAG_QUERY_CONTAINS:
		kind = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS;
		break;
	case DAG_QUERY_REGEX:
		break;
	}
	m->query_parameter_match_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__QUERY_PARAMETER_MATCHER__QUERY_PARAMETER_MATCH_SPECIFIER_STRING_MATCH;
	m->string_match = string_matcher(a, kind, q->value, q->ignore_case);
	return m;
}

static RouteMatch *
route_match(struct arena *a, const struct dag_route *r, bool proxyless)
{
	RouteMatch *m = pb_new(a, &envoy__config__route__v3__route_match__descriptor);

	switch (r->path_kind) {
	case DAG_PATH_PREFIX:
		if (r->segment_prefix && !proxyless) {
			m->path_specifier_case =
			    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH_SEPARATED_PREFIX;
			m->path_separated_prefix = pb_borrow(r->path);
		} else if (r->segment_prefix) {
			/* gRPC has no path_separated_prefix: the same as a regex. */
			struct strbuf sb = STRBUF_INIT;

			strbuf_putc(&sb, '^');
			strbuf_put_regex_literal(&sb, r->path);
			strbuf_puts(&sb, "(/.*)?");
			m->path_specifier_case =
			    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX;
			m->safe_regex = regex_matcher(a, sb.buf);
			strbuf_free(&sb);
		} else {
			m->path_specifier_case =
			    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
			m->prefix = pb_borrow(r->path);
		}
		break;
	case DAG_PATH_EXACT:
		m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH;
		m->path = pb_borrow(r->path);
		break;
	case DAG_PATH_REGEX:
		/* Contour anchors the regex: it starts with a literal "/", and
		 * the anchor keeps RE2's program small for long prefixes. */
		m->path_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX;
		m->safe_regex = regex_matcher(a, arena_printf(a, "^%s", r->path));
		break;
	}
	if (r->nheaders > 0) {
		m->n_headers = r->nheaders;
		m->headers = pb_array(a, r->nheaders);
		for (size_t i = 0; i < r->nheaders; i++)
			m->headers[i] = header_matcher(a, &r->headers[i], proxyless);
	}
	if (r->nqueries > 0) {
		m->n_query_parameters = r->nqueries;
		m->query_parameters = pb_array(a, r->nqueries);
		for (size_t i = 0; i < r->nqueries; i++)
			m->query_parameters[i] = query_matcher(a, &r->queries[i]);
	}
	return m;
}

/* Contour writes set headers with OVERWRITE_IF_EXISTS_OR_ADD. */
static HeaderValueOption **
header_options(struct arena *a, const struct dag_header_value *hv, size_t n,
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
static HeaderValueOption **
policy_options(struct arena *a, const struct dag_headers_policy *hp,
    size_t *nout)
{
	HeaderValueOption **set, **out;
	size_t nset;

	set = header_options(a, hp->set, hp->nset, &nset);
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

static char **
header_names(struct arena *a, const char **names, size_t n, size_t *nout)
{
	char **out = pb_array(a, n);

	for (size_t i = 0; i < n; i++)
		out[i] = pb_str(a, names[i]);
	*nout = n;
	return out;
}

static Envoy__Config__Core__V3__RuntimeFractionalPercent *
percent(struct arena *a, uint32_t numerator)
{
	Envoy__Config__Core__V3__RuntimeFractionalPercent *rp = pb_new(a,
	    &envoy__config__core__v3__runtime_fractional_percent__descriptor);

	rp->default_value = pb_new(a, &envoy__type__v3__fractional_percent__descriptor);
	rp->default_value->numerator = numerator;
	rp->default_value->denominator =
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__HUNDRED;
	return rp;
}

/* A mirror's share: dag_mirror's denominator is 100, 10000 or 1000000. */
static Envoy__Config__Core__V3__RuntimeFractionalPercent *
mirror_fraction(struct arena *a, const struct dag_mirror *m)
{
	Envoy__Config__Core__V3__RuntimeFractionalPercent *rp = percent(a,
	    m->numerator);

	rp->default_value->denominator = m->denominator == 1000000 ?
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__MILLION :
	    m->denominator == 10000 ?
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__TEN_THOUSAND :
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__HUNDRED;
	return rp;
}

/* Contour's LocalRateLimitConfig, stat prefix "vhost.<fqdn>". */
static Google__Protobuf__Any *
local_ratelimit_config(struct arena *a, const struct dag_local_ratelimit *rl,
    const char *fqdn)
{
	Envoy__Extensions__Filters__Http__LocalRatelimit__V3__LocalRateLimit *c = pb_new(a,
	    &envoy__extensions__filters__http__local_ratelimit__v3__local_rate_limit__descriptor);

	c->stat_prefix = arena_printf(a, "vhost.%s", fqdn);
	c->token_bucket = pb_new(a, &envoy__type__v3__token_bucket__descriptor);
	c->token_bucket->max_tokens = rl->max_tokens;
	c->token_bucket->tokens_per_fill = pb_uint32(a, rl->tokens_per_fill);
	c->token_bucket->fill_interval = pb_duration_ms(a, rl->fill_interval_ms);
	c->filter_enabled = percent(a, 100);
	c->filter_enforced = percent(a, 100);
	if (rl->status_code != 0) {
		c->status = pb_new(a, &envoy__type__v3__http_status__descriptor);
		c->status->code = (Envoy__Type__V3__StatusCode)rl->status_code;
	}
	if (rl->nresponse_headers > 0)
		c->response_headers_to_add = header_options(a, rl->response_headers,
		    rl->nresponse_headers, &c->n_response_headers_to_add);
	return pb_any(a, &c->base);
}

/* Contour's IP filtering: RBACPerRoute with one policy "ip-rules"; source
 * Remote matches the client address (X-Forwarded-For aware), Peer the
 * direct peer. */
static Google__Protobuf__Any *
rbac_config(struct arena *a, const struct dag_ip_filter *f)
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

static Google__Protobuf__Any *
cors_config(struct arena *a, const struct dag_cors *c)
{
	Envoy__Extensions__Filters__Http__Cors__V3__CorsPolicy *cp = pb_new(a,
	    &envoy__extensions__filters__http__cors__v3__cors_policy__descriptor);

	cp->n_allow_origin_string_match = c->norigins;
	cp->allow_origin_string_match = pb_array(a, c->norigins);
	for (size_t i = 0; i < c->norigins; i++)
		cp->allow_origin_string_match[i] = c->origins[i].regex ?
		    string_matcher(a,
		    ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX,
		    c->origins[i].value, false) :
		    string_matcher(a,
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

/* typed_per_filter_config entries, in Contour's filter order. */
struct filter_configs {
	const char *names[5];
	Google__Protobuf__Any *values[5];
	size_t n;
};

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
static Google__Protobuf__Any *
cookie_rewrite_config(struct arena *a, const struct dag_cookie_rewrite *c,
    size_t n)
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

static void
filter_config_add(struct filter_configs *fc, const char *name,
    Google__Protobuf__Any *v)
{
	fc->names[fc->n] = name;
	fc->values[fc->n++] = v;
}

#define PER_FILTER(a, out, fc, entry_desc, entry_type)                        \
	do {                                                                  \
		(out)->n_typed_per_filter_config = (fc)->n;                   \
		(out)->typed_per_filter_config = pb_array((a), (fc)->n);      \
		for (size_t i_ = 0; i_ < (fc)->n; i_++) {                     \
			entry_type *e_ = pb_new((a), (entry_desc));           \
			e_->key = (char *)(fc)->names[i_];                    \
			e_->value = (fc)->values[i_];                         \
			(out)->typed_per_filter_config[i_] = e_;              \
		}                                                             \
	} while (0)

static RetryPolicy *
retry_policy(struct arena *a, const struct dag_retry_policy *rp)
{
	RetryPolicy *out = pb_new(a, &envoy__config__route__v3__retry_policy__descriptor);

	out->retry_on = pb_str(a, rp->retry_on);
	out->num_retries = pb_uint32(a, rp->num_retries);
	out->per_try_timeout = translation_timeout(a, rp->per_try_timeout_ms);
	if (rp->nretriable_status_codes > 0) {
		out->n_retriable_status_codes = rp->nretriable_status_codes;
		out->retriable_status_codes = arena_memdup(a,
		    rp->retriable_status_codes,
		    sizeof(uint32_t) * rp->nretriable_status_codes);
	}
	if (rp->backoff_base_ms > 0) {
		out->retry_back_off = pb_new(a,
		    &envoy__config__route__v3__retry_policy__retry_back_off__descriptor);
		out->retry_back_off->base_interval = pb_duration_ms(a,
		    rp->backoff_base_ms);
	}
	return out;
}

static HashPolicy *
hash_policy(struct arena *a, const struct dag_hash_policy *h)
{
	HashPolicy *hp = pb_new(a, &envoy__config__route__v3__route_action__hash_policy__descriptor);

	hp->terminal = h->terminal;
	switch (h->kind) {
	case DAG_HASH_HEADER:
		hp->policy_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_HEADER;
		hp->header = pb_new(a,
		    &envoy__config__route__v3__route_action__hash_policy__header__descriptor);
		hp->header->header_name = pb_str(a, h->name);
		break;
	case DAG_HASH_QUERY:
		hp->policy_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_QUERY_PARAMETER;
		hp->query_parameter = pb_new(a,
		    &envoy__config__route__v3__route_action__hash_policy__query_parameter__descriptor);
		hp->query_parameter->name = pb_str(a, h->name);
		break;
	case DAG_HASH_COOKIE:
		hp->policy_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_COOKIE;
		hp->cookie = pb_new(a,
		    &envoy__config__route__v3__route_action__hash_policy__cookie__descriptor);
		hp->cookie->name = pb_str(a, h->name);
		hp->cookie->ttl = pb_duration_ms(a, h->cookie_ttl_ms);
		hp->cookie->path = pb_str(a, h->cookie_path ? h->cookie_path : "");
		break;
	case DAG_HASH_SOURCE_IP:
		hp->policy_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HASH_POLICY__POLICY_SPECIFIER_CONNECTION_PROPERTIES;
		hp->connection_properties = pb_new(a,
		    &envoy__config__route__v3__route_action__hash_policy__connection_properties__descriptor);
		hp->connection_properties->source_ip = 1;
		break;
	}
	return hp;
}

/* One cluster, unless a service has its own header policies (Contour's
 * SingleSimpleCluster); weighted entries sorted by cluster name. */
static bool
single_simple_cluster(const struct dag_route *r)
{
	return r->nclusters == 1 && r->clusters[0].request_headers == NULL &&
	    r->clusters[0].response_headers == NULL &&
	    r->clusters[0].ncookie_rewrites == 0;
}

static ClusterWeight *
cluster_weight(struct arena *a, const struct dag_weighted_cluster *w,
    bool proxyless)
{
	ClusterWeight *cw = pb_new(a,
	    &envoy__config__route__v3__weighted_cluster__cluster_weight__descriptor);

	cw->name = pb_borrow(w->cluster->name);
	cw->weight = pb_uint32(a, w->weight);
	if (proxyless)
		return cw;
	if (w->request_headers != NULL) {
		const struct dag_headers_policy *hp = w->request_headers;

		cw->request_headers_to_add = policy_options(a, hp,
		    &cw->n_request_headers_to_add);
		cw->request_headers_to_remove = header_names(a, hp->remove,
		    hp->nremove, &cw->n_request_headers_to_remove);
		if (hp->host_rewrite != NULL) {
			cw->host_rewrite_specifier_case =
			    ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL;
			cw->host_rewrite_literal = pb_str(a, hp->host_rewrite);
		}
	}
	if (w->response_headers != NULL) {
		const struct dag_headers_policy *hp = w->response_headers;

		cw->response_headers_to_add = policy_options(a, hp,
		    &cw->n_response_headers_to_add);
		cw->response_headers_to_remove = header_names(a, hp->remove,
		    hp->nremove, &cw->n_response_headers_to_remove);
	}
	if (w->ncookie_rewrites > 0) {
		struct filter_configs fc = { .n = 0 };

		filter_config_add(&fc, FILTER_LUA, cookie_rewrite_config(a,
		    w->cookie_rewrites, w->ncookie_rewrites));
		PER_FILTER(a, cw, &fc,
		    &envoy__config__route__v3__weighted_cluster__cluster_weight__typed_per_filter_config_entry__descriptor,
		    Envoy__Config__Route__V3__WeightedCluster__ClusterWeight__TypedPerFilterConfigEntry);
	}
	return cw;
}

static int
cluster_weight_cmp(const void *a, const void *b)
{
	const ClusterWeight *x = *(ClusterWeight *const *)a;
	const ClusterWeight *y = *(ClusterWeight *const *)b;
	int c = strcmp(x->name, y->name);

	if (c != 0)
		return c;
	return x->weight->value < y->weight->value ? -1 :
	    x->weight->value > y->weight->value;
}

static Envoy__Config__Core__V3__TypedExtensionConfig *
typed_extension(struct arena *a, const char *name, ProtobufCMessage *config)
{
	Envoy__Config__Core__V3__TypedExtensionConfig *e = pb_new(a,
	    &envoy__config__core__v3__typed_extension_config__descriptor);

	e->name = (char *)name;
	e->typed_config = pb_any(a, config);
	return e;
}

/* Contour's internalRedirectPolicy: the safe_cross_scheme predicate
 * (SafeOnly) before previous_routes (denyRepeatedRouteRedirect);
 * max_internal_redirects only when set. */
static Envoy__Config__Route__V3__InternalRedirectPolicy *
internal_redirect_policy(struct arena *a, const struct dag_internal_redirect *ir)
{
	Envoy__Config__Route__V3__InternalRedirectPolicy *p = pb_new(a,
	    &envoy__config__route__v3__internal_redirect_policy__descriptor);
	size_t n = 0;

	if (ir->max_internal_redirects > 0)
		p->max_internal_redirects = pb_uint32(a, ir->max_internal_redirects);
	if (ir->nredirect_response_codes > 0) {
		p->n_redirect_response_codes = ir->nredirect_response_codes;
		p->redirect_response_codes = (uint32_t *)ir->redirect_response_codes;
	}
	p->predicates = pb_array(a, 2);
	if (ir->safe_cross_scheme)
		p->predicates[n++] = typed_extension(a,
		    "envoy.internal_redirect_predicates.safe_cross_scheme", pb_new(a,
		    &envoy__extensions__internal_redirect__safe_cross_scheme__v3__safe_cross_scheme_config__descriptor));
	if (ir->deny_repeated_route)
		p->predicates[n++] = typed_extension(a,
		    "envoy.internal_redirect_predicates.previous_routes", pb_new(a,
		    &envoy__extensions__internal_redirect__previous_routes__v3__previous_routes_config__descriptor));
	p->n_predicates = n;
	p->allow_cross_scheme_redirect = ir->allow_cross_scheme;
	return p;
}

static RouteAction *
route_action(struct arena *a, const struct dag_route *r, bool proxyless)
{
	RouteAction *ra = pb_new(a, &envoy__config__route__v3__route_action__descriptor);

	if (single_simple_cluster(r)) {
		ra->cluster_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		ra->cluster = pb_borrow(r->clusters[0].cluster->name);
	} else {
		WeightedCluster *wc = pb_new(a,
		    &envoy__config__route__v3__weighted_cluster__descriptor);

		wc->n_clusters = r->nclusters;
		wc->clusters = pb_array(a, r->nclusters);
		for (size_t i = 0; i < r->nclusters; i++)
			wc->clusters[i] = cluster_weight(a, &r->clusters[i], proxyless);
		qsort(wc->clusters, wc->n_clusters, sizeof wc->clusters[0],
		    cluster_weight_cmp);
		ra->cluster_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
		ra->weighted_clusters = wc;
	}
	ra->timeout = translation_timeout(a, r->timeout_ms);
	ra->idle_timeout = translation_timeout(a, r->idle_timeout_ms);
	if (r->retry != NULL)
		ra->retry_policy = retry_policy(a, r->retry);
	if (r->nhash_policies > 0) {
		ra->n_hash_policy = r->nhash_policies;
		ra->hash_policy = pb_array(a, r->nhash_policies);
		for (size_t i = 0; i < r->nhash_policies; i++)
			ra->hash_policy[i] = hash_policy(a, &r->hash_policies[i]);
	}
	if (r->mirror != NULL) {
		Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy *mp = pb_new(a,
		    &envoy__config__route__v3__route_action__request_mirror_policy__descriptor);

		mp->cluster = pb_borrow(r->mirror->name);
		mp->runtime_fraction = percent(a, r->mirror_percent);
		ra->n_request_mirror_policies = 1;
		ra->request_mirror_policies = pb_array(a, 1);
		ra->request_mirror_policies[0] = mp;
	}
	if (r->nmirrors > 0) {
		ra->n_request_mirror_policies = r->nmirrors;
		ra->request_mirror_policies = pb_array(a, r->nmirrors);
		for (size_t i = 0; i < r->nmirrors; i++) {
			Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy *mp =
			    pb_new(a,
			    &envoy__config__route__v3__route_action__request_mirror_policy__descriptor);

			mp->cluster = pb_borrow(r->mirrors[i].cluster->name);
			mp->runtime_fraction = mirror_fraction(a, &r->mirrors[i]);
			ra->request_mirror_policies[i] = mp;
		}
	}
	if (r->prefix_rewrite != NULL)
		ra->prefix_rewrite = pb_str(a, r->prefix_rewrite);
	if (r->regex_rewrite != NULL) {
		Envoy__Type__Matcher__V3__RegexMatchAndSubstitute *rs = pb_new(a,
		    &envoy__type__matcher__v3__regex_match_and_substitute__descriptor);

		rs->pattern = regex_matcher(a, r->regex_rewrite);
		rs->substitution = pb_str(a, r->regex_substitution);
		ra->regex_rewrite = rs;
	}
	if (r->request_headers != NULL && r->request_headers->host_rewrite != NULL) {
		ra->host_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL;
		ra->host_rewrite_literal = pb_str(a, r->request_headers->host_rewrite);
	}
	if (r->request_headers != NULL &&
	    r->request_headers->host_rewrite_header != NULL) {
		ra->host_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__HOST_REWRITE_SPECIFIER_HOST_REWRITE_HEADER;
		ra->host_rewrite_header = pb_str(a, r->request_headers->host_rewrite_header);
	}
	if (r->internal_redirect != NULL && !proxyless)
		ra->internal_redirect_policy = internal_redirect_policy(a,
		    r->internal_redirect);
	if (r->websocket && !proxyless) {
		Envoy__Config__Route__V3__RouteAction__UpgradeConfig *uc = pb_new(a,
		    &envoy__config__route__v3__route_action__upgrade_config__descriptor);

		uc->upgrade_type = "websocket";
		ra->n_upgrade_configs = 1;
		ra->upgrade_configs = pb_array(a, 1);
		ra->upgrade_configs[0] = uc;
	}
	return ra;
}

static RedirectAction *
redirect_action(struct arena *a, const struct dag_route *r)
{
	RedirectAction *ra = pb_new(a, &envoy__config__route__v3__redirect_action__descriptor);
	const struct dag_redirect *rd = r->redirect;

	if (r->action == DAG_ACTION_HTTPS_REDIRECT) {
		ra->scheme_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__SCHEME_REWRITE_SPECIFIER_HTTPS_REDIRECT;
		ra->https_redirect = 1;
		return ra;
	}
	if (rd->hostname != NULL)
		ra->host_redirect = pb_str(a, rd->hostname);
	if (rd->scheme != NULL) {
		ra->scheme_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__SCHEME_REWRITE_SPECIFIER_SCHEME_REDIRECT;
		ra->scheme_redirect = pb_str(a, rd->scheme);
	}
	ra->port_redirect = rd->port;
	if (rd->path != NULL) {
		ra->path_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_PATH_REDIRECT;
		ra->path_redirect = pb_str(a, rd->path);
	} else if (rd->prefix != NULL) {
		ra->path_rewrite_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__PATH_REWRITE_SPECIFIER_PREFIX_REWRITE;
		ra->prefix_rewrite = pb_str(a, rd->prefix);
	}
	switch (rd->status_code) {
	case 302:
		ra->response_code = ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__FOUND;
		break;
	case 303: /* Gateway API's other codes */
		ra->response_code = ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__SEE_OTHER;
		break;
	case 307:
		ra->response_code = ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__TEMPORARY_REDIRECT;
		break;
	case 308:
		ra->response_code = ENVOY__CONFIG__ROUTE__V3__REDIRECT_ACTION__REDIRECT_RESPONSE_CODE__PERMANENT_REDIRECT;
		break;
	}
	return ra;
}

static Route *
route(struct translation *t, const struct dag_vhost *vh,
    const struct dag_route *r, bool proxyless)
{
	struct arena *a = &t->arena;
	Route *out = pb_new(a, &envoy__config__route__v3__route__descriptor);
	bool forward = r->action == DAG_ACTION_FORWARD && r->nclusters > 0;
	struct filter_configs fc = { .n = 0 };

	out->match = route_match(a, r, proxyless);
	if (proxyless && !forward) {
		RouteAction *ra = pb_new(a, &envoy__config__route__v3__route_action__descriptor);

		ra->cluster_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		ra->cluster = PROXYLESS_NO_CLUSTER;
		t->proxyless_no_cluster = true;
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
		out->route = ra;
		return out;
	}
	if (r->action == DAG_ACTION_REDIRECT || r->action == DAG_ACTION_HTTPS_REDIRECT) {
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_REDIRECT;
		out->redirect = redirect_action(a, r);
		return out;
	}
	if (!forward) {
		Envoy__Config__Route__V3__DirectResponseAction *dr = pb_new(a,
		    &envoy__config__route__v3__direct_response_action__descriptor);

		dr->status = r->direct_status;
		if (r->direct_body != NULL && *r->direct_body) {
			dr->body = pb_new(a, &envoy__config__core__v3__data_source__descriptor);
			dr->body->specifier_case =
			    ENVOY__CONFIG__CORE__V3__DATA_SOURCE__SPECIFIER_INLINE_STRING;
			dr->body->inline_string = pb_str(a, r->direct_body);
		}
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE;
		out->direct_response = dr;
		return out;
	}
	out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
	out->route = route_action(a, r, proxyless);
	if (proxyless)
		return out;
	if (r->request_headers != NULL) {
		out->request_headers_to_add = policy_options(a, r->request_headers,
		    &out->n_request_headers_to_add);
		out->request_headers_to_remove = header_names(a,
		    r->request_headers->remove, r->request_headers->nremove,
		    &out->n_request_headers_to_remove);
	}
	if (r->response_headers != NULL) {
		out->response_headers_to_add = policy_options(a,
		    r->response_headers, &out->n_response_headers_to_add);
		out->response_headers_to_remove = header_names(a,
		    r->response_headers->remove, r->response_headers->nremove,
		    &out->n_response_headers_to_remove);
	}
	if (r->cors != NULL)
		filter_config_add(&fc, FILTER_CORS, cors_config(a, r->cors));
	if (r->ratelimit != NULL)
		filter_config_add(&fc, FILTER_LOCAL_RATELIMIT,
		    local_ratelimit_config(a, r->ratelimit, vh->fqdn));
	if (r->ncookie_rewrites > 0)
		filter_config_add(&fc, FILTER_LUA, cookie_rewrite_config(a,
		    r->cookie_rewrites, r->ncookie_rewrites));
	if (r->ip_filter != NULL)
		filter_config_add(&fc, FILTER_RBAC, rbac_config(a, r->ip_filter));
	/* Contour's requirement_name; only hosts with providers have the
	 * jwt_authn filter (translate_jwt.c). */
	if (r->jwt_provider != NULL && vh->njwt_providers > 0)
		filter_config_add(&fc, "envoy.filters.http.jwt_authn",
		    translate_jwt_per_route(a, r->jwt_provider));
	if (fc.n > 0)
		PER_FILTER(a, out, &fc,
		    &envoy__config__route__v3__route__typed_per_filter_config_entry__descriptor,
		    Envoy__Config__Route__V3__Route__TypedPerFilterConfigEntry);
	return out;
}

static VirtualHost *
virtual_host(struct translation *t, const struct dag_vhost *vh, bool proxyless)
{
	struct arena *a = &t->arena;
	VirtualHost *v = pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);
	struct filter_configs fc = { .n = 0 };

	v->name = pb_borrow(vh->fqdn);
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = pb_borrow(vh->fqdn);
	v->n_routes = vh->nroutes;
	v->routes = pb_array(a, vh->nroutes);
	for (size_t i = 0; i < vh->nroutes; i++) {
		v->routes[i] = route(t, vh, &vh->routes[i], proxyless);
		if (!proxyless) { /* translate_extauth.c, translate_ratelimit.c */
			translate_extauth_route(t, v->routes[i], &vh->routes[i]);
			translate_ratelimit_route(t, v->routes[i], &vh->routes[i]);
		}
	}
	if (proxyless)
		return v;
	if (vh->cors != NULL)
		filter_config_add(&fc, FILTER_CORS, cors_config(a, vh->cors));
	if (vh->ratelimit != NULL)
		filter_config_add(&fc, FILTER_LOCAL_RATELIMIT,
		    local_ratelimit_config(a, vh->ratelimit, vh->fqdn));
	if (vh->ip_filter != NULL)
		filter_config_add(&fc, FILTER_RBAC, rbac_config(a, vh->ip_filter));
	if (fc.n > 0)
		PER_FILTER(a, v, &fc,
		    &envoy__config__route__v3__virtual_host__typed_per_filter_config_entry__descriptor,
		    Envoy__Config__Route__V3__VirtualHost__TypedPerFilterConfigEntry);
	translate_ratelimit_vhost(t, v, vh); /* translate_ratelimit.c */
	return v;
}

/* The cluster of routes proxyless clients cannot follow: it exists (so
 * gRPC does not wait for it) and has no endpoints (so calls fail with
 * UNAVAILABLE). Sent only to clients that name it. */
static void
not_forwarded_cluster(struct translation *t)
{
	struct arena *a = &t->arena;
	Envoy__Config__Cluster__V3__Cluster *c = pb_new(a,
	    &envoy__config__cluster__v3__cluster__descriptor);
	Envoy__Config__Cluster__V3__Cluster__EdsClusterConfig *eds = pb_new(a,
	    &envoy__config__cluster__v3__cluster__eds_cluster_config__descriptor);
	Envoy__Config__Endpoint__V3__ClusterLoadAssignment *cla = pb_new(a,
	    &envoy__config__endpoint__v3__cluster_load_assignment__descriptor);

	c->name = PROXYLESS_NO_CLUSTER;
	c->cluster_discovery_type_case =
	    ENVOY__CONFIG__CLUSTER__V3__CLUSTER__CLUSTER_DISCOVERY_TYPE_TYPE;
	c->type = ENVOY__CONFIG__CLUSTER__V3__CLUSTER__DISCOVERY_TYPE__EDS;
	eds->eds_config = pb_ads_config_source(a);
	eds->service_name = PROXYLESS_NO_CLUSTER;
	c->eds_cluster_config = eds;
	c->connect_timeout = pb_duration_ms(a, t->opts->connect_timeout_ms);
	translation_emit(t, XDS_CLUSTER, c->name, &c->base, true);
	cla->cluster_name = PROXYLESS_NO_CLUSTER;
	translation_emit(t, XDS_ENDPOINT, cla->cluster_name, &cla->base, true);
}

/* Where host i's bytes start in the last ingress_http. */
static size_t
layout_start(const struct http_layout *l, size_t i)
{
	return i == 0 ? l->head : l->ends[i - 1];
}

/* ingress_http: head (its name), then each host as one virtual_hosts
 * element. The hosts whose keys are the last assembly's, at its start
 * and at its end, are copied from its bytes as two runs (the same
 * bytes: a key is a hash of everything its host's bytes are made of);
 * only the hosts between are written one by one. Remembers this
 * assembly for the next. */
static struct xds_blob *
http_assemble(struct translation *t, uint32_t field, const uint8_t *head,
    size_t len, struct xds_blob **frags, const uint64_t *keys, size_t n)
{
	struct http_layout *l = translation_http_layout(t);
	size_t pre = 0, suf = 0, total = len, from, to;
	size_t *ends = xreallocarray(NULL, n + 1, sizeof *ends);
	struct xds_blob *out;
	uint8_t *w;

	if (l != NULL && l->blob != NULL && l->head == len &&
	    memcmp(l->blob->bytes, head, len) == 0) {
		while (pre < n && pre < l->n && keys[pre] != 0 &&
		    keys[pre] == l->keys[pre])
			pre++;
		while (suf < n - pre && suf < l->n - pre &&
		    keys[n - 1 - suf] != 0 &&
		    keys[n - 1 - suf] == l->keys[l->n - 1 - suf])
			suf++;
	}
	if (pre > 0)
		total += layout_start(l, pre) - len;
	if (suf > 0)
		total += l->blob->len - layout_start(l, l->n - suf);
	for (size_t i = pre; i < n - suf; i++)
		total += pb_bytes_field_size(field, frags[i]->len);
	out = xds_blob_new(TRANSLATE_HTTP_ROUTES, total);
	memcpy(out->bytes, head, len);
	w = out->bytes + len;
	if (pre > 0) {
		to = layout_start(l, pre);
		memcpy(w, l->blob->bytes + len, to - len);
		memcpy(ends, l->ends, pre * sizeof *ends);
		w = out->bytes + to;
	}
	for (size_t i = pre; i < n - suf; i++) {
		w += pb_put_bytes_field(w, field, frags[i]->bytes, frags[i]->len);
		ends[i] = (size_t)(w - out->bytes);
	}
	if (suf > 0) {
		from = layout_start(l, l->n - suf);
		memcpy(w, l->blob->bytes + from, l->blob->len - from);
		for (size_t k = 0; k < suf; k++)
			ends[n - suf + k] = l->ends[l->n - suf + k] - from +
			    (size_t)(w - out->bytes);
		w += l->blob->len - from;
	}
	xds_blob_seal(out, (size_t)(w - out->bytes));
	if (l == NULL) {
		/* No cache, or verify mode: nothing is kept. */
		free(ends);
		return out;
	}
	xds_blob_unref(l->blob);
	free(l->keys);
	free(l->ends);
	l->blob = xds_blob_ref(out);
	l->keys = xreallocarray(NULL, n + 1, sizeof *l->keys);
	memcpy(l->keys, keys, n * sizeof *keys);
	l->ends = ends;
	l->n = n;
	l->head = len;
	l->kept = pre + suf;
	return out;
}

void
translate_routes(struct translation *t)
{
	struct arena *a = &t->arena;
	const ProtobufCMessageDescriptor *rcd =
	    &envoy__config__route__v3__route_configuration__descriptor;
	uint32_t vhosts_field = pb_field_number(rcd, "virtual_hosts");
	uint64_t rc_key = translation_key_name(t, "route", TRANSLATE_HTTP_ROUTES);
	bool rc_cacheable = rc_key != 0;
	RouteConfiguration *rc;
	struct xds_blob **frags, *out;
	struct http_layout *l;
	uint64_t *keys;
	size_t nfrags = 0, len;
	uint8_t *head;

	if (!translation_has_routes(t))
		return;
	/* global-ext-auth: ingress_http has ext_authz (translate_extauth.c). */
	t->ext_authz_routes = t->opts->global_ext_auth_cluster != NULL;
	/* ingress_http holds every virtual host (5 MiB at 10,000 hosts). It
	 * is serialized one host at a time (only one host's messages are in
	 * memory at a time, and an unchanged host's bytes come from the
	 * cache): its name (the only other field set, and a lower field
	 * number), then each host as one virtual_hosts element. */
	frags = xreallocarray(NULL, t->dag->nvhosts + 1, sizeof *frags);
	keys = xreallocarray(NULL, t->dag->nvhosts + 1, sizeof *keys);
	for (size_t i = 0; i < t->dag->nvhosts; i++) {
		const struct dag_vhost *vh = &t->dag->vhosts[i], *hv;
		struct arena_mark mark;
		struct xds_blob *b;
		VirtualHost *v;
		uint64_t key;

		if (vh->nroutes == 0)
			continue;
		/* The same routes as last time: the same host, whose view
		 * was itself (only those are remembered). */
		if ((b = translation_seq_get(t, SEQ_HTTP_VHOST, vh->routes, &key,
		    NULL)) != NULL) {
			rc_key = translation_key_combine(rc_key, key);
			keys[nfrags] = key;
			frags[nfrags++] = xds_blob_ref(b);
			translation_seq_put(t, SEQ_HTTP_VHOST, vh->routes, key, b,
			    false);
			continue;
		}
		mark = arena_mark(a);
		/* TLS hosts: redirects, no https-only routes (translate_https.c). */
		if ((hv = translate_http_view(t, vh)) == NULL) {
			arena_release(a, &mark);
			continue;
		}
		key = hv == vh ? translation_key_vhost(t, vh, false) : 0;
		rc_cacheable = rc_cacheable && key != 0;
		rc_key = translation_key_combine(rc_key, key);
		keys[nfrags] = key;
		if ((b = translation_cache_get(t, key, NULL)) != NULL) {
			frags[nfrags++] = xds_blob_ref(b);
		} else {
			v = virtual_host(t, hv, false);
			b = translation_pack(t, hv->fqdn, &v->base);
			translation_cache_put(t, key, b, false);
			frags[nfrags++] = b;
		}
		translation_seq_put(t, SEQ_HTTP_VHOST, vh->routes, key, b, false);
		arena_release(a, &mark);
	}
	/* The same hosts as the last ingress_http: the same bytes. (Not
	 * in the cache's table: every change makes another 5 MiB one,
	 * which the table would keep until it is swept.) */
	l = translation_http_layout(t);
	if (rc_cacheable && l != NULL && l->blob != NULL && l->rc_key == rc_key) {
		snapshot_builder_add_blob(t->out, XDS_ROUTE, l->blob, false);
		l->kept = nfrags;
	} else {
		rc = pb_new(a, rcd);
		rc->name = TRANSLATE_HTTP_ROUTES;
		head = pb_pack(a, &rc->base, &len);
		out = http_assemble(t, vhosts_field, head, len, frags, keys,
		    nfrags);
		if (l != NULL)
			l->rc_key = rc_cacheable ? rc_key : 0;
		snapshot_builder_add_blob(t->out, XDS_ROUTE, out, false);
		xds_blob_unref(out);
	}
	for (size_t i = 0; i < nfrags; i++)
		xds_blob_unref(frags[i]);
	free(frags);
	free(keys);

	for (size_t i = 0; i < t->dag->nvhosts; i++) {
		const struct dag_vhost *vh = &t->dag->vhosts[i];
		struct arena_mark mark;
		RouteConfiguration *prc;
		struct xds_blob *b;
		uint64_t key;
		bool saved, flag = false;

		if (vh->nroutes == 0)
			continue;
		/* The same routes: the same proxyless host (only those are
		 * remembered). */
		if ((b = translation_seq_get(t, SEQ_PROXYLESS_ROUTE, vh->routes,
		    &key, &flag)) == NULL) {
			if (!translation_proxyless_host(vh))
				continue;
			key = translation_key_vhost(t, vh, true);
			b = translation_cache_get(t, key, &flag);
		}
		if (b != NULL) {
			/* Its routes needed "cairn/not-forwarded" last time. */
			t->proxyless_no_cluster |= flag;
			snapshot_builder_add_blob(t->out, XDS_ROUTE, b, true);
			translation_seq_put(t, SEQ_PROXYLESS_ROUTE, vh->routes, key,
			    b, flag);
			continue;
		}
		mark = arena_mark(a);
		saved = t->proxyless_no_cluster;
		t->proxyless_no_cluster = false;
		prc = pb_new(a, rcd);
		prc->name = pb_borrow(vh->fqdn);
		prc->n_virtual_hosts = 1;
		prc->virtual_hosts = pb_array(a, 1);
		prc->virtual_hosts[0] = virtual_host(t, vh, true);
		b = translation_pack(t, prc->name, &prc->base);
		translation_cache_put(t, key, b, t->proxyless_no_cluster);
		translation_seq_put(t, SEQ_PROXYLESS_ROUTE, vh->routes, key, b,
		    t->proxyless_no_cluster);
		t->proxyless_no_cluster |= saved;
		snapshot_builder_add_blob(t->out, XDS_ROUTE, b, true);
		xds_blob_unref(b);
		arena_release(a, &mark);
	}
	if (t->proxyless_no_cluster)
		not_forwarded_cluster(t);
}

VirtualHost *
translate_virtual_host(struct translation *t, const struct dag_vhost *vh)
{
	return virtual_host(t, vh, false);
}
