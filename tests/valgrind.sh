#!/bin/sh
# Every unit test program (tests/unit/*_test) and every fuzz replay
# (tests/fuzz/*_replay over the seed corpus and regression inputs) under
# valgrind: any memory error or leak (definite, indirect or possible) fails
# (TAP, one line per program). `make check-valgrind` runs it alone.
# Skipped where valgrind cannot run: not installed, or a sanitizer build.
: "${top_srcdir:?}" "${top_builddir:?}"
VALGRIND=${VALGRIND:-valgrind}
if ! command -v "$VALGRIND" >/dev/null 2>&1; then
	echo "1..0 # SKIP valgrind not installed"
	exit 0
fi
progs=
for p in "$top_builddir"/tests/unit/*_test "$top_builddir"/tests/fuzz/*_replay; do
	[ -f "$p" ] && [ -x "$p" ] && progs="$progs $p"
done
if [ -z "$progs" ]; then
	echo "1..0 # SKIP no unit test programs built"
	exit 0
fi
for p in $progs; do
	# ASan/UBSan and libFuzzer instrumentation do not run under valgrind.
	if grep -q -a -e __asan_init -e __sanitizer_cov "$p"; then
		echo "1..0 # SKIP sanitizer build: valgrind cannot run it"
		exit 0
	fi
	break
done

logdir=$top_builddir/tests/valgrind-logs
mkdir -p "$logdir"

# One program under valgrind; its verdict goes to $logdir/<name>.result.
check_one() {
	p=$1
	name=$(basename "$p")
	args=
	case $name in
	*_replay)
		t=${name%_replay}
		for d in "$top_srcdir/tests/fuzz/regress/$t" "$top_srcdir/tests/fuzz/corpus/$t"; do
			[ -d "$d" ] && args="$args $d"
		done
		;;
	esac
	log=$logdir/$name.log
	start=$(date +%s)
	# The timeout only guards against a hang: incremental_test, which
	# compares incremental and whole builds over every golden case, takes
	# 8-15 minutes under valgrind on a loaded 2-core machine.
	# CAIRN_TEST_SAMPLE: tests that replay every golden tree take every
	# Nth here (incremental_test); natively and under ASan they take all.
	if CAIRN_TEST_SAMPLE=4 CMOCKA_MESSAGE_OUTPUT=TAP \
	    timeout "${VALGRIND_TIMEOUT:-1800}" "$VALGRIND" -q \
	    --leak-check=full --show-leak-kinds=definite,indirect,possible \
	    --errors-for-leak-kinds=definite,indirect,possible \
	    --error-exitcode=99 --num-callers=30 \
	    --suppressions="$top_srcdir/tests/valgrind-re2.supp" "$p" $args >"$log" 2>&1; then
		echo "ok - valgrind $name: no errors, no leaks ($(($(date +%s) - start))s)" >"$logdir/$name.result"
	else
		rc=$?
		{
			echo "not ok - valgrind $name (exit $rc; log: tests/valgrind-logs/$name.log)"
			grep -E '^==[0-9]+== ' "$log" | head -30 | sed 's/^/# /'
		} >"$logdir/$name.result"
	fi
}

# VALGRIND_JOBS at a time (valgrind is slow and single-threaded).
jobs=${VALGRIND_JOBS:-2}
running=0
for p in $progs; do
	rm -f "$logdir/$(basename "$p").result"
	check_one "$p" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait

n=0
for p in $progs; do
	n=$((n + 1))
	r=$logdir/$(basename "$p").result
	if [ -f "$r" ]; then
		sed "1s/^\(not ok\|ok\) -/\1 $n -/" "$r"
	else
		echo "not ok $n - valgrind $(basename "$p"): no verdict"
	fi
done
echo "1..$n"
