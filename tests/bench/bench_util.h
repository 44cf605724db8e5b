/* Small helpers shared by the benchmark programs: clocks, statistics over
 * runs, memory figures, and the one output format run.sh reads:
 *
 *   RESULT <tab> key <tab> median <tab> min <tab> max <tab> unit <tab> runs
 *   INFO   <tab> free text
 *
 * Header-only (static functions) so each program stays one file. */
#ifndef CAIRN_BENCH_UTIL_H
#define CAIRN_BENCH_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline double
bench_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static inline int
bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static inline double
bench_median(double *v, size_t n)
{
	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Nearest-rank percentile (p in 0..100); sorts v in place. */
static inline double
bench_percentile(double *v, size_t n, double p)
{
	size_t rank;

	if (n == 0)
		return 0;
	qsort(v, n, sizeof *v, bench_cmp_double);
	rank = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return v[rank - 1];
}

static inline void
bench_result(const char *key, const double *samples, size_t n, const char *unit)
{
	double *v = malloc((n ? n : 1) * sizeof *v);
	double med;

	if (v == NULL)
		abort();
	memcpy(v, samples, n * sizeof *v);
	med = bench_median(v, n);
	printf("RESULT\t%s\t%.3f\t%.3f\t%.3f\t%s\t%zu\n", key, med,
	    n ? v[0] : 0.0, n ? v[n - 1] : 0.0, unit, n);
	fflush(stdout);
	free(v);
}

static inline void
bench_result1(const char *key, double value, const char *unit)
{
	bench_result(key, &value, 1, unit);
}

/* A "VmRSS:"-style field of /proc/<pid>/status in KiB (pid 0 = self), or -1. */
static inline long
bench_proc_kib(int pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long v = -1;
	FILE *fp;

	if (pid > 0)
		snprintf(path, sizeof path, "/proc/%d/status", pid);
	else
		snprintf(path, sizeof path, "/proc/self/status");
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			v = strtol(line + flen + 1, NULL, 10);
			break;
		}
	}
	fclose(fp);
	return v;
}

#endif
