#!/bin/sh
# `cairn diff --running --gateway NS/NAME` against a real `cairn serve`
# (issue #17): what a node naming the Gateway gets from the daemon, compared
# with the tree on disk; the plan must be the one `cairn diff --gateway`
# gives for the same two trees; a plain --running shows each Gateway's plan
# as a plain plan of two trees does. Also /debug/xds?gateway= and a daemon
# that ignores ?gateway= (an older cairn): never compared as a Gateway's.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
echo "1..11"
. "$top_srcdir/tests/lib/serve-admin.sh"
cp -r "$top_srcdir/examples/gateway-api" "$tmp/served"
cp -r "$top_srcdir/examples/gateway-api" "$tmp/new"
sed -i 's/weight: 90/weight: 50/; s/weight: 10/weight: 50/' "$tmp/new/shop/routes.yaml"
serve_start -c /dev/null --source "$tmp/served"
rdiff() { "$CAIRN" diff -c /dev/null --running --admin "$admin" --color never "$@"; }

# 1. the tree the daemon serves: no plan for the Gateway
rdiff --source "$tmp/served" --gateway shop/public >"$tmp/d0" 2>&1
rc=$?
check "the served tree, --gateway shop/public: exit 0, empty output ($rc)" \
	test $rc -eq 0 -a ! -s "$tmp/d0"

# 2. the edited tree: the plan `cairn diff --gateway OLD NEW` gives
"$CAIRN" diff -c /dev/null --color never --gateway shop/public "$tmp/served" "$tmp/new" \
	>"$tmp/want" 2>&1
rdiff --source "$tmp/new" --gateway shop/public >"$tmp/d1" 2>"$tmp/e1"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$tmp/want" "$tmp/d1" &&
    grep -q "virtual host www.shop.example  (gw/shop/public/8080)" "$tmp/d1" &&
    grep -q "route.weighted_clusters.clusters\[1\].weight: 90 -> 50" "$tmp/d1"; then
	ok "--running --gateway: the Gateway's weight change, as the two trees' plan (exit 1)"
else
	not_ok "--running --gateway: the Gateway's weight change ($rc)"
	diff -u "$tmp/want" "$tmp/d1" | show /dev/stdin; show "$tmp/e1"
fi

# 3. JSON: the same plan as the two trees' JSON
"$CAIRN" diff -c /dev/null --format json --gateway shop/public "$tmp/served" "$tmp/new" \
	>"$tmp/want.json" 2>/dev/null
rdiff --source "$tmp/new" --gateway shop/public --format json >"$tmp/d1.json" 2>/dev/null
rc=$?
# The running side's revision is the daemon's; the directory's is "".
check "--format json: the same routes as the two trees' plan ($rc)" \
	sh -c "[ $rc -eq 1 ] && grep -v '\"revision\"\\|\"from\"' '$tmp/want.json' >'$tmp/a' &&
	    grep -v '\"revision\"\\|\"from\"' '$tmp/d1.json' >'$tmp/b' && cmp -s '$tmp/a' '$tmp/b'"

# 4. without --gateway: what nodes naming no Gateway see (nothing: the
# routes are Gateway routes), then each Gateway that changes under its
# name, asked of the daemon by name: the plain plan of the two trees.
"$CAIRN" diff -c /dev/null --color never "$tmp/served" "$tmp/new" >"$tmp/want2" 2>&1
rdiff --source "$tmp/new" >"$tmp/d2" 2>"$tmp/e2"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$tmp/want2" "$tmp/d2" &&
    [ "$(head -1 "$tmp/d2")" = "Gateway shop/public (nodes with cairn.io/gateway: shop/public)" ] &&
    [ ! -s "$tmp/e2" ]; then
	ok "plain --running: the Gateway's plan under its name, as the two trees' plain plan"
else
	not_ok "plain --running: the Gateway's plan under its name ($rc)"
	diff -u "$tmp/want2" "$tmp/d2" | show /dev/stdin; show "$tmp/e2"
fi
rdiff --source "$tmp/served" >"$tmp/d2b" 2>&1
rc=$?
check "plain --running, the served tree: exit 0, empty ($rc)" test $rc -eq 0 -a ! -s "$tmp/d2b"

# A Gateway the tree no longer has is found through the daemon's /status:
# its resources go, as in the two trees' plain plan.
cp -r "$tmp/served" "$tmp/nogw"
rm "$tmp/nogw/shop/gateway.yaml"
"$CAIRN" diff -c /dev/null --color never "$tmp/served" "$tmp/nogw" >"$tmp/want3" 2>/dev/null
rdiff --source "$tmp/nogw" >"$tmp/d3b" 2>"$tmp/e3b"
rc=$?
if [ $rc -eq 1 ] && cmp -s "$tmp/want3" "$tmp/d3b" &&
    grep -q "^Gateway shop/public (nodes with cairn.io/gateway: shop/public)" "$tmp/d3b" &&
    grep -q "^    - gw/shop/public/8080" "$tmp/d3b"; then
	ok "plain --running: a Gateway removed from the tree, found by the daemon's status"
else
	not_ok "plain --running: a Gateway removed from the tree ($rc)"
	diff -u "$tmp/want3" "$tmp/d3b" | show /dev/stdin; show "$tmp/e3b"
fi

# 5. a Gateway the daemon does not serve: nothing on either side
rdiff --source "$tmp/new" --gateway shop/nope >"$tmp/d3" 2>&1
rc=$?
check "a Gateway not served: exit 0, empty ($rc)" test $rc -eq 0 -a ! -s "$tmp/d3"

# 6. the admin endpoint itself: /debug/xds?gateway= names the Gateway's
# listener, the default /debug/xds does not
curl -s "http://$admin/debug/xds?type=lds&gateway=shop%2Fpublic" >"$tmp/x1"
curl -s "http://$admin/debug/xds?type=lds" >"$tmp/x2"
check "/debug/xds?gateway=shop/public has gw/shop/public/8080; the default has not" \
	sh -c "grep -q '\"name\": \"gw/shop/public/8080\"' '$tmp/x1' &&
	    ! grep -q 'gw/shop/public/8080' '$tmp/x2'"
curl -s "http://$admin/debug/xds/pb?gateway=shop/public" >"$tmp/pb"
check "/debug/xds/pb?gateway= starts with the Gateway it selected" \
	sh -c "head -1 '$tmp/pb' | grep -qx '# gateway shop/public' &&
	    grep -q '^type.googleapis.com/envoy.config.listener.v3.Listener	gw/shop/public/8080	' '$tmp/pb'"

# 7. a daemon that ignores ?gateway= (cairn before it was read) answers with
# the default resources: diff must refuse them, not compare them.
mkdir "$tmp/stub"
curl -s "http://$admin/status" >"$tmp/stub/status"
curl -s "http://$admin/debug/xds/pb" >"$tmp/stub/pb"
cat >"$tmp/stub.py" <<'EOF'
import http.server, sys
d = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        f = "status" if self.path.startswith("/status") else "pb"
        body = open(d + "/" + f, "rb").read()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(s.server_port, flush=True)
s.serve_forever()
EOF
python3 "$tmp/stub.py" "$tmp/stub" >"$tmp/stub.port" 2>/dev/null &
extra_pids=$!
for _ in $(seq 50); do [ -s "$tmp/stub.port" ] && break; sleep 0.1; done
"$CAIRN" diff -c /dev/null --running --admin "127.0.0.1:$(cat "$tmp/stub.port")" \
	--source "$tmp/new" --gateway shop/public >"$tmp/d4" 2>"$tmp/e4"
rc=$?
check "a daemon that ignores ?gateway=: exit 2 with why ($rc)" \
	sh -c "[ $rc -eq 2 ] && grep -q 'does not serve a Gateway' '$tmp/e4'"
# The plain form against it: the default plan still (nothing changes for
# nodes naming no Gateway), its Gateways left out with a warning.
"$CAIRN" diff -c /dev/null --running --admin "127.0.0.1:$(cat "$tmp/stub.port")" \
	--source "$tmp/new" >"$tmp/d5" 2>"$tmp/e5"
rc=$?
check "plain --running, a daemon that ignores ?gateway=: exit 0, Gateways not compared ($rc)" \
	sh -c "[ $rc -eq 0 ] && [ ! -s '$tmp/d5' ] && grep -q 'Gateways are not compared' '$tmp/e5'"
