#!/bin/sh
# Golden tests: each tests/golden/<case>/ holds an input tree (input/) and
# what cairn must make of it:
#   dump.yaml   `cairn dump --format yaml` of the input, byte for byte
#   check.txt   `cairn check` output (first line: "exit N")
#   cairn.yaml  (optional) the configuration both run with
#   dump-flags  (optional) more `cairn dump` arguments, one line (e.g.
#               `--gateway NS/NAME`: what that Gateway's Envoy gets)
# Every case's resources are also judged by Envoy's official protos
# (tests/tools/xds-verify.js: zero unknown bytes, validation rules).
# UPDATE_GOLDEN=1 rewrites the expectations instead of comparing.
# dump runs with --no-state: the input alone, never last good copies a
# daemon may have left in this machine's state directory.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
NODE=${NODE:-node}
dir="$top_srcdir/tests/golden"
# Every message cairn serializes is also packed by protobuf-c and the
# bytes compared (src/xds/pb_encode.c): a difference aborts the dump.
CAIRN_PB_VERIFY=${CAIRN_PB_VERIFY-1}
export CAIRN_PB_VERIFY
. "$top_srcdir/tests/lib/node-env.sh"

cases=$(cd "$dir" && for d in */; do [ -d "$d/input" ] && echo "${d%/}"; done)
n=$(echo "$cases" | grep -c .)
echo "1..$((n * 3))"
i=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for c in $cases; do
	in="$dir/$c/input"
	set --
	[ -f "$dir/$c/cairn.yaml" ] && set -- -c "$dir/$c/cairn.yaml"
	dflags=
	[ -f "$dir/$c/dump-flags" ] && dflags=$(cat "$dir/$c/dump-flags")

	# dump
	i=$((i + 1))
	"$CAIRN" dump --no-state "$@" $dflags --source "$in" --format yaml >"$tmp/dump.yaml" 2>"$tmp/dump.err"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/dump.yaml" "$dir/$c/dump.yaml"
	fi
	if diff -u "$dir/$c/dump.yaml" "$tmp/dump.yaml" >"$tmp/diff" 2>&1; then
		echo "ok $i - $c: dump"
	else
		echo "not ok $i - $c: dump differs from dump.yaml"
		sed 's/^/# /' "$tmp/diff" | head -60
	fi

	# check
	i=$((i + 1))
	(cd "$in" && "$CAIRN" check "$@" --source . >"$tmp/check.out" 2>&1; echo "exit $?" >"$tmp/check.rc")
	cat "$tmp/check.rc" "$tmp/check.out" >"$tmp/check.txt"
	if [ "${UPDATE_GOLDEN:-}" = 1 ]; then
		cp "$tmp/check.txt" "$dir/$c/check.txt"
	fi
	if diff -u "$dir/$c/check.txt" "$tmp/check.txt" >"$tmp/diff" 2>&1; then
		echo "ok $i - $c: check"
	else
		echo "not ok $i - $c: check differs from check.txt"
		sed 's/^/# /' "$tmp/diff" | head -60
	fi

	# official protos
	i=$((i + 1))
	if ! node_env_ready; then
		echo "ok $i - $c: official protos # SKIP node modules not installed"
		continue
	fi
	"$CAIRN" dump --no-state "$@" $dflags --source "$in" --format pb >"$tmp/dump.pb" 2>/dev/null
	if "$NODE" "$top_srcdir/tests/tools/xds-verify.js" <"$tmp/dump.pb" >"$tmp/verify" 2>&1; then
		echo "ok $i - $c: official protos ($(tail -1 "$tmp/verify"))"
	else
		echo "not ok $i - $c: official protos"
		sed 's/^/# /' "$tmp/verify" | head -40
	fi
done
