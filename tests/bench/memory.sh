#!/bin/sh
# Memory per connected stream (SPEC.md §12: <= 64 KiB per fully synced
# wildcard stream): `cairn serve` on a generated 1,000-proxy tree, 100 SotW
# streams from ads_load, the growth of the server's VmRSS divided by the
# streams. Without the heap trim after a burst of initial syncs
# (src/ads/server.c) the growth is 62-90 KiB here, with it 43-58 KiB; the
# daemon's debug log must show the trim.
# Resident memory depends on how the sends interleave, so a run above the
# bound is tried once more before it counts as a failure.
# Then idle (SPEC.md §12: <= 16 MiB): `cairn serve` on an empty tree with
# the admin server off has not loaded libmicrohttpd (and GnuTLS with it,
# src/admin/http.c), and its VmRSS is within the bound (15.1 MiB here;
# 17.7 when the library was linked); and after a build of the 1k tree,
# libcrypto holds no more than loading it took.
set -u
: "${top_srcdir:?}" "${top_builddir:?}"
bin=$top_builddir/tests/bench
cairn=$top_builddir/cairn
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bound=64

echo "1..9"
if [ -n "${CAIRN_SANITIZED:-}" ]; then
	for t in 1 2 3 4 5 6 7 8 9; do
		echo "ok $t # SKIP a sanitizer's allocator is not glibc's: no bound on resident memory"
	done
	exit 0
fi
# ads_load runs this in place of cairn (the same pid, so its VmRSS is the
# daemon's), with debug logging copied to serve.log here.
printf '#!/bin/bash\nexec "%s" "$@" --log-level debug 2> >(tee -a "%s" >&2)\n' \
    "$cairn" "$tmp/serve.log" > "$tmp/cairn-debug"
chmod +x "$tmp/cairn-debug"
"$bin/bench_gen" -n 1000 -o "$tmp/tree" > /dev/null || {
	echo "not ok 1 - bench_gen"
	echo "not ok 2 - no tree"
	exit 0
}
# Files written within 2 s of a scan are re-read by every scan (source/dir.c).
sleep 2

per_stream() { # out file -> the per_stream figure in KiB (integer), or empty
	awk -F '\t' '$1 == "RESULT" && $2 == "ads.mem.per_stream" { printf "%d", $3 }' "$1"
}
ok=0
for try in 1 2; do
	nice "$bin/ads_load" -C "$tmp/cairn-debug" -d "$tmp/tree" -s 100 -c 10 -k 0 -t 120 \
	    -m 512 -p mem > "$tmp/out$try" 2>&1
	kib=$(per_stream "$tmp/out$try")
	if [ -z "$kib" ]; then
		echo "# run $try: no per_stream figure"
		sed 's/^/# /' "$tmp/out$try" | tail -20
		continue
	fi
	echo "# run $try: $kib KiB per synced stream"
	if [ "$kib" -le "$bound" ]; then
		ok=1
		break
	fi
done
if [ -n "${kib:-}" ]; then
	echo "ok 1 - ads_load: 100 streams synced on the 1,000-proxy tree"
else
	echo "not ok 1 - ads_load: 100 streams synced on the 1,000-proxy tree"
fi
if [ "$ok" = 1 ]; then
	echo "ok 2 - VmRSS growth per synced stream <= $bound KiB"
else
	echo "not ok 2 - VmRSS growth per synced stream <= $bound KiB"
	grep -E '^(RESULT|INFO)' "$tmp"/out* | sed 's/^/# /'
fi
# Whatever the figures: the daemon gave free heap pages back once the
# initial syncs were sent (src/ads/server.c, ads_trim_heap).
if grep -q "free heap pages given back after a burst of sends" "$tmp/serve.log"; then
	echo "ok 3 - the daemon trimmed its heap after the burst of initial syncs"
else
	echo "not ok 3 - the daemon trimmed its heap after the burst of initial syncs"
	tail -20 "$tmp/serve.log" | sed 's/^/# /'
fi
# With the trim, the shared bodies' cache lets its copies go (bodies.c,
# ads_body_cache_release): at 1k the CDS, EDS and LDS bodies, some
# hundreds of KiB, which stayed until the next publish.
if grep -Eq "burst of sends, [1-9][0-9]* bytes of shared bodies let go" "$tmp/serve.log"; then
	echo "ok 4 - the shared bodies were let go after the burst of initial syncs"
else
	echo "not ok 4 - the shared bodies were let go after the burst of initial syncs"
	grep "burst of sends" "$tmp/serve.log" | tail -5 | sed 's/^/# /'
fi

# serve_maps TREE NAME: starts `cairn serve` on TREE (admin off), waits
# for its first build and its last good copies, then writes the libraries
# it maps to $tmp/NAME.maps, its VmRSS (KiB) to $tmp/NAME.rss and
# libcrypto's resident KiB to $tmp/NAME.crypto.
serve_maps() {
	printf 'debounce: 0ms\nadmin:\n  address: ""\nstate-directory: %s/%s-state\n' \
	    "$tmp" "$2" > "$tmp/$2.yaml"
	"$cairn" serve -c "$tmp/$2.yaml" --source "$1" --xds 127.0.0.1:0 \
	    --log-level info 2> "$tmp/$2.log" &
	serve_pid=$!
	for _ in $(seq 300); do
		grep -q "initial build" "$tmp/$2.log" && break
		sleep 0.1
	done
	sleep 2 # what a daemon holds once it waits (copies saved), not its start
	awk '$6 ~ /\.so/ { print $6 }' "/proc/$serve_pid/maps" 2> /dev/null |
	    sort -u > "$tmp/$2.maps"
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$serve_pid/status" \
	    > "$tmp/$2.rss" 2> /dev/null
	awk '/^[0-9a-f]+-/ { name = $6 } /^Rss:/ && name ~ /libcrypto/ { r += $2 }
	    END { print r + 0 }' "/proc/$serve_pid/smaps" > "$tmp/$2.crypto" 2> /dev/null
	# A thread's own malloc arena reserves 64 MiB and maps what it uses:
	# the rest is an anonymous ---p mapping of MiBs (src/util/heap.c).
	awk '/^[0-9a-f]+-/ { reserved = ($2 == "---p" && NF == 5) }
	    /^Size:/ && reserved && $2 > 1024 { n++ }
	    END { print n + 0 }' "/proc/$serve_pid/smaps" > "$tmp/$2.arenas" 2> /dev/null
	kill "$serve_pid" 2> /dev/null
	wait "$serve_pid" 2> /dev/null
}

# Idle: an empty tree, admin off, no stream.
mkdir "$tmp/empty"
serve_maps "$tmp/empty" idle
idle_kib=$(cat "$tmp/idle.rss")
if [ ! -s "$tmp/idle.maps" ]; then
	echo "not ok 5 - idle serve maps no libmicrohttpd or GnuTLS"
	sed 's/^/# /' "$tmp/idle.log"
elif grep -q -e libmicrohttpd -e libgnutls "$tmp/idle.maps"; then
	echo "not ok 5 - idle serve maps no libmicrohttpd or GnuTLS"
	grep -e libmicrohttpd -e libgnutls "$tmp/idle.maps" | sed 's/^/# /'
else
	echo "ok 5 - idle serve maps no libmicrohttpd or GnuTLS"
fi
echo "# idle VmRSS: ${idle_kib:-?} KiB"
if [ -n "$idle_kib" ] && [ "$idle_kib" -le $((16 * 1024)) ]; then
	echo "ok 6 - idle VmRSS <= 16 MiB"
else
	echo "not ok 6 - idle VmRSS <= 16 MiB"
fi

# The 1k tree, no stream, its last good copies saved (a SHA-256 each,
# src/source/lastgood.c): libcrypto's resident pages stay what loading it
# took (about 1.5 MiB); the first EVP digest would add 2 MiB.
serve_maps "$tmp/tree" tree
crypto_kib=$(cat "$tmp/tree.crypto")
echo "# 1k tree, no stream: VmRSS $(cat "$tmp/tree.rss") KiB, libcrypto ${crypto_kib:-?} KiB"
if ! grep -q "initial build" "$tmp/tree.log"; then
	echo "not ok 7 - libcrypto resident <= 2 MiB after a build"
	tail -20 "$tmp/tree.log" | sed 's/^/# /'
elif [ -n "$crypto_kib" ] && [ "$crypto_kib" -le 2048 ]; then
	echo "ok 7 - libcrypto resident <= 2 MiB after a build"
else
	echo "not ok 7 - libcrypto resident <= 2 MiB after a build"
fi

# serve's threads (the 1k build's load workers, grpc's) share one malloc
# arena (src/util/heap.c), so their bursts leave no arena of their own.
arenas=$(cat "$tmp/tree.arenas" 2> /dev/null)
echo "# 1k tree, no stream: ${arenas:-?} reserved thread-arena mappings"
if [ "${arenas:-x}" = 0 ]; then
	echo "ok 8 - serve's threads share one malloc arena"
else
	echo "not ok 8 - serve's threads share one malloc arena"
fi

# A start holds every file's bytes until it has saved the new last good
# copies (all of them here: a fresh state directory); the daemon says when
# they went, and ads_load reads its baseline only after that line
# (src/serve_state.c serve_persist_deferred).
if grep -Eq "startup: [1-9][0-9]* files' last good copies saved where new, their bytes let go" "$tmp/tree.log"; then
	echo "ok 9 - serve says when the start's file bytes were let go"
else
	echo "not ok 9 - serve says when the start's file bytes were let go"
	tail -5 "$tmp/tree.log" | sed 's/^/# /'
fi
