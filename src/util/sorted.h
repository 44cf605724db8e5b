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

#endif
