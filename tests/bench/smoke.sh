#!/bin/sh
# The benchmark programs on a tiny tree, so that `make bench` (and the
# 100,000-proxy run, which only differs in size) keeps working: the
# generator is deterministic and versioned (run.sh's tree cache relies on
# both), bench_build's memory figures, bench_rebuild's prefixed figures and
# that it puts the tree back as it found it. Figures are not judged.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
bin=$top_builddir/tests/bench
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "1..9"
i=0
check() { # description command...
	desc=$1
	shift
	i=$((i + 1))
	if "$@" > "$tmp/out" 2>&1; then
		echo "ok $i - $desc"
	else
		echo "not ok $i - $desc"
		sed 's/^/# /' "$tmp/out" | tail -20
	fi
}
# has FILE KEY...: each KEY has a RESULT line with a positive median
has() {
	f=$1
	shift
	for k in "$@"; do
		awk -F '\t' -v k="$k" '$1 == "RESULT" && $2 == k && $3 > 0 { f = 1 }
		    END { exit !f }' "$f" || { echo "no figure $k in $f"; return 1; }
	done
}
gen_twice() {
	"$bin/bench_gen" -n 40 -o "$tmp/a" && "$bin/bench_gen" -n 40 -o "$tmp/b" &&
	    diff -r "$tmp/a" "$tmp/b" &&
	    test "$(find "$tmp/a" -name '*.yaml' | wc -l)" -eq 40
}
gen_seed() {
	"$bin/bench_gen" -n 40 -s 2 -o "$tmp/c" && ! diff -rq "$tmp/a" "$tmp/c"
}
build_memory() {
	"$bin/bench_build" -m -p s -d "$tmp/a" > "$tmp/m" || return 1
	# A sanitizer's allocator (CAIRN_SANITIZED) is not glibc's: no
	# mallinfo2 heap figures, only resident memory.
	if [ -n "${CAIRN_SANITIZED:-}" ]; then
		has "$tmp/m" mem.s.rss mem.s.rss_file
	else
		has "$tmp/m" mem.s.rss mem.s.rss_file mem.s.heap mem.s.heap_scan
	fi
}
build_timed() {
	"$bin/bench_build" -r 1 -p s -d "$tmp/a" > "$tmp/r" &&
	    has "$tmp/r" s.full s.parse_only s.ratio
}
rebuild_prefixed() {
	"$bin/bench_rebuild" -d "$tmp/a" -k 2 -p r1 > "$tmp/k" &&
	    has "$tmp/k" r1.total r1.pipeline && ! grep -q '^RESULT	rebuild\.' "$tmp/k"
}

check "bench_gen -V prints the format version" \
    sh -c "\"$bin/bench_gen\" -V | grep -Eqx '[0-9]+'"
check "the same arguments give the same tree" gen_twice
check "another seed gives another tree" gen_seed
# Files written within 2 s of a scan are re-read by every scan (source/dir.c).
sleep 2
check "bench_build -m: resident memory and the heap by step" build_memory
check "bench_build: a timed run" build_timed
check "bench_rebuild -p: one file changed, figures under the prefix" rebuild_prefixed
check "bench_rebuild puts the tree back" diff -r "$tmp/a" "$tmp/b"
check "run.sh parses" sh -n "$top_srcdir/tests/bench/run.sh"
# heap_owners.py on a real massif profile of bench_build -m: the loaded
# objects and the source cache are found where they are allocated.
owners() {
	valgrind --tool=massif --threshold=0.1 --detailed-freq=1 \
	    --massif-out-file="$tmp/massif.out" "$bin/bench_build" -m -d "$tmp/a" \
	    > /dev/null 2>&1 &&
	    "${PYTHON3:-python3}" "$top_srcdir/tests/bench/heap_owners.py" "$tmp/massif.out" \
	    > "$tmp/o" && cat "$tmp/o" &&
	    awk '/^(loaded objects|source cache) / && $(NF - 1) > 0 { n++ }
	        END { exit n != 2 }' "$tmp/o"
}
if [ -n "${CAIRN_SANITIZED:-}" ]; then
	i=$((i + 1))
	echo "ok $i - heap_owners.py # SKIP valgrind cannot run a sanitizer build"
elif command -v valgrind > /dev/null 2>&1 && command -v "${PYTHON3:-python3}" > /dev/null 2>&1; then
	check "heap_owners.py: heap by owner from massif" owners
else
	i=$((i + 1))
	echo "ok $i # SKIP valgrind or python3 not installed"
fi
