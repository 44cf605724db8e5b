#!/bin/sh
# Replays the seed corpus and every input that once crashed a fuzz target
# (tests/fuzz/regress/<target>/) through the targets built with replay.c
# as main: in every build and with any compiler, so a fixed crash stays
# fixed in the plain, ASan and valgrind runs alike. TAP, one line per target.
: "${top_srcdir:?}" "${top_builddir:?}"
FUZZ_TARGETS=${FUZZ_TARGETS:-load config sotw delta build secret admin lastgood owners running pb}
n=0
for t in $FUZZ_TARGETS; do
	n=$((n + 1))
	prog=$top_builddir/tests/fuzz/${t}_replay
	dirs=
	for d in "$top_srcdir/tests/fuzz/regress/$t" "$top_srcdir/tests/fuzz/corpus/$t"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	log=$top_builddir/tests/fuzz/${t}_replay.out
	if [ ! -x "$prog" ]; then
		echo "not ok $n - $t: $prog not built"
		continue
	fi
	if $prog $dirs >"$log" 2>&1; then
		echo "ok $n - $t: $(grep -c '^replay ' "$log") inputs replayed"
	else
		echo "not ok $n - $t: replay failed"
		tail -n 20 "$log" | sed 's/^/# /'
	fi
done
echo "1..$n"
