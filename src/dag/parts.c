/* Incremental builds: the DAG of every object as the union of the DAGs of
 * independent groups of files, each kept while its files are unchanged
 * (dag.h explains the groups). A change to one file rebuilds the DAG of
 * its group and assembles the rest from the last build's parts, with the
 * result dag_build would give.
 *
 * Why the groups are independent: every lookup a processor makes is by
 * namespace and name (Services, Endpoints, EndpointSlices and duplicates
 * in the object's own namespace; includes and tcpproxy includes in the
 * namespace they name) or by FQDN (roots claiming a host, Ingress rules
 * merging into it), and object_keys (parts_keys.c) joins exactly those. Secrets are looked up across
 * namespaces through delegations: everything TLS shares one group. Each
 * array of the DAG is sorted by a total order, so the union of sorted
 * parts, sorted again, is what one build of everything gives. A processor
 * that learns a new kind of lookup must link it here; incremental_test
 * compares every golden input, changed file by file, with dag_build. */
#include "dag/parts_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "dag/owners.h"
#include "tls/tls.h"
#include "util/hash.h"
#include "util/xalloc.h"

struct dag_cache *
dag_cache_new(void)
{
	struct dag_cache *c = xcalloc(1, sizeof(struct dag_cache));
	const char *v = getenv("CAIRN_DAG_VERIFY");

	c->verify_keys = v != NULL && *v != '\0' && strcmp(v, "0") != 0;
	c->gw_memo = gw_memo_new();
	return c;
}

/* The cache's reference on a part it lets go: to the last assembled
 * DAG, which may have it (struct dag, retired). */
static void
part_retire(struct dag_cache *c, struct dag *part)
{
	struct dag *to = c->prev_dag;

	if (to == NULL) {
		dag_free(part);
		return;
	}
	if (to->nretired == to->retired_cap) {
		to->retired_cap = to->retired_cap ? 2 * to->retired_cap : 8;
		to->retired = xreallocarray(to->retired, to->retired_cap,
		    sizeof *to->retired);
	}
	to->retired[to->nretired++] = part;
}

static void
part_entry_clear(struct dag_cache *c, struct dag_part_entry *e)
{
	part_retire(c, e->dag);
	free(e->ids);
	memset(e, 0, sizeof *e);
}

static void
cache_clear(struct dag_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].hash != 0)
			part_entry_clear(c, &c->slots[i]);
	c->n = 0;
	if (c->gw_memo != NULL)
		gw_memo_clear(c->gw_memo);
}

static void
prev_parts_clear(struct dag_cache *c)
{
	c->prev_nparts = 0; /* prev_parts kept for the next build */
	c->prev_in_order = 0;
	dag_free(c->prev_dag);
	c->prev_dag = NULL;
	part_sums_free(&c->sums);
	c->prev_valid = false;
}

void
dag_cache_free(struct dag_cache *c)
{
	if (c == NULL)
		return;
	cache_clear(c); /* before the last assembled DAG is let go */
	prev_parts_clear(c);
	free(c->prev_ids);
	free(c->prev_group_of);
	free(c->prev_roots);
	free(c->prev_hashes);
	free(c->prev_next);
	free(c->chg_units);
	free(c->hint);
	free(c->contested);
	free(c->chg_pos);
	free(c->buf_group_of);
	free(c->buf_members);
	free(c->buf_ids);
	free(c->buf_parts);
	free(c->prev_parts);
	cache_clear(c);
	free(c->slots);
	parts_units_clear(c);
	free(c->units);
	gw_memo_free(c->gw_memo);
	free(c->objs_units);
	free(c);
}

struct dag_cache_stats
dag_cache_stats(const struct dag_cache *c)
{
	return c->stats;
}

void
dag_cache_set_material(struct dag_cache *c, const struct tls_material *material)
{
	c->material = material;
}

/* --- the parts ----------------------------------------------------------- */

static uint64_t
ids_hash(const uint64_t *ids, size_t n)
{
	uint64_t h = hash_bytes(ids, n * sizeof ids[0]);

	return h ? h : 1;
}

static struct dag_part_entry *
cache_find(struct dag_cache *c, uint64_t h, const uint64_t *ids, size_t n)
{
	if (c->cap == 0)
		return NULL;
	for (size_t j = h & (c->cap - 1); c->slots[j].hash != 0;
	    j = (j + 1) & (c->cap - 1)) {
		struct dag_part_entry *e = &c->slots[j];

		if (e->hash == h && e->nids == n &&
		    memcmp(e->ids, ids, n * sizeof ids[0]) == 0)
			return e;
	}
	return NULL;
}

static void
cache_insert(struct dag_part_entry *slots, size_t cap,
    const struct dag_part_entry *e)
{
	size_t j;

	for (j = e->hash & (cap - 1); slots[j].hash != 0; j = (j + 1) & (cap - 1))
		;
	slots[j] = *e;
}

/* Keep the parts this build used, drop the others. */
static void
cache_sweep(struct dag_cache *c, size_t want)
{
	size_t cap = 64;
	struct dag_part_entry *slots;

	while (cap < 2 * want + 2)
		cap *= 2;
	slots = xcalloc(cap, sizeof *slots);
	c->n = 0;
	for (size_t i = 0; i < c->cap; i++) {
		struct dag_part_entry *e = &c->slots[i];

		if (e->hash == 0)
			continue;
		if (!e->used) {
			part_entry_clear(c, e);
			continue;
		}
		e->used = false;
		cache_insert(slots, cap, e);
		c->n++;
	}
	free(c->slots);
	c->slots = slots;
	c->cap = cap;
}

static void
cache_add(struct dag_cache *c, uint64_t h, const uint64_t *ids, size_t n,
    struct dag *dag)
{
	struct dag_part_entry e = { .hash = h, .nids = n, .used = true };

	if ((c->n + 1) * 2 > c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		struct dag_part_entry *slots = xcalloc(cap, sizeof *slots);

		for (size_t i = 0; i < c->cap; i++)
			if (c->slots[i].hash != 0)
				cache_insert(slots, cap, &c->slots[i]);
		free(c->slots);
		c->slots = slots;
		c->cap = cap;
	}
	e.ids = xmemdup(ids, n * sizeof ids[0]);
	e.dag = dag; /* the build's reference, now the cache's */
	cache_insert(c->slots, c->cap, &e);
	c->n++;
}

/* --- the build ------------------------------------------------------------- */

/* The DAG of one group (members: unit indexes in order). HTTPRoutes go
 * through the memo but in the TLS group (tls: certificates and
 * BackendTLSPolicies are read there); context: what else the group's
 * key holds (its claims). */
struct dag *
parts_group_build(struct dag_cache *c, const struct dag_unit *units,
    const size_t *members, size_t n, const struct dag_options *opts,
    const struct fqdn_ledger *owners, struct object ***objs, size_t *objs_cap,
    uint64_t **objs_units, size_t *objs_units_cap, bool tls, uint64_t context)
{
	size_t nobjs = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dag_unit *u = &units[members[i]];

		if (u->nobjs == 0)
			continue;
		if (nobjs + u->nobjs > *objs_cap) {
			*objs_cap = 2 * (nobjs + u->nobjs);
			*objs = xreallocarray(*objs, *objs_cap, sizeof **objs);
		}
		if (nobjs + u->nobjs > *objs_units_cap) {
			*objs_units_cap = 2 * (nobjs + u->nobjs);
			*objs_units = xreallocarray(*objs_units,
			    *objs_units_cap, sizeof **objs_units);
		}
		memcpy(*objs + nobjs, u->objs, u->nobjs * sizeof u->objs[0]);
		for (size_t k = 0; k < u->nobjs; k++)
			(*objs_units)[nobjs + k] = u->id;
		nobjs += u->nobjs;
	}
	if (c->verify_keys) {
		char buf[512];
		const char *err = dag_verify_object_keys(*objs, nobjs, opts,
		    OBJ_KIND_COUNT, buf, sizeof buf);

		if (err != NULL) {
			fprintf(stderr, "cairn: dag: %s\n", err);
			abort();
		}
	}
	return dag_build_memo(*objs, nobjs, opts, owners, c->material,
	    *objs_units, tls ? NULL : c->gw_memo, context);
}

struct dag *
dag_build_units(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, struct dag_cache *c)
{
	return dag_build_units_owned(units, nunits, opts, NULL, c);
}

/* Open addressing without tombstones: the entries after slot j in its
 * probe run that may live at j move back. */
static void
cache_delete_at(struct dag_cache *c, size_t j)
{
	size_t mask = c->cap - 1, i = j;

	part_entry_clear(c, &c->slots[j]);
	for (size_t k = (j + 1) & mask; c->slots[k].hash != 0;
	    k = (k + 1) & mask) {
		size_t home = c->slots[k].hash & mask;

		/* k's entry stays when its home lies cyclically in (i, k]. */
		if (i <= k ? (home > i && home <= k) : (home > i || home <= k))
			continue;
		c->slots[i] = c->slots[k];
		memset(&c->slots[k], 0, sizeof c->slots[k]);
		i = k;
	}
	c->n--;
}

/* Drop the cache's entry for part (of key hash h), if it has one. */
static void
cache_drop_part(struct dag_cache *c, uint64_t h, const struct dag *part)
{
	if (c->cap == 0)
		return;
	for (size_t j = h & (c->cap - 1); c->slots[j].hash != 0;
	    j = (j + 1) & (c->cap - 1))
		if (c->slots[j].hash == h && c->slots[j].dag == part) {
			cache_delete_at(c, j);
			return;
		}
}

/* The arrays of a build of n units, kept from one build to the next. */
static void
build_buffers(struct dag_cache *c, size_t n)
{
	if (n + 3 <= c->buf_cap)
		return;
	c->buf_cap = n + n / 4 + 3;
	c->buf_group_of = xreallocarray(c->buf_group_of, c->buf_cap,
	    sizeof *c->buf_group_of);
	c->buf_members = xreallocarray(c->buf_members, c->buf_cap,
	    sizeof *c->buf_members);
	c->buf_ids = xreallocarray(c->buf_ids, c->buf_cap, sizeof *c->buf_ids);
	c->buf_parts = xreallocarray(c->buf_parts, c->buf_cap,
	    sizeof *c->buf_parts);
}

/* A DAG's counts of statuses by kind of status, from its statuses, and
 * of its hosts with TLS (a part's hosts are a flat array). */
static void
status_counts_set(struct dag *d)
{
	memset(d->status_counts, 0, sizeof d->status_counts);
	struct dag_status_iter it;
	const struct dag_object_status *st;

	dag_status_iter_init(&it, d);
	while ((st = dag_status_next(&it)) != NULL)
		if ((unsigned)st->status < 3)
			d->status_counts[st->status]++;
	d->status_counts_known = true;
	d->tls_hosts = 0;
	for (size_t i = 0; i < d->nvhosts; i++)
		d->tls_hosts += d->vhosts[i].tls != NULL;
	d->tls_hosts_known = true;
}

/* A count each part may know (struct part_count: where its count and
 * whether it is known are in a struct dag), for the assembled DAG as
 * status_counts_assemble does the statuses': the last one's moved by
 * the changed parts', else the sum of every part's; not known when a
 * part's it needs is not. */
struct part_count {
	size_t known_at, count_at;
};

static const struct part_count tls_hosts_count = {
	offsetof(struct dag, tls_hosts_known), offsetof(struct dag, tls_hosts)
};
static const struct part_count plain_count = {
	offsetof(struct dag, plain_known), offsetof(struct dag, plain)
};

static bool
count_known(const struct dag *d, const struct part_count *pc)
{
	return *(const bool *)((const char *)d + pc->known_at);
}

static size_t
count_value(const struct dag *d, const struct part_count *pc)
{
	return *(const size_t *)((const char *)d + pc->count_at);
}

static void
count_set(struct dag *d, const struct part_count *pc, bool known,
    size_t count)
{
	*(bool *)((char *)d + pc->known_at) = known;
	*(size_t *)((char *)d + pc->count_at) = count;
}

static void
count_assemble(struct dag *dag, struct dag **parts, const struct dag *prev,
    struct dag **old, const struct part_changes *chg,
    const struct part_count *pc)
{
	size_t n = dag->nparts, count = 0;

	count_set(dag, pc, false, 0);
	if (prev != NULL && count_known(prev, pc) && chg != NULL) {
		count = count_value(prev, pc);
		for (size_t c = 0; c < chg->n; c++) {
			size_t i = chg->pos[c];

			if (!count_known(parts[i], pc) ||
			    !count_known(old[i], pc))
				return;
			count += count_value(parts[i], pc);
			count -= count_value(old[i], pc);
		}
	} else {
		for (size_t i = 0; i < n; i++) {
			if (!count_known(parts[i], pc))
				return;
			count += count_value(parts[i], pc);
		}
	}
	count_set(dag, pc, true, count);
}

/* The assembled DAG's counts: the last one's, minus the parts no longer
 * at their place and plus those now there, when both have as many parts
 * (chg, as in dag_build_units_owned); else the sum of every part's. */
static void
status_counts_assemble(struct dag *dag, struct dag **parts,
    const struct dag *prev, struct dag **old, const struct part_changes *chg)
{
	size_t n = dag->nparts;

	dag->status_counts_known = false;
	if (prev != NULL && prev->status_counts_known && chg != NULL) {
		memcpy(dag->status_counts, prev->status_counts,
		    sizeof dag->status_counts);
		for (size_t c = 0; c < chg->n; c++) {
			size_t i = chg->pos[c];

			if (!parts[i]->status_counts_known ||
			    !old[i]->status_counts_known)
				return;
			for (int k = 0; k < 3; k++)
				dag->status_counts[k] += parts[i]->status_counts[k] -
				    old[i]->status_counts[k];
		}
	} else {
		memset(dag->status_counts, 0, sizeof dag->status_counts);
		for (size_t i = 0; i < n; i++) {
			if (!parts[i]->status_counts_known)
				return;
			for (int k = 0; k < 3; k++)
				dag->status_counts[k] += parts[i]->status_counts[k];
		}
	}
	dag->status_counts_known = true;
}

static void
expiry_note(struct dag_cache *c, const struct dag *part)
{
	if (part->valid_until != 0 && (c->next_expiry == 0 ||
	    part->valid_until < c->next_expiry))
		c->next_expiry = part->valid_until;
}

/* The part of the group whose root is r (members threaded through
 * next): the cache's, or built and added. *h gets its key's hash. With
 * defer (a cold build's pool of threads), a group the cache lacks is
 * recorded there, to be built at position at, and NULL returned. */
static struct dag *
group_part(struct dag_cache *c, const struct dag_unit *units,
    const size_t *next, size_t r, size_t tls_group,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    const char **contested, size_t ncontested, int64_t now,
    struct object ***objs, size_t *objs_cap, bool mark_used, uint64_t *hout,
    struct parts_job *defer, size_t at)
{
	size_t *members = c->buf_members;
	uint64_t *ids = c->buf_ids, h;
	struct dag_part_entry *e;
	struct dag *part;
	size_t n = 0;

	for (size_t u = r; u != (size_t)-1; u = next[u]) {
		members[n] = u;
		ids[n++] = units[u].id;
	}
	/* A part is only valid for the order of the contested claims it saw
	 * (SPEC §6a): that order is part of its key. */
	ids[n] = parts_owners_fingerprint(c, units, members, n, owners,
	    contested, ncontested);
	n++;
	/* The TLS group's file-backed Secrets: their material too. */
	if (r == tls_group)
		ids[n++] = tls_material_hash(c->material);
	h = ids_hash(ids, n);
	*hout = h;
	c->stats.groups++;
	e = cache_find(c, h, ids, n);
	if (e != NULL && (e->dag->valid_until == 0 ||
	    now < e->dag->valid_until)) {
		e->used = mark_used;
		c->stats.reused++;
		expiry_note(c, e->dag);
		return e->dag;
	}
	if (defer != NULL && e == NULL) {
		/* Built after the walk, on the pool (parts_jobs_build), and
		 * finished there by group_part_deferred. */
		parts_job_add(defer, at, members, n - (r == tls_group ? 2 : 1),
		    ids, n, h, r == tls_group,
		    ids[r == tls_group ? n - 2 : n - 1]);
		c->stats.built++;
		return NULL;
	}
	part = parts_group_build(c, units, members,
	    n - (r == tls_group ? 2 : 1), opts, owners, objs, objs_cap,
	    &c->objs_units, &c->objs_units_cap, r == tls_group,
	    ids[r == tls_group ? n - 2 : n - 1]);
	status_counts_set(part);
	if (e != NULL) { /* a certificate's expiry verdict changed */
		part_retire(c, e->dag);
		e->dag = part;
		e->used = mark_used;
	} else {
		cache_add(c, h, ids, n, part);
		if (!mark_used)
			cache_find(c, h, ids, n)->used = false;
	}
	c->stats.built++;
	expiry_note(c, part);
	return part;
}

/* A part group_part deferred, once the pool built it: cached and noted
 * as group_part does with what it builds itself. */
static void
group_part_deferred(struct dag_cache *c, struct parts_job *j,
    struct dag *part)
{
	status_counts_set(part);
	cache_add(c, j->h, j->ids, j->nids, part);
	expiry_note(c, part);
	parts_job_clear(j);
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The position of the last build's group rooted at r, or nparts. */
static size_t
root_position(const struct dag_cache *c, size_t r)
{
	size_t lo = 0, hi = c->prev_nparts;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->prev_roots[mid] < r)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < c->prev_nparts && c->prev_roots[lo] == r ? lo :
	    c->prev_nparts;
}

static void
chg_pos_reserve(struct dag_cache *c, size_t n)
{
	if (c->chg_pos_cap >= n)
		return;
	c->chg_pos_cap = n + n / 4 + 16;
	free(c->chg_pos);
	c->chg_pos = xreallocarray(NULL, c->chg_pos_cap, sizeof *c->chg_pos);
}

/* This build's parts (nparts of them) as the next one's prev_parts:
 * with as many parts as the last build, only the places chg names
 * (every place whose part changed) are written; otherwise all. */
static void
prev_parts_save(struct dag_cache *c, struct dag **parts, size_t nparts,
    const struct part_changes *chg)
{
	if (chg != NULL && c->prev_nparts == nparts) {
		for (size_t k = 0; k < chg->n; k++)
			c->prev_parts[chg->pos[k]] = parts[chg->pos[k]];
		return;
	}
	if (c->prev_parts_cap < nparts + 1) {
		c->prev_parts_cap = nparts + nparts / 4 + 1;
		free(c->prev_parts);
		c->prev_parts = xreallocarray(NULL, c->prev_parts_cap,
		    sizeof *c->prev_parts);
	}
	memcpy(c->prev_parts, parts, nparts * sizeof *parts);
	c->prev_nparts = nparts;
}

/* c->chg_pos: the positions whose part is not the last build's part at
 * the same place (as many parts in both), by a walk over them all. */
static void
changes_scan(struct dag_cache *c, struct dag **parts, size_t nparts)
{
	chg_pos_reserve(c, nparts + 1);
	c->nchg_pos = 0;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i] != c->prev_parts[i])
			c->chg_pos[c->nchg_pos++] = i;
}

/* The parts of a build with the last build's grouping, where only the
 * groups of the changed units (and the TLS group, whose key holds the
 * certificate material) are looked at: every other part is the last
 * build's at the same position. The parts replaced leave the cache here
 * (no sweep); c->chg_pos gets the positions whose part changed. False
 * when the positions cannot be found (the caller then looks at every
 * group). */
static bool
parts_build_changed(struct dag_cache *c, const struct dag_unit *units,
    const size_t *group_of, size_t tls_group,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    int64_t now, struct dag **parts, size_t *nparts_out)
{
	size_t nparts = c->prev_nparts, nchg = 0, *pos;
	struct dag **old = xreallocarray(NULL, c->nchg_units + 2, sizeof *old);
	uint64_t *hold = xreallocarray(NULL, c->nchg_units + 2, sizeof *hold);
	struct object **objs = NULL;
	size_t objs_cap = 0;

	chg_pos_reserve(c, c->nchg_units + 2);
	pos = c->chg_pos;
	for (size_t k = 0; k < c->nchg_units; k++)
		pos[nchg++] = root_position(c, group_of[c->chg_units[k]]);
	if (tls_group != (size_t)-1)
		pos[nchg++] = root_position(c, tls_group);
	qsort(pos, nchg, sizeof *pos, size_cmp);
	for (size_t k = 0; k < nchg; k++)
		if (pos[k] >= nparts) {
			free(old);
			free(hold);
			return false;
		}
	/* parts (the cache's buffer) still holds the last build's parts:
	 * only the changed places are written. */
	if (c->verify_keys &&
	    memcmp(parts, c->prev_parts, nparts * sizeof *parts) != 0) {
		fprintf(stderr, "cairn: dag: the parts buffer is not the last "
		    "build's parts\n");
		abort();
	}
	c->stats.groups = nparts;
	c->stats.reused = nparts;
	{
		size_t w = 0;

		for (size_t k = 0; k < nchg; k++)
			if (w == 0 || pos[w - 1] != pos[k])
				pos[w++] = pos[k];
		nchg = w;
	}
	for (size_t k = 0; k < nchg; k++) {
		size_t i = pos[k];

		old[k] = parts[i];
		hold[k] = c->prev_hashes[i];
		c->stats.groups--;
		c->stats.reused--;
		parts[i] = group_part(c, units, c->prev_next,
		    c->prev_roots[i], tls_group, opts, owners, NULL, 0, now,
		    &objs, &objs_cap, false, &c->prev_hashes[i], NULL, 0);
	}
	/* The entries of the parts replaced, unless a new part is one. */
	for (size_t k = 0; k < nchg; k++) {
		bool again = false;

		for (size_t m = 0; m < nchg && !again; m++)
			again = parts[pos[m]] == old[k];
		if (!again)
			cache_drop_part(c, hold[k], old[k]);
	}
	/* Only the places whose part is another (a group built again may
	 * be the cached part it was). */
	c->nchg_pos = 0;
	for (size_t k = 0; k < nchg; k++)
		if (parts[pos[k]] != old[k])
			pos[c->nchg_pos++] = pos[k];
	free(hold);
	free(objs);
	free(old);
	*nparts_out = nparts;
	return true;
}

struct dag *
dag_build_units_owned(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    struct dag_cache *c)
{
	const size_t *group_of;
	size_t *next;
	struct dag **parts;
	struct object **objs = NULL;
	size_t nparts = 0, objs_cap = 0, tls_group;
	struct dag_options defaults;
	uint64_t cfg_fp;
	int64_t now = (int64_t)time(NULL);
	struct dag *dag;
	size_t ncontested;
	const char **contested;
	bool kept, fast = false;
	/* A cold build (nothing cached) of many groups builds them after
	 * its walk, on several threads (parts_parallel.c). */
	bool defer = c->threads > 1 && c->n == 0 &&
	    nunits >= PARTS_PARALLEL_MIN;
	struct parts_job *jobs = NULL;
	size_t njobs = 0;

	/* The ledger's contested FQDNs: kept while it is the same. */
	if (owners == NULL || owners->gen == 0 ||
	    owners->gen != c->contested_gen) {
		free(c->contested);
		c->contested = fqdn_ledger_contested(owners, &c->ncontested);
		c->contested_gen = owners != NULL ? owners->gen : 0;
	}
	contested = c->contested;
	ncontested = c->ncontested;
	build_buffers(c, nunits);
	parts = c->buf_parts;
	if (opts == NULL) {
		dag_options_from_config(&defaults, NULL);
		opts = &defaults;
	}
	cfg_fp = dag_options_fingerprint(opts);
	if (cfg_fp != c->cfg_fp) {
		cache_clear(c);
		c->cfg_fp = cfg_fp;
		c->prev_valid = false;
	}
	memset(&c->stats, 0, sizeof c->stats);
	kept = parts_units_regroup_same(c, units, nunits, &group_of, &tls_group);
	c->hint_valid = false; /* the caller's hint was for this build */
	if (!kept) {
		parts_units_group(c, units, nunits, c->buf_group_of, &tls_group);
		parts_grouping_save(c, units, nunits, c->buf_group_of,
		    tls_group);
		group_of = c->buf_group_of;
	}
	/* Few changed units, the grouping kept, no contested claim now or
	 * last time and no certificate verdict due: only their groups. */
	if (kept && c->prev_valid && ncontested == 0 && !c->prev_contested &&
	    (c->next_expiry == 0 || now < c->next_expiry) &&
	    c->prev_dag != NULL && c->prev_nparts > 0 &&
	    c->nchg_units * 8 <= nunits)
		fast = parts_build_changed(c, units, group_of, tls_group,
		    opts, owners, now, parts, &nparts);
	if (!fast) {
		size_t *roots, *next_keep;
		uint64_t *hashes;

		next = xreallocarray(NULL, nunits + 1, sizeof *next);
		roots = xreallocarray(NULL, nunits + 1, sizeof *roots);
		hashes = xreallocarray(NULL, nunits + 1, sizeof *hashes);
		if (defer)
			jobs = xreallocarray(NULL, nunits + 1, sizeof *jobs);
		c->next_expiry = 0;
		/* Members of each group in unit order: a list threaded
		 * through next, from the group's first unit (its root). */
		for (size_t u = 0; u < nunits; u++)
			next[u] = (size_t)-1;
		for (size_t u = nunits; u-- > 0;) {
			size_t r = group_of[u];

			/* The root is the group's smallest unit: inserting
			 * after it from the highest down leaves the list
			 * ascending. */
			if (r != u) {
				next[u] = next[r];
				next[r] = u;
			}
		}
		for (size_t r = 0; r < nunits; r++) {
			if (group_of[r] != r)
				continue;
			roots[nparts] = r;
			parts[nparts] = group_part(c, units, next, r,
			    tls_group, opts, owners, contested, ncontested, now,
			    &objs, &objs_cap, true, &hashes[nparts],
			    jobs != NULL ? &jobs[njobs] : NULL, nparts);
			if (parts[nparts] == NULL)
				njobs++;
			nparts++;
		}
		if (njobs > 0) {
			c->stats.parallel = parts_jobs_build(c, units, jobs,
			    njobs, opts, owners, parts);
			for (size_t k = 0; k < njobs; k++)
				group_part_deferred(c, &jobs[k],
				    parts[jobs[k].at]);
		}
		free(jobs);
		cache_sweep(c, nparts);
		next_keep = c->prev_next;
		c->prev_next = next;
		free(next_keep);
		free(c->prev_roots);
		c->prev_roots = roots;
		free(c->prev_hashes);
		c->prev_hashes = hashes;
		c->prev_valid = true;
		c->prev_contested = ncontested > 0;
	}
	c->stats.fast = fast;
	gw_memo_take_stats(c->gw_memo, &c->stats.gw_routes_resolved,
	    &c->stats.gw_routes_kept);
	c->stats.gw_order_compared = gw_memo_take_order_compared(c->gw_memo);
	c->stats.gw_contexts_reused = gw_memo_take_contexts_reused(c->gw_memo);
	c->stats.gw_routes_patched = gw_memo_take_patched(c->gw_memo);
	gw_memo_sweep(c->gw_memo, parts_unit_live, c);
	{
		/* changed[i]: parts before position i not the last build's
		 * part at i. */
		bool same = nparts == c->prev_nparts;
		unsigned known = same ? c->prev_in_order : 0;
		struct dag **old = c->prev_parts, *old_dag = c->prev_dag;
		size_t nold = c->prev_nparts;
		struct part_changes chg;

		/* The places whose part changed: parts_build_changed found
		 * them, else a walk over the parts does. */
		if (same && !fast)
			changes_scan(c, parts, nparts);
		chg = (struct part_changes){ c->chg_pos, same ? c->nchg_pos : 0 };
		dag = dag_assemble(parts, nparts, same ? &chg : NULL, known,
		    &c->prev_in_order, c->prev_dag, &c->sums, &c->stats.blocks);
		/* The statuses: the last build's patched with the changed
		 * parts' where that is safe, else merged from every part.
		 * old_dag (and the parts it holds) lives until then. */
		if (parts_statuses_patch(dag, old_dag, old, nold, parts, nparts,
		    same ? &chg : NULL, &c->stats.status_chunks_made))
			c->stats.statuses_patched = true;
		else {
			bool st_in_order;
			struct dag_object_status *flat = xreallocarray(NULL,
			    dag->nstatuses + 1, sizeof *flat);

			dag->nstatuses = parts_statuses_assemble(flat, parts,
			    nparts, (known & ASM_STATUSES) ? &chg : NULL,
			    &st_in_order);
			if (st_in_order)
				c->prev_in_order |= ASM_STATUSES;
			dag_status_chunks_set(dag, flat, dag->nstatuses);
			free(flat);
			c->stats.status_chunks_made = dag->nstatus_chunks;
		}
		c->stats.status_chunks = dag->nstatus_chunks;
		status_counts_assemble(dag, parts, old_dag, old,
		    same ? &chg : NULL);
		count_assemble(dag, parts, old_dag, old, same ? &chg : NULL,
		    &tls_hosts_count);
		count_assemble(dag, parts, old_dag, old, same ? &chg : NULL,
		    &plain_count);
		/* The parts the cache lets go from now on are retired to
		 * this DAG, which the last one holds (struct dag, newer). */
		if (old_dag != NULL)
			old_dag->newer = dag_ref(dag);
		dag_free(old_dag);
		c->prev_dag = dag_ref(dag);
		prev_parts_save(c, parts, nparts, same ? &chg : NULL);
	}
	dag->nparts_built = c->stats.built;
	c->stats.cached = c->n;
	free(objs);
	return dag;
}
