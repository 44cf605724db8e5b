#include "ads/warming.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/log.h"
#include "util/xalloc.h"

int64_t
ads_clock_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
ads_warming_now(const struct ads_warming *w)
{
	return w->clock != NULL ? w->clock() : ads_clock_monotonic_ms();
}

static void
entry_free(struct ads_warming_entry *e)
{
	free(e->cluster);
	free(e->endpoints);
}

void
ads_warming_free(struct ads_warming *w)
{
	for (size_t i = 0; i < w->n; i++)
		entry_free(&w->v[i]);
	free(w->v);
	free(w->clusters);
	free(w->endpoints);
	w->v = NULL;
	w->clusters = w->endpoints = NULL;
	w->n = w->cap = 0;
	w->held = false;
}

static void
set_add(uint64_t *set, size_t mask, uint64_t key)
{
	size_t k;

	key |= key == 0; /* 0 marks an empty slot */
	for (k = (size_t)key & mask; set[k] != 0; k = (k + 1) & mask)
		if (set[k] == key)
			return;
	set[k] = key;
}

static bool
set_has(const uint64_t *set, size_t mask, uint64_t key)
{
	key |= key == 0;
	for (size_t k = (size_t)key & mask; set[k] != 0; k = (k + 1) & mask)
		if (set[k] == key)
			return true;
	return false;
}

/* Makes the sets again after entries changed. */
static void
index_entries(struct ads_warming *w)
{
	size_t cap = 16;

	if (!w->stale && w->clusters != NULL)
		return;
	while (cap < w->n * 2)
		cap <<= 1;
	free(w->clusters);
	free(w->endpoints);
	w->clusters = xcalloc(cap, sizeof *w->clusters);
	w->endpoints = xcalloc(cap, sizeof *w->endpoints);
	w->mask = cap - 1;
	for (size_t i = 0; i < w->n; i++) {
		set_add(w->clusters, w->mask, w->v[i].cluster_hash);
		set_add(w->endpoints, w->mask, xds_name_hash(w->v[i].endpoints));
	}
	w->stale = false;
}

/* Whether the warming of e ended against snap (the cluster left it, or
 * no longer uses that load assignment) or by the clock. */
static bool
entry_over(struct ads_warming *w, const struct ads_warming_entry *e,
    const struct snapshot *snap, int64_t now)
{
	const struct xds_resource *c = snapshot_find(snap, XDS_CLUSTER, e->cluster);

	if (c == NULL || c->endpoints == NULL || strcmp(c->endpoints, e->endpoints) != 0)
		return true;
	if (now < e->deadline_ms)
		return false;
	if (e->blocked) {
		w->timeouts++;
		log_warning("ads: cluster %s: no endpoints (%s) sent within the "
		    "warming timeout (%lld ms): the updates that use it go out "
		    "anyway", e->cluster, e->endpoints, (long long)w->timeout_ms);
	}
	return true;
}

void
ads_warming_begin(struct ads_warming *w, const struct snapshot *snap)
{
	size_t m = 0;
	int64_t now;

	w->held = false;
	if (w->n == 0)
		return;
	now = ads_warming_now(w);
	for (size_t i = 0; i < w->n; i++) {
		if (entry_over(w, &w->v[i], snap, now))
			entry_free(&w->v[i]);
		else
			w->v[m++] = w->v[i];
	}
	w->stale |= m != w->n;
	w->n = m;
}

void
ads_warming_cluster_added(struct ads_warming *w, const struct xds_resource *c,
    bool has_endpoints)
{
	struct ads_warming_entry e;

	if (w->timeout_ms <= 0 || c->endpoints == NULL || has_endpoints)
		return;
	e.cluster_hash = xds_name_hash(c->name);
	index_entries(w);
	if (set_has(w->clusters, w->mask, e.cluster_hash))
		for (size_t i = 0; i < w->n; i++)
			if (strcmp(w->v[i].cluster, c->name) == 0)
				return; /* still warming: the first deadline holds */
	e.cluster = xstrdup(c->name);
	e.endpoints = xstrdup(c->endpoints);
	e.deadline_ms = ads_warming_now(w) + w->timeout_ms;
	e.blocked = false;
	ARRAY_PUSH(w->v, w->n, w->cap, e);
	/* Into the sets while they stay at most half full (a change that
	 * adds a thousand Services adds a thousand entries at once); made
	 * again, twice as large, when next needed otherwise. */
	if (w->n * 2 <= w->mask + 1) {
		set_add(w->clusters, w->mask, e.cluster_hash);
		set_add(w->endpoints, w->mask, xds_name_hash(e.endpoints));
	} else {
		w->stale = true;
	}
}

void
ads_warming_cancel(struct ads_warming *w)
{
	for (size_t i = 0; i < w->n; i++)
		entry_free(&w->v[i]);
	w->stale |= w->n > 0;
	w->n = 0;
}

void
ads_warming_endpoints_sent(struct ads_warming *w, const char *name)
{
	size_t m = 0;

	if (w->n == 0)
		return;
	index_entries(w);
	if (!set_has(w->endpoints, w->mask, xds_name_hash(name)))
		return;
	for (size_t i = 0; i < w->n; i++) {
		if (strcmp(w->v[i].endpoints, name) == 0)
			entry_free(&w->v[i]);
		else
			w->v[m++] = w->v[i];
	}
	w->stale |= m != w->n;
	w->n = m;
}

bool
ads_warming_blocks(struct ads_warming *w, const struct xds_resource *r)
{
	bool blocks = false;

	if (w->n == 0)
		return false;
	index_entries(w);
	for (size_t k = 0; k < r->nuses; k++) {
		if (!set_has(w->clusters, w->mask, r->uses[k]))
			continue;
		for (size_t i = 0; i < w->n; i++)
			if (r->uses[k] == w->v[i].cluster_hash)
				w->v[i].blocked = true;
		blocks = true;
	}
	if (blocks)
		w->held = true;
	return blocks;
}

int64_t
ads_warming_deadline(const struct ads_warming *w)
{
	int64_t min = 0;

	if (!w->held)
		return 0;
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].blocked && (min == 0 || w->v[i].deadline_ms < min))
			min = w->v[i].deadline_ms;
	return min;
}
