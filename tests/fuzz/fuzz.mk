# Builds the libFuzzer targets with clang, ASan and UBSan out of a normal
# (gcc) build tree, so `make check` can run the fuzz smoke test without a
# separate `configure --enable-fuzzing` (tests/fuzz/smoke.sh calls this).
#
#   make -f tests/fuzz/fuzz.mk VARS=<builddir>/fuzz-build/vars.mk O=<dir>
#
# VARS is written by the main Makefile (fuzz-build/vars.mk): the library's
# sources, the generated protobuf-c sources and the dependencies' flags.
# Objects go under $(O)/obj; make's own timestamps make rebuilds cheap.
include $(VARS)

O ?= fuzz-build
FUZZ_CC ?= clang
FUZZ_CXX ?= clang++
FUZZERS ?= load config sotw delta build secret admin lastgood owners running pb
SAN = -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
FUZZ_BUILD_CFLAGS = -std=gnu11 -g -O1 -w $(SAN) -fsanitize=fuzzer-no-link
FUZZ_BUILD_CPPFLAGS = -I$(FUZZ_SRCDIR)/src -I$(FUZZ_BUILDDIR)/proto-gen \
	-I$(FUZZ_BUILDDIR) -I$(FUZZ_SRCDIR)/tests/fuzz -D_GNU_SOURCE \
	-DSYSCONFDIR='"/etc"' $(FUZZ_DEP_CFLAGS)

FUZZ_BUILD_CXXFLAGS = -std=gnu++17 -g -O1 -w $(SAN) -fsanitize=fuzzer-no-link

# The one C++ file (src/util/re2_check.cc, RE2) is listed apart.
LIB_OBJS = $(FUZZ_LIB_SRCS:%.c=$(O)/obj/%.o) $(FUZZ_GEN_SRCS:%.c=$(O)/obj/%.o) \
	$(FUZZ_LIB_CXX_SRCS:%.cc=$(O)/obj/%.o)
TARGETS = $(FUZZERS:%=$(O)/%_fuzzer)

all: $(TARGETS)

$(O)/obj/src/%.o: $(FUZZ_SRCDIR)/src/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BUILD_CPPFLAGS) $(FUZZ_BUILD_CFLAGS) -MMD -MP -c $< -o $@

$(O)/obj/src/%.o: $(FUZZ_SRCDIR)/src/%.cc
	@mkdir -p $(@D)
	$(FUZZ_CXX) $(FUZZ_BUILD_CPPFLAGS) $(FUZZ_DEP_CXXFLAGS) $(FUZZ_BUILD_CXXFLAGS) -MMD -MP -c $< -o $@

$(O)/obj/proto-gen/%.o: $(FUZZ_BUILDDIR)/proto-gen/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BUILD_CPPFLAGS) $(FUZZ_BUILD_CFLAGS) -MMD -MP -c $< -o $@

$(O)/obj/tests/fuzz/%.o: $(FUZZ_SRCDIR)/tests/fuzz/%.c
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_BUILD_CPPFLAGS) $(FUZZ_BUILD_CFLAGS) -MMD -MP -c $< -o $@

$(O)/libcairn-fuzz.a: $(LIB_OBJS)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

$(O)/%_fuzzer: $(O)/obj/tests/fuzz/%_fuzzer.o $(O)/obj/tests/fuzz/fuzz_common.o \
    $(O)/libcairn-fuzz.a
	$(FUZZ_CC) $(SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_DEP_LIBS) -lpthread -lm

.SECONDARY:
.PHONY: all

-include $(LIB_OBJS:.o=.d) $(FUZZERS:%=$(O)/obj/tests/fuzz/%_fuzzer.d)
