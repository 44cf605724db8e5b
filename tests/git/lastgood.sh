#!/bin/sh
# git mode across a restart (issue #15): the last good commit is persisted
# in the state directory, so a restart (kill -9) facing a branch whose tip
# has errors serves that commit again instead of nothing; `cairn status`
# and `cairn dump` agree with the daemon. Local refs and remote mode (the
# commit read from the mirror, no fetch needed).
. "$top_srcdir/tests/git/lib.sh"
echo "1..9"
CAIRN_STATE_DIRECTORY=$tmp/state
export CAIRN_STATE_DIRECTORY

git init -q --bare -b main "$tmp/routes.git"
git clone -q "$tmp/routes.git" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -b main 2>/dev/null
write_shop "$tmp/work" 10
commit "$tmp/work" "shop: 10% canary"
git -C "$tmp/work" push -q origin main
first=$(git -C "$tmp/work" rev-parse HEAD)

admin() {
	port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$1" | head -1)
	curl -sf --max-time 5 "http://127.0.0.1:$port$2"
}
kill9() {
	kill -9 "$serve_pid" 2>/dev/null
	wait "$serve_pid" 2>/dev/null
}
# weights LOG: the weighted clusters of shop.example.com the daemon serves.
weights() {
	admin "$1" /debug/xds | python3 -c 'import json, sys
d = json.load(sys.stdin)
for r in d["types"]["rds"]["resources"]:
    if r["name"] != "ingress_http":
        continue
    for vh in r["resource"].get("virtual_hosts", []):
        for rt in vh["routes"]:
            for c in rt["route"].get("weighted_clusters", {}).get("clusters", []):
                print(c["name"].split("/")[1], c["weight"])'
}
commit_copy() { grep -l '^path @commit$' "$tmp"/state/lastgood/*/*.lg 2>/dev/null | head -1; }

serve "$tmp/serve.log" --git "$tmp/routes.git"
wait_log "$tmp/serve.log" "initial build: revision $first" 5000 >/dev/null
copy=$(commit_copy)
if [ -n "$copy" ] && tail -c 41 "$copy" | grep -q "^$first"; then
	ok "the commit served is persisted in the state directory"
else
	not_ok "the commit served is persisted in the state directory"
	ls -laR "$tmp/state" | show /dev/stdin
	show "$tmp/serve.log"
fi

break_shop "$tmp/work"
commit "$tmp/work" "shop: a typo"
git -C "$tmp/work" push -q origin main
bad=$(git -C "$tmp/work" rev-parse HEAD)
wait_log "$tmp/serve.log" "commit $bad .* has 1 errors" 5000 >/dev/null
kill9
serve "$tmp/serve2.log" --git "$tmp/routes.git"
if wait_log "$tmp/serve2.log" "commit $bad has errors; serving the last good commit $first persisted in $tmp/state/lastgood/" 5000 >/dev/null &&
    wait_log "$tmp/serve2.log" "initial build: revision $first" 5000 >/dev/null &&
    [ "$(weights "$tmp/serve2.log" | sort | tr '\n' ' ')" = "canary 10 storefront 90 " ]; then
	ok "kill -9, restart with a broken tip: the persisted last good commit serves"
else
	not_ok "kill -9, restart with a broken tip: the persisted last good commit serves"
	show "$tmp/serve2.log"
fi
port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/serve2.log" | head -1)
"$CAIRN" status --admin "127.0.0.1:$port" >"$tmp/status.txt" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "revision $first (shop: 10% canary)" "$tmp/status.txt" &&
    grep -q "shop/proxy.yaml:11:11: error: " "$tmp/status.txt" &&
    grep -q "commit $bad has errors: serving the last good commit $first, persisted in the state directory before the restart" "$tmp/status.txt"; then
	ok "cairn status: the persisted commit serving, the tip's error, exit 1"
else
	not_ok "cairn status: the persisted commit serving, the tip's error, exit 1 (exit $rc)"
	show "$tmp/status.txt"
fi

"$CAIRN" dump --git "$tmp/routes.git" --format json >"$tmp/dump.json" 2>"$tmp/dump.err"
rc=$?
"$CAIRN" dump --git "$tmp/routes.git" --rev "$first" --format json >"$tmp/first.json" 2>/dev/null
if [ $rc -eq 1 ] && cmp -s "$tmp/dump.json" "$tmp/first.json" &&
    grep -q "cairn dump: commit $bad has errors; showing the last good commit $first, persisted in $tmp/state/lastgood/[0-9a-f]*, which cairn serve serves" "$tmp/dump.err" &&
    grep -q "shop/proxy.yaml:11:11: error: " "$tmp/dump.err"; then
	ok "cairn dump of the broken branch shows the persisted commit the daemon serves, exit 1"
else
	not_ok "cairn dump of the broken branch shows the persisted commit the daemon serves, exit 1 (exit $rc)"
	show "$tmp/dump.err"
fi
"$CAIRN" dump --git "$tmp/routes.git" --rev "$bad" --format json >/dev/null 2>&1
rc=$?
if [ $rc -eq 1 ]; then
	ok "cairn dump --rev of the broken commit: that commit only, exit 1"
else
	not_ok "cairn dump --rev of the broken commit: that commit only, exit 1 (exit $rc)"
fi

write_shop "$tmp/work" 30
commit "$tmp/work" "shop: 30% canary"
git -C "$tmp/work" push -q origin main
fixed=$(git -C "$tmp/work" rev-parse HEAD)
if wait_log "$tmp/serve2.log" "revision $fixed" 5000 >/dev/null &&
    sleep 0.2 && tail -c 41 "$(commit_copy)" | grep -q "^$fixed"; then
	ok "a good push after the restart serves and becomes the persisted commit"
else
	not_ok "a good push after the restart serves and becomes the persisted commit"
	show "$tmp/serve2.log"
fi
kill9

# Remote mode: the commit comes back from the mirror.
rm -rf "$tmp/work" "$tmp/state"
remote_setup
serve "$tmp/remote.log" -c "$tmp/cairn.yaml"
wait_log "$tmp/remote.log" "initial build: revision $first" 5000 >/dev/null
break_shop "$tmp/work"
commit "$tmp/work" "shop: a typo"
git -C "$tmp/work" push -q origin main
bad=$(git -C "$tmp/work" rev-parse HEAD)
if wait_log "$tmp/remote.log" "commit $bad .* has 1 errors" 5000 >/dev/null; then
	ok "remote: the broken push is refused while serving"
else
	not_ok "remote: the broken push is refused while serving"
	show "$tmp/remote.log"
fi
kill9
serve "$tmp/remote2.log" -c "$tmp/cairn.yaml"
if wait_log "$tmp/remote2.log" "commit $bad has errors; serving the last good commit $first persisted" 5000 >/dev/null &&
    wait_log "$tmp/remote2.log" "initial build: revision $first" 5000 >/dev/null &&
    [ "$(weights "$tmp/remote2.log" | sort | tr '\n' ' ')" = "canary 10 storefront 90 " ]; then
	ok "remote: kill -9 and restart with a broken tip serve the persisted commit from the mirror"
else
	not_ok "remote: kill -9 and restart with a broken tip serve the persisted commit from the mirror"
	show "$tmp/remote2.log"
fi
kill9

# A corrupt commit copy is discarded: nothing is served, it is said.
copy=$(commit_copy)
printf 'x' >>"$copy"
serve "$tmp/remote3.log" -c "$tmp/cairn.yaml"
if wait_log "$tmp/remote3.log" "discarded: (longer than its header says|truncated)" 5000 >/dev/null &&
    wait_log "$tmp/remote3.log" "has 1 errors: nothing of it is served; still serving revision \(none\)" 5000 >/dev/null &&
    [ ! -f "$copy" ]; then
	ok "a corrupt commit copy: discarded, said, nothing served from it"
else
	not_ok "a corrupt commit copy: discarded, said, nothing served from it"
	show "$tmp/remote3.log"
fi
kill9
exit "$tap_failed"
