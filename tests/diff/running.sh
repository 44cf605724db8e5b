#!/bin/sh
# `cairn diff --running` against a real `cairn serve`, and what the last
# change did on the admin endpoint (issue #19): GET /debug/diff (text),
# /debug/diff.json and the "last_change" summary in /status.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
case_dir="$top_srcdir/tests/diff/routes"
echo "1..12"
. "$top_srcdir/tests/lib/serve-admin.sh"
mkdir "$tmp/served"
cp -r "$case_dir/old/." "$tmp/served/"
serve_start --source "$tmp/served"

# 1. nothing edited: no plan
"$CAIRN" diff --source "$tmp/served" --running --admin "$admin" >"$tmp/d0" 2>&1
rc=$?
check "the tree the daemon serves: exit 0, empty output ($rc)" test $rc -eq 0 -a ! -s "$tmp/d0"
check "before any change /debug/diff says so (and /debug/diff.json is 404)" \
	sh -c "curl -s 'http://$admin/debug/diff' | grep -q 'no change since the daemon started' &&
	    test \"\$(curl -s -o /dev/null -w '%{http_code}' 'http://$admin/debug/diff.json')\" = 404"

# 2. the edited tree against the running daemon: the same plan as the
# two directories give (tests/diff/routes/expected.txt)
"$CAIRN" diff --source "$case_dir/new" --running --admin "$admin" --color never >"$tmp/d1" 2>"$tmp/e1"
rc=$?
tail -n +2 "$case_dir/expected.txt" >"$tmp/want"
if [ $rc -eq 1 ] && cmp -s "$tmp/want" "$tmp/d1"; then
	ok "--running shows what the save will do (exit 1)"
else
	not_ok "--running shows what the save will do ($rc)"; diff -u "$tmp/want" "$tmp/d1" | show /dev/stdin; show "$tmp/e1"
fi

# 3. save it: the daemon publishes, and its admin endpoint shows the change
from=$(grep -c "change " "$tmp/log")
cp "$case_dir/new/shop/app.yaml" "$tmp/served/shop/app.yaml"
for _ in $(seq 100); do
	grep -q "change .*the plan: GET /debug/diff" "$tmp/log" && break
	sleep 0.1
done
# The log line is made from resource versions (the plan, which reads every
# host of ingress_http, is made when a page asks: SPEC §12's 20 ms).
check "the daemon logs the change's resources once" \
	test "$(grep -c 'change .*: 2 route configurations changed, 1 cluster added, 1 endpoint set added (the plan: GET /debug/diff)$' "$tmp/log")" -eq 1
curl -s "http://$admin/debug/diff" >"$tmp/web"
if cmp -s "$tmp/want" "$tmp/web"; then
	ok "GET /debug/diff is the plan of the last change"
else
	not_ok "GET /debug/diff is the plan of the last change"; diff -u "$tmp/want" "$tmp/web" | show /dev/stdin
fi
curl -s "http://$admin/debug/diff.json" >"$tmp/web.json"
check "GET /debug/diff.json has the same summary" \
	grep -q '"text": "1 route added, 1 route changed, 1 route removed on 1 host, 1 cluster added, 1 endpoint set added"' "$tmp/web.json"
curl -s "http://$admin/status" >"$tmp/status.json"
check "/status carries the last change's summary" \
	grep -q '"summary": "1 route added, 1 route changed, 1 route removed on 1 host, 1 cluster added, 1 endpoint set added"' "$tmp/status.json"
"$CAIRN" diff --source "$tmp/served" --running --admin "$admin" >"$tmp/d2" 2>&1
rc=$?
check "after the save, the tree matches the daemon again ($rc)" test $rc -eq 0 -a ! -s "$tmp/d2"

# 5. a status change while other objects' statuses stay (the daemon copies
# the statuses of the DAG parts a build made, not the ones it reused): a
# namespace whose files do not change, with an object invalid all along,
# is not in the plan; the object that turns invalid is.
synced() { # waits until the daemon serves what is on disk
	for _ in $(seq 100); do
		"$CAIRN" diff --source "$tmp/served" --running --admin "$admin" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}
mkdir "$tmp/served/other"
cat >"$tmp/served/other/app.yaml" <<'EOF'
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: app
spec:
  virtualhost:
    fqdn: other.example.com
  routes:
    - services:
        - name: missing
          port: 80
EOF
cp "$top_srcdir/tests/diff/status/old/shop/app.yaml" "$tmp/served/shop/app.yaml"
synced
changes=$(grep -c "change .*the plan" "$tmp/log")
cp "$top_srcdir/tests/diff/status/new/shop/app.yaml" "$tmp/served/shop/app.yaml"
check "the daemon serves the tree with the invalid object" synced
# tests/diff/status's plan, but other/app already needed cairn/not-forwarded.
tail -n +2 "$top_srcdir/tests/diff/status/expected.txt" |
	sed -e '/^  + cairn\/not-forwarded$/d' \
	    -e 's/^2 routes changed on 1 host, .*/2 routes changed on 1 host, 1 cluster removed, 1 endpoint set removed, 1 object invalid/' >"$tmp/want5"
curl -s "http://$admin/debug/diff" >"$tmp/web5"
if cmp -s "$tmp/want5" "$tmp/web5"; then
	ok "GET /debug/diff: only the object whose status changed"
else
	not_ok "GET /debug/diff: only the object whose status changed"; diff -u "$tmp/want5" "$tmp/web5" | show /dev/stdin
fi
check "the log line counts the object that turned invalid, once" \
	test "$(grep -c 'change .*: 2 route configurations changed, 1 cluster removed, 1 endpoint set removed, 1 object invalid (the plan' "$tmp/log")" -eq 1 -a \
	    "$(grep -c "change .*the plan" "$tmp/log")" -eq $((changes + 1))

# 4. no daemon there: exit 2 with a message
"$CAIRN" diff --source "$tmp/served" --running --admin 127.0.0.1:1 >"$tmp/d3" 2>&1
rc=$?
check "no daemon at --admin: exit 2 ($rc)" test $rc -eq 2
