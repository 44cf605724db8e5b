#!/bin/sh
# Every regex cairn emits goes through RE2, Envoy's engine (SPEC §8, issue
# #16): the nine regexes RE2 refuses, in HTTPProxy path, header and query
# conditions, Ingress ImplementationSpecific paths and CORS allowed origins,
# each a located error (file:line:col of the regex) with Contour's reason;
# the object is left out and every other host is still served. The program
# size: a 107-instruction path regex passes the default limit (1000) and is
# refused with envoy.regex-max-program-size below 107. TAP.
set -u
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
if [ ! -x "$CAIRN" ]; then
	echo "Bail out! $CAIRN is not built"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The nine of issue #16, one per line (no shell or YAML quoting needed
# inside YAML single quotes).
cat >"$tmp/bad" <<'EOF'
/(a)\1
/x{1001}
/[[:foo:]]
/\p{Foo}
/\Z
/a{2,1}
/(?<=a)b
/[z-a]
/\8
EOF
# The realistic regex of the issue: 107 instructions as sent ("^" + path).
ORDERS='/api/v[0-9]+/users/[^/]+/orders/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.*'

n=0
pass() { n=$((n + 1)); echo "ok $n - $1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

service() { # namespace
	mkdir -p "$src/$1"
	cat >"$src/$1/web.yaml" <<EOF
apiVersion: v1
kind: Service
metadata: {name: web, namespace: $1}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: web, namespace: $1}
subsets:
  - addresses: [{ip: 10.0.0.1}]
    ports: [{port: 8080}]
EOF
}

# The host that must stay served whatever the others do.
good() {
	service good
	cat >"$src/good/proxy.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: shop, namespace: good}
spec:
  virtualhost: {fqdn: good.example.com}
  routes:
    - conditions:
        - regex: '$ORDERS'
      services: [{name: web, port: 80}]
    - conditions:
        - prefix: /
      services: [{name: web, port: 80}]
EOF
}

src=$tmp/src
mkdir -p "$src"
good
for ns in path header query cors ingress; do service $ns; done
i=0
while IFS= read -r re; do
	i=$((i + 1))
	cat >"$src/path/r$i.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: r$i, namespace: path}
spec:
  virtualhost: {fqdn: r$i.path.example.com}
  routes:
    - conditions:
        - regex: '$re'
      services: [{name: web, port: 80}]
EOF
	cat >"$src/header/r$i.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: r$i, namespace: header}
spec:
  virtualhost: {fqdn: r$i.header.example.com}
  routes:
    - conditions:
        - header:
            name: x-re
            regex: '$re'
      services: [{name: web, port: 80}]
EOF
	cat >"$src/query/r$i.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: r$i, namespace: query}
spec:
  virtualhost: {fqdn: r$i.query.example.com}
  routes:
    - conditions:
        - queryParameter:
            name: q
            regex: '$re'
      services: [{name: web, port: 80}]
EOF
	cat >"$src/cors/r$i.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: r$i, namespace: cors}
spec:
  virtualhost:
    fqdn: r$i.cors.example.com
    corsPolicy:
      allowMethods: [GET]
      allowOrigin: ['https:$re']
  routes:
    - services: [{name: web, port: 80}]
EOF
	# ".*" makes the path a regex for Contour (ImplementationSpecific).
	cat >"$src/ingress/r$i.yaml" <<EOF
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: r$i, namespace: ingress}
spec:
  rules:
    - host: r$i.ingress.example.com
      http:
        paths:
          - path: '$re.*'
            pathType: ImplementationSpecific
            backend: {service: {name: web, port: {number: 80}}}
EOF
done <"$tmp/bad"

"$CAIRN" check -c /dev/null --source "$src" >"$tmp/check.out" 2>&1
rc=$?
[ $rc -eq 1 ] && pass "check exits 1" || fail "check exits 1 (got $rc)" "$(cat "$tmp/check.out")"
"$CAIRN" dump -c /dev/null --source "$src" --format json >"$tmp/dump.json" 2>"$tmp/dump.err"

# expect FILE:LINE:COL "HTTPProxy ns/name" REASON (each on the regex itself)
expect() {
	line=$(grep -F "$1: error: $2: " "$tmp/check.out" | head -1)
	case $line in
	*"($3)") pass "$1: $2 ($3)" ;;
	*) fail "$1: $2 ($3)" "got: ${line:-nothing}" "$(grep -F "$(echo "$1" | cut -d: -f1)" "$tmp/check.out")" ;;
	esac
}
i=0
while IFS= read -r re; do
	i=$((i + 1))
	expect "path/r$i.yaml:8:18" "HTTPProxy path/r$i" PathMatchConditionsNotValid
	expect "header/r$i.yaml:10:20" "HTTPProxy header/r$i" HeaderMatchConditionsNotValid
	expect "query/r$i.yaml:10:20" "HTTPProxy query/r$i" QueryParameterMatchConditionsNotValid
	expect "cors/r$i.yaml:9:21" "HTTPProxy cors/r$i" PolicyDidNotParse
	expect "ingress/r$i.yaml:9:13" "Ingress ingress/r$i" PathMatchConditionsNotValid
	# Left out: nothing of that host reaches Envoy.
	for kind in path header query cors ingress; do
		if grep -q "r$i\.$kind\.example\.com" "$tmp/dump.json"; then
			fail "$kind r$i: the host is left out of the dump"
		fi
	done
done <"$tmp/bad"
if grep -F -q 'route: invalid regular expression "^/(a)\1": invalid escape sequence: \1 (PathMatchConditionsNotValid)' "$tmp/check.out"; then
	pass "RE2's own reason is in the message"
else
	fail "RE2's own reason is in the message" "$(head -3 "$tmp/check.out")"
fi
if grep -q '"good.example.com"' "$tmp/dump.json" &&
    grep -F -q '"regex": "^/api/v[0-9]+/users/' "$tmp/dump.json"; then
	pass "good.example.com is served, its 107-instruction regex within the default limit"
else
	fail "good.example.com is served" "$(head -c 2000 "$tmp/dump.json")"
fi
if grep -q "good/proxy.yaml" "$tmp/check.out"; then
	fail "good/proxy.yaml has no problem" "$(grep good/ "$tmp/check.out")"
else
	pass "good/proxy.yaml has no problem"
fi

# Program size: the limit of cairn.yaml, as Envoy applies it (refused
# when over, accepted when equal).
src=$tmp/size
mkdir -p "$src"
good
printf 'envoy:\n  regex-max-program-size: 106\n' >"$tmp/106.yaml"
printf 'envoy:\n  regex-max-program-size: 107\n' >"$tmp/107.yaml"
"$CAIRN" check -c "$tmp/106.yaml" --source "$src" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -F -q "good/proxy.yaml:8:18: error: HTTPProxy good/shop: route: invalid regular expression \"^$ORDERS\": RE2 program size of 107 is over the limit of 106 (envoy.regex-max-program-size) (PathMatchConditionsNotValid)" "$tmp/check.out"; then
	pass "limit 106 refuses the 107-instruction regex, located"
else
	fail "limit 106 refuses the 107-instruction regex, located" "exit $rc" "$(cat "$tmp/check.out")"
fi
"$CAIRN" check -c "$tmp/107.yaml" --source "$src" >"$tmp/check.out" 2>&1
rc=$?
[ $rc -eq 0 ] && pass "limit 107 accepts it" || fail "limit 107 accepts it" "$(cat "$tmp/check.out")"
"$CAIRN" dump -c "$tmp/106.yaml" --source "$src" --format json >"$tmp/dump.json" 2>/dev/null
if grep -q "good.example.com" "$tmp/dump.json"; then
	fail "limit 106: the proxy is left out" "$(head -c 1000 "$tmp/dump.json")"
else
	pass "limit 106: the proxy is left out"
fi

# A wildcard host: cairn's own :authority regex is checked too.
printf 'envoy:\n  regex-max-program-size: 40\n' >"$tmp/40.yaml"
src=$tmp/wild
service wild
cat >"$src/wild/proxy.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: w, namespace: wild}
spec:
  virtualhost:
    fqdn: "*.a-rather-long-subdomain.example.com"
  routes:
    - services: [{name: web, port: 80}]
EOF
"$CAIRN" check -c "$tmp/40.yaml" --source "$src" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^wild/proxy.yaml:6:5: error: HTTPProxy wild/w: .*RE2 program size of [0-9]* is over the limit of 40.*(WildcardRegexNotValid)$" "$tmp/check.out"; then
	pass "a wildcard host's :authority regex over the limit is a located error"
else
	fail "a wildcard host's :authority regex over the limit is a located error" "exit $rc" "$(cat "$tmp/check.out")"
fi
"$CAIRN" check -c /dev/null --source "$src" >"$tmp/check.out" 2>&1
[ $? -eq 0 ] && pass "the same host passes the default limit" || fail "the same host passes the default limit" "$(cat "$tmp/check.out")"

# Checked as sent: an include's prefix is joined to the route's regex (as
# Contour does), so the regex Envoy gets is "^/shop(/x": refused, located at
# the child's regex, naming the whole regex.
src=$tmp/include
service shop
cat >"$src/shop/root.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: root, namespace: shop}
spec:
  virtualhost: {fqdn: shop.example.com}
  includes:
    - name: child
      conditions: [{prefix: '/shop('}]
EOF
cat >"$src/shop/child.yaml" <<EOF
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: child, namespace: shop}
spec:
  routes:
    - conditions:
        - regex: '/x'
      services: [{name: web, port: 80}]
EOF
"$CAIRN" check -c /dev/null --source "$src" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -F -q 'shop/child.yaml:7:18: error: HTTPProxy shop/child: route: invalid regular expression "^/shop(/x": missing ): ^/shop(/x (PathMatchConditionsNotValid)' "$tmp/check.out"; then
	pass "an include prefix joined to a route regex is checked as sent"
else
	fail "an include prefix joined to a route regex is checked as sent" "exit $rc" "$(cat "$tmp/check.out")"
fi

# The key itself: 0 is refused with its place.
printf 'envoy:\n  regex-max-program-size: 0\n' >"$tmp/0.yaml"
"$CAIRN" check -c "$tmp/0.yaml" --source "$src" >"$tmp/check.out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "0.yaml:2:27: .*regex-max-program-size must be at least 1" "$tmp/check.out"; then
	pass "regex-max-program-size: 0 is a located configuration error"
else
	fail "regex-max-program-size: 0 is a located configuration error" "exit $rc" "$(cat "$tmp/check.out")"
fi
echo "1..$n"
