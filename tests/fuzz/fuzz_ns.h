/* The directory namespace to load a fuzz input in: the value of its first
 * "namespace: X" line when there is one, so that seeds taken from real
 * trees (whose objects name their namespace) load as valid objects and
 * the fuzzer explores past the namespace check. */
#ifndef CAIRN_TESTS_FUZZ_NS_H
#define CAIRN_TESTS_FUZZ_NS_H

#include <stddef.h>
#include <stdio.h>
#include <string.h>

static inline void
fuzz_namespace_of(const char *data, size_t size, char *out, size_t outsize)
{
	static const char key[] = "namespace: ";
	const char *p = size >= sizeof key - 1 ?
	    memmem(data, size, key, sizeof key - 1) : NULL;
	size_t n = 0;

	if (p != NULL) {
		p += sizeof key - 1;
		while (p < data + size && n + 1 < outsize &&
		    ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    *p == '-'))
			out[n++] = *p++;
	}
	if (n == 0) {
		snprintf(out, outsize, "default");
		return;
	}
	out[n] = '\0';
}

#endif
