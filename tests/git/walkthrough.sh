#!/bin/sh
# examples/git-deploy/README.md, run as written: its ```sh blocks, in
# order, in one shell (tests/lib/md-blocks.sh), from the build tree (step 0
# puts it on PATH), in a scratch HOME, with the daemon on ports the kernel
# picks; each ```text block must be what the block before it printed.
. "$top_srcdir/tests/git/lib.sh"
. "$top_srcdir/tests/lib/md-blocks.sh"

readme="$top_srcdir/examples/git-deploy/README.md"
blocks=$(md_extract "$readme" "" "$tmp/md")
expects=$(ls "$tmp/md" | grep -c '^expect\.[0-9]*$')
echo "1..$((8 + expects))"
mkdir "$tmp/home"
demo="$tmp/home/cairn-demo"
# The README sets the identity in the clone, as a new user would.
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
cairn_dir=$(cd "$(dirname "$CAIRN")" && pwd)
# Only the README puts cairn on PATH: an installed cairn (a Debian package
# on this machine) must not stand in for the build tree's, so a cairn that
# refuses to run comes first until the README's step 0 puts the build
# tree before it.
mkdir "$tmp/nocairn"
printf '#!/bin/sh\necho "cairn: not the build tree'"'"'s (README step 0 missing?)" >&2\nexit 127\n' \
	>"$tmp/nocairn/cairn"
chmod 755 "$tmp/nocairn/cairn"
(
	HOME="$tmp/home" PATH="$tmp/nocairn:$PATH" XDS=127.0.0.1:0 ADMIN=127.0.0.1:0
	export HOME PATH XDS ADMIN
	cd "$cairn_dir" && timeout 60 sh -c '. "$1"; md_run "$2"' sh \
		"$top_srcdir/tests/lib/md-blocks.sh" "$tmp/md"
) >"$tmp/out" 2>&1
rc=$?
# Whatever happened, the daemon it started must not outlive the test.
if [ -f "$demo/cairn.pid" ]; then
	daemons="$daemons $(cat "$demo/cairn.pid")"
fi

b=$(cat "$tmp/md/progress" 2>/dev/null || echo 0)
if [ $rc -eq 0 ] && [ "$b" = "$blocks" ]; then
	ok "all $blocks shell blocks run as written"
else
	not_ok "all $blocks shell blocks run as written (exit $rc in block $b, README line $(cat "$tmp/md/$b.line" 2>/dev/null))"
	show "$tmp/out" 20
	[ -f "$tmp/md/$b.out" ] && show "$tmp/md/$b.out" 40
fi
check "the hook names the build tree's cairn" \
	grep -qx "exec $cairn_dir/cairn check --pre-receive" "$demo/routes.git/hooks/pre-receive"
cat "$tmp/md"/*.out >"$tmp/all.out" 2>/dev/null
revs=$(git -C "$demo/routes.git" rev-list --reverse main 2>/dev/null)
first=$(echo "$revs" | sed -n 1p)
second=$(git -C "$demo/work" rev-parse HEAD 2>/dev/null)
check "the first push passes the hook" grep -q "remote: [0-9a-f]\{7\}: 3 objects, 3 valid" "$tmp/all.out"
check "the daemon serves the first commit" grep -q "initial build: revision $first" "$demo/serve.log"
check "and the next push" grep -q "change: revision $second" "$demo/serve.log"
check "the bad push is refused with file:line:col" \
	grep -q "remote: [0-9a-f]\{7\}:shop/app.yaml:11:11: error: " "$tmp/all.out"
check "and git says so" grep -q "push refused, as it should be" "$tmp/all.out"
if [ "$(grep -c "revision $first" "$demo/serve.log")" -eq 2 ]; then
	ok "the rollback serves the first commit again"
else
	not_ok "the rollback serves the first commit again"; show "$demo/serve.log"
fi
for f in $(ls "$tmp/md" | grep '^expect\.[0-9]*$' | sort -t. -k2 -n); do
	n=${f#expect.}
	line=$(cat "$tmp/md/$n.line")
	if [ -f "$tmp/md/$n.out" ] && md_compare "$tmp/md" "$n" "$tmp/home"; then
		ok "block $n (README line $line) prints what the README shows"
	else
		not_ok "block $n (README line $line) prints what the README shows"
		[ -f "$tmp/md/$n.diff" ] && show "$tmp/md/$n.diff"
	fi
done
[ "$tap_failed" -eq 0 ]
