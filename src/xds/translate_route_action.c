/* Route matches and actions (translate_route.h): what a request must
 * look like to take a route, and where it goes (clusters and their
 * weights, redirects, retries, hashing, mirrors). */
#include "xds/translate_route.h"

#include <stdlib.h>
#include <string.h>

#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/extensions/internal_redirect/previous_routes/v3/previous_routes_config.pb-c.h"
#include "envoy/extensions/internal_redirect/safe_cross_scheme/v3/safe_cross_scheme_config.pb-c.h"
#include "envoy/type/matcher/v3/regex.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "google/protobuf/any.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

/* "^" and re: a regex anchored at the start, without a printf. */
static const char *
anchored(struct arena *a, const char *re)
{
	size_t n = strlen(re);
	char *out = arena_alloc_nozero(a, n + 2);

	out[0] = '^';
	memcpy(out + 1, re, n + 1);
	return out;
}

static RegexMatcher *
regex_matcher(struct arena *a, const char *re)
{
	RegexMatcher *m = pb_new(a, &envoy__type__matcher__v3__regex_matcher__descriptor);

	m->regex = pb_str(a, re);
	return m;
}

StringMatcher *
translate_string_matcher(struct arena *a, int kind, const char *value,
    bool ignore_case)
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
			strbuf_add(sb, (char[]){ '[', (char)(c & ~0x20),
			    (char)(c | 0x20), ']' }, 4);
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
	m->string_match = translate_string_matcher(a, kind, h->value, h->ignore_case);
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
	m->string_match = translate_string_matcher(a, kind, q->value, q->ignore_case);
	return m;
}

RouteMatch *
translate_route_match(struct arena *a, const struct dag_route *r,
    bool proxyless)
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
		m->safe_regex = regex_matcher(a, anchored(a, r->path));
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

/* A mirror's share: dag_mirror's denominator is 100, 10000 or 1000000. */
static Envoy__Config__Core__V3__RuntimeFractionalPercent *
mirror_fraction(struct arena *a, const struct dag_mirror *m)
{
	Envoy__Config__Core__V3__RuntimeFractionalPercent *rp =
	    translate_percent(a, m->numerator);

	rp->default_value->denominator = m->denominator == 1000000 ?
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__MILLION :
	    m->denominator == 10000 ?
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__TEN_THOUSAND :
	    ENVOY__TYPE__V3__FRACTIONAL_PERCENT__DENOMINATOR_TYPE__HUNDRED;
	return rp;
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

		cw->request_headers_to_add = translate_policy_options(a, hp,
		    &cw->n_request_headers_to_add);
		cw->request_headers_to_remove = translate_header_names(a, hp->remove,
		    hp->nremove, &cw->n_request_headers_to_remove);
		if (hp->host_rewrite != NULL) {
			cw->host_rewrite_specifier_case =
			    ENVOY__CONFIG__ROUTE__V3__WEIGHTED_CLUSTER__CLUSTER_WEIGHT__HOST_REWRITE_SPECIFIER_HOST_REWRITE_LITERAL;
			cw->host_rewrite_literal = pb_str(a, hp->host_rewrite);
		}
	}
	if (w->response_headers != NULL) {
		const struct dag_headers_policy *hp = w->response_headers;

		cw->response_headers_to_add = translate_policy_options(a, hp,
		    &cw->n_response_headers_to_add);
		cw->response_headers_to_remove = translate_header_names(a, hp->remove,
		    hp->nremove, &cw->n_response_headers_to_remove);
	}
	if (w->ncookie_rewrites > 0) {
		struct filter_configs fc = { .n = 0 };

		translate_filter_config_add(&fc, FILTER_LUA, translate_cookie_rewrite(a,
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

RouteAction *
translate_route_action(struct arena *a, const struct dag_route *r,
    bool proxyless)
{
	const struct dag_route_rare *rare = dag_route_rare(r);
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
	if (rare->retry != NULL)
		ra->retry_policy = retry_policy(a, rare->retry);
	if (rare->nhash_policies > 0) {
		ra->n_hash_policy = rare->nhash_policies;
		ra->hash_policy = pb_array(a, rare->nhash_policies);
		for (size_t i = 0; i < rare->nhash_policies; i++)
			ra->hash_policy[i] = hash_policy(a, &rare->hash_policies[i]);
	}
	if (rare->mirror != NULL) {
		Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy *mp = pb_new(a,
		    &envoy__config__route__v3__route_action__request_mirror_policy__descriptor);

		mp->cluster = pb_borrow(rare->mirror->name);
		mp->runtime_fraction = translate_percent(a, rare->mirror_percent);
		ra->n_request_mirror_policies = 1;
		ra->request_mirror_policies = pb_array(a, 1);
		ra->request_mirror_policies[0] = mp;
	}
	if (rare->nmirrors > 0) {
		ra->n_request_mirror_policies = rare->nmirrors;
		ra->request_mirror_policies = pb_array(a, rare->nmirrors);
		for (size_t i = 0; i < rare->nmirrors; i++) {
			Envoy__Config__Route__V3__RouteAction__RequestMirrorPolicy *mp =
			    pb_new(a,
			    &envoy__config__route__v3__route_action__request_mirror_policy__descriptor);

			mp->cluster = pb_borrow(rare->mirrors[i].cluster->name);
			mp->runtime_fraction = mirror_fraction(a, &rare->mirrors[i]);
			ra->request_mirror_policies[i] = mp;
		}
	}
	if (rare->prefix_rewrite != NULL)
		ra->prefix_rewrite = pb_str(a, rare->prefix_rewrite);
	if (rare->regex_rewrite != NULL) {
		Envoy__Type__Matcher__V3__RegexMatchAndSubstitute *rs = pb_new(a,
		    &envoy__type__matcher__v3__regex_match_and_substitute__descriptor);

		rs->pattern = regex_matcher(a, rare->regex_rewrite);
		rs->substitution = pb_str(a, rare->regex_substitution);
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
	if (rare->internal_redirect != NULL && !proxyless)
		ra->internal_redirect_policy = internal_redirect_policy(a,
		    rare->internal_redirect);
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

RedirectAction *
translate_redirect_action(struct arena *a, const struct dag_route *r)
{
	RedirectAction *ra = pb_new(a, &envoy__config__route__v3__redirect_action__descriptor);
	const struct dag_redirect *rd = dag_route_rare(r)->redirect;

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
