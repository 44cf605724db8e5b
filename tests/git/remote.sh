#!/bin/sh
# Remote mode over file://: cairn fetches the remote into a private bare
# mirror under the state directory every fetch-interval; a push to the
# remote is served within a few seconds; a remote that goes away is logged
# (with backoff) and the last commit keeps serving.
. "$top_srcdir/tests/git/lib.sh"
echo "1..8"
LIMIT_MS=3000

remote_setup
CAIRN_STATE_DIRECTORY=$tmp/state
export CAIRN_STATE_DIRECTORY

"$CAIRN" check -c "$tmp/cairn.yaml" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "3 objects, 3 valid" "$tmp/check.out"; then
	ok "check -c: reads the remote's branch"
else
	not_ok "check -c: reads the remote's branch (exit $rc)"; show "$tmp/check.out"
fi
set -- "$tmp"/state/git/*.git
if [ $# -eq 1 ] && [ -f "$1/HEAD" ] &&
    [ "$(git -C "$1" rev-parse refs/heads/main)" = "$first" ]; then
	ok "the mirror is a bare repository under the state directory"
else
	not_ok "the mirror is a bare repository under the state directory"
fi

serve "$tmp/serve.log" -c "$tmp/cairn.yaml"
if wait_log "$tmp/serve.log" "initial build: revision $first" 5000 >/dev/null; then
	ok "serve: the initial build serves the remote's commit"
else
	not_ok "serve: the initial build serves the remote's commit"; show "$tmp/serve.log"
fi

write_shop "$tmp/work" 20
commit "$tmp/work" "shop: 20% canary"
second=$(git -C "$tmp/work" rev-parse HEAD)
from=$(log_lines "$tmp/serve.log")
git -C "$tmp/work" push -q origin main
if ms=$(wait_log "$tmp/serve.log" "revision $second" $LIMIT_MS "$from"); then
	ok "a push to the remote is served ($ms ms)"
else
	not_ok "a push to the remote is served"; show "$tmp/serve.log"
fi

# The remote goes away: logged, backing off, still serving.
mv "$tmp/origin.git" "$tmp/origin.away"
if wait_log "$tmp/serve.log" "fetch from .* failed \(1 in a row\).*still serving $second" $LIMIT_MS "$from" >/dev/null; then
	ok "a failed fetch is logged and the commit keeps serving"
else
	not_ok "a failed fetch is logged and the commit keeps serving"; show "$tmp/serve.log"
fi
if wait_log "$tmp/serve.log" "failed \(3 in a row\).*next attempt in 800 ms" $LIMIT_MS "$from" >/dev/null; then
	ok "retries back off"
else
	not_ok "retries back off"; show "$tmp/serve.log"
fi
mv "$tmp/origin.away" "$tmp/origin.git"
write_shop "$tmp/work" 30
commit "$tmp/work" "shop: 30% canary"
third=$(git -C "$tmp/work" rev-parse HEAD)
from=$(log_lines "$tmp/serve.log")
git -C "$tmp/work" push -q origin main
# The backoff may be at a few seconds by now.
if ms=$(wait_log "$tmp/serve.log" "revision $third" 10000 "$from"); then
	ok "the remote is back: the next push is served ($ms ms)"
else
	not_ok "the remote is back: the next push is served"; show "$tmp/serve.log"
fi
check "recovery is logged" grep -q "works again" "$tmp/serve.log"

kill "$serve_pid" 2>/dev/null
[ "$tap_failed" -eq 0 ]
