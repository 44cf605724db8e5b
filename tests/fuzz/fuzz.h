/* What every fuzz target defines. The same sources build two ways: with
 * libFuzzer (clang -fsanitize=fuzzer, tests/fuzz/<target>_fuzzer) and with
 * replay.c as main (any compiler, tests/fuzz/<target>_replay), which feeds the
 * corpus and the regression inputs to the target in every `make check`. */
#ifndef CAIRN_TESTS_FUZZ_H
#define CAIRN_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property the target checks failed: crash loudly so that both libFuzzer
 * and the replay runner report the input. */
#define FUZZ_CHECK(cond)                                                      \
	do {                                                                  \
		if (!(cond)) {                                                \
			fuzz_fail(__FILE__, __LINE__, #cond);                 \
		}                                                             \
	} while (0)

void fuzz_fail(const char *file, int line, const char *what)
    __attribute__((noreturn));

#endif
