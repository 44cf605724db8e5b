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

static void
part_entry_clear(struct dag_part_entry *e)
{
	dag_free(e->dag);
	free(e->ids);
	memset(e, 0, sizeof *e);
}

static void
cache_clear(struct dag_cache *c)
{
	for (size_t i = 0; i < c->cap; i++)
		if (c->slots[i].hash != 0)
			part_entry_clear(&c->slots[i]);
	c->n = 0;
	if (c->gw_memo != NULL)
		gw_memo_clear(c->gw_memo);
}

static void
prev_parts_clear(struct dag_cache *c)
{
	c->prev_parts = NULL;
	c->prev_nparts = 0;
	c->prev_in_order = 0;
	dag_free(c->prev_dag);
	c->prev_dag = NULL;
	free(c->prev_at);
	c->prev_at = NULL;
}

void
dag_cache_free(struct dag_cache *c)
{
	if (c == NULL)
		return;
	prev_parts_clear(c);
	free(c->prev_ids);
	free(c->prev_group_of);
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
			part_entry_clear(e);
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
	e.dag = dag_ref(dag);
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

struct dag *
dag_build_units_owned(const struct dag_unit *units, size_t nunits,
    const struct dag_options *opts, const struct fqdn_ledger *owners,
    struct dag_cache *c)
{
	size_t *group_of = xreallocarray(NULL, nunits + 1, sizeof *group_of);
	size_t *next = xreallocarray(NULL, nunits + 1, sizeof *next);
	size_t *members = xreallocarray(NULL, nunits + 1, sizeof *members);
	uint64_t *ids = xreallocarray(NULL, nunits + 3, sizeof *ids);
	struct dag **parts = xreallocarray(NULL, nunits + 1, sizeof *parts);
	struct object **objs = NULL;
	size_t nparts = 0, objs_cap = 0, tls_group;
	struct dag_options defaults;
	uint64_t cfg_fp;
	int64_t now = (int64_t)time(NULL);
	struct dag *dag;
	size_t ncontested;
	const char **contested = fqdn_ledger_contested(owners, &ncontested);
	/* A cold build (nothing cached) of many groups builds them after
	 * this walk, on several threads (parts_parallel.c). */
	bool defer = c->threads > 1 && c->n == 0 &&
	    nunits >= PARTS_PARALLEL_MIN;
	struct parts_job *jobs = defer ?
	    xreallocarray(NULL, nunits + 1, sizeof *jobs) : NULL;
	size_t njobs = 0;

	if (opts == NULL) {
		dag_options_from_config(&defaults, NULL);
		opts = &defaults;
	}
	cfg_fp = dag_options_fingerprint(opts);
	if (cfg_fp != c->cfg_fp) {
		cache_clear(c);
		c->cfg_fp = cfg_fp;
	}
	memset(&c->stats, 0, sizeof c->stats);
	if (!parts_units_regroup_same(c, units, nunits, group_of, &tls_group)) {
		parts_units_group(c, units, nunits, group_of, &tls_group);
		parts_grouping_save(c, units, nunits, group_of, tls_group);
	}
	/* Members of each group in unit order: a list threaded through next,
	 * from the group's first unit (its root). */
	for (size_t u = 0; u < nunits; u++)
		next[u] = (size_t)-1;
	for (size_t u = nunits; u-- > 0;) {
		size_t r = group_of[u];

		/* The root is the group's smallest unit: inserting after it
		 * from the highest down leaves the list ascending. */
		if (r != u) {
			next[u] = next[r];
			next[r] = u;
		}
	}
	for (size_t r = 0; r < nunits; r++) {
		struct dag_part_entry *e;
		size_t n = 0;
		uint64_t h;

		if (group_of[r] != r)
			continue;
		for (size_t u = r; u != (size_t)-1; u = next[u]) {
			members[n] = u;
			ids[n++] = units[u].id;
		}
		/* A part is only valid for the order of the contested claims
		 * it saw (SPEC §6a): that order is part of its key. */
		ids[n] = parts_owners_fingerprint(c, units, members, n, owners,
		    contested, ncontested);
		n++;
		/* The TLS group's file-backed Secrets: their material too. */
		if (r == tls_group)
			ids[n++] = tls_material_hash(c->material);
		h = ids_hash(ids, n);
		c->stats.groups++;
		e = cache_find(c, h, ids, n);
		if (e != NULL && (e->dag->valid_until == 0 ||
		    now < e->dag->valid_until)) {
			e->used = true;
			parts[nparts++] = dag_ref(e->dag);
			c->stats.reused++;
			continue;
		}
		if (defer && e == NULL) {
			parts_job_add(&jobs[njobs++], nparts, members,
			    n - (r == tls_group ? 2 : 1), ids, n, h,
			    r == tls_group, ids[r == tls_group ? n - 2 : n - 1]);
			parts[nparts++] = NULL;
			c->stats.built++;
			continue;
		}
		parts[nparts] = parts_group_build(c, units, members,
		    n - (r == tls_group ? 2 : 1), opts, owners, &objs, &objs_cap,
		    &c->objs_units, &c->objs_units_cap, r == tls_group,
		    ids[r == tls_group ? n - 2 : n - 1]);
		if (e != NULL) { /* a certificate's expiry verdict changed */
			dag_free(e->dag);
			e->dag = dag_ref(parts[nparts]);
			e->used = true;
		} else
			cache_add(c, h, ids, n, parts[nparts]);
		nparts++;
		c->stats.built++;
	}
	if (njobs > 0) {
		c->stats.parallel = parts_jobs_build(c, units, jobs, njobs, opts,
		    owners, parts);
		for (size_t k = 0; k < njobs; k++) {
			cache_add(c, jobs[k].h, jobs[k].ids, jobs[k].nids,
			    parts[jobs[k].at]);
			parts_job_clear(&jobs[k]);
		}
	}
	free(jobs);
	cache_sweep(c, nparts);
	gw_memo_take_stats(c->gw_memo, &c->stats.gw_routes_resolved,
	    &c->stats.gw_routes_kept);
	gw_memo_sweep(c->gw_memo, parts_unit_live, c);
	free(contested);
	{
		/* changed[i]: parts before position i not the last build's
		 * part at i. */
		size_t *changed = xreallocarray(NULL, nparts + 1, sizeof *changed);
		struct part_at *at = xreallocarray(NULL, nparts + 1, sizeof *at);
		bool same = nparts == c->prev_nparts;
		unsigned known = same ? c->prev_in_order : 0;
		struct dag **old = c->prev_parts, *old_dag = c->prev_dag;
		size_t nold = c->prev_nparts;

		changed[0] = 0;
		for (size_t i = 0; i < nparts; i++)
			changed[i + 1] = changed[i] + (!same ||
			    parts[i] != c->prev_parts[i]);
		dag = dag_assemble(parts, nparts, changed, known,
		    &c->prev_in_order, c->prev_dag, c->prev_at, c->prev_nparts,
		    at, &c->stats.blocks);
		/* The statuses: the last build's patched with the changed
		 * parts' where that is safe, else merged from every part.
		 * old_dag (and the parts it holds) lives until then. */
		if (parts_statuses_patch(dag, old_dag, old, nold, parts, nparts))
			c->stats.statuses_patched = true;
		else {
			bool st_in_order;

			dag->nstatuses = parts_statuses_assemble(dag->statuses, parts,
			    nparts, (known & ASM_STATUSES) ? changed : NULL,
			    &st_in_order);
			if (st_in_order)
				c->prev_in_order |= ASM_STATUSES;
		}
		free(changed);
		/* The new DAG holds a reference on each of its parts: the
		 * cache's view of them borrows from it. */
		dag_free(old_dag);
		free(c->prev_at);
		c->prev_dag = dag_ref(dag);
		c->prev_at = at;
		c->prev_parts = dag->parts;
		c->prev_nparts = nparts;
	}
	dag->nparts_built = c->stats.built;
	free(objs);
	free(parts);
	free(ids);
	free(members);
	free(next);
	free(group_of);
	return dag;
}
