/* Shared between the files of the translation memo only (memo.h is its
 * API): memo.c (what the driver calls), memo_key.c (fingerprints and
 * keys), memo_store.c (the table of kept resources, the in-order
 * sequences, the keys remembered by identity, the sweep and the stats),
 * memo_http.c (ingress_http spliced from its hosts' bytes). */
#ifndef CAIRN_XDS_MEMO_INTERNAL_H
#define CAIRN_XDS_MEMO_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "xds/memo.h"
#include "xds/translate_internal.h"

/* Cluster fingerprints of one translation, by address: every route
 * names clusters that translate_clusters already hashed. */
struct fp_memo {
	const void **keys;
	uint64_t *values;
	size_t n, cap;
};

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
	/* Where the snapshot builder put it (memo_emit), SEQ_NOWHERE if not
	 * emitted, less its chunk's delta (seq_entry_at): lets the next
	 * build copy the snapshot item. */
	uint32_t at;
};

#define SEQ_NOWHERE UINT32_MAX

/* Entries a loose chunk holds at most (seq_push). */
#define SEQ_CHUNK_CAP 128

/* A block of a sequence's entries. A chunk a run made (take_run) is
 * handed to the next sequence whole, by pointer, when the next run
 * finds it at its cursor with the same DAG array block: its entries are
 * then neither read nor written. Only the memo's two sequences of a
 * kind ever hold it, on the translating thread: no reference count. */
struct seq_chunk {
	/* The address of the DAG element (or pointer slot) of v[0] when a
	 * run of the default snapshot's translation read every entry's
	 * object at src + j * stride (or took the chunk whole there); NULL
	 * otherwise. That DAG is alive while the memo holds it (held), and
	 * a DAG is never written: the same address in the next DAG is the
	 * same block of an assembled DAG's shared chunk, the same objects. */
	const void *src;
	size_t stride;
	int64_t delta; /* added to each entry's at (moved whole) */
	uint32_t n, cap;
	bool flag; /* some entry's flag */
	/* Made by a run: every entry has a blob and, when emitted, its
	 * item follows the one before. Not appended to. */
	bool whole;
	/* Each entry's place is the first's plus its index (a run's
	 * emitted items; ingress_http's hosts placed by memo_http.c): the
	 * chunk is placed elsewhere by its delta alone. */
	bool contig;
	struct seq_entry v[];
};

struct seq {
	struct seq_chunk **c; /* NULL where a chunk was handed on */
	size_t *start; /* chunk i's first entry; nc + 1 of them */
	size_t nc, capc;
	size_t n; /* entries */
	/* Entries before it are handed on or released (the cursor of the
	 * translation reading it never goes back). */
	size_t done;
	size_t hint; /* the chunk of the last entry looked up */
};

/* memo_store.c: entry i (< q->n) of q, and its chunk (*ch, may be NULL
 * to not ask): O(1) reading forward. */
struct seq_entry *seq_at(struct seq *q, size_t i, struct seq_chunk **ch);

/* Where the snapshot builder put e (of chunk ch), or SIZE_MAX. */
static inline size_t
seq_entry_at(const struct seq_chunk *ch, const struct seq_entry *e)
{
	return e->at == SEQ_NOWHERE ? SIZE_MAX :
	    (size_t)((int64_t)e->at + ch->delta);
}

/* memo_store.c: e appended to q's last loose chunk (a new one when it
 * is full or made by a run). */
void seq_push(struct seq *q, const struct seq_entry *e);
/* memo_store.c: a new chunk of room for n entries (none yet) at q's
 * end, made by a run (whole); its entries are added by the caller, and
 * q->n and the chunk's start counted by seq_chunk_done. */
struct seq_chunk *seq_chunk_new(struct seq *q, size_t n);
void seq_chunk_done(struct seq *q);
/* memo_store.c: the chunk at index ci of from handed to to's end. */
void seq_chunk_move(struct seq *to, struct seq *from, size_t ci);

/* ingress_http as last assembled (memo_http_finish): its bytes, its
 * hosts' count and the chunks they were grouped in. Which of its hosts a
 * new assembly has again is told by the MEMO_HTTP_VHOST entries' places
 * (memo_http.c), not by a per-host record here. */
struct http_layout {
	struct xds_blob *blob; /* one reference, or NULL */
	size_t n;
	/* The place of its first host: the hosts of the assemblies before
	 * it in the same translation (a Gateway's other ports) come first. */
	size_t base;
	uint64_t rc_key; /* of its name (0: some host not cached) */
	size_t kept; /* hosts copied by the last assembly (stats) */
	struct http_chunk *chunks;
	size_t nchunks;
	size_t chunks_written, written; /* by the last assembly (stats) */
};

/* The port 80 cluster hashes of the MEMO_USES blobs the sequences hold,
 * each with how many blobs name it (memo_uses_shared): counted up when a
 * blob is put in a sequence, down when one is let go of without being
 * handed on, so the union is kept by the delta of a change. */
struct uses_slot {
	uint64_t h;
	uint32_t n;
	bool used; /* taken by h (n may be 0 again) */
};

struct uses_count {
	struct uses_slot *slots;
	size_t cap, used; /* cap: 0 or a power of two */
	size_t cookies; /* blobs that say MEMO_USES_COOKIES */
	/* Hashes whose count went from or to 0 since the last union. */
	uint64_t *touched;
	size_t ntouched, captouched;
	struct xds_blob *sorted; /* the union, ascending; one reference */
};
/* memo_http.c: frees what the layout holds. */
void memo_http_layout_free(struct http_layout *l);

struct translate_cache {
	struct cache_slot *slots;
	size_t n, cap; /* cap: 0 or a power of two */
	size_t live; /* slots used by the current translation */
	unsigned gen;
	uint64_t opts_fp;
	bool verify; /* CAIRN_TRANSLATE_VERIFY */
	/* The last translation kept nothing (the default snapshot of a tree
	 * whose every object is a Gateway's): the next is no first one to
	 * presize for (cache_presize). */
	bool stayed_empty;
	size_t presized; /* translations that did (translate_cache_stats) */
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
	size_t run_hits, runs; /* of seq_hits: taken as blocks (stats) */
	size_t chunk_hits, chunks; /* of run_hits: in whole chunks (stats) */
	struct snapshot *last; /* the last translation's (one reference) */
	struct http_layout http;
	/* The place the next ingress_http assembly's first host gets: the
	 * hosts assembled so far in this translation. */
	size_t http_next;
	/* The open keep (xds/snapshot.h): every reference the memo drops
	 * goes there, since a snapshot may lend the blob (memo_emit). Closed
	 * and a new one opened at each translation's start. */
	struct xds_keep *keep;
	struct uses_count uses;
	/* A Gateway's view as its last translation made it, in addresses
	 * of `held` (translate_gateway_view.c); NULL for the default
	 * snapshot's cache. */
	struct gw_view_memo *gw_view;
};

/* memo_store.c: lets go of one of the memo's references (retired into
 * its open keep: a snapshot may still lend the blob). */
void memo_release(struct translate_cache *c, struct xds_blob *b);

/* memo_key.c: an address-keyed table of fingerprints (the slot of key,
 * added when add is set; NULL when absent). */
uint64_t *fp_memo_slot(struct fp_memo *m, const void *key, bool add);
void fp_memo_free(struct fp_memo *m);

/* memo_key.c: keys of a translation's resources; 0 means not kept by key
 * (no cache, or inputs that are Secrets). */
uint64_t options_fingerprint(const struct translate_options *o);
uint64_t translation_key_vhost(const struct translation *t,
    const struct dag_vhost *vh, bool proxyless);
uint64_t translation_key_cluster(const struct translation *t,
    const struct dag_cluster *dc);
uint64_t translation_key_endpoints(const struct translation *t,
    const struct dag_endpoints *de);
uint64_t translation_key_name(const struct translation *t, const char *kind,
    const char *name);
uint64_t translation_key_combine(uint64_t h, uint64_t key);

/* memo_store.c: keys remembered by the address of an object of the last
 * DAG (known_key), recorded for the next translation (known_put),
 * compared in verify mode (known_check). */
uint64_t known_key(const struct translation *t, const void *id);
uint64_t known_next(const struct translation *t, const void *id);
void known_put(const struct translation *t, const void *id, uint64_t key);
void known_check(const struct translation *t, const void *id, uint64_t key);

/* memo_store.c: kept bytes by key (borrowed), and keeping them. */
struct xds_blob *translation_cache_get(struct translation *t, uint64_t key,
    bool *flag);
void translation_cache_put(struct translation *t, uint64_t key,
    struct xds_blob *blob, bool flag);
/* memo_store.c: the in-order sequence of loop s (its reference handed
 * to the caller), and adding to the next one (with a reference of its
 * own, or the caller's when give is set). */
struct xds_blob *translation_seq_take(struct translation *t, enum memo_kind s,
    const void *id, uint64_t *key, bool *flag, size_t *at);
void translation_seq_put(struct translation *t, enum memo_kind s,
    const void *id, uint64_t key, struct xds_blob *blob, bool flag, bool give);
/* memo_store.c: an object of loop s that has no resource (memo_wanted
 * said no), remembered in order with no blob: the next translation's
 * run (take_run) passes it at its cursor without reading it. */
void translation_seq_skip(struct translation *t, enum memo_kind s,
    const void *id);
/* memo_store.c: records where the snapshot builder put blob, the entry
 * the last translation_seq_put of loop s added (if it is blob's). */
void translation_seq_set_at(struct translation *t, enum memo_kind s,
    const struct xds_blob *blob, size_t at);
/* memo_store.c: the last ingress_http layout, NULL without a cache or in
 * verify mode. */
struct http_layout *translation_http_layout(struct translation *t);

#endif
