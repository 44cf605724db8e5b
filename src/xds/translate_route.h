/* Shared by the route translators only: translate_route.c (virtual hosts
 * and routes), translate_route_action.c (matches and actions) and
 * translate_route_filters.c (per-filter configs). */
#ifndef CAIRN_XDS_TRANSLATE_ROUTE_H
#define CAIRN_XDS_TRANSLATE_ROUTE_H

#include "xds/translate_internal.h"

#include "envoy/config/core/v3/base.pb-c.h"
#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/type/matcher/v3/regex.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "envoy/type/v3/percent.pb-c.h"
#include "google/protobuf/any.pb-c.h"

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
 * (see translate_not_forwarded). */
#define PROXYLESS_NO_CLUSTER "cairn/not-forwarded"

/* --- translate_route_action.c ---------------------------------------------- */

/* The route's match; proxyless: only what gRPC clients support. */
RouteMatch *translate_route_match(struct arena *a, const struct dag_route *r,
    bool proxyless);
/* Forwarding to the route's clusters (weights, retries, hashing, mirror,
 * rewrites, timeouts). */
RouteAction *translate_route_action(struct arena *a, const struct dag_route *r,
    bool proxyless);
/* A StringMatcher of kind (its match_pattern_case). */
StringMatcher *translate_string_matcher(struct arena *a, int kind,
    const char *value, bool ignore_case);
/* DAG_ACTION_REDIRECT and DAG_ACTION_HTTPS_REDIRECT. */
RedirectAction *translate_redirect_action(struct arena *a,
    const struct dag_route *r);

/* --- translate_route_filters.c --------------------------------------------- */

/* headers_to_add of a policy's set and add; the names of its remove. */
HeaderValueOption **translate_header_options(struct arena *a,
    const struct dag_header_value *hv, size_t n, size_t *nout);
HeaderValueOption **translate_policy_options(struct arena *a,
    const struct dag_headers_policy *hp, size_t *nout);
char **translate_header_names(struct arena *a, const char **names, size_t n,
    size_t *nout);
Envoy__Config__Core__V3__RuntimeFractionalPercent *translate_percent(
    struct arena *a, uint32_t numerator);
/* Per-filter configs, as Anys. */
Google__Protobuf__Any *translate_local_ratelimit(struct arena *a,
    const struct dag_local_ratelimit *rl, const char *stat_prefix);
Google__Protobuf__Any *translate_rbac(struct arena *a,
    const struct dag_ip_filter *f);
Google__Protobuf__Any *translate_cors(struct arena *a, const struct dag_cors *c);
Google__Protobuf__Any *translate_cookie_rewrite(struct arena *a,
    const struct dag_cookie_rewrite *c, size_t n);

/* typed_per_filter_config entries, in Contour's filter order. */
struct filter_configs {
	const char *names[5];
	Google__Protobuf__Any *values[5];
	size_t n;
};

void translate_filter_config_add(struct filter_configs *fc, const char *name,
    Google__Protobuf__Any *v);

/* out's typed_per_filter_config: fc's entries. */
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

#endif
