/* The upstream side of an HTTPProxy route: its services become clusters
 * with weights, per-service header policies and cookie rewrites, health
 * checks, load balancer hash policies and slow start. Everything here
 * ends up in a dag_cluster or a dag_weighted_cluster. */
#include "dag/httpproxy_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "util/duration.h"
#include "util/strbuf.h"

/* Contour's httpHealthCheckPolicy and tcpHealthCheckPolicy with their
 * defaults; a TCP check (tcpproxy, vhost_tls.c) has no path and no host. */
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

/* Contour's loadBalancerRequestHashPolicies: invalid hash policies are
 * warnings and dropped; none left means round robin. */
void
proxy_lb_policy(struct builder *b, size_t st, const struct hp_lb_policy *lb,
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

		struct dag_route_rare *rr = dag_route_rare_set(b->arena, r);

		opts->lb_policy = DAG_LB_RING_HASH;
		ARENA_PUSH(b->arena, rr->hash_policies, rr->nhash_policies, cap, h);
	} else if (strcmp(lb->strategy, "RequestHash") == 0) {
		for (size_t i = 0; i < lb->nhash_policies; i++) {
			const struct hp_hash_policy *hp = &lb->hash_policies[i];
			struct dag_hash_policy h = { .terminal = hp->terminal };
			int n = hp->hash_source_ip + hp->has_header + hp->has_parameter;
			bool dup = false;

			if (n != 1) {
				dag_status_warning(b, st, "SpecError", "IgnoredField", &hp->origin,
				    "ignoring invalid request hash policy, must set exactly "
				    "one of hashSourceIP or headerHashOptions or "
				    "queryParameterHashOptions");
				continue;
			}
			if (hp->hash_source_ip) {
				if (source_ip) {
					dag_status_warning(b, st, "SpecError", "IgnoredField",
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
					dag_status_warning(b, st, "SpecError", "IgnoredField",
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
					dag_status_warning(b, st, "SpecError", "IgnoredField",
					    &hp->origin, "ignoring invalid query parameter "
					    "hash policy options with an invalid empty query "
					    "parameter name");
					continue;
				}
			}
			const struct dag_route_rare *rare = dag_route_rare(r);

			for (size_t j = 0; j < rare->nhash_policies && !dup; j++)
				dup = h.kind != DAG_HASH_SOURCE_IP &&
				    rare->hash_policies[j].kind == h.kind &&
				    strcmp(rare->hash_policies[j].name, h.name) == 0;
			if (dup) {
				dag_status_warning(b, st, "SpecError", "IgnoredField", &hp->origin,
				    "ignoring invalid %s hash policy options with "
				    "duplicated name %s", h.kind == DAG_HASH_HEADER ?
				    "header" : "query parameter", h.name);
				continue;
			}
			struct dag_route_rare *rr = dag_route_rare_set(b->arena, r);

			ARENA_PUSH(b->arena, rr->hash_policies, rr->nhash_policies,
			    cap, h);
		}
		if (dag_route_rare(r)->nhash_policies == 0)
			dag_status_warning(b, st, "SpecError", "IgnoredField", &lb->origin,
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
		dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
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

/* The services of one route: clusters, weights, per-service header
 * policies and the mirror. Unresolvable services are reported and
 * skipped. Returns false when the route is invalid as a whole. */
bool
proxy_route_services(struct builder *b, size_t st, const struct object *proxy,
    const struct hp_route *hr, const struct cluster_options *opts,
    struct dag_route *r)
{
	size_t cap = hr->nservices;
	uint32_t total = 0;
	bool have_mirror = false;

	/* Sized once: growing it left dead copies in the arena. A mirror
	 * takes a slot it does not use; none when there is no service. */
	r->clusters = cap > 0 ?
	    ARENA_ARRAY(b->arena, struct dag_weighted_cluster, cap) : NULL;
	for (size_t i = 0; i < hr->nservices; i++) {
		const struct hp_service *s = &hr->services[i];
		struct cluster_options o = *opts;
		struct dag_weighted_cluster wc = { 0 };
		const char *why, *err;

		o.protocol = hp_service_rare(s)->protocol;
		o.health_port = hp_service_rare(s)->health_port;
		if (!vhost_tls_upstream_validation(b, st, proxy, s, &o)) /* vhost_tls.c */
			return false;
		if (hp_service_rare(s)->slow_start != NULL &&
		    !slow_start(b, st, hp_service_rare(s)->slow_start, &o))
			return false;
		wc.cluster = service_cluster(b, proxy->meta.namespace, s->name,
		    s->port, NULL, &o, &why);
		if (wc.cluster == NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ServiceUnresolvedReference", &s->origin,
			    "Spec.Routes unresolved service reference: %s", why);
			continue;
		}
		wc.request_headers = proxy_headers_policy(b, hp_service_rare(s)->request_headers,
		    HOST_REWRITE_LITERAL,
		    proxy->meta.namespace, s->name, s->port, &err);
		if (err != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "RequestHeadersPolicyInvalid", &hp_service_rare(s)->request_headers->origin,
			    "%s on request headers", err);
			return false;
		}
		if (!proxy_cookie_rewrites(b, hp_service_rare(s)->cookie_rewrites, hp_service_rare(s)->ncookie_rewrites,
		    dag_route_rare(r)->cookie_rewrites,
		    dag_route_rare(r)->ncookie_rewrites, &wc.cookie_rewrites,
		    &wc.ncookie_rewrites, &err)) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "CookieRewriteInvalid", &hp_service_rare(s)->cookie_rewrites[0].origin,
			    "%s on service cookie rewrite rule", err);
			return false;
		}
		wc.response_headers = proxy_headers_policy(b, hp_service_rare(s)->response_headers,
		    HOST_REWRITE_NONE,
		    proxy->meta.namespace, s->name, s->port, &err);
		if (err != NULL) {
			dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
			    "ResponseHeadersPolicyInvalid", &hp_service_rare(s)->response_headers->origin,
			    "%s on response headers", err);
			return false;
		}
		if (s->mirror) {
			if (have_mirror) {
				dag_status_error(b, st, DAG_STATUS_INVALID, "ServiceError",
				    "OnlyOneMirror", &s->origin,
				    "only one service per route may be nominated as mirror");
				return false;
			}
			have_mirror = true;
			/* Weight is a percentage; unset (or 0) mirrors everything. */
			DAG_ROUTE_RARE_PUT(b->arena, r, mirror, wc.cluster);
			DAG_ROUTE_RARE_PUT(b->arena, r, mirror_percent,
			    s->weight == 0 ? 100 :
			    s->weight > 100 ? 100 : s->weight);
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
