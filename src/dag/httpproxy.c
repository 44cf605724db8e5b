/* HTTPProxy -> virtual hosts and routes with Contour's semantics: root
 * proxies claim FQDNs, includes delegate path/header/query prefixes of a
 * host to other proxies (across namespaces), and each problem becomes a
 * status condition with Contour's type and reason. The shared policy
 * helpers at the top are also used by ingress.c. */
#include "dag/build_internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "dag/owners.h"
#include "util/duration.h"
#include "util/re2_check.h"
#include "util/strbuf.h"

/* --- shared policy helpers ------------------------------------------------- */

int64_t
policy_timeout_ms(const char *s)
{
	const char *why;
	int64_t ms;

	if (s == NULL || *s == '\0')
		return DAG_TIMEOUT_DEFAULT;
	if (strcmp(s, "infinity") == 0 || strcmp(s, "infinite") == 0)
		return 0;
	if (duration_parse_ms(s, &ms, &why) < 0) /* checked by the loader */
		return DAG_TIMEOUT_DEFAULT;
	return ms;
}

/* RFC 7230 token characters. */
static bool
is_token_char(unsigned char c)
{
	return isalnum(c) || strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

const char *
policy_canonical_header(struct arena *a, const char *s)
{
	char *out;
	bool upper = true;

	if (*s == '\0')
		return NULL;
	for (const char *p = s; *p; p++)
		if (!is_token_char((unsigned char)*p))
			return NULL;
	out = arena_strdup(a, s);
	for (char *p = out; *p; p++) {
		*p = upper ? (char)toupper((unsigned char)*p) :
		    (char)tolower((unsigned char)*p);
		upper = *p == '-';
	}
	return out;
}

/* Envoy variables Contour lets through a header value unescaped. */
static const char *const envoy_header_vars[] = {
	"DOWNSTREAM_REMOTE_ADDRESS", "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
	"DOWNSTREAM_LOCAL_ADDRESS", "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
	"DOWNSTREAM_LOCAL_PORT", "DOWNSTREAM_LOCAL_URI_SAN",
	"DOWNSTREAM_PEER_URI_SAN", "DOWNSTREAM_LOCAL_SUBJECT",
	"DOWNSTREAM_PEER_SUBJECT", "DOWNSTREAM_PEER_ISSUER",
	"DOWNSTREAM_TLS_SESSION_ID", "DOWNSTREAM_TLS_CIPHER",
	"DOWNSTREAM_TLS_VERSION", "DOWNSTREAM_PEER_FINGERPRINT_256",
	"DOWNSTREAM_PEER_FINGERPRINT_1", "DOWNSTREAM_PEER_SERIAL",
	"DOWNSTREAM_PEER_CERT", "DOWNSTREAM_PEER_CERT_V_START",
	"DOWNSTREAM_PEER_CERT_V_END", "HOSTNAME", "PROTOCOL",
	"UPSTREAM_REMOTE_ADDRESS", "RESPONSE_FLAGS", "RESPONSE_CODE_DETAILS",
};

/* Length of "%REQ(name[?alt])[:len]%" at s, or 0. */
static size_t
req_var_len(const char *s)
{
	const char *p = s;

	if (strncmp(p, "%REQ(", 5) != 0)
		return 0;
	p += 5;
	for (int part = 0; part < 2; part++) {
		const char *start;

		if (*p == ':')
			p++;
		start = p;
		while (isalnum((unsigned char)*p) || *p == '_' || *p == '-')
			p++;
		if (p == start)
			return 0;
		if (part == 0 && *p == '?')
			p++;
		else
			break;
	}
	if (*p++ != ')')
		return 0;
	if (*p == ':') {
		const char *start = ++p;

		while (isdigit((unsigned char)*p))
			p++;
		if (p == start)
			return 0;
	}
	if (*p != '%')
		return 0;
	return (size_t)(p - s) + 1;
}

const char *
policy_escape_header_value(struct arena *a, const char *value, const char *ns,
    const char *service, int32_t port)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = value, *out;
	char portbuf[16];

	if (strchr(value, '%') == NULL)
		return value;
	snprintf(portbuf, sizeof portbuf, "%d", port);
	while (*p) {
		const char *dyn_names[] = { "%CONTOUR_NAMESPACE%",
		    "%CONTOUR_SERVICE_NAME%", "%CONTOUR_SERVICE_PORT%" };
		const char *dyn_values[] = { ns, service, port ? portbuf : NULL };
		size_t n;
		bool done = false;

		if (*p != '%') {
			strbuf_putc(&sb, *p++);
			continue;
		}
		for (size_t i = 0; i < 3 && !done; i++) {
			if (dyn_values[i] != NULL &&
			    strncmp(p, dyn_names[i], strlen(dyn_names[i])) == 0) {
				strbuf_puts(&sb, dyn_values[i]);
				p += strlen(dyn_names[i]);
				done = true;
			}
		}
		for (size_t i = 0; i < sizeof envoy_header_vars /
		    sizeof envoy_header_vars[0] && !done; i++) {
			size_t len = strlen(envoy_header_vars[i]);

			if (strncmp(p + 1, envoy_header_vars[i], len) == 0 &&
			    p[len + 1] == '%') {
				strbuf_add(&sb, p, len + 2);
				p += len + 2;
				done = true;
			}
		}
		if (!done && (n = req_var_len(p)) > 0) {
			strbuf_add(&sb, p, n);
			p += n;
			done = true;
		}
		if (!done) {
			strbuf_puts(&sb, "%%");
			p++;
		}
	}
	out = arena_strdup(a, sb.buf);
	strbuf_free(&sb);
	return out;
}

/* Envoy's wildcard domains match any number of labels; Contour narrows
 * "*.example.com" to one label with an :authority match (the optional port
 * because cairn does not strip it from :authority). */
const char *
policy_wildcard_regex(struct builder *b, const char *fqdn)
{
	struct strbuf sb = STRBUF_INIT;
	const char *out;

	strbuf_puts(&sb, "^[a-z0-9]([-a-z0-9]*[a-z0-9])?");
	strbuf_put_regex_literal(&sb, fqdn + 1);
	strbuf_puts(&sb, "(:[0-9]+)?");
	out = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	return out;
}

void
policy_wildcard_header(struct builder *b, struct dag_route *r, const char *fqdn,
    size_t *cap)
{
	struct dag_header_match m = { .name = ":authority",
		.kind = DAG_HEADER_REGEX };

	m.value = policy_wildcard_regex(b, fqdn);
	ARENA_PUSH(b->arena, r->headers, r->nheaders, *cap, m);
}

const char *
policy_regex_check(struct builder *b, const char *re)
{
	char why[512];
	int max = b->cfg != NULL ? (int)b->cfg->envoy.regex_max_program_size : 1000;

	if (max <= 0) /* a limit over INT_MAX: none */
		max = 0;
	if (re2_check(re, max, NULL, why, sizeof why) == RE2_CHECK_OK)
		return NULL;
	return arena_strdup(b->arena, why);
}

/* --- conditions ------------------------------------------------------------ */

/* The conditions in effect for a route: its includes', then its own. */
struct cond_list {
	const struct hp_condition **items;
	size_t n;
};

static struct cond_list
cond_append(struct builder *b, const struct cond_list *base,
    const struct hp_condition *more, size_t nmore)
{
	struct cond_list out = { .n = base->n + nmore };

	out.items = ARENA_ARRAY(b->arena, const struct hp_condition *, out.n + 1);
	for (size_t i = 0; i < base->n; i++)
		out.items[i] = base->items[i];
	for (size_t i = 0; i < nmore; i++)
		out.items[base->n + i] = &more[i];
	return out;
}

/* Contour's mergePathMatchConditions: the path conditions of the chain
 * concatenated (runs of '/' collapsed); any regex makes it a regex, else
 * the last path condition decides between prefix and exact. */
static void
merge_path(struct builder *b, const struct cond_list *cl, struct dag_route *r)
{
	struct strbuf sb = STRBUF_INIT;
	const struct hp_condition *last = NULL;
	bool regex = false;
	char *path, *w;

	strbuf_puts(&sb, "");
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_condition *c = cl->items[i];
		const char *s = c->prefix ? c->prefix : c->exact ? c->exact : c->regex;

		if (s == NULL || *s == '\0')
			continue;
		strbuf_puts(&sb, s);
		regex |= c->regex != NULL;
		last = c;
	}
	path = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	w = path;
	for (const char *p = path; *p; p++)
		if (!(*p == '/' && w > path && w[-1] == '/'))
			*w++ = *p;
	*w = '\0';
	r->path = path;
	if (*path == '\0' || last == NULL) {
		r->path_kind = DAG_PATH_PREFIX;
		r->path = "/";
	} else if (regex) {
		r->path_kind = DAG_PATH_REGEX;
	} else if (last->exact != NULL) {
		r->path_kind = DAG_PATH_EXACT;
	} else {
		r->path_kind = DAG_PATH_PREFIX;
	}
}

static void
merge_headers(struct builder *b, const struct cond_list *cl, struct dag_route *r,
    size_t *cap)
{
	size_t n = 0;

	/* Sized once (and one more for policy_wildcard_header): growing it
	 * left dead copies in the arena. */
	for (size_t i = 0; i < cl->n; i++)
		n += cl->items[i]->header != NULL;
	if (n > 0 && *cap < r->nheaders + n + 1) {
		r->headers = arena_grow(b->arena, r->headers, r->nheaders,
		    r->nheaders + n + 1, sizeof r->headers[0]);
		*cap = r->nheaders + n + 1;
	}
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_header_match *h = cl->items[i]->header;
		struct dag_header_match m;

		if (h == NULL)
			continue;
		memset(&m, 0, sizeof m);
		m.name = h->name;
		m.treat_missing_as_empty = h->treat_missing_as_empty;
		if (h->present || h->notpresent) {
			m.kind = DAG_HEADER_PRESENT;
			m.invert = h->notpresent;
		} else if (h->exact || h->notexact) {
			m.kind = DAG_HEADER_EXACT;
			m.value = h->exact ? h->exact : h->notexact;
			m.invert = h->notexact != NULL;
			m.ignore_case = h->ignore_case;
		} else if (h->contains || h->notcontains) {
			m.kind = DAG_HEADER_CONTAINS;
			m.value = h->contains ? h->contains : h->notcontains;
			m.invert = h->notcontains != NULL;
			m.ignore_case = h->ignore_case;
		} else {
			m.kind = DAG_HEADER_REGEX;
			m.value = h->regex;
		}
		ARENA_PUSH(b->arena, r->headers, r->nheaders, *cap, m);
	}
}

static void
merge_queries(struct builder *b, const struct cond_list *cl, struct dag_route *r)
{
	size_t cap = 0;

	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_query_match *q = cl->items[i]->query;
		struct dag_query_match m = { 0 };

		if (q == NULL)
			continue;
		m.name = q->name;
		m.ignore_case = q->ignore_case;
		if (q->exact) {
			m.kind = DAG_QUERY_EXACT;
			m.value = q->exact;
		} else if (q->prefix) {
			m.kind = DAG_QUERY_PREFIX;
			m.value = q->prefix;
		} else if (q->suffix) {
			m.kind = DAG_QUERY_SUFFIX;
			m.value = q->suffix;
		} else if (q->contains) {
			m.kind = DAG_QUERY_CONTAINS;
			m.value = q->contains;
		} else if (q->regex) {
			m.kind = DAG_QUERY_REGEX;
			m.value = q->regex;
			m.ignore_case = false;
		} else {
			m.kind = DAG_QUERY_PRESENT;
			m.ignore_case = false;
		}
		ARENA_PUSH(b->arena, r->queries, r->nqueries, cap, m);
	}
}

/* Contour's pathMatchConditionsValid for one block of conditions (the
 * regex itself is checked as emitted, after merge_path). */
static const char *
path_conditions_problem(const struct hp_condition *c, size_t n)
{
	int count = 0;

	for (size_t i = 0; i < n; i++)
		count += (c[i].prefix != NULL) + (c[i].exact != NULL) +
		    (c[i].regex != NULL);
	if (count > 1)
		return "more than one prefix, exact or regex is not allowed in a "
		    "condition block";
	return NULL;
}

static bool
same_ci(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* o, unless the object was not loaded from a file (unit tests). */
static const struct origin *
origin_or(const struct origin *o, const struct origin *fallback)
{
	return o->file != NULL ? o : fallback;
}

/* Contour's headerMatchConditionsValid over the whole chain; a regex
 * Envoy's RE2 refuses moves *at to its `regex:` value. */
static const char *
header_conditions_problem(struct builder *b, const struct cond_list *cl,
    const struct origin **at)
{
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_header_match *h = cl->items[i]->header;
		const char *why;

		if (h == NULL)
			continue;
		if (h->regex != NULL && (why = policy_regex_check(b, h->regex)) != NULL) {
			*at = origin_or(&h->regex_origin, *at);
			return arena_printf(b->arena, "invalid regular expression "
			    "specified for 'regex' condition: \"%s\": %s", h->regex, why);
		}
		for (size_t j = 0; j < i; j++) {
			const struct hp_header_match *g = cl->items[j]->header;

			if (g == NULL || !same_ci(g->name, h->name))
				continue;
			if ((h->present && g->notpresent) || (h->notpresent && g->present))
				return "cannot specify contradictory 'present' and "
				    "'notpresent' conditions for the same route and header";
			if (h->exact && g->exact)
				return "cannot specify duplicate header 'exact match' "
				    "conditions in the same route";
			if ((h->exact && g->notexact && strcmp(h->exact, g->notexact) == 0) ||
			    (h->notexact && g->exact && strcmp(h->notexact, g->exact) == 0))
				return "cannot specify contradictory 'exact' and "
				    "'notexact' conditions for the same route and header";
			if ((h->contains && g->notcontains &&
			    strcmp(h->contains, g->notcontains) == 0) ||
			    (h->notcontains && g->contains &&
			    strcmp(h->notcontains, g->contains) == 0))
				return "cannot specify contradictory 'contains' and "
				    "'notcontains' conditions for the same route and header";
		}
	}
	return NULL;
}

/* Contour's queryParameterMatchConditionsValid; *at as for headers. */
static const char *
query_conditions_problem(struct builder *b, const struct cond_list *cl,
    const struct origin **at)
{
	for (size_t i = 0; i < cl->n; i++) {
		const struct hp_query_match *q = cl->items[i]->query;
		const char *why;

		if (q == NULL)
			continue;
		if (q->regex != NULL && (why = policy_regex_check(b, q->regex)) != NULL) {
			*at = origin_or(&q->regex_origin, *at);
			return arena_printf(b->arena, "invalid regular expression "
			    "specified for 'regex' condition: \"%s\": %s", q->regex, why);
		}
		if (q->exact == NULL)
			continue;
		for (size_t j = 0; j < i; j++) {
			const struct hp_query_match *p = cl->items[j]->query;

			if (p != NULL && p->exact != NULL && same_ci(p->name, q->name))
				return "cannot specify duplicate query parameter 'exact "
				    "match' conditions in the same route";
		}
	}
	return NULL;
}

/* Include conditions in a canonical text form: two includes with the same
 * text would send the same requests to two places (Contour's
 * DuplicateMatchConditions). NULL for the plain "/" that Contour lets
 * repeat. */
static const char *
include_key(struct builder *b, const struct hp_include *inc)
{
	struct cond_list cl = { 0 };
	struct dag_route r = { 0 };
	struct strbuf sb = STRBUF_INIT;
	char **parts;
	size_t nparts = 0, hcap = 0;
	const char *out;

	cl = cond_append(b, &cl, inc->conditions, inc->nconditions);
	merge_path(b, &cl, &r);
	merge_headers(b, &cl, &r, &hcap);
	merge_queries(b, &cl, &r);
	if (strcmp(r.path, "/") == 0 && r.nheaders == 0 && r.nqueries == 0)
		return NULL;
	parts = ARENA_ARRAY(b->arena, char *, r.nheaders + r.nqueries + 1);
	for (size_t i = 0; i < r.nheaders; i++) {
		const struct dag_header_match *h = &r.headers[i];
		char *lower = arena_strdup(b->arena, h->name);

		for (char *p = lower; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		parts[nparts++] = arena_printf(b->arena, "h%d|%d|%d|%d|%s|%s",
		    (int)h->kind, h->ignore_case, h->invert,
		    h->treat_missing_as_empty, lower, h->value ? h->value : "");
	}
	for (size_t i = 0; i < r.nqueries; i++) {
		const struct dag_query_match *q = &r.queries[i];

		parts[nparts++] = arena_printf(b->arena, "q%d|%d|%s|%s", (int)q->kind,
		    q->ignore_case, q->name, q->value ? q->value : "");
	}
	qsort(parts, nparts, sizeof parts[0], str_ptr_cmp);
	strbuf_puts(&sb, r.path);
	for (size_t i = 0; i < nparts; i++) {
		strbuf_putc(&sb, '\n');
		strbuf_puts(&sb, parts[i]);
	}
	out = arena_strdup(b->arena, sb.buf);
	strbuf_free(&sb);
	return out;
}

/* --- policies -------------------------------------------------------------- */

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
enum host_rewrite { HOST_REWRITE_NONE, HOST_REWRITE_LITERAL, HOST_REWRITE_HEADER };

static struct dag_headers_policy *
headers_policy(struct builder *b, const struct hp_headers_policy *hp,
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
		qsort(out->remove, out->nremove, sizeof out->remove[0], str_ptr_cmp);
	return out;
}

static struct dag_local_ratelimit *
local_ratelimit(struct builder *b, const struct hp_ratelimit_policy *rl,
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

static struct dag_ip_filter *
ip_filter(struct builder *b, const struct hp_ip_filter *allow, size_t nallow,
    const struct hp_ip_filter *deny, size_t ndeny)
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

static struct dag_cors *
cors_policy(struct builder *b, const struct hp_cors_policy *cp, const char **err,
    const struct origin **at)
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

/* Contour's httpHealthCheckPolicy and tcpHealthCheckPolicy with their
 * defaults; a TCP check (tcpproxy, tls.c) has no path and no host. */
struct dag_health_check *
dag_health_check_new(struct builder *b, const struct hp_health_check *hc,
    bool tcp)
{
	struct dag_health_check *out;

	if (hc == NULL)
		return NULL;
	out = ARENA_NEW(b->arena, struct dag_health_check);
	out->path = tcp ? NULL : hc->path;
	/* Contour's defaults. */
	out->host = tcp ? NULL : hc->host && *hc->host ? hc->host :
	    "contour-envoy-healthcheck";
	out->interval_ms = hc->interval_seconds ? hc->interval_seconds * 1000 : 10000;
	out->timeout_ms = hc->timeout_seconds ? hc->timeout_seconds * 1000 : 2000;
	out->unhealthy_threshold = hc->unhealthy_threshold ? hc->unhealthy_threshold : 3;
	out->healthy_threshold = hc->healthy_threshold ? hc->healthy_threshold : 2;
	out->nexpected_statuses = hc->nexpected_statuses;
	out->expected_statuses = ARENA_ARRAY(b->arena, struct dag_status_range,
	    hc->nexpected_statuses + 1);
	for (size_t i = 0; i < hc->nexpected_statuses; i++) {
		out->expected_statuses[i].start = hc->expected_statuses[i].start;
		out->expected_statuses[i].end = hc->expected_statuses[i].end;
	}
	return out;
}

static struct dag_retry_policy *
retry_policy(struct builder *b, const struct hp_retry_policy *rp)
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
static bool
cookie_rewrites(struct builder *b, const struct hp_cookie_rewrite *in, size_t n,
    const struct dag_cookie_rewrite *base, size_t nbase,
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
static struct dag_internal_redirect *
internal_redirect(struct builder *b, const struct hp_internal_redirect *ir)
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

/* Contour's loadBalancerRequestHashPolicies: invalid hash policies are
 * warnings and dropped; none left means round robin. */
static void
lb_policy(struct builder *b, size_t st, const struct hp_lb_policy *lb,
    struct dag_route *r, struct cluster_options *opts)
{
	size_t cap = 0;
	bool source_ip = false;

	opts->lb_policy = DAG_LB_ROUND_ROBIN;
	if (lb == NULL || lb->strategy == NULL)
		return;
	if (strcmp(lb->strategy, "WeightedLeastRequest") == 0) {
		opts->lb_policy = DAG_LB_LEAST_REQUEST;
	} else if (strcmp(lb->strategy, "Random") == 0) {
		opts->lb_policy = DAG_LB_RANDOM;
	} else if (strcmp(lb->strategy, "Cookie") == 0) {
		struct dag_hash_policy h = { .kind = DAG_HASH_COOKIE,
			.name = "X-Contour-Session-Affinity", .cookie_path = "/" };

		opts->lb_policy = DAG_LB_RING_HASH;
		ARENA_PUSH(b->arena, r->hash_policies, r->nhash_policies, cap, h);
	} else if (strcmp(lb->strategy, "RequestHash") == 0) {
		for (size_t i = 0; i < lb->nhash_policies; i++) {
			const struct hp_hash_policy *hp = &lb->hash_policies[i];
			struct dag_hash_policy h = { .terminal = hp->terminal };
			int n = hp->hash_source_ip + hp->has_header + hp->has_parameter;
			bool dup = false;

			if (n != 1) {
				status_warning(b, st, "SpecError", "IgnoredField", &hp->origin,
				    "ignoring invalid request hash policy, must set exactly "
				    "one of hashSourceIP or headerHashOptions or "
				    "queryParameterHashOptions");
				continue;
			}
			if (hp->hash_source_ip) {
				if (source_ip) {
					status_warning(b, st, "SpecError", "IgnoredField",
					    &hp->origin, "ignoring invalid request hash "
					    "policy, hashSourceIP specified multiple times");
					continue;
				}
				source_ip = true;
				h.kind = DAG_HASH_SOURCE_IP;
			} else if (hp->has_header) {
				h.kind = DAG_HASH_HEADER;
				h.name = hp->header_name ? policy_canonical_header(b->arena,
				    hp->header_name) : NULL;
				if (h.name == NULL) {
					status_warning(b, st, "SpecError", "IgnoredField",
					    &hp->origin, "ignoring invalid header hash policy "
					    "options with invalid header name \"%s\"",
					    hp->header_name ? hp->header_name : "");
					continue;
				}
			} else {
				char *lower = arena_strdup(b->arena,
				    hp->parameter_name ? hp->parameter_name : "");

				for (char *p = lower; *p; p++)
					*p = (char)tolower((unsigned char)*p);
				h.kind = DAG_HASH_QUERY;
				h.name = lower;
				if (*lower == '\0') {
					status_warning(b, st, "SpecError", "IgnoredField",
					    &hp->origin, "ignoring invalid query parameter "
					    "hash policy options with an invalid empty query "
					    "parameter name");
					continue;
				}
			}
			for (size_t j = 0; j < r->nhash_policies && !dup; j++)
				dup = h.kind != DAG_HASH_SOURCE_IP &&
				    r->hash_policies[j].kind == h.kind &&
				    strcmp(r->hash_policies[j].name, h.name) == 0;
			if (dup) {
				status_warning(b, st, "SpecError", "IgnoredField", &hp->origin,
				    "ignoring invalid %s hash policy options with "
				    "duplicated name %s", h.kind == DAG_HASH_HEADER ?
				    "header" : "query parameter", h.name);
				continue;
			}
			ARENA_PUSH(b->arena, r->hash_policies, r->nhash_policies, cap, h);
		}
		if (r->nhash_policies == 0)
			status_warning(b, st, "SpecError", "IgnoredField", &lb->origin,
			    "ignoring invalid request hash policy options, setting load "
			    "balancer strategy to default RoundRobin");
		else
			opts->lb_policy = DAG_LB_RING_HASH;
	}
}

/* Contour's slowStartConfig: Envoy implements slow start for round robin
 * and least request only; aggression defaults to 1.0, the minimum weight
 * to 10 percent. */
static bool
slow_start(struct builder *b, size_t st, const struct hp_slow_start *ss,
    struct cluster_options *opts)
{
	struct dag_slow_start *out;
	const char *why;

	if (opts->lb_policy != DAG_LB_ROUND_ROBIN &&
	    opts->lb_policy != DAG_LB_LEAST_REQUEST) {
		status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
		    "SlowStartInvalid", &ss->origin, "slow start is only supported "
		    "with RoundRobin or WeightedLeastRequest load balancer strategy");
		return false;
	}
	out = ARENA_NEW(b->arena, struct dag_slow_start);
	if (duration_parse_ms(ss->window, &out->window_ms, &why) < 0)
		out->window_ms = 0; /* the loader checked it */
	out->aggression = ss->aggression ? strtod(ss->aggression, NULL) : 1.0;
	out->min_weight_percent = ss->has_min_weight_percent ?
	    ss->min_weight_percent : 10;
	opts->slow_start = out;
	return true;
}

/* --- routes ---------------------------------------------------------------- */

/* The routes of one root while its include tree is walked: in
 * b->scratch, copied into the virtual host at the end (growing it in the
 * build arena left 2-3 dead copies of every route behind). */
struct route_list {
	struct dag_route *items;
	size_t n, cap;
};

/* Contour's addStatusBadGatewayRoute: the requests an include that cannot
 * be followed would have received get 502 rather than falling through. */
static void
bad_gateway_route(struct builder *b, const struct cond_list *cl,
    const char *fqdn, struct route_list *out)
{
	struct dag_route r = { 0 };
	size_t hcap = 0;

	if (cl->n == 0)
		return;
	merge_path(b, cl, &r);
	merge_headers(b, cl, &r, &hcap);
	merge_queries(b, cl, &r);
	r.action = DAG_ACTION_DIRECT;
	r.direct_status = 502;
	r.timeout_ms = r.idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (strncmp(fqdn, "*.", 2) == 0)
		policy_wildcard_header(b, &r, fqdn, &hcap);
	ARENA_PUSH(&b->scratch, out->items, out->n, out->cap, r);
}

/* Contour's expandPrefixMatches: a prefix replacement on "/foo" also gets
 * a "/foo/" route so that "/foo/x" -> "/bar/x" and "/foosball" ->
 * "/barsball" both come out right. Applied to routes[start..). */
static void
expand_prefix_rewrites(struct builder *b, struct route_list *rl, size_t start)
{
	size_t end = rl->n;

	for (size_t i = start; i < end; i++) {
		struct dag_route *r = &rl->items[i];
		char *trimmed, *rewrite;
		size_t len, group = 0;
		struct dag_route extra;

		if (r->path_kind != DAG_PATH_PREFIX || r->prefix_rewrite == NULL ||
		    strcmp(r->path, "/") == 0)
			continue;
		trimmed = arena_strdup(b->arena, r->path);
		for (len = strlen(trimmed); len > 1 && trimmed[len - 1] == '/'; len--)
			trimmed[len - 1] = '\0';
		for (size_t j = start; j < end; j++) {
			const struct dag_route *o = &rl->items[j];
			size_t ol = strlen(o->path);

			if (o->path_kind != DAG_PATH_PREFIX)
				continue;
			while (ol > 1 && o->path[ol - 1] == '/')
				ol--;
			if (ol == len && strncmp(o->path, trimmed, len) == 0)
				group++;
		}
		if (group != 1)
			continue;
		rewrite = arena_strdup(b->arena, r->prefix_rewrite);
		for (size_t l = strlen(rewrite); l > 0 && rewrite[l - 1] == '/'; l--)
			rewrite[l - 1] = '\0';
		extra = *r;
		extra.path = arena_printf(b->arena, "%s/", trimmed);
		extra.prefix_rewrite = arena_printf(b->arena, "%s/", rewrite);
		r->path = trimmed;
		r->prefix_rewrite = *rewrite ? rewrite : "/";
		/* May move rl->items: r is not used after this. */
		ARENA_PUSH(&b->scratch, rl->items, rl->n, rl->cap, extra);
	}
}

/* Contour's prefix replacement: the one for exactly this route's prefix,
 * else the default (empty prefix) one. */
static bool
path_rewrite(struct builder *b, size_t st, const struct hp_route *hr,
    struct dag_route *r)
{
	const struct hp_path_rewrite *pr = hr->path_rewrite;
	const char *chosen = NULL;

	if (pr == NULL || pr->nreplace_prefix == 0)
		return true;
	if (r->path_kind != DAG_PATH_PREFIX) {
		status_error(b, st, DAG_STATUS_INVALID, "PrefixReplaceError",
		    "MustHavePrefix", &pr->origin,
		    "cannot specify prefix replacements without a prefix condition");
		return false;
	}
	for (size_t i = 0; i < pr->nreplace_prefix; i++) {
		const char *p = pr->replace_prefix[i].prefix ?
		    pr->replace_prefix[i].prefix : "";

		for (size_t j = 0; j < i; j++) {
			const char *q = pr->replace_prefix[j].prefix ?
			    pr->replace_prefix[j].prefix : "";

			if (strcmp(p, q) != 0)
				continue;
			if (*p != '\0')
				status_error(b, st, DAG_STATUS_INVALID,
				    "PrefixReplaceError", "DuplicateReplacement",
				    &pr->replace_prefix[i].origin,
				    "duplicate replacement prefix '%s'", p);
			else
				status_error(b, st, DAG_STATUS_INVALID,
				    "PrefixReplaceError", "AmbiguousReplacement",
				    &pr->replace_prefix[i].origin,
				    "ambiguous prefix replacement");
			return false;
		}
	}
	for (size_t i = 0; i < pr->nreplace_prefix && chosen == NULL; i++)
		if (pr->replace_prefix[i].prefix && *pr->replace_prefix[i].prefix &&
		    strcmp(pr->replace_prefix[i].prefix, r->path) == 0)
			chosen = pr->replace_prefix[i].replacement;
	for (size_t i = 0; i < pr->nreplace_prefix && chosen == NULL; i++)
		if (pr->replace_prefix[i].prefix == NULL ||
		    *pr->replace_prefix[i].prefix == '\0')
			chosen = pr->replace_prefix[i].replacement;
	r->prefix_rewrite = chosen;
	return true;
}

/* The services of one route: clusters, weights, per-service header
 * policies and the mirror. Unresolvable services are reported and
 * skipped. Returns false when the route is invalid as a whole. */
static bool
route_services(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_route *hr, const struct cluster_options *opts,
    struct dag_route *r)
{
	size_t cap = hr->nservices;
	uint32_t total = 0;
	bool have_mirror = false;

	/* Sized once: growing it left dead copies in the arena. */
	r->clusters = ARENA_ARRAY(b->arena, struct dag_weighted_cluster, cap + 1);
	for (size_t i = 0; i < hr->nservices; i++) {
		const struct hp_service *s = &hr->services[i];
		struct cluster_options o = *opts;
		struct dag_weighted_cluster wc = { 0 };
		const char *why, *err;

		o.protocol = s->protocol;
		o.health_port = s->health_port;
		if (!tls_upstream_validation(b, st, proxy, s, &o)) /* tls.c */
			return false;
		if (s->slow_start != NULL &&
		    !slow_start(b, st, s->slow_start, &o))
			return false;
		wc.cluster = service_cluster(b, proxy->meta.namespace, s->name,
		    s->port, NULL, &o, &why);
		if (wc.cluster == NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ServiceUnresolvedReference", &s->origin,
			    "Spec.Routes unresolved service reference: %s", why);
			continue;
		}
		wc.request_headers = headers_policy(b, s->request_headers,
		    HOST_REWRITE_LITERAL,
		    proxy->meta.namespace, s->name, s->port, &err);
		if (err != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "RequestHeadersPolicyInvalid", &s->request_headers->origin,
			    "%s on request headers", err);
			return false;
		}
		if (!cookie_rewrites(b, s->cookie_rewrites, s->ncookie_rewrites,
		    r->cookie_rewrites, r->ncookie_rewrites, &wc.cookie_rewrites,
		    &wc.ncookie_rewrites, &err)) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "CookieRewriteInvalid", &s->cookie_rewrites[0].origin,
			    "%s on service cookie rewrite rule", err);
			return false;
		}
		wc.response_headers = headers_policy(b, s->response_headers,
		    HOST_REWRITE_NONE,
		    proxy->meta.namespace, s->name, s->port, &err);
		if (err != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ResponseHeadersPolicyInvalid", &s->response_headers->origin,
			    "%s on response headers", err);
			return false;
		}
		if (s->mirror) {
			if (have_mirror) {
				status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
				    "OnlyOneMirror", &s->origin,
				    "only one service per route may be nominated as mirror");
				return false;
			}
			have_mirror = true;
			/* Weight is a percentage; unset (or 0) mirrors everything. */
			r->mirror = wc.cluster;
			r->mirror_percent = s->weight == 0 ? 100 :
			    s->weight > 100 ? 100 : s->weight;
			continue;
		}
		wc.weight = s->weight;
		total += s->weight;
		ARENA_PUSH(b->arena, r->clusters, r->nclusters, cap, wc);
	}
	/* All weights unset or zero: Contour splits traffic evenly. */
	if (total == 0)
		for (size_t i = 0; i < r->nclusters; i++)
			r->clusters[i].weight = 1;
	return true;
}

/* The path regex of a route as Envoy gets it ("^" and the merged path,
 * see translate_route.c), checked with RE2; *at is the route's own `regex:`
 * condition (includes have none). */
static const char *
route_regex_problem(struct builder *b, const struct hp_route *hr,
    const char *path, const struct origin **at)
{
	const char *re = arena_printf(b->arena, "^%s", path);
	const char *why = policy_regex_check(b, re);

	if (why == NULL)
		return NULL;
	*at = &hr->origin;
	for (size_t i = 0; i < hr->nconditions; i++)
		if (hr->conditions[i].regex != NULL)
			*at = origin_or(&hr->conditions[i].regex_origin,
			    &hr->origin);
	return arena_printf(b->arena, "invalid regular expression \"%s\": %s",
	    re, why);
}

/* One route of an HTTPProxy under the conditions of its include chain.
 * Returns false for Contour's "this proxy's routes are not valid". */
static bool
route_build(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_route *hr, const struct cond_list *inherited,
    const char *fqdn, struct route_list *out)
{
	struct dag_route r = { 0 };
	struct cluster_options opts = { 0 };
	struct cond_list cl;
	size_t hcap = 0;
	const char *why;
	const struct origin *at;
	int actions = (hr->nservices > 0) + (hr->redirect != NULL) +
	    (hr->direct_response != NULL);

	if (actions != 1) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RouteActionCountNotValid", &hr->origin,
		    "must set exactly one of route.services or "
		    "route.requestRedirectPolicy or route.directResponsePolicy");
		return false;
	}
	if ((why = path_conditions_problem(hr->conditions, hr->nconditions)) != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "PathMatchConditionsNotValid", &hr->origin, "route: %s", why);
		return false;
	}
	cl = cond_append(b, inherited, hr->conditions, hr->nconditions);
	at = &hr->origin;
	if ((why = header_conditions_problem(b, &cl, &at)) != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "HeaderMatchConditionsNotValid", at, "%s", why);
		return false;
	}
	at = &hr->origin;
	if ((why = query_conditions_problem(b, &cl, &at)) != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "QueryParameterMatchConditionsNotValid", at, "%s", why);
		return false;
	}
	merge_path(b, &cl, &r);
	if (r.path_kind == DAG_PATH_REGEX && (why = route_regex_problem(b, hr,
	    r.path, &at)) != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "PathMatchConditionsNotValid", at, "route: %s", why);
		return false;
	}
	merge_headers(b, &cl, &r, &hcap);
	merge_queries(b, &cl, &r);

	r.request_headers = headers_policy(b, hr->request_headers,
	    HOST_REWRITE_HEADER,
	    proxy->meta.namespace, NULL, 0, &why);
	if (why != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RequestHeadersPolicyInvalid", &hr->request_headers->origin,
		    "%s on request headers", why);
		return false;
	}
	r.response_headers = headers_policy(b, hr->response_headers,
	    HOST_REWRITE_NONE,
	    proxy->meta.namespace, NULL, 0, &why);
	if (why != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "ResponseHeaderPolicyInvalid", &hr->response_headers->origin,
		    "%s on response headers", why);
		return false;
	}
	if (!cookie_rewrites(b, hr->cookie_rewrites, hr->ncookie_rewrites, NULL, 0,
	    &r.cookie_rewrites, &r.ncookie_rewrites, &why)) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "CookieRewriteInvalid", &hr->cookie_rewrites[0].origin,
		    "%s on route cookie rewrite rule", why);
		return false;
	}
	r.ratelimit = local_ratelimit(b, hr->ratelimit, &why);
	if (why == NULL && hr->ratelimit != NULL) /* ratelimit.c */
		ratelimit_global(b, hr->ratelimit->global, &r.global_ratelimit, &why);
	if (why != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RateLimitPolicyNotValid", &hr->ratelimit->origin,
		    "route.rateLimitPolicy is invalid: %s", why);
		return false;
	}
	if (hr->redirect != NULL && hr->redirect->path != NULL &&
	    hr->redirect->prefix != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "RouteError",
		    "RequestRedirectPolicy", &hr->redirect->origin,
		    "route.requestRedirectPolicy is invalid: cannot specify both "
		    "redirect path and redirect prefix");
		return false;
	}
	if (hr->nip_allow > 0 && hr->nip_deny > 0) {
		status_error(b, st, DAG_STATUS_INVALID, "IPFilterError",
		    "IncompatibleIPAddressFilters", &hr->origin,
		    "cannot specify both `ipAllowPolicy` and `ipDenyPolicy`");
		return false;
	}

	r.timeout_ms = r.idle_timeout_ms = DAG_TIMEOUT_DEFAULT;
	opts.idle_connection_timeout_ms = DAG_TIMEOUT_DEFAULT;
	if (hr->timeout_policy != NULL) {
		r.timeout_ms = policy_timeout_ms(hr->timeout_policy->response);
		r.idle_timeout_ms = policy_timeout_ms(hr->timeout_policy->idle);
		opts.idle_connection_timeout_ms =
		    policy_timeout_ms(hr->timeout_policy->idle_connection);
	}
	r.retry = retry_policy(b, hr->retry_policy);
	r.internal_redirect = internal_redirect(b, hr->internal_redirect);
	r.websocket = hr->enable_websockets;
	r.permit_insecure = hr->permit_insecure;
	extauth_route(b, hr->auth_policy, &r); /* extension.c */
	r.ip_filter = ip_filter(b, hr->ip_allow, hr->nip_allow, hr->ip_deny,
	    hr->nip_deny);
	lb_policy(b, st, hr->lb_policy, &r, &opts);
	if (!path_rewrite(b, st, hr, &r))
		return false;
	opts.health_check = dag_health_check_new(b, hr->health_check, false);

	if (hr->redirect != NULL) {
		const struct hp_redirect *rd = hr->redirect;

		r.action = DAG_ACTION_REDIRECT;
		r.redirect = ARENA_NEW(b->arena, struct dag_redirect);
		r.redirect->scheme = rd->scheme;
		r.redirect->hostname = rd->hostname;
		r.redirect->path = rd->path;
		r.redirect->prefix = rd->prefix;
		r.redirect->port = (uint32_t)rd->port;
		r.redirect->status_code = (uint32_t)rd->status_code;
	} else if (hr->direct_response != NULL) {
		/* Envoy refuses a RouteConfiguration with a direct response
		 * body over max_direct_response_body_size_bytes (4096 unless
		 * set; cairn leaves it unset). */
		if (hr->direct_response->body != NULL &&
		    strlen(hr->direct_response->body) > DAG_DIRECT_BODY_MAX) {
			status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "DirectResponsePolicyNotValid", &hr->direct_response->origin,
			    "route.directResponsePolicy.body is %zu bytes; Envoy "
			    "accepts at most %d", strlen(hr->direct_response->body),
			    DAG_DIRECT_BODY_MAX);
			return false;
		}
		r.action = DAG_ACTION_DIRECT;
		r.direct_status = (uint32_t)hr->direct_response->status_code;
		r.direct_body = hr->direct_response->body;
	} else {
		r.action = DAG_ACTION_FORWARD;
		if (!route_services(b, st, proxy, hr, &opts, &r))
			return false;
		/* No service left: 503 for these requests, the rest of the
		 * host keeps working. */
		if (r.nclusters == 0)
			r.direct_status = 503;
	}
	if (strncmp(fqdn, "*.", 2) == 0)
		policy_wildcard_header(b, &r, fqdn, &hcap);
	if (!jwt_route_policy(b, st, hr, &r)) /* jwt.c */
		return false;
	ARENA_PUSH(&b->scratch, out->items, out->n, out->cap, r);
	return true;
}

/* Build-time state of HTTPProxy processing. */
struct hp_state {
	struct builder *b;
	bool *reached; /* per proxy: part of a delegation chain */
	/* The include chain of the root being built: one buffer of
	 * nproxies + 1 for the whole build (a chain never repeats a proxy),
	 * not one per root, which made the build quadratic in memory. */
	const struct object **visited;
};

/* The index of the proxy ns/name (the first of equal names), or
 * (size_t)-1. */
size_t
dag_proxy_find(const struct builder *b, const char *ns, const char *name)
{
	size_t lo = 0, hi = b->nproxies;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(ns, b->proxies[mid]->meta.namespace);

		if (c == 0)
			c = strcmp(name, b->proxies[mid]->meta.name);
		if (c <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo < b->nproxies && strcmp(ns, b->proxies[lo]->meta.namespace) == 0 &&
	    strcmp(name, b->proxies[lo]->meta.name) == 0)
		return lo;
	return (size_t)-1;
}

/* Contour's computeRoutes: the routes of proxy (index pi) under the
 * include chain `visited` with conditions cl. Errors go to the status of
 * the proxy that has the problem. */
static void
compute_routes(struct hp_state *hs, const char *fqdn, size_t pi,
    const struct cond_list *cl, const struct object **visited, size_t nvisited,
    struct route_list *out)
{
	struct builder *b = hs->b;
	const struct object *proxy = b->proxies[pi];
	const struct httpproxy *hp = &proxy->u.httpproxy;
	size_t st = b->proxy_status[pi], start = out->n, nseen = 0;
	const char **seen;

	for (size_t i = 0; i < nvisited; i++) {
		struct strbuf sb = STRBUF_INIT;

		if (visited[i] != proxy)
			continue;
		for (size_t j = 0; j < nvisited; j++)
			strbuf_printf(&sb, "%s/%s -> ", visited[j]->meta.namespace,
			    visited[j]->meta.name);
		strbuf_printf(&sb, "%s/%s", proxy->meta.namespace, proxy->meta.name);
		status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
		    "IncludeCreatesCycle", NULL,
		    "include creates an include cycle: %s", sb.buf);
		strbuf_free(&sb);
		return;
	}
	visited[nvisited++] = proxy;
	seen = ARENA_ARRAY(b->arena, const char *, hp->nincludes + 1);

	for (size_t i = 0; i < hp->nincludes; i++) {
		const struct hp_include *inc = &hp->includes[i];
		const char *ns = inc->namespace ? inc->namespace : proxy->meta.namespace;
		struct cond_list icl = { .items = NULL, .n = 0 };
		struct object *child;
		const char *why, *key;
		const struct origin *at;
		bool dup = false, bad = false;
		size_t ci;

		for (size_t c = 0; c < inc->nconditions && !bad; c++)
			if (inc->conditions[c].exact || inc->conditions[c].regex) {
				status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
				    "PathMatchConditionsNotValid", &inc->conditions[c].origin,
				    "include: %s conditions are not allowed in includes block",
				    inc->conditions[c].exact ? "exact" : "regex");
				bad = true;
			}
		if (bad)
			continue;
		if ((why = path_conditions_problem(inc->conditions,
		    inc->nconditions)) != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "PathMatchConditionsNotValid", &inc->origin, "include: %s", why);
			continue;
		}
		icl = cond_append(b, &icl, inc->conditions, inc->nconditions);
		at = &inc->origin;
		if ((why = header_conditions_problem(b, &icl, &at)) != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "HeaderMatchConditionsNotValid", at, "%s", why);
			continue;
		}
		at = &inc->origin;
		if ((why = query_conditions_problem(b, &icl, &at)) != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "RouteError",
			    "QueryParameterMatchConditionsNotValid", at, "%s",
			    why);
			continue;
		}
		if ((key = include_key(b, inc)) != NULL) {
			for (size_t j = 0; j < nseen && !dup; j++)
				dup = strcmp(seen[j], key) == 0;
			if (dup) {
				status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
				    "DuplicateMatchConditions", &inc->origin,
				    "duplicate conditions defined on an include");
				continue;
			}
			seen[nseen++] = key;
		}
		icl = cond_append(b, cl, inc->conditions, inc->nconditions);
		ci = dag_proxy_find(b, ns, inc->name);
		child = ci != (size_t)-1 ? b->proxies[ci] : NULL;
		if (child == NULL || b->proxy_ignored[ci]) {
			status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "IncludeNotFound", &inc->origin, "include %s/%s not found",
			    ns, inc->name);
			bad_gateway_route(b, &icl, fqdn, out);
			continue;
		}
		if (child->u.httpproxy.virtualhost != NULL) {
			status_error(b, st, DAG_STATUS_INVALID, "IncludeError",
			    "RootIncludesRoot", &inc->origin,
			    "root httpproxy cannot include another root httpproxy (%s/%s)",
			    child->meta.namespace, child->meta.name);
			bad_gateway_route(b, &icl, fqdn, out);
			continue;
		}
		hs->reached[ci] = true;
		compute_routes(hs, fqdn, ci, &icl, visited, nvisited, out);
	}

	for (size_t i = 0; i < hp->nroutes; i++) {
		if (!route_build(b, st, proxy, &hp->routes[i], cl, fqdn, out)) {
			out->n = start; /* Contour drops this proxy's routes */
			return;
		}
	}
	expand_prefix_rewrites(b, out, start);
}

static bool
root_allowed(const struct builder *b, const char *ns)
{
	if (b->cfg == NULL || b->cfg->policy.nroot_namespaces == 0)
		return true;
	for (size_t i = 0; i < b->cfg->policy.nroot_namespaces; i++)
		if (strcmp(b->cfg->policy.root_namespaces[i], ns) == 0)
			return true;
	return false;
}

/* A root HTTPProxy: its virtual host, the policies on it and the routes
 * of its include tree. */
static void
root_build(struct hp_state *hs, size_t pi)
{
	struct builder *b = hs->b;
	const struct object *proxy = b->proxies[pi];
	const struct httpproxy *hp = &proxy->u.httpproxy;
	const struct hp_virtualhost *vh = hp->virtualhost;
	size_t st = b->proxy_status[pi];
	struct route_list routes = { 0 };
	struct cond_list none = { 0 };
	struct builder_vhost *bv;
	struct dag_cors *cors;
	struct dag_local_ratelimit *rl;
	const struct dag_global_ratelimit *grl = NULL;
	struct dag_tls *tls;
	struct dag_vhost jwt = { 0 };
	const char *err;
	const struct origin *at;

	if (hp->nroutes == 0 && hp->nincludes == 0 && hp->tcpproxy == NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "SpecError", "NothingDefined",
		    NULL, "HTTPProxy.Spec must have at least one Route, Include, or "
		    "a TCPProxy");
		return;
	}
	if (!jwt_permitted(b, st, proxy)) /* jwt.c */
		return;
	if (vh->nip_allow > 0 && vh->nip_deny > 0) {
		status_error(b, st, DAG_STATUS_INVALID, "IPFilterError",
		    "IncompatibleIPAddressFilters", &vh->origin,
		    "Spec.VirtualHost.IPAllowFilterPolicy and "
		    "Spec.VirtualHost.IPDenyFilterPolicy cannot both be defined.");
		return;
	}
	if (!tls_root_build(b, pi, st, &tls)) /* tls.c */
		return;
	if (!extauth_root_build(b, st, proxy, tls)) /* extension.c */
		return;
	/* The :authority regex every route of a "*." host carries. */
	if (strncmp(vh->fqdn, "*.", 2) == 0 && (err = policy_regex_check(b,
	    policy_wildcard_regex(b, vh->fqdn))) != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "VirtualHostError",
		    "WildcardRegexNotValid", &vh->origin, "Spec.VirtualHost.Fqdn "
		    "\"%s\": the regular expression that matches its one label is "
		    "refused by RE2: %s", vh->fqdn, err);
		return;
	}
	if (!jwt_providers_build(b, st, proxy, &jwt)) /* jwt.c */
		return;
	arena_reset(&b->scratch);
	compute_routes(hs, vh->fqdn, pi, &none, hs->visited, 0, &routes);
	b->jwt_default = NULL;
	if (tls != NULL && hp->tcpproxy == NULL &&
	    !jwt_routes_check(b, st, &jwt, routes.items, routes.n))
		return;

	at = vh->cors != NULL ? &vh->cors->origin : NULL;
	cors = cors_policy(b, vh->cors, &err, &at);
	if (err != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "CORSError",
		    "PolicyDidNotParse", at,
		    "Spec.VirtualHost.CORSPolicy: %s", err);
		return;
	}
	rl = local_ratelimit(b, vh->ratelimit, &err);
	if (err == NULL) /* ratelimit.c */
		ratelimit_vhost(b, vh->ratelimit ? vh->ratelimit->global : NULL,
		    &grl, &err);
	if (err != NULL) {
		status_error(b, st, DAG_STATUS_INVALID, "VirtualHostError",
		    "RateLimitPolicyNotValid", &vh->ratelimit->origin,
		    "Spec.VirtualHost.RateLimitPolicy is invalid: %s", err);
		return;
	}
	jwt_clusters_build(b, proxy, &jwt); /* jwt.c */
	bv = vhost_get(b, vh->fqdn, proxy);
	bv->vh.cors = cors;
	bv->vh.ratelimit = rl;
	bv->vh.global_ratelimit = grl;
	bv->vh.ip_filter = ip_filter(b, vh->ip_allow, vh->nip_allow, vh->ip_deny,
	    vh->nip_deny);
	bv->vh.tls = tls;
	bv->vh.jwt_providers = jwt.jwt_providers;
	bv->vh.njwt_providers = jwt.njwt_providers;
	vhost_reserve_routes(b, bv, routes.n);
	for (size_t i = 0; i < routes.n; i++) {
		/* A TLS host's routes redirect port 80 to https. */
		routes.items[i].https_upgrade = tls && !routes.items[i].permit_insecure;
		extauth_route_finish(b, vh->authorization, &routes.items[i]);
		vhost_add_route(b, bv, &routes.items[i]);
	}
}

/* policy.fqdn-owners: may a root in ns claim fqdn? Empty = anyone. */
bool
fqdn_allowed(const struct builder *b, const char *ns, const char *fqdn,
    const struct config_fqdn_owner **entry)
{
	*entry = NULL;
	if (b->cfg == NULL || b->cfg->policy.nfqdn_owners == 0)
		return true;
	for (size_t i = 0; i < b->cfg->policy.nfqdn_owners; i++) {
		const struct config_fqdn_owner *o = &b->cfg->policy.fqdn_owners[i];

		if (strcmp(o->namespace, ns) != 0)
			continue;
		*entry = o;
		for (size_t k = 0; k < o->npatterns; k++)
			if (fqdn_pattern_allows(o->patterns[k], fqdn))
				return true;
	}
	return false;
}

static void
fqdn_not_allowed(struct builder *b, size_t pi,
    const struct config_fqdn_owner *entry)
{
	const struct object *p = b->proxies[pi];
	const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
	struct strbuf pats = STRBUF_INIT;

	if (entry == NULL || entry->npatterns == 0) {
		status_error(b, b->proxy_status[pi], DAG_STATUS_INVALID,
		    "VirtualHostError", "FQDNNotAllowedInNamespace", &vh->origin,
		    "fqdn \"%s\" cannot be claimed from namespace \"%s\": "
		    "policy.fqdn-owners gives this namespace no FQDN patterns",
		    vh->fqdn, p->meta.namespace);
		return;
	}
	for (size_t k = 0; k < entry->npatterns; k++)
		strbuf_printf(&pats, "%s\"%s\"", k ? ", " : "", entry->patterns[k]);
	status_error(b, b->proxy_status[pi], DAG_STATUS_INVALID,
	    "VirtualHostError", "FQDNNotAllowedInNamespace", &vh->origin,
	    "fqdn \"%s\" cannot be claimed from namespace \"%s\": "
	    "policy.fqdn-owners allows it only %s", vh->fqdn, p->meta.namespace,
	    pats.buf);
	strbuf_free(&pats);
}

/* Who of two claims on one FQDN was seen first (SPEC §6a): the smaller
 * seq of the ledger; claims seen together (or with no ledger) in path
 * order, then by name. A claim is a root HTTPProxy's virtualhost.fqdn or
 * an Ingress rule's host. */
struct claim_key {
	uint64_t seq;
	const struct object *o;
	const struct origin *where;
	size_t pi; /* proxy index; (size_t)-1 for an Ingress */
};

static int
claim_key_cmp(const void *x, const void *y)
{
	const struct claim_key *a = x, *b = y;
	struct fqdn_claim_ref ra = { .ns = a->o->meta.namespace,
		.name = a->o->meta.name, .file = a->where->file,
		.line = a->where->line };
	struct fqdn_claim_ref rb = { .ns = b->o->meta.namespace,
		.name = b->o->meta.name, .file = b->where->file,
		.line = b->where->line };
	int c;

	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	if ((c = fqdn_claim_ref_cmp(&ra, &rb)) != 0)
		return c;
	return (a->pi == (size_t)-1) - (b->pi == (size_t)-1);
}

struct fqdn_claims {
	struct claim_key *claims;
	size_t n, cap;
	bool sorted;
	const struct claim_key *first; /* the claim seen first */
	size_t winner; /* proxy index, or (size_t)-1: an Ingress owns it */
};

/* Order fc's claims and decide: the namespace of the claim seen first
 * owns the FQDN; its first root HTTPProxy serves it. When an Ingress of
 * another namespace was first, no root does (the Ingress keeps it). */
static void
claims_decide(struct builder *b, const char *fqdn, struct fqdn_claims *fc)
{
	const char *owner_ns;

	for (size_t k = 0; k < fc->n; k++) {
		const struct object *o = fc->claims[k].o;

		if (fc->claims[k].pi != (size_t)-1) {
			fc->claims[k].seq = fqdn_ledger_seq(b->owners, fqdn,
			    o->meta.namespace, o->meta.name);
		} else {
			char *name = arena_printf(&b->scratch, "%s%s",
			    FQDN_INGRESS_PREFIX, o->meta.name);

			fc->claims[k].seq = fqdn_ledger_seq(b->owners, fqdn,
			    o->meta.namespace, name);
		}
	}
	qsort(fc->claims, fc->n, sizeof fc->claims[0], claim_key_cmp);
	fc->first = &fc->claims[0];
	owner_ns = fc->first->o->meta.namespace;
	fc->winner = (size_t)-1;
	for (size_t k = 0; k < fc->n && fc->winner == (size_t)-1; k++)
		if (fc->claims[k].pi != (size_t)-1 &&
		    strcmp(fc->claims[k].o->meta.namespace, owner_ns) == 0)
			fc->winner = fc->claims[k].pi;
	fc->sorted = true;
}

/* Root proxies claim FQDNs. Of two roots claiming one FQDN the one seen
 * first keeps it and the newcomer is DuplicateVhost (SPEC §6a): a file
 * added in one namespace cannot take a host another one serves. The same
 * holds between a root and the Ingresses of other namespaces; Ingresses
 * share hosts with each other (ingress.c). */
void
proxies_build(struct builder *b)
{
	struct hp_state hs = { .b = b };
	struct strmap owners = { 0 };
	bool *claimant;

	hs.reached = ARENA_ARRAY(b->arena, bool, b->nproxies + 1);
	hs.visited = ARENA_ARRAY(b->arena, const struct object *, b->nproxies + 1);
	b->proxy_ignored = ARENA_ARRAY(b->arena, bool, b->nproxies + 1);
	claimant = ARENA_ARRAY(b->arena, bool, b->nproxies + 1);
	for (size_t i = 0; i < b->nproxies; i++) {
		const char *class;

		if (!ingress_class_accepted(b->proxies[i],
		    b->proxies[i]->u.httpproxy.ingress_class_name, &class)) {
			b->proxy_ignored[i] = true;
			status_warning(b, b->proxy_status[i], "Valid", "IngressClassMismatch",
			    NULL, "ignored: ingress class \"%s\" is not served by cairn "
			    "(it serves objects without a class, \"contour\" and "
			    "\"cairn\")", class);
		}
	}
	/* Collect the claims on each FQDN first. A root its namespace may
	 * not hold, or whose FQDN policy.fqdn-owners keeps from its
	 * namespace, claims nothing: it cannot block the rightful owner. */
	for (size_t i = 0; i < b->nproxies; i++) {
		const struct object *p = b->proxies[i];
		const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
		const struct config_fqdn_owner *entry;
		struct fqdn_claims *fc;

		if (vh == NULL || b->proxy_ignored[i] ||
		    object_is_shadowed(b->proxies, i))
			continue;
		if (!root_allowed(b, p->meta.namespace)) {
			status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
			    "RootNamespaceError", "RootProxyNotAllowedInNamespace",
			    &vh->origin, "root HTTPProxy cannot be defined in this "
			    "namespace");
			continue;
		}
		if (!fqdn_allowed(b, p->meta.namespace, vh->fqdn, &entry)) {
			fqdn_not_allowed(b, i, entry);
			continue;
		}
		if ((fc = strmap_get(&owners, vh->fqdn)) == NULL) {
			fc = ARENA_NEW(b->arena, struct fqdn_claims);
			strmap_put(b->arena, &owners, vh->fqdn, fc);
		}
		ARENA_PUSH(b->arena, fc->claims, fc->n, fc->cap,
		    ((struct claim_key){ .o = p, .where = &vh->origin, .pi = i }));
		claimant[i] = true;
	}
	/* Ingress rules naming a host a root claims (Ingresses are built
	 * after the roots, ingress.c). */
	for (size_t i = 0; i < b->ningresses && owners.n > 0; i++) {
		const struct object *ing = b->ingresses[i];
		const char *class;

		if (object_is_shadowed(b->ingresses, i) ||
		    !ingress_class_accepted(ing, ing->u.ingress.ingress_class_name,
		    &class))
			continue;
		for (size_t r = 0; r < ing->u.ingress.nrules; r++) {
			const struct ing_rule *rule = &ing->u.ingress.rules[r];
			const struct config_fqdn_owner *entry;
			struct fqdn_claims *fc;
			bool seen = false;

			if (rule->host == NULL ||
			    (fc = strmap_get(&owners, rule->host)) == NULL ||
			    !fqdn_allowed(b, ing->meta.namespace, rule->host, &entry))
				continue;
			for (size_t k = 0; k < fc->n && !seen; k++)
				seen = fc->claims[k].o == ing;
			if (!seen)
				ARENA_PUSH(b->arena, fc->claims, fc->n, fc->cap,
				    ((struct claim_key){ .o = ing,
				    .where = &rule->origin, .pi = (size_t)-1 }));
		}
	}
	for (size_t i = 0; i < b->nproxies; i++) {
		struct object *p = b->proxies[i];
		const struct hp_virtualhost *vh = p->u.httpproxy.virtualhost;
		const struct object *owner;
		struct fqdn_claims *fc;

		if (!claimant[i])
			continue;
		fc = strmap_get(&owners, vh->fqdn);
		if (fc->n == 1) {
			root_build(&hs, i);
			continue;
		}
		if (!fc->sorted)
			claims_decide(b, vh->fqdn, fc);
		if (fc->winner == i) {
			root_build(&hs, i);
			continue;
		}
		if (fc->winner == (size_t)-1) {
			owner = fc->first->o;
			status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
			    "VirtualHostError", "DuplicateVhost", &vh->origin,
			    "fqdn \"%s\" is already served by Ingress %s/%s (%s:%d), "
			    "which claimed it first", vh->fqdn, owner->meta.namespace,
			    owner->meta.name, fc->first->where->file,
			    fc->first->where->line);
			continue;
		}
		owner = b->proxies[fc->winner];
		status_error(b, b->proxy_status[i], DAG_STATUS_INVALID,
		    "VirtualHostError", "DuplicateVhost", &vh->origin,
		    "fqdn \"%s\" is already served by HTTPProxy %s/%s (%s:%d), "
		    "which claimed it first", vh->fqdn,
		    owner->meta.namespace, owner->meta.name,
		    owner->u.httpproxy.virtualhost->origin.file,
		    owner->u.httpproxy.virtualhost->origin.line);
	}
	for (size_t i = 0; i < b->nproxies; i++) {
		if (b->proxies[i]->u.httpproxy.virtualhost != NULL || hs.reached[i] ||
		    (b->tcpproxy_reached && b->tcpproxy_reached[i]) ||
		    b->proxy_ignored[i] || object_is_shadowed(b->proxies, i))
			continue;
		status_error(b, b->proxy_status[i], DAG_STATUS_ORPHANED, "Valid",
		    "Orphaned", NULL,
		    "this HTTPProxy is not part of a delegation chain from a root "
		    "HTTPProxy");
	}
}
