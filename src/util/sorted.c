/* Sorted arrays (sorted.h). */
#include "util/sorted.h"

#include <stdbool.h>

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

int
sorted_str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t
sorted_search(const void *key, const void *base, size_t n, size_t size,
    int (*cmp)(const void *key, const void *elem))
{
	const char *p = base;
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cmp(key, p + mid * size) <= 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

/* Insertion sort of a[0..n) (stable) while it takes at most budget
 * comparisons: linear for an array whose elements are each a few places
 * from theirs (a file's objects in another order than their names).
 * False when the budget ran out: a is then a stably reordered
 * permutation, which a stable sort finishes as it would have the input. */
static bool
insertion_sort(char *a, size_t n, size_t size,
    int (*cmp)(const void *, const void *), size_t budget)
{
	char tmp[64];

	if (size > sizeof tmp)
		return false;
	for (size_t i = 1; i < n; i++) {
		size_t j = i;

		while (j > 0) {
			if (budget-- == 0)
				return false;
			if (cmp(a + (j - 1) * size, a + i * size) <= 0)
				break;
			j--;
		}
		if (j == i)
			continue;
		memcpy(tmp, a + i * size, size);
		memmove(a + (j + 1) * size, a + j * size, (i - j) * size);
		memcpy(a + j * size, tmp, size);
	}
	return true;
}

void
sorted_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *))
{
	char *a = base, *tail;
	size_t p = 1, i, j, k;

	while (p < n && cmp(a + (p - 1) * size, a + p * size) <= 0)
		p++;
	if (p >= n)
		return;
	/* A long unsorted rest: merging buys nothing over one sort. */
	if (n - p > n / 4) {
		if (!insertion_sort(a, n, size, cmp, 2 * n + 64))
			qsort(base, n, size, cmp);
		return;
	}
	qsort(a + p * size, n - p, size, cmp);
	if (cmp(a + (p - 1) * size, a + p * size) <= 0)
		return;
	/* Merged from the back, the rest copied out: of equal elements the
	 * prefix's (earlier in the input) stay first. */
	tail = xreallocarray(NULL, n - p, size);
	memcpy(tail, a + p * size, (n - p) * size);
	i = p, j = n - p, k = n;
	while (j > 0) {
		if (i > 0 && cmp(a + (i - 1) * size, tail + (j - 1) * size) > 0) {
			memcpy(a + (k - 1) * size, a + (i - 1) * size, size);
			i--;
		} else {
			memcpy(a + (k - 1) * size, tail + (j - 1) * size, size);
			j--;
		}
		k--;
	}
	free(tail);
}

void
sorted_sort_grouped(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *),
    int (*group)(const void *, const void *))
{
	char *a = base;
	size_t i, from;

	for (i = 1; i < n; i++)
		if (group(a + (i - 1) * size, a + i * size) > 0) {
			sorted_sort(base, n, size, cmp);
			return;
		}
	for (from = 0, i = 1; i <= n; i++)
		if (i == n || group(a + from * size, a + i * size) != 0) {
			sorted_sort(a + from * size, i - from, size, cmp);
			from = i;
		}
}
