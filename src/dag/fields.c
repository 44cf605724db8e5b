/* The field tables of the DAG structs translators read (fields.h). One
 * line per member, in declaration order. */
#include "dag/fields.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dag/dag.h"

static const struct dag_field endpoint_f[] = {
	F_STR(dag_endpoint, ip),
	F_VALUE(dag_endpoint, port),
	F_VALUE(dag_endpoint, health_port),
};
DAG_FIELD_TABLE(dag_fields_endpoint, dag_endpoint, endpoint_f);

static const struct dag_field locality_f[] = {
	F_VALUE(dag_locality, n),
	F_VALUE(dag_locality, weight),
	F_STR(dag_locality, sub_zone),
};
DAG_FIELD_TABLE(dag_fields_locality, dag_locality, locality_f);

static const struct dag_field endpoints_f[] = {
	F_STR(dag_endpoints, name),
	F_ARRAY(dag_endpoints, items, n, dag_fields_endpoint),
	F_COUNT(dag_endpoints, n),
	F_VALUE(dag_endpoints, gateway_only),
	F_ARRAY(dag_endpoints, localities, nlocalities, dag_fields_locality),
	F_COUNT(dag_endpoints, nlocalities),
};
DAG_FIELD_TABLE(dag_fields_endpoints, dag_endpoints, endpoints_f);

static const struct dag_field status_range_f[] = {
	F_VALUE(dag_status_range, start),
	F_VALUE(dag_status_range, end),
};
DAG_FIELD_TABLE(dag_fields_status_range, dag_status_range, status_range_f);

static const struct dag_field health_check_f[] = {
	F_STR(dag_health_check, path),
	F_STR(dag_health_check, host),
	F_VALUE(dag_health_check, interval_ms),
	F_VALUE(dag_health_check, timeout_ms),
	F_VALUE(dag_health_check, unhealthy_threshold),
	F_VALUE(dag_health_check, healthy_threshold),
	F_ARRAY(dag_health_check, expected_statuses, nexpected_statuses,
	    dag_fields_status_range),
	F_COUNT(dag_health_check, nexpected_statuses),
};
DAG_FIELD_TABLE(dag_fields_health_check, dag_health_check, health_check_f);

static const struct dag_field slow_start_f[] = {
	F_VALUE(dag_slow_start, window_ms),
	F_VALUE(dag_slow_start, aggression),
	F_VALUE(dag_slow_start, min_weight_percent),
};
DAG_FIELD_TABLE(dag_fields_slow_start, dag_slow_start, slow_start_f);

static const struct dag_field cluster_f[] = {
	F_STR(dag_cluster, name),
	F_STR(dag_cluster, namespace),
	F_STR(dag_cluster, service),
	F_VALUE(dag_cluster, port),
	F_VALUE(dag_cluster, health_port),
	/* Its own resource: the Cluster names it. */
	F_NAMED(dag_cluster, endpoints),
	F_VALUE(dag_cluster, protocol),
	F_VALUE(dag_cluster, lb_policy),
	F_PTR(dag_cluster, health_check, dag_fields_health_check),
	F_PTR(dag_cluster, slow_start, dag_fields_slow_start),
	F_VALUE(dag_cluster, idle_connection_timeout_ms),
	F_VALUE(dag_cluster, max_connections),
	F_VALUE(dag_cluster, max_pending_requests),
	F_VALUE(dag_cluster, max_requests),
	F_VALUE(dag_cluster, max_retries),
	F_VALUE(dag_cluster, per_host_max_connections),
	F_VALUE(dag_cluster, dns_family),
	F_STR(dag_cluster, external_name),
	F_STR(dag_cluster, eds_name),
	F_STR(dag_cluster, sni),
	F_IGNORED(dag_cluster, upstream_ca,
	    "a Secret: clusters with one are translated every time"),
	F_STR(dag_cluster, upstream_subject_name),
	F_STRS(dag_cluster, upstream_subject_names, nupstream_subject_names),
	F_COUNT(dag_cluster, nupstream_subject_names),
	F_STRS(dag_cluster, upstream_subject_uris, nupstream_subject_uris),
	F_COUNT(dag_cluster, nupstream_subject_uris),
	F_IGNORED(dag_cluster, upstream_client_cert,
	    "a Secret, only beside upstream_ca: translated every time"),
	F_VALUE(dag_cluster, ext_response_timeout_ms),
	F_VALUE(dag_cluster, dnsname),
	F_VALUE(dag_cluster, gateway_only),
};
DAG_FIELD_TABLE(dag_fields_cluster, dag_cluster, cluster_f);

static const struct dag_field header_match_f[] = {
	F_STR(dag_header_match, name),
	F_STR(dag_header_match, value),
	F_VALUE(dag_header_match, kind),
	F_VALUE(dag_header_match, invert),
	F_VALUE(dag_header_match, ignore_case),
	F_VALUE(dag_header_match, treat_missing_as_empty),
};
DAG_FIELD_TABLE(dag_fields_header_match, dag_header_match, header_match_f);

static const struct dag_field query_match_f[] = {
	F_STR(dag_query_match, name),
	F_STR(dag_query_match, value),
	F_VALUE(dag_query_match, kind),
	F_VALUE(dag_query_match, ignore_case),
};
DAG_FIELD_TABLE(dag_fields_query_match, dag_query_match, query_match_f);

static const struct dag_field header_value_f[] = {
	F_STR(dag_header_value, key),
	F_STR(dag_header_value, value),
};
DAG_FIELD_TABLE(dag_fields_header_value, dag_header_value, header_value_f);

static const struct dag_field headers_policy_f[] = {
	F_ARRAY(dag_headers_policy, set, nset, dag_fields_header_value),
	F_COUNT(dag_headers_policy, nset),
	F_STRS(dag_headers_policy, remove, nremove),
	F_COUNT(dag_headers_policy, nremove),
	F_STR(dag_headers_policy, host_rewrite),
	F_STR(dag_headers_policy, host_rewrite_header),
	F_ARRAY(dag_headers_policy, add, nadd, dag_fields_header_value),
	F_COUNT(dag_headers_policy, nadd),
};
DAG_FIELD_TABLE(dag_fields_headers_policy, dag_headers_policy,
    headers_policy_f);

static const struct dag_field cookie_rewrite_f[] = {
	F_STR(dag_cookie_rewrite, name),
	F_STR(dag_cookie_rewrite, path),
	F_STR(dag_cookie_rewrite, domain),
	F_STR(dag_cookie_rewrite, same_site),
	F_VALUE(dag_cookie_rewrite, secure),
};
DAG_FIELD_TABLE(dag_fields_cookie_rewrite, dag_cookie_rewrite,
    cookie_rewrite_f);

static const struct dag_field weighted_cluster_f[] = {
	F_CLUSTER(dag_weighted_cluster, cluster),
	F_VALUE(dag_weighted_cluster, weight),
	F_PTR(dag_weighted_cluster, request_headers, dag_fields_headers_policy),
	F_PTR(dag_weighted_cluster, response_headers, dag_fields_headers_policy),
	F_ARRAY(dag_weighted_cluster, cookie_rewrites, ncookie_rewrites,
	    dag_fields_cookie_rewrite),
	F_COUNT(dag_weighted_cluster, ncookie_rewrites),
};
DAG_FIELD_TABLE(dag_fields_weighted_cluster, dag_weighted_cluster,
    weighted_cluster_f);

static const struct dag_field redirect_f[] = {
	F_STR(dag_redirect, scheme),
	F_STR(dag_redirect, hostname),
	F_STR(dag_redirect, path),
	F_STR(dag_redirect, prefix),
	F_VALUE(dag_redirect, port),
	F_VALUE(dag_redirect, status_code),
};
DAG_FIELD_TABLE(dag_fields_redirect, dag_redirect, redirect_f);

static const struct dag_field retry_policy_f[] = {
	F_STR(dag_retry_policy, retry_on),
	F_VALUE(dag_retry_policy, num_retries),
	F_VALUE(dag_retry_policy, per_try_timeout_ms),
	F_VALUES(dag_retry_policy, retriable_status_codes,
	    nretriable_status_codes),
	F_COUNT(dag_retry_policy, nretriable_status_codes),
	F_VALUE(dag_retry_policy, backoff_base_ms),
};
DAG_FIELD_TABLE(dag_fields_retry_policy, dag_retry_policy, retry_policy_f);

static const struct dag_field hash_policy_f[] = {
	F_VALUE(dag_hash_policy, kind),
	F_STR(dag_hash_policy, name),
	F_VALUE(dag_hash_policy, terminal),
	F_VALUE(dag_hash_policy, cookie_ttl_ms),
	F_STR(dag_hash_policy, cookie_path),
};
DAG_FIELD_TABLE(dag_fields_hash_policy, dag_hash_policy, hash_policy_f);

static const struct dag_field local_ratelimit_f[] = {
	F_VALUE(dag_local_ratelimit, max_tokens),
	F_VALUE(dag_local_ratelimit, tokens_per_fill),
	F_VALUE(dag_local_ratelimit, status_code),
	F_VALUE(dag_local_ratelimit, fill_interval_ms),
	F_ARRAY(dag_local_ratelimit, response_headers, nresponse_headers,
	    dag_fields_header_value),
	F_COUNT(dag_local_ratelimit, nresponse_headers),
};
DAG_FIELD_TABLE(dag_fields_local_ratelimit, dag_local_ratelimit,
    local_ratelimit_f);

static const struct dag_field cidr_f[] = {
	F_STR(dag_cidr, prefix),
	F_VALUE(dag_cidr, len),
	F_VALUE(dag_cidr, remote),
};
DAG_FIELD_TABLE(dag_fields_cidr, dag_cidr, cidr_f);

static const struct dag_field ip_filter_f[] = {
	F_VALUE(dag_ip_filter, allow),
	F_ARRAY(dag_ip_filter, rules, n, dag_fields_cidr),
	F_COUNT(dag_ip_filter, n),
};
DAG_FIELD_TABLE(dag_fields_ip_filter, dag_ip_filter, ip_filter_f);

static const struct dag_field cors_origin_f[] = {
	F_STR(dag_cors_origin, value),
	F_VALUE(dag_cors_origin, regex),
};
DAG_FIELD_TABLE(dag_fields_cors_origin, dag_cors_origin, cors_origin_f);

static const struct dag_field cors_f[] = {
	F_ARRAY(dag_cors, origins, norigins, dag_fields_cors_origin),
	F_COUNT(dag_cors, norigins),
	F_STR(dag_cors, allow_methods),
	F_STR(dag_cors, allow_headers),
	F_STR(dag_cors, expose_headers),
	F_STR(dag_cors, max_age),
	F_VALUE(dag_cors, allow_credentials),
	F_VALUE(dag_cors, allow_private_network),
};
DAG_FIELD_TABLE(dag_fields_cors, dag_cors, cors_f);

static const struct dag_field mirror_f[] = {
	F_CLUSTER(dag_mirror, cluster),
	F_VALUE(dag_mirror, numerator),
	F_VALUE(dag_mirror, denominator),
};
DAG_FIELD_TABLE(dag_fields_mirror, dag_mirror, mirror_f);

static const struct dag_field session_f[] = {
	F_STR(dag_session, name),
	F_VALUE(dag_session, header),
	F_STR(dag_session, path),
	F_VALUE(dag_session, ttl_ms),
};
DAG_FIELD_TABLE(dag_fields_session, dag_session, session_f);

static const struct dag_field route_rare_f[] = {
	F_VALUE(dag_route_rare, mirror_percent),
	F_STR(dag_route_rare, direct_body),
	F_PTR(dag_route_rare, redirect, dag_fields_redirect),
	F_CLUSTER(dag_route_rare, mirror),
	F_PTR(dag_route_rare, retry, dag_fields_retry_policy),
	F_ARRAY(dag_route_rare, hash_policies, nhash_policies,
	    dag_fields_hash_policy),
	F_COUNT(dag_route_rare, nhash_policies),
	F_STR(dag_route_rare, prefix_rewrite),
	F_PTR(dag_route_rare, ratelimit, dag_fields_local_ratelimit),
	F_PTR(dag_route_rare, ip_filter, dag_fields_ip_filter),
	F_PTR(dag_route_rare, internal_redirect, dag_fields_internal_redirect),
	F_ARRAY(dag_route_rare, cookie_rewrites, ncookie_rewrites,
	    dag_fields_cookie_rewrite),
	F_COUNT(dag_route_rare, ncookie_rewrites),
	F_PTR(dag_route_rare, global_ratelimit, dag_fields_global_ratelimit),
	F_STR(dag_route_rare, jwt_provider),
	F_STR(dag_route_rare, regex_rewrite),
	F_STR(dag_route_rare, regex_substitution),
	F_ARRAY(dag_route_rare, mirrors, nmirrors, dag_fields_mirror),
	F_COUNT(dag_route_rare, nmirrors),
	F_PTR(dag_route_rare, cors, dag_fields_cors),
	F_PTR(dag_route_rare, session, dag_fields_session),
};
DAG_FIELD_TABLE(dag_fields_route_rare, dag_route_rare, route_rare_f);

static const struct dag_field route_f[] = {
	F_VALUE(dag_route, path_kind),
	F_VALUE(dag_route, direct_status),
	F_STR(dag_route, path),
	F_ARRAY(dag_route, headers, nheaders, dag_fields_header_match),
	F_COUNT(dag_route, nheaders),
	F_ARRAY(dag_route, clusters, nclusters, dag_fields_weighted_cluster),
	F_COUNT(dag_route, nclusters),
	F_VALUE(dag_route, order),
	F_ARRAY(dag_route, queries, nqueries, dag_fields_query_match),
	F_COUNT(dag_route, nqueries),
	F_VALUE(dag_route, action),
	F_VALUE(dag_route, permit_insecure),
	F_VALUE(dag_route, https_upgrade),
	F_VALUE(dag_route, secure_only),
	F_VALUE(dag_route, segment_prefix),
	F_VALUE(dag_route, websocket),
	F_VALUE(dag_route, auth_disabled),
	F_VALUE(dag_route, auth_policy_set),
	F_VALUE(dag_route, timeout_ms),
	F_VALUE(dag_route, idle_timeout_ms),
	F_PTR(dag_route, request_headers, dag_fields_headers_policy),
	F_PTR(dag_route, response_headers, dag_fields_headers_policy),
	F_ARRAY(dag_route, auth_context, nauth_context, dag_fields_header_value),
	F_COUNT(dag_route, nauth_context),
	F_PTR(dag_route, rare, dag_fields_route_rare),
};
DAG_FIELD_TABLE(dag_fields_route, dag_route, route_f);

static const struct dag_field rl_entry_f[] = {
	F_VALUE(dag_rl_entry, kind),
	F_STR(dag_rl_entry, key),
	F_STR(dag_rl_entry, value),
	F_ARRAY(dag_rl_entry, headers, nheaders, dag_fields_header_match),
	F_COUNT(dag_rl_entry, nheaders),
	F_VALUE(dag_rl_entry, expect_match),
};
DAG_FIELD_TABLE(dag_fields_rl_entry, dag_rl_entry, rl_entry_f);

static const struct dag_field rl_descriptor_f[] = {
	F_ARRAY(dag_rl_descriptor, entries, n, dag_fields_rl_entry),
	F_COUNT(dag_rl_descriptor, n),
};
DAG_FIELD_TABLE(dag_fields_rl_descriptor, dag_rl_descriptor, rl_descriptor_f);

static const struct dag_field global_ratelimit_f[] = {
	F_ARRAY(dag_global_ratelimit, descriptors, n, dag_fields_rl_descriptor),
	F_COUNT(dag_global_ratelimit, n),
	F_VALUE(dag_global_ratelimit, disabled),
};
DAG_FIELD_TABLE(dag_fields_global_ratelimit, dag_global_ratelimit,
    global_ratelimit_f);

static const struct dag_field internal_redirect_f[] = {
	F_VALUE(dag_internal_redirect, max_internal_redirects),
	F_VALUES(dag_internal_redirect, redirect_response_codes,
	    nredirect_response_codes),
	F_COUNT(dag_internal_redirect, nredirect_response_codes),
	F_VALUE(dag_internal_redirect, allow_cross_scheme),
	F_VALUE(dag_internal_redirect, safe_cross_scheme),
	F_VALUE(dag_internal_redirect, deny_repeated_route),
};
DAG_FIELD_TABLE(dag_fields_internal_redirect, dag_internal_redirect,
    internal_redirect_f);

static const struct dag_field vhost_f[] = {
	F_STR(dag_vhost, fqdn),
	F_STR(dag_vhost, proxy_namespace),
	F_STR(dag_vhost, proxy_name),
	F_ARRAY(dag_vhost, routes, nroutes, dag_fields_route),
	F_COUNT(dag_vhost, nroutes),
	F_VALUE(dag_vhost, owner_kind),
	F_PTR(dag_vhost, cors, dag_fields_cors),
	F_PTR(dag_vhost, ratelimit, dag_fields_local_ratelimit),
	F_PTR(dag_vhost, ip_filter, dag_fields_ip_filter),
	F_STR(dag_vhost, tls_secret_namespace),
	F_STR(dag_vhost, tls_secret_name),
	F_STR(dag_vhost, tls_minimum_version),
	F_IGNORED(dag_vhost, tls,
	    "certificates: hosts with TLS are translated every time"),
	F_PTR(dag_vhost, global_ratelimit, dag_fields_global_ratelimit),
	F_ARRAY(dag_vhost, jwt_providers, njwt_providers,
	    dag_fields_jwt_provider),
	F_COUNT(dag_vhost, njwt_providers),
};
DAG_FIELD_TABLE(dag_fields_vhost, dag_vhost, vhost_f);

static const struct dag_field jwt_provider_f[] = {
	F_STR(dag_jwt_provider, name),
	F_STR(dag_jwt_provider, issuer),
	F_STRS(dag_jwt_provider, audiences, naudiences),
	F_COUNT(dag_jwt_provider, naudiences),
	F_STR(dag_jwt_provider, uri),
	F_VALUE(dag_jwt_provider, timeout_ms),
	F_VALUE(dag_jwt_provider, cache_duration_ms),
	F_VALUE(dag_jwt_provider, forward),
	F_CLUSTER(dag_jwt_provider, cluster),
};
DAG_FIELD_TABLE(dag_fields_jwt_provider, dag_jwt_provider, jwt_provider_f);

const struct dag_field_table *const dag_field_tables[] = {
	&dag_fields_endpoint, &dag_fields_locality, &dag_fields_endpoints,
	&dag_fields_status_range, &dag_fields_health_check,
	&dag_fields_slow_start, &dag_fields_cluster, &dag_fields_header_match,
	&dag_fields_query_match, &dag_fields_header_value,
	&dag_fields_headers_policy, &dag_fields_cookie_rewrite,
	&dag_fields_weighted_cluster, &dag_fields_redirect,
	&dag_fields_retry_policy, &dag_fields_hash_policy,
	&dag_fields_local_ratelimit, &dag_fields_cidr, &dag_fields_ip_filter,
	&dag_fields_cors_origin, &dag_fields_cors, &dag_fields_mirror,
	&dag_fields_route, &dag_fields_route_rare, &dag_fields_session,
	&dag_fields_rl_entry, &dag_fields_rl_descriptor,
	&dag_fields_global_ratelimit, &dag_fields_internal_redirect,
	&dag_fields_vhost, &dag_fields_jwt_provider,
};
const size_t dag_nfield_tables =
    sizeof dag_field_tables / sizeof dag_field_tables[0];

static size_t
round_up(size_t n, size_t align)
{
	return (n + align - 1) / align * align;
}

const char *
dag_fields_check(const struct dag_field_table *tab, char *buf, size_t len)
{
	size_t end = 0;

	for (size_t i = 0; i < tab->n; i++) {
		const struct dag_field *f = &tab->fields[i];
		size_t counted = 0;

		if (f->offset < end) {
			snprintf(buf, len, "struct %s: %s overlaps the field before "
			    "it (fields out of declaration order?)", tab->name,
			    f->name);
			return buf;
		}
		if (round_up(end, f->align) != f->offset) {
			snprintf(buf, len, "struct %s: bytes %zu..%zu before %s are "
			    "not in its table (a member missing from "
			    "src/dag/fields.c?)", tab->name, end, f->offset - 1,
			    f->name);
			return buf;
		}
		end = f->offset + f->size;
		switch (f->kind) {
		case DAG_F_VALUE:
		case DAG_F_IGNORED:
			break;
		case DAG_F_COUNT:
			for (size_t k = 0; k < tab->n; k++)
				if ((tab->fields[k].kind == DAG_F_STRS ||
				    tab->fields[k].kind == DAG_F_VALUES ||
				    tab->fields[k].kind == DAG_F_ARRAY) &&
				    tab->fields[k].count_offset == f->offset)
					counted++;
			if (counted != 1 || f->size != sizeof(size_t)) {
				snprintf(buf, len, "struct %s: count %s must be a "
				    "size_t counting one array", tab->name, f->name);
				return buf;
			}
			break;
		case DAG_F_PTR:
		case DAG_F_ARRAY:
			if (f->sub == NULL || f->elem_size != f->sub->size) {
				snprintf(buf, len, "struct %s: %s does not point to a "
				    "struct %s", tab->name, f->name,
				    f->sub ? f->sub->name : "(none)");
				return buf;
			}
			/* fall through */
		default:
			if (f->size != sizeof(void *)) {
				snprintf(buf, len, "struct %s: %s is not a pointer",
				    tab->name, f->name);
				return buf;
			}
		}
		if (f->kind == DAG_F_STRS || f->kind == DAG_F_VALUES ||
		    f->kind == DAG_F_ARRAY) {
			bool found = false;

			for (size_t k = 0; k < tab->n; k++)
				found |= tab->fields[k].kind == DAG_F_COUNT &&
				    tab->fields[k].offset == f->count_offset;
			if (!found) {
				snprintf(buf, len, "struct %s: the count of %s is not "
				    "a COUNT field", tab->name, f->name);
				return buf;
			}
		}
	}
	if (round_up(end, tab->align) != tab->size) {
		snprintf(buf, len, "struct %s: bytes %zu..%zu at its end are not "
		    "in its table (a member missing from src/dag/fields.c?)",
		    tab->name, end, tab->size - 1);
		return buf;
	}
	return NULL;
}
