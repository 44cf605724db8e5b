/* Fingerprints and keys of the translation memo (memo.h): the key of a
 * resource is a hash of its DAG object, walked by the field tables of
 * src/dag/fields.c (every member of every struct reached, so a new field
 * cannot be left out: tests/unit/fields_test.c checks the tables against
 * dag.h), seeded with the hash of the translate options (their table,
 * memo_options_fields, is here). Keys already known by the object's
 * address (memo_store.c) are not hashed again. */
#include "xds/memo_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dag/fields.h"
#include "util/hash.h"
#include "util/log.h"
#include "util/xalloc.h"

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

static inline __attribute__((always_inline)) void
fp_bytes(struct fp *f, const void *p, size_t len)
{
	if (__builtin_expect(f->n + len > sizeof f->buf, 0)) {
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
	/* Most strings are short: the length and the bytes fit at once. */
	if (f->n + sizeof(uint64_t) + len <= sizeof f->buf) {
		uint64_t v = len;

		memcpy(f->buf + f->n, &v, sizeof v);
		memcpy(f->buf + f->n + sizeof v, s, len);
		f->n += sizeof v + len;
		return;
	}
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

static uint64_t cluster_fp(const struct translation *t,
    const struct dag_cluster *c);

static size_t
fp_count(const unsigned char *obj, const struct dag_field *fd)
{
	size_t n;

	memcpy(&n, obj + fd->count_offset, sizeof n);
	return n;
}

/* Every field of obj as tab lists it (src/dag/fields.h). Counts are
 * hashed with what they count, presence with pointers. */
static void
fp_table(struct fp *f, const struct translation *t,
    const struct dag_field_table *tab, const void *obj)
{
	const unsigned char *o = obj;

	for (size_t i = 0; i < tab->n; i++) {
		const struct dag_field *fd = &tab->fields[i];
		const void *p = NULL;
		size_t n;

		if (fd->kind != DAG_F_VALUE && fd->kind != DAG_F_COUNT &&
		    fd->kind != DAG_F_IGNORED)
			memcpy(&p, o + fd->offset, sizeof p);
		switch (fd->kind) {
		case DAG_F_VALUE:
			/* Values side by side in the struct are the same bytes
			 * in the same order taken at once. */
			n = fd->size;
			while (i + 1 < tab->n &&
			    tab->fields[i + 1].kind == DAG_F_VALUE &&
			    tab->fields[i + 1].offset == fd->offset + n)
				n += tab->fields[++i].size;
			fp_bytes(f, o + fd->offset, n);
			break;
		case DAG_F_STR:
			fp_str(f, p);
			break;
		case DAG_F_STRS:
			n = fp_count(o, fd);
			fp_u64(f, n);
			for (size_t k = 0; k < n; k++)
				fp_str(f, ((const char *const *)p)[k]);
			break;
		case DAG_F_VALUES:
			n = fp_count(o, fd);
			fp_u64(f, n);
			if (n > 0)
				fp_bytes(f, p, n * fd->elem_size);
			break;
		case DAG_F_PTR:
			fp_u64(f, p != NULL);
			if (p != NULL)
				fp_table(f, t, fd->sub, p);
			break;
		case DAG_F_ARRAY:
			n = fp_count(o, fd);
			fp_u64(f, n << 1 | (p != NULL));
			for (size_t k = 0; k < n; k++)
				fp_table(f, t, fd->sub,
				    (const unsigned char *)p + k * fd->sub->size);
			break;
		case DAG_F_CLUSTER:
			fp_u64(f, p != NULL ? cluster_fp(t, p) : 0);
			break;
		case DAG_F_NAMED:
			fp_str(f, p != NULL ? *(const char *const *)p : NULL);
			break;
		case DAG_F_COUNT:
		case DAG_F_IGNORED:
			break;
		}
	}
}

static uint64_t
ptr_hash(const void *p)
{
	uint64_t v = (uint64_t)(uintptr_t)p;

	v ^= v >> 33;
	v *= 0xff51afd7ed558ccdULL;
	v ^= v >> 33;
	return v;
}

uint64_t *
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

void
fp_memo_free(struct fp_memo *m)
{
	if (m == NULL)
		return;
	free(m->keys);
	free(m->values);
	free(m);
}

static uint64_t
cluster_fp(const struct translation *t, const struct dag_cluster *c)
{
	uint64_t *v = t != NULL && t->cluster_fps ?
	    fp_memo_slot(t->cluster_fps, c, false) : NULL;
	uint64_t h;
	struct fp f;

	if (v != NULL)
		return *v;
	if (t != NULL && (h = known_key(t, c)) != 0)
		return h;
	fp_begin(&f, "cluster", 0);
	fp_table(&f, t, &dag_fields_cluster, c);
	h = fp_end(&f);
	if (t != NULL)
		known_check(t, c, h);
	return h;
}

static const struct dag_field custom_tag_f[] = {
	F_STR(translate_custom_tag, tag),
	F_STR(translate_custom_tag, literal),
	F_STR(translate_custom_tag, request_header),
};
static DAG_FIELD_TABLE(custom_tag_table, translate_custom_tag, custom_tag_f);

static const struct dag_field options_f[] = {
	F_STR(translate_options, http_address),
	F_VALUE(translate_options, http_port),
	F_STR(translate_options, http_access_log),
	F_VALUE(translate_options, access_log_json),
	F_VALUE(translate_options, connect_timeout_ms),
	F_VALUE(translate_options, connection_idle_timeout_ms),
	F_VALUE(translate_options, stream_idle_timeout_ms),
	F_VALUE(translate_options, request_timeout_ms),
	F_VALUE(translate_options, max_connection_duration_ms),
	F_VALUE(translate_options, drain_timeout_ms),
	F_VALUE(translate_options, xff_num_trusted_hops),
	F_VALUE(translate_options, server_header),
	F_STR(translate_options, https_address),
	F_VALUE(translate_options, https_port),
	F_STR(translate_options, https_access_log),
	F_STRS(translate_options, cipher_suites, ncipher_suites),
	F_COUNT(translate_options, ncipher_suites),
	F_VALUE(translate_options, alpn_h2),
	F_VALUE(translate_options, alpn_http11),
	F_STR(translate_options, tls_minimum_version),
	F_STR(translate_options, tls_maximum_version),
	F_STR(translate_options, access_log_format_string),
	F_STRS(translate_options, json_fields, njson_fields),
	F_COUNT(translate_options, njson_fields),
	F_VALUE(translate_options, compression),
	F_VALUE(translate_options, merge_slashes),
	F_VALUE(translate_options, strip_trailing_host_dot),
	F_VALUE(translate_options, max_requests_per_connection),
	F_VALUE(translate_options, http2_max_concurrent_streams),
	F_VALUE(translate_options, per_connection_buffer_limit_bytes),
	F_VALUE(translate_options, socket_tos),
	F_VALUE(translate_options, socket_traffic_class),
	F_VALUE(translate_options, cluster_max_requests_per_connection),
	F_VALUE(translate_options, cluster_per_connection_buffer_limit_bytes),
	F_STR(translate_options, global_ext_auth_cluster),
	F_VALUE(translate_options, global_ext_auth_timeout_ms),
	F_VALUE(translate_options, global_ext_auth_max_request_bytes),
	F_VALUE(translate_options, global_ext_auth_fail_open),
	F_VALUE(translate_options, global_ext_auth_allow_partial),
	F_VALUE(translate_options, global_ext_auth_pack_as_bytes),
	F_STR(translate_options, rate_limit_cluster),
	F_STR(translate_options, rate_limit_domain),
	F_VALUE(translate_options, rate_limit_fail_open),
	F_VALUE(translate_options, rate_limit_x_headers),
	F_VALUE(translate_options, rate_limit_resource_exhausted),
	F_STR(translate_options, tracing_cluster),
	F_STR(translate_options, tracing_service_name),
	F_VALUE(translate_options, tracing_overall_sampling),
	F_VALUE(translate_options, tracing_max_path_tag_length),
	F_ARRAY(translate_options, tracing_custom_tags, ntracing_custom_tags,
	    custom_tag_table),
	F_COUNT(translate_options, ntracing_custom_tags),
};
DAG_FIELD_TABLE(memo_options_fields, translate_options, options_f);

/* Everything of the options, so that a reload with other options
 * serializes everything again. */
uint64_t
options_fingerprint(const struct translate_options *o)
{
	struct fp f;

	fp_begin(&f, "options", 0);
	fp_table(&f, NULL, &memo_options_fields, o);
	return fp_end(&f);
}

static int
vhost_fqdn_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dag_vhost *)elem)->fqdn);
}

/* Where vh is among dag's hosts, or nvhosts when it is not one of them
 * (a Gateway's). The hosts of an assembled DAG are in chunks: found by
 * FQDN, then by address. */
static size_t
vhost_index(const struct dag *dag, const struct dag_vhost *vh)
{
	size_t i;

	if (dag->vhosts != NULL) {
		uintptr_t p = (uintptr_t)vh, b = (uintptr_t)dag->vhosts;

		return p >= b && p < b + dag->nvhosts * sizeof *vh ?
		    (size_t)(vh - dag->vhosts) : dag->nvhosts;
	}
	if (dag->nvhosts == 0)
		return 0;
	i = dag_array_search(dag, DAG_ARRAY_VHOSTS, vh->fqdn, vhost_fqdn_cmp);
	return i < dag->nvhosts && dag_vhost_at(dag, i) == vh ? i : dag->nvhosts;
}

uint64_t
translation_key_vhost(const struct translation *t, const struct dag_vhost *vh,
    bool proxyless)
{
	/* A host is known by its routes (none: hashed every time). */
	const void *id = vh->nroutes > 0 ? (const void *)vh->routes : NULL;
	uint64_t *memo, h;
	struct fp f;

	if (t->cache == NULL || vh->tls != NULL)
		return 0;
	/* Both kinds of a host (Envoy's, proxyless) hash it once. */
	memo = t->vhost_fps != NULL ?
	    fp_memo_slot(t->vhost_fps, vh, false) : NULL;
	if (memo != NULL)
		return proxyless ? translation_key_combine(*memo, 1) : *memo;
	/* Hashed already by this translation: a host that is not in t->dag
	 * (a Gateway's, one key for its port's host and its proxyless
	 * targets). */
	if ((h = known_next(t, id)) != 0)
		return proxyless ? translation_key_combine(h, 1) : h;
	if ((h = known_key(t, id)) == 0) {
		fp_begin(&f, "vhost", t->opts_fp);
		fp_table(&f, t, &dag_fields_vhost, vh);
		h = fp_end(&f);
		known_check(t, id, h);
	}
	known_put(t, id, h);
	/* Only the DAG's own hosts by address: they live as long as the
	 * translation, where a Gateway's may be made and freed in it. */
	if (t->vhost_fps != NULL && vhost_index(t->dag, vh) < t->dag->nvhosts)
		*fp_memo_slot(t->vhost_fps, vh, true) = h;
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
		fp_table(&f, t, &dag_fields_endpoints, de);
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

uint64_t
memo_fingerprint(const struct dag_field_table *tab, const void *obj)
{
	struct fp f;

	fp_begin(&f, tab->name, 0);
	fp_table(&f, NULL, tab, obj);
	return fp_end(&f);
}
