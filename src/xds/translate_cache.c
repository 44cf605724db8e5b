/* Serialized resources kept from one translation to the next. A virtual
 * host, a cluster or a ClusterLoadAssignment whose DAG inputs hash the
 * same as last time gets the same bytes (and version) without building
 * or packing a message: after a one-file change in a tree of 10,000
 * proxies, only what that file touched is serialized again.
 *
 * The key of a resource is a hash of everything the translator reads to
 * make it (fp_* below) and of the translate options. That makes the
 * fingerprints part of the DAG's interface: a field added to a DAG struct
 * that the translator reads must be hashed here too, or a change to it
 * alone would serve stale bytes. The sizes asserted below catch most
 * additions at compile time; CAIRN_TRANSLATE_VERIFY=1 in the environment
 * translates every resource anyway and aborts on any difference (tests).
 *
 * Virtual hosts with TLS and clusters with upstream validation are not
 * cached (their inputs are Secrets): they are translated every time.
 *
 * Hashing every input to find that nothing changed was most of a
 * rebuild: the cache also remembers the keys by identity. A DAG is
 * immutable, and the parts of an incremental DAG (dag.h) are shared
 * from build to build, so a cluster, ClusterLoadAssignment or virtual
 * host (its routes array) at the same address as in the last DAG is the
 * same object with the same key. The cache holds a reference to the last
 * DAG until the next translation is done: no address of it can be
 * reused by a new object meanwhile. Verify mode hashes anyway and aborts
 * on a remembered key that differs. */
#include "xds/translate_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

#if UINTPTR_MAX == UINT64_MAX
/* If one of these fails, a DAG struct changed: hash the new field in the
 * fp_* function of that struct below, then update the size here. */
#define FP_SIZE(type, size) \
	_Static_assert(sizeof(struct type) == (size), \
	    "struct " #type " changed: update its fingerprint in translate_cache.c")
FP_SIZE(dag_endpoint, 16);
FP_SIZE(dag_endpoints, 48);
FP_SIZE(dag_locality, 24);
FP_SIZE(dag_status_range, 16);
FP_SIZE(dag_health_check, 56);
FP_SIZE(dag_cluster, 184);
FP_SIZE(dag_header_match, 32);
FP_SIZE(dag_query_match, 32);
FP_SIZE(dag_header_value, 16);
FP_SIZE(dag_headers_policy, 64);
FP_SIZE(dag_cookie_rewrite, 40);
FP_SIZE(dag_weighted_cluster, 48);
FP_SIZE(dag_redirect, 40);
FP_SIZE(dag_retry_policy, 48);
FP_SIZE(dag_hash_policy, 40);
FP_SIZE(dag_local_ratelimit, 40);
FP_SIZE(dag_cidr, 16);
FP_SIZE(dag_ip_filter, 24);
FP_SIZE(dag_cors_origin, 16);
FP_SIZE(dag_cors, 56);
FP_SIZE(dag_mirror, 16);
FP_SIZE(dag_route, 336);
FP_SIZE(dag_vhost, 128);
FP_SIZE(dag_jwt_provider, 72);
FP_SIZE(translate_options, 312);
#endif

/* --- fingerprints ---------------------------------------------------------- */

/* Bytes are gathered in a buffer and hashed a block at a time: one
 * XXH64 call per field would cost more than the fields. */
struct fp {
	uint64_t h;
	size_t n;
	unsigned char buf[2048];
};

static void
fp_flush(struct fp *f)
{
	f->h = hash_bytes_seeded(f->buf, f->n, f->h);
	f->n = 0;
}

static void
fp_bytes(struct fp *f, const void *p, size_t len)
{
	if (f->n + len > sizeof f->buf) {
		fp_flush(f);
		if (len > sizeof f->buf) {
			f->h = hash_bytes_seeded(p, len, f->h);
			return;
		}
	}
	memcpy(f->buf + f->n, p, len);
	f->n += len;
}

static void
fp_u64(struct fp *f, uint64_t v)
{
	fp_bytes(f, &v, sizeof v);
}

/* Length first, so that ("ab", "c") and ("a", "bc") differ; NULL is not
 * "". */
static void
fp_str(struct fp *f, const char *s)
{
	size_t len;

	if (s == NULL) {
		fp_u64(f, UINT64_MAX);
		return;
	}
	len = strlen(s);
	fp_u64(f, len);
	fp_bytes(f, s, len);
}

static void
fp_begin(struct fp *f, const char *what, uint64_t seed)
{
	f->h = seed;
	f->n = 0;
	fp_str(f, what);
}

static uint64_t
fp_end(struct fp *f)
{
	fp_flush(f);
	return f->h ? f->h : 1; /* 0 means "not cached" */
}

static void
fp_headers_policy(struct fp *f, const struct dag_headers_policy *p)
{
	fp_u64(f, p != NULL);
	if (p == NULL)
		return;
	fp_u64(f, p->nset);
	for (size_t i = 0; i < p->nset; i++) {
		fp_str(f, p->set[i].key);
		fp_str(f, p->set[i].value);
	}
	fp_u64(f, p->nremove);
	for (size_t i = 0; i < p->nremove; i++)
		fp_str(f, p->remove[i]);
	fp_str(f, p->host_rewrite);
	fp_str(f, p->host_rewrite_header);
	fp_u64(f, p->nadd);
	for (size_t i = 0; i < p->nadd; i++) {
		fp_str(f, p->add[i].key);
		fp_str(f, p->add[i].value);
	}
}

static void
fp_ratelimit(struct fp *f, const struct dag_local_ratelimit *rl)
{
	fp_u64(f, rl != NULL);
	if (rl == NULL)
		return;
	fp_u64(f, rl->max_tokens);
	fp_u64(f, rl->tokens_per_fill);
	fp_u64(f, rl->status_code);
	fp_u64(f, (uint64_t)rl->fill_interval_ms);
	fp_u64(f, rl->nresponse_headers);
	for (size_t i = 0; i < rl->nresponse_headers; i++) {
		fp_str(f, rl->response_headers[i].key);
		fp_str(f, rl->response_headers[i].value);
	}
}

static void
fp_global_ratelimit(struct fp *f, const struct dag_global_ratelimit *g)
{
	fp_u64(f, g != NULL);
	if (g == NULL)
		return;
	fp_u64(f, g->disabled);
	fp_u64(f, g->n);
	for (size_t i = 0; i < g->n; i++) {
		fp_u64(f, g->descriptors[i].n);
		for (size_t k = 0; k < g->descriptors[i].n; k++) {
			const struct dag_rl_entry *e = &g->descriptors[i].entries[k];

			fp_u64(f, e->kind | (uint64_t)e->expect_match << 8);
			fp_str(f, e->key);
			fp_str(f, e->value);
			fp_u64(f, e->nheaders);
			for (size_t h = 0; h < e->nheaders; h++) {
				fp_str(f, e->headers[h].name);
				fp_u64(f, e->headers[h].kind);
				fp_str(f, e->headers[h].value);
				fp_u64(f, e->headers[h].invert |
				    e->headers[h].ignore_case << 1 |
				    e->headers[h].treat_missing_as_empty << 2);
			}
		}
	}
}

static void
fp_ip_filter(struct fp *f, const struct dag_ip_filter *ipf)
{
	fp_u64(f, ipf != NULL);
	if (ipf == NULL)
		return;
	fp_u64(f, ipf->allow);
	fp_u64(f, ipf->n);
	for (size_t i = 0; i < ipf->n; i++) {
		fp_str(f, ipf->rules[i].prefix);
		fp_u64(f, ipf->rules[i].len);
		fp_u64(f, ipf->rules[i].remote);
	}
}

static void
fp_cluster(struct fp *f, const struct dag_cluster *c)
{
	const struct dag_health_check *hc = c->health_check;

	fp_str(f, c->name);
	fp_str(f, c->namespace);
	fp_str(f, c->service);
	fp_u64(f, c->port);
	fp_str(f, c->endpoints ? c->endpoints->name : NULL);
	fp_u64(f, c->protocol);
	fp_u64(f, c->lb_policy);
	fp_u64(f, (uint64_t)c->ext_response_timeout_ms);
	fp_u64(f, hc != NULL);
	if (hc != NULL) {
		fp_str(f, hc->path);
		fp_str(f, hc->host);
		fp_u64(f, (uint64_t)hc->interval_ms);
		fp_u64(f, (uint64_t)hc->timeout_ms);
		fp_u64(f, hc->unhealthy_threshold);
		fp_u64(f, hc->healthy_threshold);
		fp_u64(f, hc->nexpected_statuses);
		for (size_t i = 0; i < hc->nexpected_statuses; i++) {
			fp_u64(f, (uint64_t)hc->expected_statuses[i].start);
			fp_u64(f, (uint64_t)hc->expected_statuses[i].end);
		}
	}
	fp_u64(f, c->slow_start != NULL);
	if (c->slow_start != NULL) {
		union { double d; uint64_t u; } agg = { .d = c->slow_start->aggression };

		fp_u64(f, (uint64_t)c->slow_start->window_ms);
		fp_u64(f, agg.u);
		fp_u64(f, c->slow_start->min_weight_percent);
	}
	fp_u64(f, (uint64_t)c->idle_connection_timeout_ms);
	fp_u64(f, (uint64_t)c->health_port);
	fp_u64(f, c->max_connections);
	fp_u64(f, c->max_pending_requests);
	fp_u64(f, c->max_requests);
	fp_u64(f, c->max_retries);
	fp_u64(f, c->per_host_max_connections);
	fp_str(f, c->external_name);
	fp_u64(f, c->dns_family);
	fp_str(f, c->eds_name);
	fp_str(f, c->sni);
	fp_u64(f, c->dnsname);
	/* upstream_ca: such clusters are not cached. */
	fp_str(f, c->upstream_subject_name);
	fp_u64(f, c->nupstream_subject_names);
	for (size_t i = 0; i < c->nupstream_subject_names; i++)
		fp_str(f, c->upstream_subject_names[i]);
}

/* Cluster fingerprints of one translation, by address: every route
 * names clusters that translate_clusters already hashed. */
struct fp_memo {
	const void **keys;
	uint64_t *values;
	size_t n, cap;
};

static uint64_t
ptr_hash(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

static uint64_t *
fp_memo_slot(struct fp_memo *m, const void *key, bool add)
{
	size_t j;

	if (add && (m->n + 1) * 2 > m->cap) {
		struct fp_memo old = *m;

		m->cap = m->cap ? m->cap * 2 : 1024;
		m->keys = xcalloc(m->cap, sizeof *m->keys);
		m->values = xcalloc(m->cap, sizeof *m->values);
		m->n = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.keys[i] != NULL)
				*fp_memo_slot(m, old.keys[i], true) = old.values[i];
		free(old.keys);
		free(old.values);
	}
	if (m->cap == 0)
		return NULL;
	for (j = ptr_hash(key) & (m->cap - 1); m->keys[j] != NULL;
	    j = (j + 1) & (m->cap - 1))
		if (m->keys[j] == key)
			return &m->values[j];
	if (!add)
		return NULL;
	m->keys[j] = key;
	m->n++;
	return &m->values[j];
}

static void
fp_memo_free(struct fp_memo *m)
{
	if (m == NULL)
		return;
	free(m->keys);
	free(m->values);
	free(m);
}

static uint64_t known_key(const struct translation *t, const void *id);
static void known_put(const struct translation *t, const void *id, uint64_t key);
static void known_check(const struct translation *t, const void *id,
    uint64_t key);

static uint64_t
cluster_fp(const struct translation *t, const struct dag_cluster *c)
{
	uint64_t *v = t->cluster_fps ? fp_memo_slot(t->cluster_fps, c, false) :
	    NULL;
	uint64_t h;
	struct fp f;

	if (v != NULL)
		return *v;
	if ((h = known_key(t, c)) != 0)
		return h;
	fp_begin(&f, "cluster", 0);
	fp_cluster(&f, c);
	h = fp_end(&f);
	known_check(t, c, h);
	return h;
}

static void
fp_cookie_rewrites(struct fp *f, const struct dag_cookie_rewrite *c, size_t n)
{
	fp_u64(f, n);
	for (size_t i = 0; i < n; i++) {
		fp_str(f, c[i].name);
		fp_str(f, c[i].path);
		fp_str(f, c[i].domain);
		fp_str(f, c[i].same_site);
		fp_u64(f, (uint64_t)(c[i].secure + 1));
	}
}

static void
fp_weighted(struct fp *f, const struct translation *t,
    const struct dag_weighted_cluster *w)
{
	fp_u64(f, cluster_fp(t, w->cluster));
	fp_u64(f, w->weight);
	fp_cookie_rewrites(f, w->cookie_rewrites, w->ncookie_rewrites);
	fp_headers_policy(f, w->request_headers);
	fp_headers_policy(f, w->response_headers);
}

static void
fp_cors(struct fp *f, const struct dag_cors *c)
{
	fp_u64(f, c != NULL);
	if (c == NULL)
		return;
	fp_u64(f, c->norigins);
	for (size_t i = 0; i < c->norigins; i++) {
		fp_str(f, c->origins[i].value);
		fp_u64(f, c->origins[i].regex);
	}
	fp_str(f, c->allow_methods);
	fp_str(f, c->allow_headers);
	fp_str(f, c->expose_headers);
	fp_str(f, c->max_age);
	fp_u64(f, c->allow_credentials | c->allow_private_network << 1);
}

static void
fp_route(struct fp *f, const struct translation *t, const struct dag_route *r)
{
	fp_u64(f, r->path_kind);
	fp_str(f, r->path);
	fp_u64(f, r->nheaders);
	for (size_t i = 0; i < r->nheaders; i++) {
		const struct dag_header_match *h = &r->headers[i];

		fp_str(f, h->name);
		fp_u64(f, h->kind);
		fp_str(f, h->value);
		fp_u64(f, h->invert | h->ignore_case << 1 |
		    h->treat_missing_as_empty << 2);
	}
	fp_u64(f, r->nclusters);
	for (size_t i = 0; i < r->nclusters; i++)
		fp_weighted(f, t, &r->clusters[i]);
	fp_u64(f, r->direct_status);
	fp_u64(f, r->order);
	fp_u64(f, r->segment_prefix);
	fp_u64(f, r->nqueries);
	for (size_t i = 0; i < r->nqueries; i++) {
		fp_str(f, r->queries[i].name);
		fp_u64(f, r->queries[i].kind);
		fp_str(f, r->queries[i].value);
		fp_u64(f, r->queries[i].ignore_case);
	}
	fp_u64(f, r->action);
	fp_str(f, r->direct_body);
	fp_u64(f, r->redirect != NULL);
	if (r->redirect != NULL) {
		fp_str(f, r->redirect->scheme);
		fp_str(f, r->redirect->hostname);
		fp_str(f, r->redirect->path);
		fp_str(f, r->redirect->prefix);
		fp_u64(f, r->redirect->port);
		fp_u64(f, r->redirect->status_code);
	}
	fp_u64(f, r->mirror != NULL);
	if (r->mirror != NULL)
		fp_u64(f, cluster_fp(t, r->mirror));
	fp_u64(f, r->mirror_percent);
	fp_u64(f, (uint64_t)r->timeout_ms);
	fp_u64(f, (uint64_t)r->idle_timeout_ms);
	fp_u64(f, r->retry != NULL);
	if (r->retry != NULL) {
		fp_str(f, r->retry->retry_on);
		fp_u64(f, r->retry->num_retries);
		fp_u64(f, (uint64_t)r->retry->per_try_timeout_ms);
		fp_u64(f, r->retry->nretriable_status_codes);
		for (size_t i = 0; i < r->retry->nretriable_status_codes; i++)
			fp_u64(f, r->retry->retriable_status_codes[i]);
		fp_u64(f, (uint64_t)r->retry->backoff_base_ms);
	}
	fp_u64(f, r->nhash_policies);
	for (size_t i = 0; i < r->nhash_policies; i++) {
		const struct dag_hash_policy *h = &r->hash_policies[i];

		fp_u64(f, h->kind);
		fp_str(f, h->name);
		fp_u64(f, h->terminal);
		fp_u64(f, (uint64_t)h->cookie_ttl_ms);
		fp_str(f, h->cookie_path);
	}
	fp_str(f, r->prefix_rewrite);
	fp_u64(f, r->websocket);
	fp_headers_policy(f, r->request_headers);
	fp_headers_policy(f, r->response_headers);
	fp_ratelimit(f, r->ratelimit);
	fp_ip_filter(f, r->ip_filter);
	fp_u64(f, r->permit_insecure | r->https_upgrade << 1 | r->secure_only << 2);
	fp_str(f, r->regex_rewrite);
	fp_str(f, r->regex_substitution);
	fp_u64(f, r->internal_redirect != NULL);
	if (r->internal_redirect != NULL) {
		const struct dag_internal_redirect *ir = r->internal_redirect;

		fp_u64(f, ir->max_internal_redirects);
		fp_u64(f, ir->nredirect_response_codes);
		for (size_t i = 0; i < ir->nredirect_response_codes; i++)
			fp_u64(f, ir->redirect_response_codes[i]);
		fp_u64(f, ir->allow_cross_scheme | ir->safe_cross_scheme << 1 |
		    ir->deny_repeated_route << 2);
	}
	fp_cookie_rewrites(f, r->cookie_rewrites, r->ncookie_rewrites);
	/* External authorization (only sent on TLS hosts, which are not
	 * cached; hashed all the same). */
	fp_u64(f, r->auth_disabled | r->auth_policy_set << 1);
	fp_u64(f, r->nauth_context);
	for (size_t i = 0; i < r->nauth_context; i++) {
		fp_str(f, r->auth_context[i].key);
		fp_str(f, r->auth_context[i].value);
	}
	fp_global_ratelimit(f, r->global_ratelimit);
	fp_str(f, r->jwt_provider);
	fp_u64(f, r->nmirrors);
	for (size_t i = 0; i < r->nmirrors; i++) {
		fp_u64(f, cluster_fp(t, r->mirrors[i].cluster));
		fp_u64(f, r->mirrors[i].numerator);
		fp_u64(f, r->mirrors[i].denominator);
	}
	fp_cors(f, r->cors);
}

static void
fp_vhost(struct fp *f, const struct translation *t, const struct dag_vhost *vh)
{
	fp_str(f, vh->fqdn);
	fp_str(f, vh->proxy_namespace);
	fp_str(f, vh->proxy_name);
	fp_u64(f, vh->nroutes);
	for (size_t i = 0; i < vh->nroutes; i++)
		fp_route(f, t, &vh->routes[i]);
	fp_u64(f, vh->owner_kind);
	fp_cors(f, vh->cors);
	fp_ratelimit(f, vh->ratelimit);
	fp_global_ratelimit(f, vh->global_ratelimit);
	fp_ip_filter(f, vh->ip_filter);
	fp_str(f, vh->tls_secret_namespace);
	fp_str(f, vh->tls_secret_name);
	fp_str(f, vh->tls_minimum_version);
	/* tls: such hosts are not cached. */
	fp_u64(f, vh->njwt_providers);
	for (size_t i = 0; i < vh->njwt_providers; i++) {
		const struct dag_jwt_provider *p = &vh->jwt_providers[i];

		fp_str(f, p->name);
		fp_str(f, p->issuer);
		fp_u64(f, p->naudiences);
		for (size_t k = 0; k < p->naudiences; k++)
			fp_str(f, p->audiences[k]);
		fp_str(f, p->uri);
		fp_u64(f, (uint64_t)p->timeout_ms);
		fp_u64(f, (uint64_t)p->cache_duration_ms);
		fp_u64(f, p->forward);
		fp_u64(f, cluster_fp(t, p->cluster));
	}
}

/* Everything of the options, so that a reload with other options
 * serializes everything again. */
static uint64_t
options_fingerprint(const struct translate_options *o)
{
	struct fp f;

	fp_begin(&f, "options", 0);
	fp_str(&f, o->http_address);
	fp_u64(&f, o->http_port);
	fp_str(&f, o->http_access_log);
	fp_u64(&f, o->access_log_json);
	fp_u64(&f, (uint64_t)o->connect_timeout_ms);
	fp_u64(&f, (uint64_t)o->connection_idle_timeout_ms);
	fp_u64(&f, (uint64_t)o->stream_idle_timeout_ms);
	fp_u64(&f, (uint64_t)o->request_timeout_ms);
	fp_u64(&f, (uint64_t)o->max_connection_duration_ms);
	fp_u64(&f, (uint64_t)o->drain_timeout_ms);
	fp_str(&f, o->access_log_format_string);
	fp_u64(&f, o->njson_fields);
	for (size_t i = 0; i < o->njson_fields; i++)
		fp_str(&f, o->json_fields[i]);
	fp_u64(&f, o->compression);
	fp_u64(&f, o->merge_slashes | o->strip_trailing_host_dot << 1);
	fp_u64(&f, o->max_requests_per_connection);
	fp_u64(&f, o->http2_max_concurrent_streams);
	fp_u64(&f, o->per_connection_buffer_limit_bytes);
	fp_u64(&f, o->socket_tos | (uint64_t)o->socket_traffic_class << 8);
	fp_u64(&f, o->cluster_max_requests_per_connection);
	fp_u64(&f, o->cluster_per_connection_buffer_limit_bytes);
	fp_u64(&f, o->xff_num_trusted_hops);
	fp_u64(&f, o->server_header);
	fp_str(&f, o->https_address);
	fp_u64(&f, o->https_port);
	fp_str(&f, o->https_access_log);
	fp_u64(&f, o->ncipher_suites);
	for (size_t i = 0; i < o->ncipher_suites; i++)
		fp_str(&f, o->cipher_suites[i]);
	fp_u64(&f, o->alpn_h2 | o->alpn_http11 << 1);
	fp_str(&f, o->tls_minimum_version);
	fp_str(&f, o->tls_maximum_version);
	fp_str(&f, o->tracing_cluster);
	fp_str(&f, o->tracing_service_name);
	fp_bytes(&f, &o->tracing_overall_sampling, sizeof o->tracing_overall_sampling);
	fp_u64(&f, o->tracing_max_path_tag_length);
	fp_u64(&f, o->ntracing_custom_tags);
	for (size_t i = 0; i < o->ntracing_custom_tags; i++) {
		fp_str(&f, o->tracing_custom_tags[i].tag);
		fp_str(&f, o->tracing_custom_tags[i].literal);
		fp_str(&f, o->tracing_custom_tags[i].request_header);
	}
	fp_str(&f, o->rate_limit_cluster);
	fp_str(&f, o->rate_limit_domain);
	fp_u64(&f, o->rate_limit_fail_open | o->rate_limit_x_headers << 1 |
	    o->rate_limit_resource_exhausted << 2);
	fp_str(&f, o->global_ext_auth_cluster);
	fp_u64(&f, (uint64_t)o->global_ext_auth_timeout_ms);
	fp_u64(&f, o->global_ext_auth_max_request_bytes);
	fp_u64(&f, o->global_ext_auth_fail_open |
	    o->global_ext_auth_allow_partial << 1 |
	    o->global_ext_auth_pack_as_bytes << 2);
	return fp_end(&f);
}

uint64_t
translation_key_vhost(const struct translation *t, const struct dag_vhost *vh,
    bool proxyless)
{
	size_t i = (size_t)(vh - t->dag->vhosts);
	uint64_t h;
	struct fp f;

	if (t->cache == NULL || vh->tls != NULL)
		return 0;
	/* Both kinds of a host (Envoy's, proxyless) hash it once. */
	if (i < t->dag->nvhosts && t->vhost_fps != NULL && t->vhost_fps[i] != 0) {
		h = t->vhost_fps[i];
	} else {
		/* A host is known by its routes (none: hashed every time). */
		const void *id = vh->nroutes > 0 ? (const void *)vh->routes : NULL;

		if ((h = known_key(t, id)) == 0) {
			fp_begin(&f, "vhost", t->opts_fp);
			fp_vhost(&f, t, vh);
			h = fp_end(&f);
			known_check(t, id, h);
		}
		known_put(t, id, h);
		if (i < t->dag->nvhosts && t->vhost_fps != NULL)
			t->vhost_fps[i] = h;
	}
	return proxyless ? translation_key_combine(h, 1) : h;
}

uint64_t
translation_key_cluster(const struct translation *t, const struct dag_cluster *dc)
{
	uint64_t h;

	if (t->cache == NULL)
		return 0;
	/* A known cluster is found by cluster_fp through `known` too: the
	 * per-translation memo is only for the others. */
	if ((h = known_key(t, dc)) == 0) {
		h = cluster_fp(t, dc);
		*fp_memo_slot(t->cluster_fps, dc, true) = h;
	}
	known_put(t, dc, h);
	if (dc->upstream_ca != NULL)
		return 0;
	return translation_key_combine(h, t->opts_fp);
}

uint64_t
translation_key_endpoints(const struct translation *t,
    const struct dag_endpoints *de)
{
	struct fp f;
	uint64_t h;

	if (t->cache == NULL)
		return 0;
	if ((h = known_key(t, de)) == 0) {
		fp_begin(&f, "endpoints", t->opts_fp);
		fp_str(&f, de->name);
		fp_u64(&f, de->n);
		for (size_t i = 0; i < de->n; i++) {
			fp_str(&f, de->items[i].ip);
			fp_u64(&f, de->items[i].port);
			fp_u64(&f, de->items[i].health_port);
		}
		fp_u64(&f, de->localities != NULL);
		fp_u64(&f, de->nlocalities);
		for (size_t i = 0; i < de->nlocalities; i++) {
			fp_u64(&f, de->localities[i].n);
			fp_u64(&f, de->localities[i].weight);
			fp_str(&f, de->localities[i].sub_zone);
		}
		h = fp_end(&f);
		known_check(t, de, h);
	}
	known_put(t, de, h);
	return h;
}

uint64_t
translation_key_name(const struct translation *t, const char *kind,
    const char *name)
{
	struct fp f;

	if (t->cache == NULL)
		return 0;
	fp_begin(&f, kind, t->opts_fp);
	fp_str(&f, name);
	return fp_end(&f);
}

uint64_t
translation_key_combine(uint64_t h, uint64_t key)
{
	return hash_bytes_seeded(&key, sizeof key, h);
}

/* --- the cache ---------------------------------------------------------- */

struct cache_slot {
	uint64_t key; /* 0 = empty */
	struct xds_blob *blob; /* one reference */
	unsigned gen; /* the last translation that used it */
	bool flag; /* a side effect to replay (translate_route.c) */
};

/* A loop's resources in the order it made them (translation_seq_get). */
struct seq_entry {
	const void *id;
	uint64_t key;
	struct xds_blob *blob; /* one reference */
	bool flag;
};

struct seq {
	struct seq_entry *v;
	size_t n, cap;
};

struct translate_cache {
	struct cache_slot *slots;
	size_t n, cap; /* cap: 0 or a power of two */
	size_t live; /* slots used by the current translation */
	unsigned gen;
	uint64_t opts_fp;
	bool verify; /* CAIRN_TRANSLATE_VERIFY */
	size_t hits, misses; /* of the last translation */
	/* Keys by address of the objects of `held` (the last DAG, one
	 * reference): vhosts by their routes array, clusters and
	 * ClusterLoadAssignments by themselves. `next` is being filled by
	 * the current translation. */
	struct dag *held;
	struct fp_memo *known, *next;
	size_t known_hits; /* of the last translation */
	/* Of the last translation (objects of `held`) and of the current
	 * one; seq_hits: found in `seqs` by the current one. */
	struct seq seqs[SEQ_COUNT], next_seqs[SEQ_COUNT];
	size_t seq_hits;
	struct snapshot *last; /* the last translation's (one reference) */
	struct http_layout http;
};

static void
seq_clear(struct seq *q)
{
	for (size_t i = 0; i < q->n; i++)
		xds_blob_unref(q->v[i].blob);
	free(q->v);
	memset(q, 0, sizeof *q);
}

/* The key remembered for the object at id in the last DAG, or 0. In
 * verify mode nothing is remembered: every key is hashed and compared
 * (known_check). */
static uint64_t
known_key(const struct translation *t, const void *id)
{
	struct translate_cache *c = t->cache;
	uint64_t *v;

	if (c == NULL || id == NULL || c->known == NULL || c->verify)
		return 0;
	if ((v = fp_memo_slot(c->known, id, false)) == NULL)
		return 0;
	c->known_hits++;
	return *v;
}

static void
known_put(const struct translation *t, const void *id, uint64_t key)
{
	struct translate_cache *c = t->cache;

	if (c == NULL || id == NULL || c->next == NULL)
		return;
	*fp_memo_slot(c->next, id, true) = key;
}

static void
known_check(const struct translation *t, const void *id, uint64_t key)
{
	struct translate_cache *c = t->cache;
	uint64_t *v;

	if (c == NULL || !c->verify || id == NULL || c->known == NULL ||
	    (v = fp_memo_slot(c->known, id, false)) == NULL || *v == key)
		return;
	fprintf(stderr, "cairn: translate cache: the key remembered for an "
	    "object of the last DAG is not its hash (was it changed in "
	    "place?)\n");
	abort();
}

struct translate_cache *
translate_cache_new(void)
{
	struct translate_cache *c = xcalloc(1, sizeof *c);
	const char *v = getenv("CAIRN_TRANSLATE_VERIFY");

	c->verify = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	return c;
}

void
translate_cache_free(struct translate_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].key != 0)
			xds_blob_unref(c->slots[i].blob);
	free(c->slots);
	fp_memo_free(c->known);
	fp_memo_free(c->next);
	for (int i = 0; i < SEQ_COUNT; i++) {
		seq_clear(&c->seqs[i]);
		seq_clear(&c->next_seqs[i]);
	}
	dag_free(c->held);
	snapshot_unref(c->last);
	xds_blob_unref(c->http.blob);
	free(c->http.keys);
	free(c->http.ends);
	free(c);
}

void
translate_cache_snapshot(struct translation *t, struct snapshot *snap)
{
	struct translate_cache *c = t->cache;

	if (c == NULL)
		return;
	snapshot_unref(c->last);
	c->last = snap != NULL ? snapshot_ref(snap) : NULL;
}

const struct snapshot *
translate_cache_last_snapshot(const struct translation *t)
{
	return t->cache != NULL ? t->cache->last : NULL;
}

struct http_layout *
translation_http_layout(struct translation *t)
{
	return t->cache != NULL && !t->cache->verify ? &t->cache->http : NULL;
}

struct translate_cache_stats
translate_cache_stats(const struct translate_cache *c)
{
	struct translate_cache_stats st = { 0 };

	if (c != NULL) {
		st.in_order = c->seq_hits;
		st.by_key = c->hits;
		st.serialized = c->misses;
		st.http_kept = c->http.kept;
	}
	return st;
}

static struct cache_slot *
cache_slot(const struct translate_cache *c, uint64_t key)
{
	size_t j = (size_t)key & (c->cap - 1);

	while (c->slots[j].key != 0 && c->slots[j].key != key)
		j = (j + 1) & (c->cap - 1);
	return &c->slots[j];
}

/* Rehash into cap slots, keeping only what the current translation used
 * when sweep is set. */
static void
cache_rehash(struct translate_cache *c, size_t cap, bool sweep)
{
	struct cache_slot *old = c->slots;
	size_t oldcap = c->cap;

	c->slots = xcalloc(cap, sizeof *c->slots);
	c->cap = cap;
	c->n = 0;
	for (size_t i = 0; i < oldcap; i++) {
		if (old[i].key == 0)
			continue;
		if (sweep && old[i].gen != c->gen) {
			xds_blob_unref(old[i].blob);
			continue;
		}
		*cache_slot(c, old[i].key) = old[i];
		c->n++;
	}
	if (sweep)
		c->live = c->n; /* what is left is what this one used */
	free(old);
}

void
translate_cache_begin(struct translation *t)
{
	struct translate_cache *c = t->cache;

	if (c == NULL)
		return;
	t->opts_fp = options_fingerprint(t->opts);
	if (c->opts_fp != t->opts_fp) {
		/* Other options: nothing is reused (the keys include them,
		 * this only frees the memory sooner). */
		c->gen++;
		if (c->cap > 0)
			cache_rehash(c, c->cap, true);
		c->opts_fp = t->opts_fp;
		/* Keys include the options: forget them. */
		fp_memo_free(c->known);
		c->known = NULL;
		for (int i = 0; i < SEQ_COUNT; i++)
			seq_clear(&c->seqs[i]);
	}
	c->gen++;
	c->live = 0;
	c->hits = c->misses = c->known_hits = c->seq_hits = 0;
	c->http.kept = 0;
	memset(t->seq_pos, 0, sizeof t->seq_pos);
	for (int i = 0; i < SEQ_COUNT; i++) {
		/* About as many as last time: no growing. */
		seq_clear(&c->next_seqs[i]);
		c->next_seqs[i].cap = c->seqs[i].n + 64;
		c->next_seqs[i].v = xreallocarray(NULL, c->next_seqs[i].cap,
		    sizeof *c->next_seqs[i].v);
	}
	fp_memo_free(c->next);
	c->next = xcalloc(1, sizeof *c->next);
	if (c->known != NULL && c->known->n > 0) {
		/* About as many objects as last time: no growing. */
		for (c->next->cap = 1024; c->next->cap < 2 * (c->known->n + 1);
		    c->next->cap *= 2)
			;
		c->next->keys = xcalloc(c->next->cap, sizeof *c->next->keys);
		c->next->values = xcalloc(c->next->cap, sizeof *c->next->values);
	}
	t->cluster_fps = xcalloc(1, sizeof *t->cluster_fps);
	/* One entry per cluster: sized once, not grown by doubling. */
	for (t->cluster_fps->cap = 1024;
	    t->cluster_fps->cap < 2 * (t->dag->nclusters + 1);
	    t->cluster_fps->cap *= 2)
		;
	t->cluster_fps->keys = xcalloc(t->cluster_fps->cap,
	    sizeof *t->cluster_fps->keys);
	t->cluster_fps->values = xcalloc(t->cluster_fps->cap,
	    sizeof *t->cluster_fps->values);
	t->vhost_fps = xcalloc(t->dag->nvhosts + 1, sizeof *t->vhost_fps);
}

void
translate_cache_end(struct translation *t)
{
	struct translate_cache *c = t->cache;
	size_t cap = 64, live = 0;

	if (t->cluster_fps != NULL) {
		free(t->cluster_fps->keys);
		free(t->cluster_fps->values);
		free(t->cluster_fps);
		t->cluster_fps = NULL;
	}
	free(t->vhost_fps);
	t->vhost_fps = NULL;
	if (c == NULL)
		return;
	/* What this translation hashed is what the next one may trust, as
	 * long as this DAG stays alive (the DAG is not changed, only its
	 * owners are counted). */
	fp_memo_free(c->known);
	c->known = c->next;
	c->next = NULL;
	dag_free(c->held);
	c->held = dag_ref((struct dag *)t->dag);
	/* What this translation made in order is what the next one walks. */
	for (int i = 0; i < SEQ_COUNT; i++) {
		seq_clear(&c->seqs[i]);
		c->seqs[i] = c->next_seqs[i];
		memset(&c->next_seqs[i], 0, sizeof c->next_seqs[i]);
	}
	if (c->cap == 0)
		return;
	/* What this translation did not use is gone from the DAG. Resources
	 * found in order did not touch their slots: count them as used (a
	 * few may share a key, which only delays a sweep). */
	live = c->live + c->seq_hits;
	if (live > c->n)
		live = c->n;
	while (live * 2 >= cap)
		cap *= 2;
	/* A few unused entries (one file changed) are not worth building
	 * the table again: they stay until more accumulate. Their keys
	 * still hash their inputs, so one that is looked up again is still
	 * right. */
	if (c->cap >= cap && c->cap <= 2 * cap && (c->n - live) * 16 < c->n)
		return;
	/* Keep what the next translation may find in order. */
	for (int i = 0; i < SEQ_COUNT; i++) {
		for (size_t j = 0; j < c->seqs[i].n; j++) {
			struct cache_slot *sl = cache_slot(c, c->seqs[i].v[j].key);

			if (sl->key != 0 && sl->gen != c->gen) {
				sl->gen = c->gen;
				c->live++;
			}
		}
	}
	while (c->live * 2 >= cap)
		cap *= 2;
	cache_rehash(c, cap, true);
	log_debug("translate cache: %zu reused, %zu in order, %zu serialized, "
	    "%zu kept, %zu keys known", c->hits, c->seq_hits, c->misses, c->n,
	    c->known_hits);
}

struct xds_blob *
translation_cache_get(struct translation *t, uint64_t key, bool *flag)
{
	struct translate_cache *c = t->cache;
	struct cache_slot *s;

	if (c == NULL || key == 0 || c->cap == 0)
		return NULL;
	s = cache_slot(c, key);
	if (s->key == 0)
		return NULL;
	if (s->gen != c->gen) {
		s->gen = c->gen;
		c->live++;
	}
	if (c->verify)
		return NULL; /* build it anyway: translation_cache_put compares */
	c->hits++;
	if (flag != NULL)
		*flag = s->flag;
	return s->blob;
}

void
translation_cache_put(struct translation *t, uint64_t key, struct xds_blob *blob,
    bool flag)
{
	struct translate_cache *c = t->cache;
	struct cache_slot *s;

	if (c == NULL || key == 0)
		return;
	c->misses++;
	if ((c->n + 1) * 2 > c->cap)
		cache_rehash(c, c->cap ? c->cap * 2 : 64, false);
	s = cache_slot(c, key);
	if (s->key != 0) {
		/* Only in verify mode: the cached bytes must be what the
		 * translator makes now. */
		if (s->blob->len != blob->len || s->flag != flag ||
		    memcmp(s->blob->bytes, blob->bytes, blob->len) != 0) {
			fprintf(stderr, "cairn: translate cache: stale bytes for %s "
			    "(a DAG field the translator reads is missing from "
			    "the fingerprints in src/xds/translate_cache.c)\n",
			    blob->name);
			abort();
		}
		xds_blob_unref(s->blob);
	} else {
		c->n++;
	}
	if (s->key == 0 || s->gen != c->gen)
		c->live++;
	s->key = key;
	s->blob = xds_blob_ref(blob);
	s->gen = c->gen;
	s->flag = flag;
}

struct xds_blob *
translation_pack(struct translation *t, const char *name,
    const ProtobufCMessage *m)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	struct xds_blob *b = xds_blob_new(name, len);

	(void)t;
	xds_blob_seal(b, protobuf_c_message_pack(m, b->bytes));
	return b;
}

struct xds_blob *
translation_emit_keyed(struct translation *t, enum xds_type type,
    const char *name, const ProtobufCMessage *m, bool named_only, uint64_t key)
{
	struct xds_blob *b;

	if (t->cache == NULL) {
		translation_emit(t, type, name, m, named_only);
		return NULL;
	}
	b = translation_pack(t, name, m);
	translation_cache_put(t, key, b, false);
	snapshot_builder_add_blob(t->out, type, b, named_only);
	xds_blob_unref(b);
	return b;
}

/* How far past its cursor a loop looks for an object: a few objects
 * removed since last time are skipped over. */
#define SEQ_WINDOW 8

struct xds_blob *
translation_seq_get(struct translation *t, enum translation_seq s,
    const void *id, uint64_t *key, bool *flag)
{
	struct translate_cache *c = t->cache;
	const struct seq *q;
	size_t pos = t->seq_pos[s];

	if (c == NULL || id == NULL || c->verify)
		return NULL;
	q = &c->seqs[s];
	for (size_t k = pos; k < q->n && k < pos + SEQ_WINDOW; k++) {
		if (q->v[k].id != id)
			continue;
		t->seq_pos[s] = k + 1;
		c->seq_hits++;
		*key = q->v[k].key;
		if (flag != NULL)
			*flag = q->v[k].flag;
		return q->v[k].blob;
	}
	return NULL;
}

void
translation_seq_put(struct translation *t, enum translation_seq s,
    const void *id, uint64_t key, struct xds_blob *blob, bool flag)
{
	struct translate_cache *c = t->cache;
	struct seq_entry e = { .id = id, .key = key, .flag = flag };

	if (c == NULL || id == NULL || key == 0 || blob == NULL)
		return;
	e.blob = xds_blob_ref(blob);
	ARRAY_PUSH(c->next_seqs[s].v, c->next_seqs[s].n, c->next_seqs[s].cap, e);
}
