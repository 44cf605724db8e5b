#!/bin/sh
# `cairn diff` of a one-route change in a big tree against `cairn check` of
# the same tree (issue #19: within 2x). Prints RESULT lines (bench_util.h's
# format) for tests/bench/run.sh.
#   diff.sh CAIRN TREE RUNS WORKDIR
set -u
CAIRN=$1 TREE=$2 RUNS=$3 WORK=$4

# The changed tree: hard links to every file but the one rewritten.
B=$WORK/diff-b
rm -rf "$B"
# (A copy when the tree cache is on another file system than $WORK.)
cp -al "$TREE" "$B" 2>/dev/null || { rm -rf "$B" && cp -a "$TREE" "$B"; }
f=$(find "$B" -name '*.yaml' | sort | sed -n '5000p')
[ -n "$f" ] || f=$(find "$B" -name '*.yaml' | sort | tail -1)
sed '0,/prefix: \/api\/v\([0-9]*\)/s//prefix: \/api\/v\1-changed/' "$f" >"$WORK/changed.yaml"
rm "$f"
mv "$WORK/changed.yaml" "$f"
sleep 2 # racily clean files are read twice (source/dir.c)

secs() { # secs CMD...: wall seconds of one run
	s=$(date +%s%N)
	"$@" >/dev/null 2>&1
	e=$(date +%s%N)
	echo $(((e - s) / 1000000))
}
stats() { # stats KEY values...: RESULT line, milliseconds
	key=$1
	shift
	printf '%s\n' "$@" | sort -n | awk -v k="$key" '
	{ v[NR] = $1 }
	END { printf "RESULT\t%s\t%.3f\t%.3f\t%.3f\tms\t%d\n", k, v[int((NR + 1) / 2)], v[1], v[NR], NR }'
}

checks= diffs=
"$CAIRN" diff "$TREE" "$B" >"$WORK/diff.out" 2>&1
rc=$?
if [ $rc -ne 1 ] || ! grep -q "1 route added, 1 route removed on 1 host" "$WORK/diff.out"; then
	printf 'NA\tdiff10k.diff\tunexpected plan (exit %s)\n' "$rc"
	exit 1
fi
i=0
while [ $i -lt "$RUNS" ]; do
	checks="$checks $(secs "$CAIRN" check --source "$TREE")"
	diffs="$diffs $(secs "$CAIRN" diff "$TREE" "$B")"
	i=$((i + 1))
done
# shellcheck disable=SC2086
stats diff10k.check $checks
# shellcheck disable=SC2086
stats diff10k.diff $diffs
# shellcheck disable=SC2086
printf '%s\n' $checks | sort -n >"$WORK/c"
# shellcheck disable=SC2086
printf '%s\n' $diffs | sort -n >"$WORK/d"
awk 'NR == FNR { c[FNR] = $1; n = FNR; next } { d[FNR] = $1 }
END { m = int((n + 1) / 2); printf "RESULT\tdiff10k.ratio\t%.3f\t%.3f\t%.3f\t\t1\n", d[m] / c[m], d[m] / c[m], d[m] / c[m] }' "$WORK/c" "$WORK/d"
rm -rf "$B"
