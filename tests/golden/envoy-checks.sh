#!/bin/sh
# Beyond the protos (SPEC §8, issue #16): every golden case's resources judged by the checks
# Envoy makes when it builds them that no protoc-gen-validate rule expresses
# (tests/tools/envoy-checks.js: duplicate domains, duplicate filter chain matches, weights
# summing to zero, removing Host, oversized direct response bodies, ... — docs/protocol.md),
# and every regex in them by RE2 as Envoy compiles it (tests/tools/re2_verify, the case's
# envoy.regex-max-program-size). Then the same judges must catch a resource made wrong on
# purpose, so a judge that accepts everything fails here. TAP.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
top_builddir=${top_builddir:-$top_srcdir}
NODE=${NODE:-node}
RE2_VERIFY=${RE2_VERIFY:-$top_builddir/tests/tools/re2_verify}
dir="$top_srcdir/tests/golden"
checks="$top_srcdir/tests/tools/envoy-checks.js"

if ! command -v "$NODE" >/dev/null 2>&1; then
	echo "1..0 # SKIP node not found"
	exit 0
fi
if [ ! -x "$RE2_VERIFY" ]; then
	echo "Bail out! $RE2_VERIFY is not built (make tests/tools/re2_verify)"
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
pass() { n=$((n + 1)); printf 'ok %s - %s\n' "$n" "$1"; }
fail() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done; }

cases=$(cd "$dir" && for d in */; do [ -d "$d/input" ] && echo "${d%/}"; done)
for c in $cases; do
	if [ -f "$dir/$c/cairn.yaml" ]; then
		set -- -c "$dir/$c/cairn.yaml"
	else
		set -- -c /dev/null
	fi
	# dump-flags: a Gateway's resources (`--gateway NS/NAME`), as run.sh.
	dflags=
	[ -f "$dir/$c/dump-flags" ] && dflags=$(cat "$dir/$c/dump-flags")
	"$CAIRN" dump "$@" $dflags --source "$dir/$c/input" --format json --show-secrets \
	    >"$tmp/$c.json" 2>/dev/null
done
# One node process judges every case (each on its own).
(cd "$tmp" && "$NODE" "$checks" --batch $(for c in $cases; do echo "$c.json"; done)) \
    >"$tmp/batch.out" 2>&1
for c in $cases; do
	limit=1000
	if [ -f "$dir/$c/cairn.yaml" ]; then
		l=$(sed -n 's/^ *regex-max-program-size: *\([0-9]*\).*/\1/p' "$dir/$c/cairn.yaml")
		[ -n "$l" ] && limit=$l
	fi
	# Anchored: case "cors" must not read "gateway-httproute-cors.json: ".
	out=$(grep "^$c\.json: " "$tmp/batch.out")
	if echo "$out" | tail -1 | grep -q ' 0 problems$' && [ -f "$tmp/$c.json.re" ] &&
	    re=$("$RE2_VERIFY" "$limit" "$tmp/$c.json.re" 2>&1); then
		pass "$c: $(echo "$out" | tail -1 | sed "s/^$c.json: //"); $(echo "$re" | tail -1)"
	else
		fail "$c" "$out" "${re:-}"
	fi
	re=
done

# The judges themselves: each mutation of a good dump must be caught.
"$CAIRN" dump -c /dev/null --source "$dir/re2-regex/input" --format json >"$tmp/good.json" 2>/dev/null
mutate() { # name, then a JS expression on `d` (the dump)
	rm -f "$tmp/bad.json"
	if ! "$NODE" -e "const fs=require('fs'); const d=JSON.parse(fs.readFileSync('$tmp/good.json','utf8')); $2; fs.writeFileSync('$tmp/bad.json', JSON.stringify(d));" >"$tmp/out" 2>&1; then
		fail "the judge catches: $1 (the mutation itself failed)" "$(cat "$tmp/out")"
		return
	fi
	if "$NODE" "$checks" --regexes "$tmp/re" "$tmp/bad.json" >"$tmp/out" 2>&1; then
		fail "the judge catches: $1" "$(cat "$tmp/out")"
	else
		pass "the judge catches: $1 ($(head -1 "$tmp/out"))"
	fi
}
vh='d.routes[0].virtual_hosts'
mutate "a duplicate domain" "$vh.push(Object.assign({}, $vh[0], {name: 'copy', domains: [$vh[0].domains[0].toUpperCase()]}))"
mutate "weights summing to zero" "$vh[0].routes[0].route = {weighted_clusters: {clusters: [{name: 'a', weight: 0}, {name: 'b', weight: 0}]}}"
mutate "removing host" "$vh[0].routes[0].request_headers_to_remove = ['host']"
mutate "adding a pseudo-header" "$vh[0].routes[0].response_headers_to_add = [{header: {key: ':status', value: '200'}}]"
mutate "a 4097-byte direct response" "$vh[0].routes[0] = {match: {prefix: '/'}, direct_response: {status: 200, body: {inline_string: 'x'.repeat(4097)}}}"
mutate "duplicate filter chain matches" "d.listeners[0].filter_chains.push(d.listeners[0].filter_chains[0])"
mutate "a duplicate cluster" "d.clusters.push(d.clusters[0])"
mutate "the router filter not last" "const h=d.listeners[0].filter_chains[0].filters[0].typed_config.http_filters; h.push(h.shift())"
mutate "a header value that is not a format string" "$vh[0].routes[0].request_headers_to_add = [{header: {key: 'x-a', value: '100%'}}]"
mutate "ignore_case on a safe_regex" "$vh[0].routes[0].match.headers = [{name: 'x', string_match: {safe_regex: {regex: 'a'}, ignore_case: true}}]"
mutate "a partial wildcard server name" "d.listeners[0].filter_chains[0].filter_chain_match = {server_names: ['a*.example.com']}"
printf '/(a)\\1\0^/ok\0' >"$tmp/re"
if "$RE2_VERIFY" 1000 "$tmp/re" >"$tmp/out" 2>&1; then
	fail "re2_verify refuses a back-reference" "$(cat "$tmp/out")"
else
	pass "re2_verify refuses a back-reference ($(head -1 "$tmp/out"))"
fi
# Two listeners on one address: refused in cairn.yaml, with its place.
printf 'envoy:\n  http: {port: 8443}\n  https: {port: 8443}\n' >"$tmp/same.yaml"
"$CAIRN" check -c "$tmp/same.yaml" --source "$dir/basic/input" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "same.yaml:3:10: .*http and https listen on the same address and port" "$tmp/out"; then
	pass "http and https on one address is a located cairn.yaml error"
else
	fail "http and https on one address is a located cairn.yaml error" "exit $rc" "$(cat "$tmp/out")"
fi
echo "1..$n"
