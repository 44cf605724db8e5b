/* RouteConfiguration ingress_http: one virtual host per root FQDN, routes
 * in the order of SPEC §7 (the DAG already sorted them). */
#include "xds/translate_internal.h"

#include "envoy/config/route/v3/route.pb-c.h"
#include "envoy/config/route/v3/route_components.pb-c.h"
#include "envoy/type/matcher/v3/regex.pb-c.h"
#include "envoy/type/matcher/v3/string.pb-c.h"
#include "google/protobuf/wrappers.pb-c.h"

typedef Envoy__Config__Route__V3__RouteConfiguration RouteConfiguration;
typedef Envoy__Config__Route__V3__VirtualHost VirtualHost;
typedef Envoy__Config__Route__V3__Route Route;
typedef Envoy__Config__Route__V3__RouteMatch RouteMatch;
typedef Envoy__Config__Route__V3__RouteAction RouteAction;
typedef Envoy__Config__Route__V3__HeaderMatcher HeaderMatcher;
typedef Envoy__Config__Route__V3__WeightedCluster WeightedCluster;
typedef Envoy__Config__Route__V3__WeightedCluster__ClusterWeight ClusterWeight;
typedef Envoy__Type__Matcher__V3__StringMatcher StringMatcher;
typedef Envoy__Type__Matcher__V3__RegexMatcher RegexMatcher;

static RegexMatcher *
regex_matcher(struct arena *a, const char *re)
{
	RegexMatcher *m = pb_new(a, &envoy__type__matcher__v3__regex_matcher__descriptor);

	m->regex = pb_str(a, re);
	return m;
}

static HeaderMatcher *
header_matcher(struct arena *a, const struct dag_header_match *h)
{
	HeaderMatcher *m = pb_new(a, &envoy__config__route__v3__header_matcher__descriptor);
	StringMatcher *sm;

	m->name = pb_str(a, h->name);
	m->invert_match = h->invert;
	if (h->kind == DAG_HEADER_PRESENT) {
		m->header_match_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_PRESENT_MATCH;
		m->present_match = 1;
		return m;
	}
	sm = pb_new(a, &envoy__type__matcher__v3__string_matcher__descriptor);
	sm->ignore_case = h->ignore_case && h->kind != DAG_HEADER_REGEX;
	switch (h->kind) {
	case DAG_HEADER_EXACT:
		sm->match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_EXACT;
		sm->exact = pb_str(a, h->value);
		break;
	case DAG_HEADER_CONTAINS:
		sm->match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_CONTAINS;
		sm->contains = pb_str(a, h->value);
		break;
	case DAG_HEADER_REGEX:
	case DAG_HEADER_PRESENT:
		sm->match_pattern_case = ENVOY__TYPE__MATCHER__V3__STRING_MATCHER__MATCH_PATTERN_SAFE_REGEX;
		sm->safe_regex = regex_matcher(a, h->value);
		break;
	}
	m->header_match_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__HEADER_MATCHER__HEADER_MATCH_SPECIFIER_STRING_MATCH;
	m->string_match = sm;
	/* "notexact: x" must also match requests without the header. */
	m->treat_missing_header_as_empty = h->invert;
	return m;
}

static RouteMatch *
route_match(struct arena *a, const struct dag_route *r)
{
	RouteMatch *m = pb_new(a, &envoy__config__route__v3__route_match__descriptor);

	switch (r->path_kind) {
	case DAG_PATH_PREFIX:
		m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PREFIX;
		m->prefix = pb_str(a, r->path);
		break;
	case DAG_PATH_EXACT:
		m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_PATH;
		m->path = pb_str(a, r->path);
		break;
	case DAG_PATH_REGEX:
		m->path_specifier_case = ENVOY__CONFIG__ROUTE__V3__ROUTE_MATCH__PATH_SPECIFIER_SAFE_REGEX;
		m->safe_regex = regex_matcher(a, r->path);
		break;
	}
	if (r->nheaders > 0) {
		m->n_headers = r->nheaders;
		m->headers = pb_array(a, r->nheaders);
		for (size_t i = 0; i < r->nheaders; i++)
			m->headers[i] = header_matcher(a, &r->headers[i]);
	}
	return m;
}

static RouteAction *
route_action(struct arena *a, const struct dag_route *r)
{
	RouteAction *ra = pb_new(a, &envoy__config__route__v3__route_action__descriptor);
	WeightedCluster *wc;

	if (r->nclusters == 1) {
		ra->cluster_specifier_case =
		    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_CLUSTER;
		ra->cluster = pb_str(a, r->clusters[0].cluster->name);
		return ra;
	}
	wc = pb_new(a, &envoy__config__route__v3__weighted_cluster__descriptor);
	wc->n_clusters = r->nclusters;
	wc->clusters = pb_array(a, r->nclusters);
	for (size_t i = 0; i < r->nclusters; i++) {
		ClusterWeight *cw = pb_new(a,
		    &envoy__config__route__v3__weighted_cluster__cluster_weight__descriptor);

		cw->name = pb_str(a, r->clusters[i].cluster->name);
		cw->weight = pb_uint32(a, r->clusters[i].weight);
		wc->clusters[i] = cw;
	}
	ra->cluster_specifier_case =
	    ENVOY__CONFIG__ROUTE__V3__ROUTE_ACTION__CLUSTER_SPECIFIER_WEIGHTED_CLUSTERS;
	ra->weighted_clusters = wc;
	return ra;
}

static Route *
route(struct arena *a, const struct dag_route *r)
{
	Route *out = pb_new(a, &envoy__config__route__v3__route__descriptor);

	out->match = route_match(a, r);
	if (r->nclusters > 0) {
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_ROUTE;
		out->route = route_action(a, r);
	} else {
		Envoy__Config__Route__V3__DirectResponseAction *dr = pb_new(a,
		    &envoy__config__route__v3__direct_response_action__descriptor);

		dr->status = r->direct_status;
		out->action_case = ENVOY__CONFIG__ROUTE__V3__ROUTE__ACTION_DIRECT_RESPONSE;
		out->direct_response = dr;
	}
	return out;
}

static VirtualHost *
virtual_host(struct arena *a, const struct dag_vhost *vh)
{
	VirtualHost *v = pb_new(a, &envoy__config__route__v3__virtual_host__descriptor);

	v->name = pb_str(a, vh->fqdn);
	v->n_domains = 1;
	v->domains = pb_array(a, 1);
	v->domains[0] = pb_str(a, vh->fqdn);
	v->n_routes = vh->nroutes;
	v->routes = pb_array(a, vh->nroutes);
	for (size_t i = 0; i < vh->nroutes; i++)
		v->routes[i] = route(a, &vh->routes[i]);
	return v;
}

void
translate_routes(struct translation *t)
{
	struct arena *a = &t->arena;
	RouteConfiguration *rc;
	size_t n = 0;

	if (!translation_has_routes(t))
		return;
	rc = pb_new(a, &envoy__config__route__v3__route_configuration__descriptor);
	rc->name = TRANSLATE_HTTP_ROUTES;
	rc->virtual_hosts = pb_array(a, t->dag->nvhosts);
	for (size_t i = 0; i < t->dag->nvhosts; i++)
		if (t->dag->vhosts[i].nroutes > 0)
			rc->virtual_hosts[n++] = virtual_host(a, &t->dag->vhosts[i]);
	rc->n_virtual_hosts = n;
	translation_emit(t, XDS_ROUTE, rc->name, &rc->base, false);
}
