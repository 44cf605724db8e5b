#!/bin/sh
# The benchmark suite (SPEC.md §12), run by `make bench`: generates trees,
# runs bench_build, bench_rebuild and ads_load, and prints one table of
# figure / measured (median [min..max] over runs) / target / ratio.
#
# Environment:
#   CAIRN       the cairn binary (make bench sets it)
#   BENCH_BIN   the directory of the bench programs (make bench sets it)
#   BENCH_DIR   where results go (default: a new /tmp directory)
#   BENCH_CACHE where generated trees are kept and reused across runs
#               (default /var/tmp/cairn-bench-trees), one directory per
#               generator format and arguments: gen<V>-n<N>-N<NS>-s<SEED>
#   BENCH_SCALE 100k = also the 100,000-proxy tree (build, one file changed,
#               memory; 214 MiB of YAML, ~4-6 extra minutes here)
#   BENCH_QUICK 1 = fewer runs and changes (a smoke run, ~2 minutes)
#   BENCH_ONLY  space-separated subset of: build rebuild ads diff gateway
#   BENCH_MAX_SERVER_RSS_MIB  ads_load kills cairn serve above this (4096)
# Every step has a timeout; the whole suite takes about 6-8 minutes here.
# Figures measured at several tree sizes are also printed side by side,
# each with its ratio to the 1k figure (growth with the tree).
set -u

: "${CAIRN:?set CAIRN to the cairn binary}"
: "${BENCH_BIN:?set BENCH_BIN to the directory of the bench programs}"
QUICK=${BENCH_QUICK:-0}
ONLY=${BENCH_ONLY:-build rebuild ads diff gateway}
SCALE=${BENCH_SCALE:-}
CACHE=${BENCH_CACHE:-/var/tmp/cairn-bench-trees}
MAXRSS=${BENCH_MAX_SERVER_RSS_MIB:-4096}
WORK=${BENCH_DIR:-$(mktemp -d /tmp/cairn-bench.XXXXXX)}
mkdir -p "$WORK"
RES=$WORK/results.txt
LOG=$WORK/bench.log
: > "$RES"
: > "$LOG"

if [ "$QUICK" = 1 ]; then
	RUNS1K=3 RUNS10K=1 CHANGES=3 ADS_CHANGES=2
else
	RUNS1K=5 RUNS10K=3 CHANGES=5 ADS_CHANGES=5
fi
# One run and three changes at 100k: a full build there is seconds, and
# the machine is shared.
RUNS100K=1 CHANGES100K=3

want() {
	case " $ONLY " in *" $1 "*) return 0 ;; esac
	return 1
}

# step NAME SECONDS CMD...: runs CMD with a timeout, RESULT/INFO/NA lines to
# $RES, everything to $LOG.
step() {
	name=$1 secs=$2
	shift 2
	printf '%s ... ' "$name" >&2
	t0=$(date +%s)
	timeout -k 10 "$secs" "$@" > "$WORK/step.out" 2>> "$LOG"
	rc=$?
	cat "$WORK/step.out" >> "$RES"
	cat "$WORK/step.out" >> "$LOG"
	printf '%ss%s\n' "$(( $(date +%s) - t0 ))" \
	    "$( [ $rc -eq 0 ] || echo " (exit $rc, see $LOG)")" >&2
}

tree() { # tree N: a bench_gen tree of N proxies, made once into $CACHE
	mkdir -p "$CACHE" || exit 2
	dir=$CACHE/gen$("$BENCH_BIN/bench_gen" -V)-n$1-N0-s1
	if [ ! -f "$dir/.complete" ]; then
		# Generated aside and renamed, so a run stopped halfway or a
		# second run at the same time never sees half a tree.
		tmp=$dir.tmp.$$
		rm -rf "$tmp"
		echo "generating $dir" >&2
		nice "$BENCH_BIN/bench_gen" -n "$1" -o "$tmp" >> "$LOG" || exit 2
		touch "$tmp/.complete"
		mv -T "$tmp" "$dir" 2>/dev/null || rm -rf "$tmp"
	fi
	echo "$dir"
}

# limits N: why the N-proxy figures cannot be measured on this machine
# (empty when they can). The directory source watches every directory
# (bench_gen: one namespace directory per proxy, plus the root), and the
# timed build runs peak at about 48 KiB per proxy.
limits() {
	watches=$(cat /proc/sys/fs/inotify/max_user_watches 2>/dev/null || echo 0)
	avail=$(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo)
	need_mib=$(( $1 * 48 / 1024 + 64 ))
	if [ "$watches" -lt $(( $1 + 1 )) ]; then
		echo "inotify: $(( $1 + 1 )) watches needed, fs.inotify.max_user_watches is $watches (short by $(( $1 + 1 - watches )))"
	elif [ "$avail" -lt "$need_mib" ]; then
		echo "memory: ~$need_mib MiB needed, $avail MiB available (short by $(( need_mib - avail )) MiB)"
	fi
}

tree_gw() { # tree_gw N: a bench_gen_gw tree of N HTTPRoutes, reused when present
	dir=$WORK/tree-gw-$1
	if [ ! -f "$dir/.complete" ]; then
		rm -rf "$dir"
		"$BENCH_BIN/bench_gen_gw" -n "$1" -o "$dir" >> "$LOG" || exit 2
		touch "$dir/.complete"
	fi
	echo "$dir"
}

echo "cairn benchmarks in $WORK" >&2
# The benchmarks edit files of the cached trees in place (and put them
# back): runs sharing a cache take turns, which also keeps their figures
# apart.
mkdir -p "$CACHE" || exit 2
if command -v flock > /dev/null 2>&1; then
	exec 9> "$CACHE/.lock"
	if ! flock -n 9; then
		echo "waiting for another benchmark run using $CACHE" >&2
		flock 9
	fi
fi
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
T1K=$(tree 1000)
T10K=$(tree 10000)
T100K=
case " $SCALE " in *" 100k "*) T100K=$(tree 100000) ;; esac
EMPTY=$WORK/tree-empty
mkdir -p "$EMPTY"
# Files written within 2 s of a scan count as "racily clean" and are re-read
# on every scan (source/dir.c): let the trees age before timing rescans.
sleep 2

if want build; then
	step "bench_build 1k" 120 "$BENCH_BIN/bench_build" -d "$T1K" -r "$RUNS1K" -p build1k
	step "bench_build 10k" 400 "$BENCH_BIN/bench_build" -d "$T10K" -r "$RUNS10K" -p build10k
fi
if want rebuild; then
	step "bench_rebuild 1k" 120 "$BENCH_BIN/bench_rebuild" -d "$T1K" -k "$CHANGES" -p rebuild1k
	step "bench_rebuild 10k" 300 "$BENCH_BIN/bench_rebuild" -d "$T10K" -k "$CHANGES"
fi
if [ -n "$T100K" ]; then
	why=$(limits 100000)
	if [ -n "$why" ]; then
		for k in build100k.ratio build100k.ratio_cpu build100k.full build100k.parse_only build100k.nochange \
		    rebuild100k.total rebuild100k.scan mem.build100k.rss mem.build100k.heap \
		    mem.build100k.heap_scan mem.build100k.hwm; do
			printf 'NA\t%s\t%s\n' "$k" "$why" >> "$RES"
		done
	else
		want build && step "bench_build 100k" 1500 nice "$BENCH_BIN/bench_build" \
		    -d "$T100K" -r "$RUNS100K" -p build100k
		want rebuild && step "bench_rebuild 100k" 900 nice "$BENCH_BIN/bench_rebuild" \
		    -d "$T100K" -k "$CHANGES100K" -p rebuild100k
	fi
fi
# Gateway API: the same figures for HTTPRoutes, one per file,
# all attached to one Gateway.
if want gateway; then
	GW1K=$(tree_gw 1000)
	GW10K=$(tree_gw 10000)
	sleep 2
	step "bench_build gateway 1k" 120 "$BENCH_BIN/bench_build" -d "$GW1K" -r "$RUNS1K" -p gwbuild1k
	step "bench_build gateway 10k" 400 "$BENCH_BIN/bench_build" -d "$GW10K" -r "$RUNS10K" -p gwbuild10k
	step "bench_rebuild gateway 10k" 300 "$BENCH_BIN/bench_rebuild" -d "$GW10K" \
	    -k "$CHANGES" -p gwrebuild -g gw/bench
fi
if want ads; then
	step "ads_load idle" 60 "$BENCH_BIN/ads_load" -C "$CAIRN" -d "$EMPTY" -s 0 -p idle
	step "ads_load 1k sotw" 240 "$BENCH_BIN/ads_load" -C "$CAIRN" -d "$T1K" \
	    -s 1000 -c 10 -w 100 -r 100 -k "$ADS_CHANGES" -m "$MAXRSS" -t 200 -p sotw1k
	step "ads_load 1k delta" 240 "$BENCH_BIN/ads_load" -C "$CAIRN" -d "$T1K" -D \
	    -s 1000 -c 10 -w 100 -r 100 -k "$ADS_CHANGES" -m "$MAXRSS" -t 200 -p delta1k
	step "ads_load 10k sotw" 480 "$BENCH_BIN/ads_load" -C "$CAIRN" -d "$T10K" \
	    -s 1000 -c 10 -w 50 -r 0 -k 1 -m "$MAXRSS" -t 420 -p sotw10k
	step "ads_load 10k delta" 300 "$BENCH_BIN/ads_load" -C "$CAIRN" -d "$T10K" -D \
	    -s 1000 -c 10 -w 50 -r 0 -k 1 -m "$MAXRSS" -t 240 -p delta10k
fi
if want diff; then
	step "cairn diff 10k" 300 sh "$(dirname "$0")/diff.sh" "$CAIRN" "$T10K" \
	    "$( [ "$QUICK" = 1 ] && echo 1 || echo 3)" "$WORK"
fi

# --- the table ---------------------------------------------------------------
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
echo
echo "machine: $(nproc) CPUs ($cpu), $mem, Linux $(uname -r)"
echo "load:    $LOAD0 at the start, $(cut -d' ' -f1-3 /proc/loadavg) at the end (other work on the machine skews figures)"
echo "cairn:   $CAIRN"
echo "cflags:  ${BENCH_CFLAGS:-unknown} (the last -O wins)"
echo "results: $RES (raw), $LOG (log)"
echo

awk -F '\t' '
function has(k) { return (k in med) }
function fmt(v, u) {
	if (u == "B") {
		if (v >= 1048576) return sprintf("%.2f MiB", v / 1048576)
		if (v >= 1024) return sprintf("%.1f KiB", v / 1024)
		return sprintf("%d B", v)
	}
	if (u == "") return sprintf("%.2f", v)
	if (v >= 100) return sprintf("%.0f %s", v, u)
	return sprintf("%.1f %s", v, u)
}
function m(k) {
	if (k in na) return "n/a (" na[k] ")"
	if (!has(k)) return "not run"
	s = fmt(med[k], unit[k])
	if (runs[k] > 1) s = s " [" fmt(lo[k], unit[k]) ".." fmt(hi[k], unit[k]) "]"
	return s
}
# row(figure, key, target text, target value): ratio = measured / target
function row(fig, k, ttext, tval,   r) {
	r = "-"
	if (has(k) && tval > 0) r = sprintf("%.2f", med[k] / tval)
	else if (has(k) && tval == 0) r = (med[k] == 0 ? "ok" : "over")
	printf "%-54s %-34s %-16s %s\n", fig, m(k), ttext, r
}
$1 == "RESULT" { med[$2] = $3; lo[$2] = $4; hi[$2] = $5; unit[$2] = $6; runs[$2] = $7 }
$1 == "NA" { na[$2] = $3 }
END {
	printf "%-54s %-34s %-16s %s\n", "figure", "measured (median [min..max])", "target", "ratio"
	printf "%-54s %-34s %-16s %s\n", "------", "----------------------------", "------", "-----"
	row("full build 1k proxies / libyaml parse-only", "build1k.ratio", "<= 2x", 2)
	row("  full build 1k (load+build+translate+serialize)", "build1k.full", "", -1)
	row("  same, parsing on one thread only / parse-only", "build1k.ratio_1thread", "(<= 2x)", 2)
	row("  libyaml parse-only 1k", "build1k.parse_only", "~50 ms", 50)
	row("  stage: scan (source_dir_scan, cold)", "build1k.scan", "", -1)
	row("  stage: load (load_buffer per file)", "build1k.load", "", -1)
	row("  stage: build (dag_build)", "build1k.dag_build", "", -1)
	row("  stage: translate+serialize (translate_dag)", "build1k.translate", "", -1)
	row("  rebuild, no file changed (cache hits)", "build1k.nochange", "", -1)
	row("  full / parse-only in CPU time (robust to load)", "build1k.ratio_cpu", "(<= 2x)", 2)
	row("full build 10k proxies / libyaml parse-only", "build10k.ratio", "<= 2x", 2)
	row("  full build 10k (load+build+translate+serialize)", "build10k.full", "", -1)
	row("  same, parsing on one thread only / parse-only", "build10k.ratio_1thread", "(<= 2x)", 2)
	row("  libyaml parse-only 10k", "build10k.parse_only", "~500 ms", 500)
	row("  stage: scan (source_dir_scan, cold)", "build10k.scan", "", -1)
	row("  stage: load (load_buffer per file)", "build10k.load", "", -1)
	row("  stage: build (dag_build)", "build10k.dag_build", "", -1)
	row("  stage: translate+serialize (translate_dag)", "build10k.translate", "", -1)
	row("  rebuild, no file changed (cache hits)", "build10k.nochange", "", -1)
	row("  full / parse-only in CPU time (robust to load)", "build10k.ratio_cpu", "(<= 2x)", 2)
	row("one file changed, 10k tree: seen -> snapshot built", "rebuild.total", "<= 20 ms", 20)
	row("  of which: rescan (source_dir_scan)", "rebuild.scan", "", -1)
	row("  of which: pipeline_build (1 load + build + translate)", "rebuild.pipeline", "", -1)
	row("  then: serve records the change (not in total)", "rebuild.record", "", -1)
	row("  its plan, when /debug/diff or /status asks", "rebuild.plan", "", -1)
	row("full build 1k HTTPRoutes / libyaml parse-only", "gwbuild1k.ratio", "<= 2x", 2)
	row("  full build 1k HTTPRoutes", "gwbuild1k.full", "", -1)
	row("  libyaml parse-only 1k HTTPRoutes", "gwbuild1k.parse_only", "", -1)
	row("full build 10k HTTPRoutes / libyaml parse-only", "gwbuild10k.ratio", "<= 2x", 2)
	row("  full build 10k HTTPRoutes", "gwbuild10k.full", "", -1)
	row("  libyaml parse-only 10k HTTPRoutes", "gwbuild10k.parse_only", "", -1)
	row("  full / parse-only in CPU time, 10k HTTPRoutes", "gwbuild10k.ratio_cpu", "(<= 2x)", 2)
	row("one HTTPRoute changed, 10k tree: seen -> snapshot built", "gwrebuild.total", "<= 20 ms", 20)
	row("  of which: pipeline_build", "gwrebuild.pipeline", "", -1)
	row("  daemon log \"built in\" at 1k (incl. publish to 1000 sotw)", "ads.sotw1k.daemon_built_in", "", -1)
	row("  daemon log \"built in\" at 10k (incl. publish to 1000 sotw)", "ads.sotw10k.daemon_built_in", "", -1)
	row("file saved -> all 1000 delta streams, p99 (1k tree)", "ads.delta1k.latency_p99", "<= 250 ms", 250)
	row("file saved -> all 1000 sotw streams, p99 (1k tree)", "ads.sotw1k.latency_p99", "(<= 250 ms)", 250)
	row("  sotw p50 (1k tree)", "ads.sotw1k.latency_p50", "", -1)
	row("  delta p50 (1k tree)", "ads.delta1k.latency_p50", "", -1)
	row("  server CPU per change, 1000 delta streams (1k tree)", "ads.delta1k.server_cpu_per_change", "", -1)
	row("  server CPU per change, 1000 sotw streams (1k tree)", "ads.sotw1k.server_cpu_per_change", "", -1)
	row("  CPU of ads_load itself per change (1k, delta)", "ads.delta1k.client_cpu_per_change", "", -1)
	row("file saved -> all 1000 delta streams, p99 (10k tree)", "ads.delta10k.latency_p99", "<= 250 ms", 250)
	row("file saved -> all 1000 sotw streams, p99 (10k tree)", "ads.sotw10k.latency_p99", "(<= 250 ms)", 250)
	row("resident memory: idle (empty tree, no stream)", "ads.idle.rss_nostreams", "<= 16 MiB", 16)
	row("resident memory: 1k proxies, no stream", "ads.sotw1k.rss_nostreams", "", -1)
	row("resident memory: 1k proxies + 100 sotw streams", "ads.sotw1k.rss_at", "<= 40 MiB", 40)
	row("resident memory: 10k proxies, no stream", "ads.sotw10k.rss_nostreams", "", -1)
	row("resident memory: 10k proxies + 1000 sotw streams, settled", "ads.sotw10k.rss_settled", "<= 200 MiB", 200)
	row("  the same 1 s after the syncs (trims of the daemon under way)", "ads.sotw10k.rss_all", "", -1)
	row("  peak (VmHWM) of that server", "ads.sotw10k.server_hwm", "", -1)
	row("  in-process build at 1k, as serve holds it: VmRSS", "mem.build1k.rss", "", -1)
	row("  in-process build at 1k: peak VmHWM", "mem.build1k.hwm", "", -1)
	row("  in-process build at 10k, as serve holds it: VmRSS", "mem.build10k.rss", "", -1)
	row("  in-process build at 10k: peak VmHWM", "mem.build10k.hwm", "", -1)
	row("memory per synced sotw stream (1k tree, 1000 streams)", "ads.sotw1k.per_stream", "<= 64 KiB", 64)
	row("memory per synced sotw stream (10k tree, 1000 streams)", "ads.sotw10k.per_stream", "<= 64 KiB", 64)
	row("memory per synced delta stream (1k tree)", "ads.delta1k.per_stream", "<= 64 KiB", 64)
	row("memory per synced delta stream (10k tree)", "ads.delta10k.per_stream", "<= 64 KiB", 64)
	row("delta bytes per stream, one-route change / changed size", "ads.delta1k.bytes_ratio", "<= 2x", 2)
	row("sotw bytes per stream, one-route change (1k tree)", "ads.sotw1k.bytes_per_stream", "", -1)
	row("  changed resources size (1k tree)", "ads.sotw1k.changed_bytes", "", -1)
	row("  sotw bytes / changed size (1k tree)", "ads.sotw1k.bytes_ratio", "(<= 2x)", 2)
	row("sotw bytes per stream, one-route change (10k tree)", "ads.sotw10k.bytes_per_stream", "", -1)
	row("responses per stream per change (sotw, 1k tree)", "ads.sotw1k.responses_per_stream", "", -1)
	row("redundant pushes per change, 1000 sotw streams (1k)", "ads.sotw1k.redundant_per_change", "0", 0)
	row("redundant pushes per change, 1000 sotw streams (10k)", "ads.sotw10k.redundant_per_change", "0", 0)
	row("redundant pushes per change, 1000 delta streams (1k)", "ads.delta1k.redundant_per_change", "0", 0)
	row("cairn diff, one-route change, 10k tree / cairn check", "diff10k.ratio", "<= 2x", 2)
	row("  cairn diff OLD NEW (two builds, one pipeline)", "diff10k.diff", "", -1)
	row("  cairn check of the same tree", "diff10k.check", "", -1)
}' "$RES"
echo
# --- growth with the tree: each figure at 1k / 10k / 100k, ratio to 1k -------
awk -F '\t' '
$1 == "RESULT" { med[$2] = $3; unit[$2] = $6 }
$1 == "NA" { na[$2] = $3 }
function cell(k, base) {
	if (k in na) return "n/a"
	if (!(k in med)) return "not run"
	if (base in med && med[base] > 0 && k != base)
		return sprintf("%.1f %s (%.1fx)", med[k], unit[k], med[k] / med[base])
	return sprintf("%.1f %s", med[k], unit[k])
}
function row(fig, a, b, c) {
	printf "%-44s %-22s %-22s %s\n", fig, cell(a, a), cell(b, a), cell(c, a)
}
END {
	printf "%-44s %-22s %-22s %s\n", "growth (ratio to the 1k figure)", "1k", "10k", "100k"
	printf "%-44s %-22s %-22s %s\n", "-------------------------------", "--", "---", "----"
	row("full build", "build1k.full", "build10k.full", "build100k.full")
	row("libyaml parse-only", "build1k.parse_only", "build10k.parse_only", "build100k.parse_only")
	row("full build / parse-only (target <= 2x)", "build1k.ratio", "build10k.ratio", "build100k.ratio")
	row("  the same in CPU time", "build1k.ratio_cpu", "build10k.ratio_cpu", "build100k.ratio_cpu")
	row("rebuild, no file changed", "build1k.nochange", "build10k.nochange", "build100k.nochange")
	row("one file changed: seen -> built", "rebuild1k.total", "rebuild.total", "rebuild100k.total")
	row("  of which rescan", "rebuild1k.scan", "rebuild.scan", "rebuild100k.scan")
	row("VmRSS after one build (serve state)", "mem.build1k.rss", "mem.build10k.rss", "mem.build100k.rss")
	row("  malloc heap kept", "mem.build1k.heap", "mem.build10k.heap", "mem.build100k.heap")
	row("  of which the source cache", "mem.build1k.heap_scan", "mem.build10k.heap_scan", "mem.build100k.heap_scan")
	row("peak VmHWM of that process", "mem.build1k.hwm", "mem.build10k.hwm", "mem.build100k.hwm")
	for (k in na) if (k ~ /100k/) { printf "100k: %s\n", na[k]; break }
}' "$RES"
echo
grep '^INFO' "$RES" | cut -f2- | sed 's/^/note: /'
