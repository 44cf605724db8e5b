#!/bin/sh
# examples/git-deploy/README.md, run as written: its ```sh blocks, in
# order, in one shell, in a scratch HOME, with the built cairn first on
# PATH and the daemon on ports the kernel picks.
. "$top_srcdir/tests/git/lib.sh"
echo "1..7"

readme="$top_srcdir/examples/git-deploy/README.md"
awk '/^```sh$/ { f = 1; next } /^```$/ { f = 0 } f' "$readme" >"$tmp/walkthrough.sh"
mkdir "$tmp/home"
demo="$tmp/home/cairn-demo"
# The README sets the identity in the clone, as a new user would.
unset GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
cairn_dir=$(cd "$(dirname "$CAIRN")" && pwd)
(
	HOME="$tmp/home" PATH="$cairn_dir:$PATH" XDS=127.0.0.1:0 ADMIN=127.0.0.1:0
	export HOME PATH XDS ADMIN
	cd "$tmp/home" && timeout 60 sh -e "$tmp/walkthrough.sh"
) >"$tmp/out" 2>&1
rc=$?
# Whatever happened, the daemon it started must not outlive the test.
if [ -f "$demo/cairn.pid" ]; then
	daemons="$daemons $(cat "$demo/cairn.pid")"
fi

if [ $rc -eq 0 ]; then
	ok "every step runs as written"
else
	not_ok "every step runs as written (exit $rc)"; show "$tmp/out" 80
fi
revs=$(git -C "$demo/routes.git" rev-list --reverse main 2>/dev/null)
first=$(echo "$revs" | sed -n 1p)
second=$(git -C "$demo/work" rev-parse HEAD 2>/dev/null)
check "the first push passes the hook" grep -q "remote: [0-9a-f]\{7\}: 3 objects, 3 valid" "$tmp/out"
check "the daemon serves the first commit" grep -q "initial build: revision $first" "$demo/serve.log"
check "and the next push" grep -q "change: revision $second" "$demo/serve.log"
check "the bad push is refused with file:line:col" \
	grep -q "remote: [0-9a-f]\{7\}:shop/app.yaml:11:11: error: " "$tmp/out"
check "and git says so" grep -q "push refused, as it should be" "$tmp/out"
if [ "$(grep -c "revision $first" "$demo/serve.log")" -eq 2 ]; then
	ok "the rollback serves the first commit again"
else
	not_ok "the rollback serves the first commit again"; show "$demo/serve.log"
fi
[ "$tap_failed" -eq 0 ]
