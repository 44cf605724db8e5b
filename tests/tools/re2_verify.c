/* re2_verify: RE2 (util/re2_check, compiled as Envoy compiles a
 * SafeRegexMatcher) judges regexes taken from emitted resources by
 * tests/tools/envoy-checks.js --regexes: each followed by a NUL byte.
 *
 * usage: re2_verify MAX_PROGRAM_SIZE FILE
 * Prints one line per refused regex, then "re2-verify: N regexes, N
 * problems". Exit 0 all accepted, 1 some refused, 2 usage or I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/re2_check.h"

int
main(int argc, char **argv)
{
	FILE *fp;
	char *buf = NULL, why[512];
	size_t cap = 0, len = 0, n = 0, bad = 0;
	long max;
	int c;

	if (argc != 3 || (max = strtol(argv[1], NULL, 10)) < 0 || max > 1 << 30) {
		fprintf(stderr, "usage: re2_verify MAX_PROGRAM_SIZE FILE\n");
		return 2;
	}
	if ((fp = fopen(argv[2], "rb")) == NULL) {
		perror(argv[2]);
		return 2;
	}
	while ((c = getc(fp)) != EOF) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : 256;
			if ((buf = realloc(buf, cap)) == NULL) {
				perror("realloc");
				return 2;
			}
		}
		if (c != '\0') {
			buf[len++] = (char)c;
			continue;
		}
		buf[len] = '\0';
		n++;
		if (re2_check(buf, (int)max, NULL, why, sizeof why) != RE2_CHECK_OK) {
			printf("regex \"%s\": %s\n", buf, why);
			bad++;
		}
		len = 0;
	}
	fclose(fp);
	free(buf);
	printf("re2-verify: %zu regexes, %zu problems\n", n, bad);
	return bad ? 1 : 0;
}
