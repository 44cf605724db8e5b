#!/bin/sh
# Fuzzing with libFuzzer (TAP). For every target: replay the regression
# inputs (tests/fuzz/regress/<target>/, inputs that once crashed) and the
# seed corpus, then fuzz for FUZZ_SMOKE_SECONDS (default 60, as issue #9
# asks; 0 = replay only). The targets fuzz FUZZ_JOBS at a time (default 2,
# the CPUs a make check may take), so ten targets cost five minutes, not
# ten. `make fuzz` runs this with FUZZ_MODE=long: FUZZ_SECONDS (default
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
FUZZ_TARGETS=${FUZZ_TARGETS:-load config sotw delta build secret admin lastgood owners running pb}
FUZZ_JOBS=${FUZZ_JOBS:-2}
FUZZ_CC=${FUZZ_CC:-clang}
if [ "${FUZZ_MODE:-smoke}" = long ]; then
	secs=${FUZZ_SECONDS:-300}
else
	secs=${FUZZ_SMOKE_SECONDS:-60}
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

# The dictionary of a target, as a libFuzzer flag (or nothing).
dict_of() {
	case $1 in
	load|build|config|admin|secret) echo "-dict=$fz/yaml.dict" ;;
	esac
}

# The seed directories of a target.
seeds_of() {
	for d in "$fz/regress/$1" "$fz/corpus/$1"; do
		[ -d "$d" ] && printf ' %s' "$d"
	done
}

# Fuzzes one target for $secs; writes its TAP line (without a number) and
# diagnostics to $work/logs/$t.tap.
fuzz_one() {
	t=$1 f=$bin/${1}_fuzzer log=$work/logs/$1.log
	mkdir -p "$work/corpus/$t"
	# New inputs go to the first directory: the build tree, not the sources.
	# Niced: the time is fixed, so a busy machine costs runs, not the
	# deadlines of tests running beside it (valgrind, the fault tests).
	if nice -n 10 "$f" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -max_len=65536 -print_final_stats=1 $(dict_of "$t") \
	    -artifact_prefix="$work/crashes/$t-" \
	    "$work/corpus/$t" $(seeds_of "$t") >"$log" 2>&1; then
		echo "ok - $t: fuzzed for ${secs}s without a crash ($(sed -n 's/^stat::number_of_executed_units: *//p' "$log") runs)"
	else
		echo "not ok - $t: fuzzed for ${secs}s: crash (input in fuzz-build/crashes/, log in fuzz-build/logs/$t.log)"
		grep -E 'ERROR|runtime error|property violated|SUMMARY|Test unit written' "$log" | head -10 | sed 's/^/# /'
	fi >"$work/logs/$t.tap"
}

# Replay first, every target: every seed and past crash once (-runs=0
# stops after them); only targets that pass go on to fuzzing.
fuzzable=
for t in $FUZZ_TARGETS; do
	f=$bin/${t}_fuzzer
	if [ ! -x "$f" ]; then
		not_ok "$t: no fuzzer binary $f"
		continue
	fi
	log=$work/logs/$t.log
	if "$f" -runs=0 $(dict_of "$t") $(seeds_of "$t") >"$log" 2>&1; then
		ok "$t: regression inputs and seed corpus replayed"
		fuzzable="$fuzzable $t"
	else
		not_ok "$t: regression inputs and seed corpus replayed"
		diag_tail "$log"
	fi
done

# Then fuzz in FUZZ_JOBS lanes, each taking every FUZZ_JOBS-th target in
# turn, and report in target order once all are done.
if [ "$secs" -gt 0 ] && [ -n "$fuzzable" ]; then
	lane=0
	while [ "$lane" -lt "$FUZZ_JOBS" ]; do
		(
			i=0
			for t in $fuzzable; do
				[ $((i % FUZZ_JOBS)) -eq "$lane" ] && fuzz_one "$t"
				i=$((i + 1))
			done
		) &
		lane=$((lane + 1))
	done
	wait
	for t in $fuzzable; do
		n=$((n + 1))
		sed "1s/^ok -/ok $n -/; 1s/^not ok -/not ok $n -/" "$work/logs/$t.tap"
	done
fi
echo "1..$n"
