/* Sorted arrays: the one string comparator for qsort and the one binary
 * search, so each sorted table does not carry its own copy. */
#ifndef CAIRN_UTIL_SORTED_H
#define CAIRN_UTIL_SORTED_H

#include <stddef.h>

/* strcmp of two elements that are `const char *` (qsort, bsearch). */
int sorted_str_cmp(const void *a, const void *b);

/* The insertion point of key in base[0..n) sorted by cmp: the index of
 * the first element e with cmp(key, e) <= 0 (n when there is none). For
 * equal elements this is the first of them, so a caller tests
 * `i < n && cmp(key, &base[i]) == 0` for a hit. */
size_t sorted_search(const void *key, const void *base, size_t n, size_t size,
    int (*cmp)(const void *key, const void *elem));

/* Of n > 0 chunks whose first elements are at the ascending start[0..n)
 * (start[0] == 0), the one holding element i: the last that starts at
 * or before i. Inline: every read by index of a chunked array asks. */
static inline size_t
sorted_chunk_of(const size_t *start, size_t n, size_t i)
{
	size_t lo = 0, hi = n;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (start[mid] <= i)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* Sorts base[0..n) by cmp as a stable qsort would, cheaply when it is
 * mostly sorted already: an in-order prefix is kept and a short rest
 * sorted and merged in (a rebuilt array whose new elements are at its
 * end), else an insertion sort runs while it stays linear (elements a
 * few places from theirs), else qsort. Equal elements keep their input
 * order. */
void sorted_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *));

/* The same for a cmp that compares by group first (group, a coarser
 * order: a namespace): when base is in group order already (files in
 * path order, a namespace's objects in one file or directory), only
 * each group is sorted. */
void sorted_sort_grouped(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *),
    int (*group)(const void *, const void *));

#endif
