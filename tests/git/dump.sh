#!/bin/sh
# `cairn dump --git`: the resources of a commit are a pure function of its
# tree. Two dumps of one commit, from two processes and from two clones,
# are byte-identical; a checkout of the same tree gives the same resources
# (only the revision differs); the revision is the commit id.
. "$top_srcdir/tests/git/lib.sh"
echo "1..7"

git init -q -b main "$tmp/work"
write_shop "$tmp/work" 10
commit "$tmp/work" "shop: 10% canary"
first=$(git -C "$tmp/work" rev-parse HEAD)
write_shop "$tmp/work" 50
commit "$tmp/work" "shop: 50% canary"
second=$(git -C "$tmp/work" rev-parse HEAD)
git clone -q --bare "$tmp/work" "$tmp/replica.git"

"$CAIRN" dump --git "$tmp/work" --format yaml >"$tmp/d1" 2>"$tmp/e1"
"$CAIRN" dump --git "$tmp/work" --format yaml >"$tmp/d2" 2>"$tmp/e2"
check "two dumps of one commit are byte-identical" cmp -s "$tmp/d1" "$tmp/d2"
"$CAIRN" dump --git "$tmp/replica.git" --format yaml >"$tmp/d3" 2>"$tmp/e3"
check "a dump from another clone is byte-identical" cmp -s "$tmp/d1" "$tmp/d3"
check "the dump names the commit" grep -q "^revision: $second\$" "$tmp/d1"
"$CAIRN" dump --git "$tmp/work" --format json >"$tmp/j1" 2>/dev/null
"$CAIRN" dump --git "$tmp/replica.git" --format json >"$tmp/j2" 2>/dev/null
check "JSON dumps too" cmp -s "$tmp/j1" "$tmp/j2"

"$CAIRN" dump --git "$tmp/work" --rev HEAD~1 --format yaml >"$tmp/old1" 2>/dev/null
"$CAIRN" dump --git "$tmp/replica.git" --rev "$first" --format yaml >"$tmp/old2" 2>/dev/null
if cmp -s "$tmp/old1" "$tmp/old2" && grep -q "^revision: $first\$" "$tmp/old1" &&
    ! cmp -s "$tmp/old1" "$tmp/d1"; then
	ok "--rev: an older commit, identical from both clones"
else
	not_ok "--rev: an older commit, identical from both clones"
fi

mkdir "$tmp/export"
git -C "$tmp/work" archive HEAD | tar -x -C "$tmp/export"
"$CAIRN" dump --source "$tmp/export" --format yaml >"$tmp/dir" 2>/dev/null
grep -v '^revision:' "$tmp/d1" >"$tmp/d1.body"
grep -v '^revision:' "$tmp/dir" >"$tmp/dir.body"
if cmp -s "$tmp/d1.body" "$tmp/dir.body"; then
	ok "a checkout of the same tree gives the same resources"
else
	not_ok "a checkout of the same tree gives the same resources"
	diff -u "$tmp/d1.body" "$tmp/dir.body" | show /dev/stdin
fi
if [ -s "$tmp/d1" ] && grep -q "shop/storefront" "$tmp/d1" && [ ! -s "$tmp/e1" ]; then
	ok "the dump has the fixture's clusters and no complaints"
else
	not_ok "the dump has the fixture's clusters and no complaints"; show "$tmp/e1"
fi
[ "$tap_failed" -eq 0 ]
