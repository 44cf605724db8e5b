/* A main() for the fuzz targets without libFuzzer: runs the target on
 * every file named (directories: every regular file in them, sorted), so
 * the seed corpus and every input that once crashed are replayed by
 * `make check` in every build, including ASan and valgrind runs.
 * Prints TAP: one line per directory or file argument. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "util/xalloc.h"

static int
run_file(const char *path)
{
	FILE *fp = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t len;

	if (fp == NULL || fstat(fileno(fp), &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (fp)
			fclose(fp);
		return -1;
	}
	/* Exactly sized, so ASan and valgrind see any read past the end. */
	buf = xmalloc(st.st_size ? (size_t)st.st_size : 1);
	len = fread(buf, 1, (size_t)st.st_size, fp);
	fclose(fp);
	fprintf(stderr, "replay %s (%zu bytes)\n", path, len);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Returns the number of inputs run, or -1. */
static long
run_path(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	long count = 0;

	if (stat(path, &st) == -1) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(path) == 0 ? 1 : -1;
	if ((d = opendir(path)) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		ARRAY_PUSH(names, n, cap, xasprintf("%s/%s", path, de->d_name));
	}
	closedir(d);
	if (n > 1)
		qsort(names, n, sizeof names[0], cmp_names);
	for (size_t i = 0; i < n; i++) {
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(names[i]) < 0)
				count = -1;
			else if (count >= 0)
				count++;
		}
		free(names[i]);
	}
	free(names);
	return count;
}

int
main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
	int failed = 0;

	LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%d\n", argc - 1);
	for (int i = 1; i < argc; i++) {
		long n = run_path(argv[i]);

		if (n < 0)
			failed = 1;
		printf("%s %d - %s: %s: %ld inputs replayed\n", n < 0 ? "not ok" : "ok",
		    i, name, argv[i], n < 0 ? 0 : n);
		fflush(stdout);
	}
	return failed;
}
