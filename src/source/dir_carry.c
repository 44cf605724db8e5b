/* The directory source's scan, carrying: what an event-driven scan moves
 * from the previous scan's sorted arrays (cached files, directory records)
 * into the next ones without walking it, and what it frees and reports
 * removed afterwards (dir.c walks; this file decides what not to walk). */
#include "source/dir_internal.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

/* Records that old[lo, hi) moved into the new array after the first `at`
 * entries the walk made; adjacent runs merge (the walk moves entries in
 * order) unless the walk made an entry between them. */
static void
run_push(struct run **runs, size_t *n, size_t *cap, size_t lo, size_t hi,
    size_t at)
{
	if (lo == hi)
		return;
	if (*n > 0 && (*runs)[*n - 1].hi == lo && (*runs)[*n - 1].at == at) {
		(*runs)[*n - 1].hi = hi;
		return;
	}
	ARRAY_PUSH(*runs, *n, *cap, ((struct run){ lo, hi, at }));
}

/* An unchanged file, carried into the next cache. */
void
dir_carry_one(struct scan *s, struct cache_entry *c)
{
	size_t i = (size_t)(c - s->sd->cache);

	run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, i, i + 1,
	    s->nfresh);
}

static int
run_cmp(const void *a, const void *b)
{
	const struct run *x = a, *y = b;

	return (x->lo > y->lo) - (x->lo < y->lo);
}

static int
str_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static size_t
strings_lower_bound(const char *const *v, size_t n, const char *key)
{
	return sorted_search(key, v, n, sizeof v[0], str_key_cmp);
}

static int
cache_key_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct cache_entry *)elem)->path);
}

/* The first element of the sorted base[lo, n) at or after key, found by
 * steps doubling from lo (lo, lo + 1, lo + 2, lo + 4, ...) and a binary
 * search in the last step: about 2 log2(d) probes for an answer d places
 * on. The scan asks from its cursor, where the answer mostly is or is
 * next to: a few probes near it, where a search of the whole array takes
 * log2(n), a cache miss each in a large tree. */
static size_t
lower_bound_near(const void *key, const void *base, size_t lo, size_t n,
    size_t size, int (*cmp)(const void *key, const void *elem))
{
	const char *p = base;
	size_t step = 1, from, hi;

	if (lo == n || cmp(key, p + lo * size) <= 0)
		return lo;
	while (lo + step < n && cmp(key, p + (lo + step) * size) > 0)
		step *= 2;
	/* base[lo + step / 2] < key <= base[lo + step] (or the end). */
	from = lo + step / 2 + 1;
	hi = lo + step < n ? lo + step + 1 : n;
	return from + sorted_search(key, p + from * size, hi - from, size, cmp);
}

static size_t
cache_lower_bound(const struct cache_entry *c, size_t lo, size_t hi,
    const char *key)
{
	return lower_bound_near(key, c, lo, hi, sizeof c[0], cache_key_cmp);
}

/* Whether path lies strictly below the directory rel ("" = the root). */
static bool
is_below(const char *path, const char *rel, size_t len)
{
	if (len == 0)
		return path[0] != '\0';
	return strncmp(path, rel, len) == 0 && path[len] == '/';
}

/* Nothing below rel needs looking at: no dirty watch and no directory the
 * last scan could not trust lies below it. */
bool
dir_carry_quiet(const struct scan *s, const char *rel)
{
	size_t len = strlen(rel), i;
	char *key;

	if (s->carry_off)
		return false;
	if (len == 0)
		return s->nquiet_not == 0 ||
		    (s->nquiet_not == 1 && s->quiet_not[0][0] == '\0');
	key = xasprintf("%s/", rel);
	i = strings_lower_bound(s->quiet_not, s->nquiet_not, key);
	free(key);
	return i == s->nquiet_not || !is_below(s->quiet_not[i], rel, len);
}

/* Carries the subtree of the clean, quiet directory sd->dirs[at] (the
 * current entry) over unwalked: its records and cached files move to the
 * new arrays in two copies, whatever their number. */
void
dir_carry_subtree(struct scan *s, size_t at)
{
	struct source_dir *sd = s->sd;
	const char *rel = sd->dirs[at].rel;
	size_t len = strlen(rel), lo, hi, l, h, n;
	char *key;

	/* Directory records: at and the run below it. */
	l = at + 1;
	h = sd->ndirs;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (is_below(sd->dirs[m].rel, rel, len))
			l = m + 1;
		else
			h = m;
	}
	n = l - at;
	run_push(&s->dir_runs, &s->ndir_runs, &s->capdir_runs, at, l,
	    s->nnew_dirs);
	s->dir_cursor = l;
	sd->stats.dirs_reused += n;
	sd->stats.subtrees_skipped++;
	dir_watch_clean(sd, sd->dirs[at].wd);

	/* Cached files: every path below rel, one sorted run. */
	key = len ? xasprintf("%s/", rel) : xstrdup("");
	lo = cache_lower_bound(sd->cache, s->cursor, sd->ncache, key);
	free(key);
	l = lo;
	h = sd->ncache;
	while (l < h) {
		size_t m = l + (h - l) / 2;

		if (is_below(sd->cache[m].path, rel, len))
			l = m + 1;
		else
			h = m;
	}
	hi = l;
	n = hi - lo;
	if (n > 0) {
		run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, lo,
		    hi, s->nfresh);
		if (!s->delta_out)
			for (size_t i = lo; i < hi; i++)
				dir_scan_emit(s, sd->cache[i].blob);
	}
	s->cursor = hi;
}

/* dir_key_cmp of a record's rel against a key in walk order: a file path,
 * or a directory path ending in '/'. */
static int
rec_cmp_key(const char *rel, const char *key)
{
	if (*rel == '\0')
		return -1; /* the root comes first */
	while (*rel != '\0' && *rel == *key) {
		rel++;
		key++;
	}
	if (*rel != '\0')
		return (unsigned char)*rel - (unsigned char)*key;
	if (*key != '/')
		return '/' - (unsigned char)*key;
	return key[1] == '\0' ? 0 : -1;
}

/* sorted_search's order: key against a record. */
static int
rec_key_cmp(const void *key, const void *elem)
{
	int c = rec_cmp_key(((const struct dir_record *)elem)->rel, key);

	return (c < 0) - (c > 0);
}

static size_t
rec_lower_bound(const struct source_dir *sd, size_t lo, const char *key)
{
	return lower_bound_near(key, sd->dirs, lo, sd->ndirs,
	    sizeof sd->dirs[0], rec_key_cmp);
}

/* The key of a kid of the directory rel[0, base) in walk order. */
static char *
kid_key(const struct scan *s, size_t base, const struct dir_kid *k)
{
	return base ? xasprintf("%.*s/%s%s", (int)base, rel_of(s), k->name,
	    k->is_dir ? "/" : "") : xasprintf("%s%s", k->name,
	    k->is_dir ? "/" : "");
}

/* dir_dent_cmp of a dent against a kid. */
static int
kid_dent_cmp(const void *key, const void *elem)
{
	const struct dir_kid *k = elem;
	struct dent e = { .name = k->name, .is_dir = k->is_dir };

	return dir_dent_cmp(key, &e);
}

/* Where a kid named name (a directory or not) sits in kids (walk order). */
static size_t
kid_find(const struct dir_kid *kids, size_t n, const char *name, bool is_dir)
{
	struct dent probe = { .name = (char *)name, .is_dir = is_dir };
	size_t lo = sorted_search(&probe, kids, n, sizeof kids[0], kid_dent_cmp);

	if (lo < n && kids[lo].is_dir == is_dir && strcmp(kids[lo].name, name) == 0)
		return lo;
	return n;
}

static int
size_cmp(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* The kids of the clean directory rel[0, base) that something below them
 * (a dirty watch, a distrusted directory) asks to look at, sorted. */
size_t *
dir_carry_kids_to_visit(const struct scan *s, size_t base, const struct dir_kid *kids,
    size_t nkids, size_t *n_out)
{
	const char *d = rel_of(s);
	char *prefix = base ? xasprintf("%.*s/", (int)base, d) : xstrdup("");
	size_t plen = strlen(prefix), n = 0, cap = 0, j = 0;
	size_t i = strings_lower_bound(s->quiet_not, s->nquiet_not, prefix);
	size_t *out = NULL;

	for (; i < s->nquiet_not; i++) {
		const char *p = s->quiet_not[i], *name, *slash;
		char *kid;
		size_t at;

		if (strncmp(p, prefix, plen) != 0)
			break;
		name = p + plen;
		if (*name == '\0')
			continue; /* the root itself */
		slash = strchr(name, '/');
		kid = slash ? xstrndup(name, (size_t)(slash - name)) : xstrdup(name);
		at = kid_find(kids, nkids, kid, true);
		if (at == nkids && slash == NULL)
			at = kid_find(kids, nkids, kid, false);
		free(kid);
		if (at < nkids)
			ARRAY_PUSH(out, n, cap, at);
	}
	free(prefix);
	if (n > 1)
		qsort(out, n, sizeof out[0], size_cmp);
	for (i = 0; i < n; i++)
		if (j == 0 || out[j - 1] != out[i])
			out[j++] = out[i];
	*n_out = j;
	return out;
}

/* Carries kids [a, b) of the clean directory rel[0, base) over unwalked:
 * nothing below them changed, and in walk order their records and cached
 * files are one run each. */
void
dir_carry_kids(struct scan *s, size_t base, const struct dir_kid *kids,
    size_t nkids, size_t a, size_t b)
{
	struct source_dir *sd = s->sd;
	const char *d = rel_of(s);
	char *ka = kid_key(s, base, &kids[a]);
	char *kb = b < nkids ? kid_key(s, base, &kids[b]) : NULL;
	size_t clo, chi, rlo, rhi, n;

	clo = cache_lower_bound(sd->cache, s->cursor, sd->ncache, ka);
	rlo = rec_lower_bound(sd, s->dir_cursor, ka);
	if (kb != NULL) {
		chi = cache_lower_bound(sd->cache, clo, sd->ncache, kb);
		rhi = rec_lower_bound(sd, rlo, kb);
	} else if (base == 0) {
		/* To the end of the root's subtree: of everything. */
		chi = sd->ncache;
		rhi = sd->ndirs;
	} else {
		/* To the end of the directory's subtree. */
		size_t l = clo, h = sd->ncache;

		while (l < h) {
			size_t m = l + (h - l) / 2;

			if (is_below(sd->cache[m].path, d, base))
				l = m + 1;
			else
				h = m;
		}
		chi = l;
		l = rlo;
		h = sd->ndirs;
		while (l < h) {
			size_t m = l + (h - l) / 2;

			if (is_below(sd->dirs[m].rel, d, base))
				l = m + 1;
			else
				h = m;
		}
		rhi = l;
	}
	free(ka);
	free(kb);
	n = rhi - rlo;
	if (n > 0) {
		run_push(&s->dir_runs, &s->ndir_runs, &s->capdir_runs, rlo, rhi,
		    s->nnew_dirs);
		s->dir_cursor = rhi;
		sd->stats.dirs_reused += n;
	}
	n = chi - clo;
	if (n > 0) {
		run_push(&s->cache_runs, &s->ncache_runs, &s->capcache_runs, clo,
		    chi, s->nfresh);
		if (!s->delta_out)
			for (size_t i = clo; i < chi; i++)
				dir_scan_emit(s, sd->cache[i].blob);
		s->cursor = chi;
	}
	sd->stats.subtrees_skipped++;
}

static void
runs_order(struct run *runs, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		if (runs[i].lo < runs[i - 1].hi) {
			qsort(runs, n, sizeof runs[0], run_cmp);
			return;
		}
	}
}

/* One piece of the next array: a run of the old one moved to dst, or
 * fresh[src, src + len) copied there. */
struct piece {
	bool old;
	size_t src, dst, len;
};

/* The next array (sorted by cmp) made in the old one's memory: the runs
 * the scan carried, in order, with the fresh elements (sorted, made by the
 * walk) between them. The runs keep their places when nothing was added
 * or removed before them, so a scan that read a few files again writes
 * those elements and moves nothing; a file created or removed moves the
 * runs after it by one place (memmove, no element looked at). The old
 * elements outside the runs must be released already. Takes fresh. When
 * the walk's order cannot be trusted (a safety net, as for the file
 * list), everything is concatenated and sorted: then false. */
static bool
splice(void **arr, size_t *n, size_t *cap, size_t size, const struct run *runs,
    size_t nruns, void *fresh, size_t nfresh,
    int (*cmp)(const void *, const void *))
{
	char *a = *arr, *fr = fresh;
	struct piece *pc = NULL;
	size_t npc = 0, cappc = 0, total = nfresh, f = 0, dst = 0;
	bool sorted = true;

	for (size_t i = 1; i < nfresh && sorted; i++)
		sorted = cmp(fr + (i - 1) * size, fr + i * size) < 0;
	if (nruns == 0) {
		if (!sorted)
			qsort(fresh, nfresh, size, cmp);
		free(*arr);
		*arr = fresh;
		*n = *cap = nfresh;
		return sorted;
	}
	/* Each run goes after the fresh entries made before it; the
	 * comparisons at the pieces' edges only check the walk's order. */
	for (size_t r = 0; r < nruns && sorted; r++) {
		size_t at = runs[r].at;

		if (at < f || at > nfresh ||
		    (r > 0 && runs[r].lo < runs[r - 1].hi)) {
			sorted = false;
			break;
		}
		if (at > f) {
			ARRAY_PUSH(pc, npc, cappc, ((struct piece){ false, f, dst,
			    at - f }));
			dst += at - f;
		}
		if ((at > 0 &&
		    cmp(fr + (at - 1) * size, a + runs[r].lo * size) >= 0) ||
		    (at < nfresh && cmp(fr + at * size,
		    a + (runs[r].hi - 1) * size) <= 0))
			sorted = false;
		ARRAY_PUSH(pc, npc, cappc, ((struct piece){ true, runs[r].lo, dst,
		    runs[r].hi - runs[r].lo }));
		dst += runs[r].hi - runs[r].lo;
		f = at;
	}
	if (f < nfresh) {
		ARRAY_PUSH(pc, npc, cappc, ((struct piece){ false, f, dst,
		    nfresh - f }));
		dst += nfresh - f;
	}
	for (size_t r = 0; r < nruns; r++)
		total += runs[r].hi - runs[r].lo;
	if (!sorted) {
		char *out = xreallocarray(NULL, total ? total : 1, size);
		size_t at = 0;

		for (size_t r = 0; r < nruns; r++) {
			size_t len = runs[r].hi - runs[r].lo;

			memcpy(out + at * size, a + runs[r].lo * size, len * size);
			at += len;
		}
		if (nfresh)
			memcpy(out + at * size, fr, nfresh * size);
		qsort(out, total, size, cmp);
		free(a);
		*arr = out;
		*n = total;
		*cap = total ? total : 1;
		free(fresh);
		free(pc);
		return false;
	}
	if (total > *cap) {
		*cap = total + total / 8;
		a = xreallocarray(a, *cap, size);
	}
	/* Runs moving towards the front go first, front to back; then those
	 * moving towards the end, back to front: no run is overwritten
	 * before it has moved. The fresh elements fill what is left. */
	for (size_t i = 0; i < npc; i++)
		if (pc[i].old && pc[i].dst < pc[i].src)
			memmove(a + pc[i].dst * size, a + pc[i].src * size,
			    pc[i].len * size);
	for (size_t i = npc; i-- > 0;)
		if (pc[i].old && pc[i].dst > pc[i].src)
			memmove(a + pc[i].dst * size, a + pc[i].src * size,
			    pc[i].len * size);
	for (size_t i = 0; i < npc; i++)
		if (!pc[i].old)
			memcpy(a + pc[i].dst * size, fr + pc[i].src * size,
			    pc[i].len * size);
	*arr = a;
	*n = total;
	free(fresh);
	free(pc);
	return true;
}

static int
cache_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cache_entry *)a)->path,
	    ((const struct cache_entry *)b)->path);
}

static int
record_cmp(const void *a, const void *b)
{
	return dir_key_cmp(((const struct dir_record *)a)->rel,
	    ((const struct dir_record *)b)->rel);
}

/* Releases the old cache entries no run carried over: files read again
 * (seen) and files gone. With collect, the gone ones become out->removed
 * (sorted: the cache is). Then makes the next cache (splice): the
 * released entries leave the revision's sum and the fresh ones enter it
 * (but for those read again with the same bytes, whose term is the one
 * they replace), so it stays the sum over the cache whatever the scan
 * walked. */
void
dir_carry_cache_retire(struct source_dir *sd, struct scan *s, bool collect)
{
	size_t cap = 0, at = 0;
	void *arr = sd->cache;

	runs_order(s->cache_runs, s->ncache_runs);
	for (size_t r = 0; r <= s->ncache_runs; r++) {
		size_t end = r < s->ncache_runs ? s->cache_runs[r].lo : sd->ncache;

		for (size_t i = at; i < end; i++) {
			struct cache_entry *c = &sd->cache[i];

			if (collect && !c->seen) {
				ARRAY_PUSH(s->out->removed, s->out->n_removed,
				    cap, xstrdup(c->path));
			}
			if (!c->same_bytes)
				dir_rev_sub(sd, c->blob);
			source_blob_unref(c->blob);
		}
		if (r < s->ncache_runs && s->cache_runs[r].hi > at)
			at = s->cache_runs[r].hi;
	}
	for (size_t i = 0; i < s->nfresh; i++) {
		if (!s->fresh[i].same_bytes)
			dir_rev_add(sd, s->fresh[i].blob);
		s->fresh[i].same_bytes = false; /* for the next scan */
	}
	if (!splice(&arr, &sd->ncache, &sd->capcache, sizeof sd->cache[0],
	    s->cache_runs, s->ncache_runs, s->fresh, s->nfresh, cache_cmp))
		sd->stats.resorted++;
	sd->cache = arr;
	s->fresh = NULL;
	s->nfresh = s->capfresh = 0;
	free(s->cache_runs);
}

/* Releases the old directory records no run carried over and makes the
 * next records (splice). After a scan that walked only part of the tree,
 * the watches of directories that are gone (no longer reached, not merely
 * unvisited) are dropped here. */
void
dir_carry_dirs_retire(struct source_dir *sd, struct scan *s, bool partial)
{
	size_t at = 0;
	void *arr = sd->dirs;

	runs_order(s->dir_runs, s->ndir_runs);
	for (size_t r = 0; r <= s->ndir_runs; r++) {
		size_t end = r < s->ndir_runs ? s->dir_runs[r].lo : sd->ndirs;

		for (size_t i = at; i < end; i++) {
			struct dir_record *d = &sd->dirs[i];

			if (partial && d->wd != -1)
				dir_watch_drop_if_stale(sd, d->wd);
			for (size_t k = 0; k < d->nkids; k++)
				free(d->kids[k].name);
			free(d->kids);
			free(d->rel);
		}
		if (r < s->ndir_runs && s->dir_runs[r].hi > at)
			at = s->dir_runs[r].hi;
	}
	if (!splice(&arr, &sd->ndirs, &sd->capdirs, sizeof sd->dirs[0],
	    s->dir_runs, s->ndir_runs, s->new_dirs, s->nnew_dirs, record_cmp))
		sd->stats.resorted++;
	sd->dirs = arr;
	s->new_dirs = NULL;
	s->nnew_dirs = s->capnew_dirs = 0;
	free(s->dir_runs);
}

/* What the scan must look inside although a clean parent would let it
 * skip: the directories the last scan could not trust, and the paths of
 * the watches events marked dirty. */
void
dir_carry_quiet_not_build(struct source_dir *sd, struct scan *s)
{
	size_t cap = 0;

	for (size_t i = 0; i < sd->nattention; i++)
		ARRAY_PUSH(s->quiet_not, s->nquiet_not, cap, sd->attention[i]);
	for (size_t i = 0; i < sd->ndirty_wds; i++) {
		bool found;
		size_t w = dir_watch_index(sd, sd->dirty_wds[i], &found);

		if (!found)
			continue;
		if (sd->watches[w].shared)
			s->carry_off = true;
		ARRAY_PUSH(s->quiet_not, s->nquiet_not, cap,
		    xstrdup(sd->watches[w].path));
	}
	if (s->nquiet_not > 1)
		qsort(s->quiet_not, s->nquiet_not, sizeof s->quiet_not[0],
		    sorted_str_cmp);
}

void
dir_carry_quiet_not_free(struct source_dir *sd, struct scan *s)
{
	/* The attention strings are sd's; the rest are copies. */
	for (size_t i = 0; i < s->nquiet_not; i++) {
		const char *p = s->quiet_not[i];
		size_t k = strings_lower_bound((const char *const *)sd->attention,
		    sd->nattention, p);

		if (k < sd->nattention && sd->attention[k] == p)
			continue;
		free((char *)p);
	}
	free(s->quiet_not);
}
