/* The translation memo (memo.h): serialized resources kept from one
 * translation to the next. A virtual host, a cluster or a
 * ClusterLoadAssignment whose DAG inputs hash the same as last time gets
 * the same bytes (and version) without building or packing a message:
 * after a one-file change in a tree of 10,000 proxies, only what that
 * file touched is serialized again.
 *
 * The key of a resource is a hash of its DAG object, walked by the field
 * tables of src/dag/fields.c (every member of every struct reached, so a
 * new field cannot be left out: tests/unit/fields_test.c checks the
 * tables against dag.h), and of the translate options.
 * CAIRN_TRANSLATE_VERIFY=1 in the environment translates every resource
 * anyway and aborts on any difference (tests).
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
#include "xds/memo.h"

#include "xds/translate_internal.h"

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
			fp_bytes(f, o + fd->offset, fd->size);
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

static uint64_t translation_key_combine(uint64_t h, uint64_t key);
static uint64_t known_key(const struct translation *t, const void *id);
static void known_put(const struct translation *t, const void *id, uint64_t key);
static void known_check(const struct translation *t, const void *id,
    uint64_t key);

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
static uint64_t
options_fingerprint(const struct translate_options *o)
{
	struct fp f;

	fp_begin(&f, "options", 0);
	fp_table(&f, NULL, &memo_options_fields, o);
	return fp_end(&f);
}

static uint64_t
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
			fp_table(&f, t, &dag_fields_vhost, vh);
			h = fp_end(&f);
			known_check(t, id, h);
		}
		known_put(t, id, h);
		if (i < t->dag->nvhosts && t->vhost_fps != NULL)
			t->vhost_fps[i] = h;
	}
	return proxyless ? translation_key_combine(h, 1) : h;
}

static uint64_t
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

static uint64_t
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

static uint64_t
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

static uint64_t
translation_key_combine(uint64_t h, uint64_t key)
{
	return hash_bytes_seeded(&key, sizeof key, h);
}

/* --- the cache ---------------------------------------------------------- */

struct cache_slot {
	uint64_t key; /* 0 = empty */
	struct xds_blob *blob; /* one reference */
	unsigned gen; /* the last translation that used it */
	bool flag; /* a side effect to replay (memo_blob) */
};

/* A loop's resources in the order it made them (translation_seq_take). */
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

/* ingress_http as last assembled (memo_http_finish): its bytes, its
 * hosts' keys (0: not cached, never matched) and the offset after each
 * host. */
struct http_layout {
	struct xds_blob *blob; /* one reference, or NULL */
	uint64_t *keys;
	size_t *ends;
	size_t n, head; /* head: the bytes before the first host */
	uint64_t rc_key; /* of all its hosts (0: some host not cached) */
	size_t kept; /* hosts copied by the last assembly (stats) */
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
	struct seq seqs[MEMO_COUNT], next_seqs[MEMO_COUNT];
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
	if (c->verify) {
		/* A table that does not match its struct leaves fields out of
		 * the keys. */
		char buf[256];
		const char *err = dag_fields_check(&memo_options_fields, buf,
		    sizeof buf);

		for (size_t i = 0; err == NULL && i < dag_nfield_tables; i++)
			err = dag_fields_check(dag_field_tables[i], buf, sizeof buf);
		if (err != NULL) {
			fprintf(stderr, "cairn: translate cache: %s\n", err);
			abort();
		}
	}
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
	for (int i = 0; i < MEMO_COUNT; i++) {
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

static struct http_layout *
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
		for (int i = 0; i < MEMO_COUNT; i++)
			seq_clear(&c->seqs[i]);
	}
	c->gen++;
	c->live = 0;
	c->hits = c->misses = c->known_hits = c->seq_hits = 0;
	c->http.kept = 0;
	memset(t->seq_pos, 0, sizeof t->seq_pos);
	for (int i = 0; i < MEMO_COUNT; i++) {
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
	for (int i = 0; i < MEMO_COUNT; i++) {
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
	for (int i = 0; i < MEMO_COUNT; i++) {
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

static struct xds_blob *
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

static void
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
			    "its table in src/dag/fields.c)\n",
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


/* How far past its cursor a loop looks for an object: a few objects
 * removed since last time are skipped over. */
#define SEQ_WINDOW 8

/* The blob the last translation made in order for id, with the last
 * sequence's reference handed to the caller (its entry is left empty:
 * the cursor never goes back), or NULL. Handing the reference on
 * instead of counting another and dropping the old one spares a write
 * to every reused blob on every build. */
static struct xds_blob *
translation_seq_take(struct translation *t, enum memo_kind s,
    const void *id, uint64_t *key, bool *flag)
{
	struct translate_cache *c = t->cache;
	struct seq *q;
	struct xds_blob *b;
	size_t pos = t->seq_pos[s];

	if (c == NULL || id == NULL || c->verify)
		return NULL;
	q = &c->seqs[s];
	for (size_t k = pos; k < q->n && k < pos + SEQ_WINDOW; k++) {
		if (q->v[k].id != id)
			continue;
		if ((b = q->v[k].blob) == NULL)
			return NULL;
		q->v[k].blob = NULL;
		t->seq_pos[s] = k + 1;
		c->seq_hits++;
		*key = q->v[k].key;
		if (flag != NULL)
			*flag = q->v[k].flag;
		return b;
	}
	return NULL;
}

/* Records blob for the next translation's walk: with a reference of its
 * own, or, when give is set, with the caller's. */
static void
translation_seq_put(struct translation *t, enum memo_kind s,
    const void *id, uint64_t key, struct xds_blob *blob, bool flag, bool give)
{
	struct translate_cache *c = t->cache;
	struct seq_entry e = { .id = id, .key = key, .flag = flag };

	if (c == NULL || id == NULL || key == 0 || blob == NULL) {
		if (give)
			xds_blob_unref(blob);
		return;
	}
	e.blob = give ? blob : xds_blob_ref(blob);
	ARRAY_PUSH(c->next_seqs[s].v, c->next_seqs[s].n, c->next_seqs[s].cap, e);
}

/* --- the memo: what the driver calls ------------------------------------ */

static const void *
memo_id(enum memo_kind k, const void *obj)
{
	/* A host is known by its routes array: the DAG part that made it. */
	if (k == MEMO_CLUSTER || k == MEMO_ENDPOINTS)
		return obj;
	return ((const struct dag_vhost *)obj)->routes;
}

/* Whether obj has a resource of kind k at all (asked when it was not
 * found in order). */
static bool
memo_wanted(enum memo_kind k, const void *obj)
{
	if (k == MEMO_API_LISTENER || k == MEMO_PROXYLESS_ROUTE)
		return translation_proxyless_host(obj);
	return true;
}

static uint64_t
memo_key(const struct translation *t, enum memo_kind k, const void *obj)
{
	switch (k) {
	case MEMO_CLUSTER:
		return translation_key_cluster(t, obj);
	case MEMO_ENDPOINTS:
		return translation_key_endpoints(t, obj);
	case MEMO_API_LISTENER:
		/* Made of the FQDN (and the options) alone. */
		return translation_key_name(t, "listener/api",
		    ((const struct dag_vhost *)obj)->fqdn);
	case MEMO_HTTP_VHOST:
		return translation_key_vhost(t, obj, false);
	case MEMO_PROXYLESS_ROUTE:
		return translation_key_vhost(t, obj, true);
	case MEMO_USES:
	case MEMO_COUNT:
		break;
	}
	return 0; /* remembered in order only */
}

struct xds_blob *
memo_blob(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, memo_make_blob_fn *make_blob, uint64_t *keyp)
{
	const void *id = memo_id(k, obj);
	struct arena_mark mark;
	struct xds_blob *b;
	const char *name = NULL;
	ProtobufCMessage *m;
	uint64_t key = 0;
	bool flag = false, saved, taken;

	if (!(taken = (b = translation_seq_take(t, k, id, &key, &flag)) != NULL)) {
		if (!memo_wanted(k, obj))
			return NULL;
		key = memo_key(t, k, obj);
		b = translation_cache_get(t, key, &flag);
	}
	if (keyp != NULL)
		*keyp = key;
	if (b != NULL) {
		/* Making it had a side effect: so has reusing it. */
		t->proxyless_no_cluster |= flag;
		translation_seq_put(t, k, id, key, b, flag, taken);
		return xds_blob_ref(b);
	}
	mark = arena_mark(&t->arena);
	saved = t->proxyless_no_cluster;
	t->proxyless_no_cluster = false;
	if (make_blob != NULL) {
		b = make_blob(t, obj);
	} else if ((m = make(t, obj, &name)) != NULL) {
		b = translation_pack(t, name, m);
	}
	flag = t->proxyless_no_cluster;
	t->proxyless_no_cluster |= saved;
	if (b != NULL) {
		if (make_blob == NULL)
			translation_cache_put(t, key, b, flag);
		/* What is not kept by key is found in order only: any key
		 * but 0 records it. */
		translation_seq_put(t, k, id, make_blob != NULL ? 1 : key, b,
		    flag, false);
	}
	arena_release(&t->arena, &mark);
	if (b == NULL && keyp != NULL)
		*keyp = 0;
	return b;
}

void
memo_emit(struct translation *t, enum memo_kind k, const void *obj,
    memo_make_fn *make, enum xds_type type, bool named_only)
{
	struct arena_mark mark;
	struct xds_blob *b;
	const char *name = NULL;
	ProtobufCMessage *m;

	if (t->cache != NULL) {
		if ((b = memo_blob(t, k, obj, make, NULL, NULL)) != NULL)
			snapshot_builder_give_blob(t->out, type, b, named_only);
		return;
	}
	if (!memo_wanted(k, obj))
		return;
	mark = arena_mark(&t->arena);
	if ((m = make(t, obj, &name)) != NULL)
		translation_emit(t, type, name, m, named_only);
	arena_release(&t->arena, &mark);
}

/* --- ingress_http ----------------------------------------------------------- */

struct memo_http {
	struct translation *t;
	struct xds_blob **frags;
	uint64_t *keys;
	size_t n;
	uint64_t rc_key; /* of all hosts so far */
	bool rc_cacheable; /* every host so far has a key */
};

struct memo_http *
memo_http_begin(struct translation *t, size_t nhosts)
{
	struct memo_http *h = xcalloc(1, sizeof *h);

	h->t = t;
	h->frags = xreallocarray(NULL, nhosts + 1, sizeof *h->frags);
	h->keys = xreallocarray(NULL, nhosts + 1, sizeof *h->keys);
	h->rc_key = translation_key_name(t, "route", TRANSLATE_HTTP_ROUTES);
	h->rc_cacheable = h->rc_key != 0;
	return h;
}

void
memo_http_host(struct memo_http *h, const void *vhost, memo_make_fn *make)
{
	uint64_t key;
	struct xds_blob *b = memo_blob(h->t, MEMO_HTTP_VHOST, vhost, make, NULL,
	    &key);

	if (b == NULL)
		return;
	h->rc_cacheable = h->rc_cacheable && key != 0;
	h->rc_key = translation_key_combine(h->rc_key, key);
	h->keys[h->n] = key;
	h->frags[h->n++] = b;
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
memo_http_finish(struct memo_http *h, const uint8_t *head, size_t len,
    uint32_t field)
{
	struct translation *t = h->t;
	struct http_layout *l = translation_http_layout(t);
	struct xds_blob *out;

	/* The same hosts as the last ingress_http: the same bytes. (Not
	 * in the cache's table: every change makes another big one,
	 * which the table would keep until it is swept.) */
	if (h->rc_cacheable && l != NULL && l->blob != NULL &&
	    l->rc_key == h->rc_key) {
		snapshot_builder_add_blob(t->out, XDS_ROUTE, l->blob, false);
		l->kept = h->n;
	} else {
		out = http_assemble(t, field, head, len, h->frags, h->keys, h->n);
		if (l != NULL)
			l->rc_key = h->rc_cacheable ? h->rc_key : 0;
		snapshot_builder_give_blob(t->out, XDS_ROUTE, out, false);
	}
	for (size_t i = 0; i < h->n; i++)
		xds_blob_unref(h->frags[i]);
	free(h->frags);
	free(h->keys);
	free(h);
}

uint64_t
memo_fingerprint(const struct dag_field_table *tab, const void *obj)
{
	struct fp f;

	fp_begin(&f, tab->name, 0);
	fp_table(&f, NULL, tab, obj);
	return fp_end(&f);
}
