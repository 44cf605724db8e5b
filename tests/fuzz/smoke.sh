#!/bin/sh
# Fuzzing with libFuzzer (TAP). For every target: replay the regression
# inputs (tests/fuzz/regress/<target>/, inputs that once crashed) and the
# seed corpus, then fuzz for FUZZ_SMOKE_SECONDS (default 20; 0 = replay
# only). `make fuzz` runs this with FUZZ_MODE=long: FUZZ_SECONDS (default
# 300) per target.
#
# The fuzzers are this build's own when it was configured with
# --enable-fuzzing (CC=clang); otherwise, in a normal gcc build, they are
# built here with clang, ASan and UBSan under $top_builddir/fuzz-build by
# tests/fuzz/fuzz.mk (kept between runs, rebuilt only when sources
# change). No clang with libFuzzer: the whole test is skipped.
#
# A crash leaves its input in fuzz-build/crashes/; make it a regression
# test by fixing the bug and copying the input to tests/fuzz/regress/<target>/.
: "${top_srcdir:?}" "${top_builddir:?}"
FUZZ_TARGETS=${FUZZ_TARGETS:-load config sotw build admin}
FUZZ_CC=${FUZZ_CC:-clang}
if [ "${FUZZ_MODE:-smoke}" = long ]; then
	secs=${FUZZ_SECONDS:-300}
else
	secs=${FUZZ_SMOKE_SECONDS:-20}
fi
fz=$top_srcdir/tests/fuzz
work=$top_builddir/fuzz-build
n=0

ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
# The last lines of a log as TAP diagnostics.
diag_tail() { tail -n "${2:-25}" "$1" | sed 's/^/# /'; }

have_libfuzzer() {
	command -v "$FUZZ_CC" >/dev/null 2>&1 || return 1
	t=$(mktemp -d) || return 1
	printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }\n' >"$t/t.c"
	"$FUZZ_CC" -fsanitize=fuzzer,address,undefined "$t/t.c" -o "$t/t" >/dev/null 2>&1
	rc=$?
	rm -rf "$t"
	return $rc
}

mkdir -p "$work/logs" "$work/crashes"
if [ -x "$top_builddir/tests/fuzz/load_fuzzer" ]; then
	bin=$top_builddir/tests/fuzz
	echo "# fuzzers of this build (--enable-fuzzing)"
elif have_libfuzzer; then
	bin=$work
	if [ ! -f "$work/vars.mk" ]; then
		echo "1..0 # SKIP $work/vars.mk missing (run through make check)"
		exit 0
	fi
	# A test script has no jobserver of its own: do not inherit make's.
	unset MAKEFLAGS MFLAGS MAKELEVEL
	if ${MAKE:-make} -j"${FUZZ_BUILD_JOBS:-2}" -f "$fz/fuzz.mk" VARS="$work/vars.mk" \
	    O="$work" FUZZ_CC="$FUZZ_CC" FUZZERS="$FUZZ_TARGETS" -k \
	    >"$work/logs/make.log" 2>&1; then
		ok "fuzzers built with $FUZZ_CC under fuzz-build/"
	else
		not_ok "fuzzers built with $FUZZ_CC under fuzz-build/ (see fuzz-build/logs/make.log)"
		grep -E 'error|Error' "$work/logs/make.log" | head -20 | sed 's/^/# /'
	fi
else
	echo "1..0 # SKIP $FUZZ_CC with libFuzzer not available (apt-get install clang libclang-rt-14-dev)"
	exit 0
fi

for t in $FUZZ_TARGETS; do
	f=$bin/${t}_fuzzer
	if [ ! -x "$f" ]; then
		not_ok "$t: no fuzzer binary $f"
		continue
	fi
	dict=
	case $t in load|build|config|admin) dict=-dict=$fz/yaml.dict ;; esac
	seeds=
	for d in "$fz/regress/$t" "$fz/corpus/$t"; do
		[ -d "$d" ] && seeds="$seeds $d"
	done
	log=$work/logs/$t.log
	# Replay: every seed and past crash once (-runs=0 stops after them).
	if "$f" -runs=0 $dict $seeds >"$log" 2>&1; then
		ok "$t: regression inputs and seed corpus replayed"
	else
		not_ok "$t: regression inputs and seed corpus replayed"
		diag_tail "$log"
		continue
	fi
	[ "$secs" -gt 0 ] || continue
	mkdir -p "$work/corpus/$t"
	# New inputs go to the first directory: the build tree, not the sources.
	if "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 $dict \
	    -artifact_prefix="$work/crashes/$t-" \
	    "$work/corpus/$t" $seeds >"$log" 2>&1; then
		ok "$t: fuzzed for ${secs}s without a crash ($(sed -n 's/^stat::number_of_executed_units: *//p' "$log") runs)"
	else
		not_ok "$t: fuzzed for ${secs}s: crash (input in fuzz-build/crashes/, log in fuzz-build/logs/$t.log)"
		grep -E 'ERROR|runtime error|property violated|SUMMARY|Test unit written' "$log" | head -10 | sed 's/^/# /'
	fi
done
echo "1..$n"
