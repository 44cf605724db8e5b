#!/bin/sh
# `cairn diff` golden cases: each tests/diff/<case>/ holds two trees (old/,
# new/) and what `cairn diff old new` must print:
#   expected.txt   the text plan (--color never), first line "exit N"
#   expected.json  the same plan with --format json
#   cairn.yaml     (optional) the configuration both sides are built with
# UPDATE_GOLDEN=1 rewrites the expectations instead of comparing.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
dir="$top_srcdir/tests/diff"

cases=$(cd "$dir" && for d in */; do [ -d "$d/old" ] && [ -d "$d/new" ] && echo "${d%/}"; done)
n=$(echo "$cases" | grep -c .)
echo "1..$((n * 3 + 4))"
i=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

compare() { # name expected actual
	i=$((i + 1))
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$3" "$2"
	fi
	if diff -u "$2" "$3" >"$tmp/diff" 2>&1; then
		echo "ok $i - $1"
	else
		echo "not ok $i - $1"
		sed 's/^/# /' "$tmp/diff" | head -60
	fi
}

for c in $cases; do
	set --
	[ -f "$dir/$c/cairn.yaml" ] && set -- -c "$dir/$c/cairn.yaml"
	# Relative paths, as a person types them: the plan names no temp dirs.
	(cd "$dir/$c" && "$CAIRN" diff "$@" --color never old new >"$tmp/out" 2>"$tmp/err"
	    echo "exit $?" >"$tmp/rc")
	cat "$tmp/rc" "$tmp/out" >"$tmp/text"
	compare "$c: text" "$dir/$c/expected.txt" "$tmp/text"
	(cd "$dir/$c" && "$CAIRN" diff "$@" --format json old new >"$tmp/json" 2>"$tmp/err")
	compare "$c: json" "$dir/$c/expected.json" "$tmp/json"

	# Each tree against itself is no change; backwards, a change is one too,
	# with added and removed swapped.
	i=$((i + 1))
	(cd "$dir/$c" && "$CAIRN" diff "$@" old old >"$tmp/oo" 2>&1; echo $? >"$tmp/oo.rc"
	    "$CAIRN" diff "$@" new new >"$tmp/nn" 2>&1; echo $? >"$tmp/nn.rc"
	    "$CAIRN" diff "$@" --format json new old >"$tmp/back" 2>/dev/null; echo $? >"$tmp/back.rc")
	fwd=$(head -1 "$dir/$c/expected.txt" | cut -d' ' -f2)
	swapped=$(sed -e 's/"change": "added"/"change": "@@"/; s/"change": "removed"/"change": "added"/; s/"change": "@@"/"change": "removed"/' "$dir/$c/expected.json" | grep -c '"change": "added"')
	backadded=$(grep -c '"change": "added"' "$tmp/back")
	if [ "$(cat "$tmp/oo.rc")" = 0 ] && [ ! -s "$tmp/oo" ] && [ "$(cat "$tmp/nn.rc")" = 0 ] &&
	    [ ! -s "$tmp/nn" ] && [ "$(cat "$tmp/back.rc")" = "$fwd" ] &&
	    [ "$backadded" = "$swapped" ]; then
		echo "ok $i - $c: old/old and new/new are no change; new/old mirrors it"
	else
		echo "not ok $i - $c: identity or reverse (back exit $(cat "$tmp/back.rc"), $backadded added vs $swapped)"
	fi
done

# No change at all: exit 0 and not one byte of text.
i=$((i + 1))
"$CAIRN" diff --color always "$dir/no-change/old" "$dir/no-change/new" >"$tmp/out" 2>&1
rc=$?
if [ $rc -eq 0 ] && [ ! -s "$tmp/out" ]; then
	echo "ok $i - no change: exit 0, empty output"
else
	echo "not ok $i - no change: exit $rc, $(wc -c <"$tmp/out") bytes"
fi

# Usage errors exit 2: --gateway without NAMESPACE/NAME, one directory,
# an unknown --format.
i=$((i + 1))
bad=0
for args in "--gateway shop-gw $dir/no-change/old $dir/no-change/new" \
    "$dir/no-change/old" "--format yaml $dir/no-change/old $dir/no-change/new" \
    "--git $dir --to HEAD"; do
	# shellcheck disable=SC2086
	"$CAIRN" diff $args >/dev/null 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || { bad=1; echo "# cairn diff $args: exit $rc"; }
done
if [ $bad -eq 0 ]; then
	echo "ok $i - usage errors exit 2"
else
	echo "not ok $i - usage errors exit 2"
fi

# --gateway: what changes for an Envoy naming the Gateway (SPEC.md §5a),
# on examples/gateway-api with the canary weights changed. The plain plan
# (nodes naming no Gateway see no change) shows it too, under the
# Gateway's name: the port's RouteConfiguration and the two of proxyless
# clients (<host>, <host>:<port>) each change one route.
i=$((i + 1))
mkdir -p "$tmp/gw"
cp -r "$top_srcdir/examples/gateway-api" "$tmp/gw/old"
cp -r "$top_srcdir/examples/gateway-api" "$tmp/gw/new"
sed -i 's/weight: 90/weight: 50/; s/weight: 10/weight: 50/' "$tmp/gw/new/shop/routes.yaml"
"$CAIRN" diff -c /dev/null --gateway shop/public "$tmp/gw/old" "$tmp/gw/new" >"$tmp/gw.out" 2>&1
rc=$?
"$CAIRN" diff -c /dev/null "$tmp/gw/old" "$tmp/gw/new" >"$tmp/gw-default.out" 2>&1
rc2=$?
if [ $rc -eq 1 ] && grep -q "virtual host www.shop.example  (gw/shop/public/8080)" "$tmp/gw.out" &&
    grep -q "route.weighted_clusters.clusters\[1\].weight: 90 -> 50" "$tmp/gw.out" &&
    [ $rc2 -eq 1 ] && [ "$(head -1 "$tmp/gw-default.out")" = "Gateway shop/public (nodes with cairn.io/gateway: shop/public)" ] &&
    grep -q "^  virtual host www.shop.example  (gw/shop/public/8080)" "$tmp/gw-default.out" &&
    grep -q "^        route.weighted_clusters.clusters\[1\].weight: 90 -> 50" "$tmp/gw-default.out" &&
    grep -q "^  3 routes changed on 2 hosts" "$tmp/gw-default.out"; then
	echo "ok $i - --gateway: the Gateway's route change; the plain plan shows it under the Gateway's name"
else
	echo "not ok $i - --gateway: exit $rc / $rc2"
	sed 's/^/# /' "$tmp/gw.out" "$tmp/gw-default.out"
fi

# Color only on a terminal: never in a pipe (auto), always when asked.
i=$((i + 1))
"$CAIRN" diff "$dir/routes/old" "$dir/routes/new" >"$tmp/auto" 2>&1
"$CAIRN" diff --color always "$dir/routes/old" "$dir/routes/new" >"$tmp/always" 2>&1
esc=$(printf '\033')
if ! grep -q "$esc" "$tmp/auto" && grep -q "$esc\[32m+ /api" "$tmp/always" &&
    [ "$(sed "s/$esc\[[0-9]*m//g" "$tmp/always")" = "$(cat "$tmp/auto")" ]; then
	echo "ok $i - --color: none in a pipe, ANSI with always, same text"
else
	echo "not ok $i - --color: none in a pipe, ANSI with always, same text"
fi
