/* HTTPProxy policies that are not about a route's clusters: headers,
 * local rate limits, IP filters, CORS, retries, cookie rewrites and
 * internal redirects, each checked with Contour's rules and turned into
 * its DAG struct. Shared by routes, services and virtual hosts. */
#include "dag/httpproxy_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"
#include "util/strbuf.h"

static int
header_value_cmp(const void *a, const void *b)
{
	const struct dag_header_value *x = a, *y = b;

	return strcmp(x->key, y->key);
}

/* The header name of a whole-value "%REQ(name)%" (Contour's dynamic Host
 * rewrite), canonicalised; NULL when the value is anything else. */
static const char *
host_rewrite_header_name(struct arena *a, const char *value)
{
	size_t n;
	char *name;
	const char *canon;

	while (isspace((unsigned char)*value))
		value++;
	n = strlen(value);
	while (n > 0 && isspace((unsigned char)value[n - 1]))
		n--;
	if (n <= 7 || strncmp(value, "%REQ(", 5) != 0 ||
	    strncmp(value + n - 2, ")%", 2) != 0)
		return NULL;
	name = arena_strndup(a, value + 5, n - 7);
	canon = policy_canonical_header(a, name);
	return canon;
}

/* Contour's headersPolicyRoute/headersPolicyService: canonical names, no
 * duplicates, Host (requests only) becomes a host rewrite: a literal, or on a
 * route (HOST_REWRITE_HEADER) the header named by "%REQ(name)%"; an empty
 * Host value rewrites nothing, as in Contour. Returns NULL with *err set on a
 * problem; NULL with *err NULL when hp is NULL. */

struct dag_headers_policy *
proxy_headers_policy(struct builder *b, const struct hp_headers_policy *hp,
    enum host_rewrite allow_host, const char *ns, const char *service,
    int32_t port, const char **err)
{
	struct dag_headers_policy *out;
	size_t cap = 0;

	*err = NULL;
	if (hp == NULL)
		return NULL;
	out = ARENA_NEW(b->arena, struct dag_headers_policy);
	for (size_t i = 0; i < hp->nset; i++) {
		const char *key = policy_canonical_header(b->arena, hp->set[i].name);
		struct dag_header_value hv;

		if (key == NULL) {
			*err = arena_printf(b->arena, "invalid set header \"%s\": not a "
			    "valid HTTP header name", hp->set[i].name);
			return NULL;
		}
		for (size_t j = 0; j < out->nset; j++)
			if (strcmp(out->set[j].key, key) == 0) {
				*err = arena_printf(b->arena, "duplicate header addition: "
				    "\"%s\"", key);
				return NULL;
			}
		/* Envoy's HTTP_HEADER_VALUE rule (a PGV NACK otherwise). */
		if (strpbrk(hp->set[i].value, "\r\n") != NULL) {
			*err = arena_printf(b->arena, "invalid set header \"%s\": the "
			    "value must not contain a line break (CR or LF)", key);
			return NULL;
		}
		if (strcmp(key, "Host") == 0) {
			const char *hdr;

			if (allow_host == HOST_REWRITE_NONE) {
				*err = "rewriting \"Host\" header is not supported";
				return NULL;
			}
			if (out->host_rewrite != NULL || out->host_rewrite_header != NULL) {
				*err = "duplicate header addition: \"Host\"";
				return NULL;
			}
			hdr = host_rewrite_header_name(b->arena, hp->set[i].value);
			if (hdr != NULL && allow_host != HOST_REWRITE_HEADER) {
				*err = "rewriting \"Host\" header from a request header "
				    "(%REQ(...)%) is only supported on routes";
				return NULL;
			}
			if (hdr != NULL)
				out->host_rewrite_header = hdr;
			else if (hp->set[i].value[0] != '\0')
				out->host_rewrite = hp->set[i].value;
			continue;
		}
		hv.key = key;
		hv.value = policy_escape_header_value(b->arena, hp->set[i].value, ns,
		    service, port);
		ARENA_PUSH(b->arena, out->set, out->nset, cap, hv);
	}
	if (out->nset > 1)
		qsort(out->set, out->nset, sizeof out->set[0], header_value_cmp);
	cap = 0;
	for (size_t i = 0; i < hp->nremove; i++) {
		const char *key = policy_canonical_header(b->arena, hp->remove[i]);

		if (key == NULL) {
			*err = arena_printf(b->arena, "invalid remove header \"%s\": not "
			    "a valid HTTP header name", hp->remove[i]);
			return NULL;
		}
		/* Envoy's HeaderParser: ":-prefixed or host headers may not
		 * be removed" (a NACK of the whole RouteConfiguration). */
		if (strcmp(key, "Host") == 0) {
			*err = "removing the \"Host\" header is not supported";
			return NULL;
		}
		for (size_t j = 0; j < out->nremove; j++)
			if (strcmp(out->remove[j], key) == 0) {
				*err = arena_printf(b->arena, "duplicate header removal: "
				    "\"%s\"", key);
				return NULL;
			}
		ARENA_PUSH(b->arena, out->remove, out->nremove, cap, key);
	}
	if (out->nremove > 1)
		qsort(out->remove, out->nremove, sizeof out->remove[0], sorted_str_cmp);
	return out;
}

struct dag_local_ratelimit *
proxy_local_ratelimit(struct builder *b, const struct hp_ratelimit_policy *rl,
    const char **err)
{
	const struct hp_local_ratelimit *l;
	struct dag_local_ratelimit *out;
	size_t cap = 0;

	*err = NULL;
	if (rl == NULL || rl->local == NULL)
		return NULL;
	l = rl->local;
	out = ARENA_NEW(b->arena, struct dag_local_ratelimit);
	out->max_tokens = l->requests + l->burst < l->requests ? UINT32_MAX :
	    l->requests + l->burst;
	out->tokens_per_fill = l->requests;
	out->status_code = l->response_status_code;
	out->fill_interval_ms = strcmp(l->unit, "second") == 0 ? 1000 :
	    strcmp(l->unit, "minute") == 0 ? 60000 : 3600000;
	for (size_t i = 0; i < l->nresponse_headers; i++) {
		const char *key = policy_canonical_header(b->arena,
		    l->response_headers[i].name);
		struct dag_header_value hv;

		if (key == NULL) {
			*err = arena_printf(b->arena, "invalid header name \"%s\"",
			    l->response_headers[i].name);
			return NULL;
		}
		for (size_t j = 0; j < out->nresponse_headers; j++)
			if (strcmp(out->response_headers[j].key, key) == 0) {
				*err = arena_printf(b->arena, "duplicate header addition: "
				    "\"%s\"", key);
				return NULL;
			}
		hv.key = key;
		hv.value = policy_escape_header_value(b->arena,
		    l->response_headers[i].value, NULL, NULL, 0);
		ARENA_PUSH(b->arena, out->response_headers, out->nresponse_headers,
		    cap, hv);
	}
	if (out->nresponse_headers > 1)
		qsort(out->response_headers, out->nresponse_headers,
		    sizeof out->response_headers[0], header_value_cmp);
	return out;
}

/* One CIDR, normalised to its network address as Go's net.ParseCIDR does
 * ("10.1.2.3/8" -> "10.0.0.0/8"; a bare address is a /32 or /128). */
static bool
cidr_parse(struct builder *b, const struct hp_ip_filter *f, struct dag_cidr *out)
{
	unsigned char buf[16];
	char ip[64], text[INET6_ADDRSTRLEN];
	const char *slash = strchr(f->cidr, '/');
	size_t len = slash ? (size_t)(slash - f->cidr) : strlen(f->cidr);
	int af = AF_INET, bytes = 4;
	unsigned bits;

	if (len >= sizeof ip)
		return false;
	memcpy(ip, f->cidr, len);
	ip[len] = '\0';
	if (inet_pton(AF_INET, ip, buf) != 1) {
		if (inet_pton(AF_INET6, ip, buf) != 1)
			return false;
		af = AF_INET6;
		bytes = 16;
	}
	bits = slash ? (unsigned)atoi(slash + 1) : (unsigned)bytes * 8;
	if (bits > (unsigned)bytes * 8)
		return false;
	for (int i = 0; i < bytes; i++) {
		int keep = (int)bits - i * 8;

		if (keep <= 0)
			buf[i] = 0;
		else if (keep < 8)
			buf[i] &= (unsigned char)(0xff << (8 - keep));
	}
	inet_ntop(af, buf, text, sizeof text);
	out->prefix = arena_strdup(b->arena, text);
	out->len = bits;
	out->remote = strcmp(f->source, "Remote") == 0;
	return true;
}

struct dag_ip_filter *
proxy_ip_filter(struct builder *b, const struct hp_ip_filter *allow,
    size_t nallow, const struct hp_ip_filter *deny, size_t ndeny)
{
	struct dag_ip_filter *out;
	const struct hp_ip_filter *list = nallow ? allow : deny;
	size_t n = nallow ? nallow : ndeny;

	if (n == 0)
		return NULL;
	out = ARENA_NEW(b->arena, struct dag_ip_filter);
	out->allow = nallow > 0;
	out->rules = ARENA_ARRAY(b->arena, struct dag_cidr, n);
	for (size_t i = 0; i < n; i++)
		if (cidr_parse(b, &list[i], &out->rules[out->n]))
			out->n++;
	return out;
}

/* "scheme://host[:port]" exactly: Contour matches such an origin
 * literally (ignoring case) and anything else as a regex. */
static bool
is_exact_origin(const char *s)
{
	const char *p = s, *host;

	if (strcmp(s, "*") == 0)
		return true;
	if (!isalpha((unsigned char)*p))
		return false;
	while (isalnum((unsigned char)*p) || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (strncmp(p, "://", 3) != 0)
		return false;
	host = p += 3;
	while (*p && strchr("/?#\\*[]()^$|+ ", *p) == NULL)
		p++;
	return *p == '\0' && p > host;
}

static char *
join(struct builder *b, char **items, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	char *out;

	strbuf_puts(&sb, "");
	for (size_t i = 0; i < n; i++)
		strbuf_printf(&sb, "%s%s", i ? "," : "", items[i]);
	out = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	return out;
}

struct dag_cors *
proxy_cors_policy(struct builder *b, const struct hp_cors_policy *cp,
    const char **err, const struct origin **at)
{
	struct dag_cors *out;
	const char *why;

	*err = NULL;
	if (cp == NULL)
		return NULL;
	out = ARENA_NEW(b->arena, struct dag_cors);
	out->origins = ARENA_ARRAY(b->arena, struct dag_cors_origin, cp->nallow_origin);
	for (size_t i = 0; i < cp->nallow_origin; i++) {
		struct dag_cors_origin *o = &out->origins[out->norigins++];

		o->value = cp->allow_origin[i];
		o->regex = !is_exact_origin(o->value);
		if (o->regex && (why = policy_regex_check(b, o->value)) != NULL) {
			if (cp->allow_origin_at != NULL)
				*at = &cp->allow_origin_at[i];
			*err = arena_printf(b->arena, "invalid allowed origin \"%s\": "
			    "allowed origin is invalid exact match and invalid regex "
			    "match; RE2: %s", o->value, why);
			return NULL;
		}
	}
	out->allow_methods = join(b, cp->allow_methods, cp->nallow_methods);
	out->allow_headers = join(b, cp->allow_headers, cp->nallow_headers);
	out->expose_headers = join(b, cp->expose_headers, cp->nexpose_headers);
	out->allow_credentials = cp->allow_credentials;
	out->allow_private_network = cp->allow_private_network;
	if (cp->max_age != NULL && *cp->max_age) {
		int64_t ms = policy_timeout_ms(cp->max_age);

		out->max_age = arena_printf(b->arena, "%lld",
		    (long long)((ms + 500) / 1000));
	}
	return out;
}

struct dag_retry_policy *
proxy_retry_policy(struct builder *b, const struct hp_retry_policy *rp)
{
	struct dag_retry_policy *out;

	if (rp == NULL)
		return NULL;
	out = ARENA_NEW(b->arena, struct dag_retry_policy);
	out->retry_on = rp->nretry_on ? join(b, rp->retry_on, rp->nretry_on) : "5xx";
	/* Contour: -1 means no retries, unset or 0 means Envoy's 1. */
	out->num_retries = rp->count < 0 ? 0 : rp->count <= 1 ? 1 :
	    (uint32_t)rp->count;
	out->per_try_timeout_ms = policy_timeout_ms(rp->per_try_timeout);
	out->retriable_status_codes = rp->retriable_status_codes;
	out->nretriable_status_codes = rp->nretriable_status_codes;
	return out;
}

/* Contour's cookieRewritePolicies: one rule per cookie name, each
 * rewriting something. base (the route's, for a service) is merged in
 * under the new rules. Returns false with *err set on a problem. */
bool
proxy_cookie_rewrites(struct builder *b, const struct hp_cookie_rewrite *in,
    size_t n, const struct dag_cookie_rewrite *base, size_t nbase,
    struct dag_cookie_rewrite **out, size_t *nout, const char **err)
{
	struct dag_cookie_rewrite *list;
	size_t k = 0;

	*err = NULL;
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return true;
	list = ARENA_ARRAY(b->arena, struct dag_cookie_rewrite, n + nbase + 1);
	for (size_t i = 0; i < n; i++) {
		const struct hp_cookie_rewrite *c = &in[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(in[j].name, c->name) == 0) {
				*err = arena_printf(b->arena, "duplicate cookie rewrite "
				    "rule for cookie \"%s\"", c->name);
				return false;
			}
		if (!c->has_path && !c->has_domain && !c->has_secure &&
		    c->same_site == NULL) {
			*err = arena_printf(b->arena, "no attributes rewritten for "
			    "cookie \"%s\"", c->name);
			return false;
		}
		list[k].name = c->name;
		list[k].path = c->has_path ? c->path : NULL;
		list[k].domain = c->has_domain ? c->domain : NULL;
		list[k].same_site = c->same_site;
		list[k].secure = c->has_secure ? c->secure : -1;
		k++;
	}
	for (size_t i = 0; i < nbase; i++) {
		bool overridden = false;

		for (size_t j = 0; j < n && !overridden; j++)
			overridden = strcmp(in[j].name, base[i].name) == 0;
		if (!overridden)
			list[k++] = base[i];
	}
	*out = list;
	*nout = k;
	return true;
}

/* Contour's internalRedirectPolicy: Always and SafeOnly allow a redirect
 * to the other scheme, SafeOnly through the safe_cross_scheme predicate;
 * denyRepeatedRouteRedirect is the previous_routes predicate. */
struct dag_internal_redirect *
proxy_internal_redirect(struct builder *b,
    const struct hp_internal_redirect *ir)
{
	struct dag_internal_redirect *out;
	const char *cs;

	if (ir == NULL)
		return NULL;
	cs = ir->allow_cross_scheme_redirect ? ir->allow_cross_scheme_redirect :
	    "Never";
	out = ARENA_NEW(b->arena, struct dag_internal_redirect);
	out->max_internal_redirects = ir->max_internal_redirects;
	out->redirect_response_codes = ir->redirect_response_codes;
	out->nredirect_response_codes = ir->nredirect_response_codes;
	out->allow_cross_scheme = strcmp(cs, "Never") != 0;
	out->safe_cross_scheme = strcmp(cs, "SafeOnly") == 0;
	out->deny_repeated_route = ir->deny_repeated_route_redirect;
	return out;
}
