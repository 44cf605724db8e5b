# Sourced by the TAP scripts that test a running `cairn serve` through its
# admin endpoint (tests/diff/running.sh, running-gateway.sh,
# tests/gateway/change.sh). Gives the TAP helpers ok, not_ok, check and
# show; $tmp, a scratch directory removed on exit together with the daemon
# ($pid) and any other process in $extra_pids; and serve_start.
# Needs $CAIRN; print the plan line ("1..N") before sourcing.

i=0
ok() { i=$((i + 1)); echo "ok $i - $*"; }
not_ok() { i=$((i + 1)); echo "not ok $i - $*"; }
check() { d=$1; shift; if "$@"; then ok "$d"; else not_ok "$d"; fi; }
show() { sed 's/^/# /' "$1" | head -40; }

tmp=$(mktemp -d)
pid=
extra_pids=
trap 'for p in $pid $extra_pids; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"' EXIT

# serve_start [FLAG...]: `cairn serve FLAG...` on free xDS and admin ports,
# logging at debug level to $tmp/log; waits for the initial build and sets
# $pid and $admin (HOST:PORT). Bails out when the daemon does not start.
serve_start() {
	"$CAIRN" serve "$@" --xds 127.0.0.1:0 --admin 127.0.0.1:0 \
		--log-level debug >"$tmp/log" 2>&1 &
	pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/log" | head -1)
		[ -n "$port" ] && grep -q "initial build" "$tmp/log" && break
		sleep 0.1
	done
	if [ -z "$port" ]; then
		echo "Bail out! cairn serve did not start"; show "$tmp/log"; exit 1
	fi
	admin=127.0.0.1:$port
}
