#!/bin/sh
# `cairn check --pre-receive` as a real pre-receive hook of a bare
# repository: a push of a commit that does not validate is refused with
# file:line:col messages the pusher sees; a good push, a branch deletion
# and other branches pass. Also `cairn check --git REPO --rev REV`.
. "$top_srcdir/tests/git/lib.sh"
echo "1..15"

git init -q --bare -b main "$tmp/routes.git"
cat >"$tmp/routes.git/hooks/pre-receive" <<HOOK
#!/bin/sh
exec "$CAIRN" check --pre-receive
HOOK
chmod +x "$tmp/routes.git/hooks/pre-receive"
git clone -q "$tmp/routes.git" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -b main 2>/dev/null

# 1. a good first push
write_shop "$tmp/work" 10
commit "$tmp/work" "shop: 10% canary"
good=$(git -C "$tmp/work" rev-parse HEAD)
if git -C "$tmp/work" push -q origin main >"$tmp/push1" 2>&1; then
	ok "a valid commit is accepted"
else
	not_ok "a valid commit is accepted"; show "$tmp/push1"
fi
check "the hook printed its summary" grep -q "remote: ${good%"${good#???????}"}: 3 objects, 3 valid" "$tmp/push1"
check "the bare repository has the commit" \
	test "$(git -C "$tmp/routes.git" rev-parse main)" = "$good"

# 2. a bad push is refused, with the position of the problem
break_shop "$tmp/work"
write_extra=$tmp/work/shop/more.yaml
printf 'apiVersion: v1\nkind: Service\nmetadata:\n  name: extra\n  namespace: shop\nspec:\n  ports:\n    - port: "80"\n' >"$write_extra"
commit "$tmp/work" "shop: typo"
bad=$(git -C "$tmp/work" rev-parse HEAD)
short=$(git -C "$tmp/work" rev-parse --short=7 HEAD)
if git -C "$tmp/work" push origin main >"$tmp/push2" 2>&1; then
	not_ok "a commit with errors is refused"; show "$tmp/push2"
else
	ok "a commit with errors is refused"
fi
check "the pusher sees commit:file:line:col for the first error" \
	grep -q "remote: $short:shop/proxy.yaml:11:11: error: .*unknown field \"prefx\"" "$tmp/push2"
check "and every other error" \
	grep -q "remote: $short:shop/more.yaml:8:[0-9]*: error: " "$tmp/push2"
check "and the verdict" grep -q "commit $short has 2 errors; push refused" "$tmp/push2"
check "git reports the hook declined" grep -q "pre-receive hook declined" "$tmp/push2"
check "the bare repository still has the good commit" \
	test "$(git -C "$tmp/routes.git" rev-parse main)" = "$good"

# 3. other branches are not checked; deleting a branch is allowed
if git -C "$tmp/work" push -q origin HEAD:refs/heads/wip >"$tmp/push3" 2>&1 &&
    git -C "$tmp/work" push -q origin :wip >>"$tmp/push3" 2>&1; then
	ok "other branches pass, even with errors"
else
	not_ok "other branches pass, even with errors"; show "$tmp/push3"
fi
git -C "$tmp/routes.git" config receive.denyDeleteCurrent ignore
if git -C "$tmp/work" push -q origin :main >"$tmp/push4" 2>&1; then
	ok "deleting the served branch is allowed"
else
	not_ok "deleting the served branch is allowed"; show "$tmp/push4"
fi
# (re-create it for what follows)
git -C "$tmp/work" push -q origin "$good:refs/heads/main" >/dev/null 2>&1

# 4. --branch picks the branch the hook guards
cat >"$tmp/routes.git/hooks/pre-receive" <<HOOK
#!/bin/sh
exec "$CAIRN" check --pre-receive --branch production
HOOK
if git -C "$tmp/work" push origin HEAD:refs/heads/production >"$tmp/push5" 2>&1 ||
    ! grep -q "refs/heads/production: commit $short has 2 errors" "$tmp/push5"; then
	not_ok "--branch: that branch is guarded"; show "$tmp/push5"
else
	ok "--branch: that branch is guarded"
fi

# 5. cairn check --git REPO --rev REV
"$CAIRN" check --git "$tmp/work" --rev "$good" >"$tmp/check1" 2>&1
rc=$?
if [ $rc -eq 0 ] && grep -q "3 objects, 3 valid" "$tmp/check1"; then
	ok "check --git --rev: a good commit exits 0"
else
	not_ok "check --git --rev: a good commit exits 0 (exit $rc)"; show "$tmp/check1"
fi
"$CAIRN" check --git "$tmp/work" --rev HEAD >"$tmp/check2" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^shop/proxy.yaml:11:11: error: " "$tmp/check2"; then
	ok "check --git --rev: a bad commit exits 1 with file:line:col"
else
	not_ok "check --git --rev: a bad commit exits 1 with file:line:col (exit $rc)"; show "$tmp/check2"
fi
"$CAIRN" check --git "$tmp/work" --rev no-such-rev >"$tmp/check3" 2>&1
rc=$?
if [ $rc -eq 2 ] && grep -q "no-such-rev" "$tmp/check3"; then
	ok "check --git --rev: an unknown revision exits 2"
else
	not_ok "check --git --rev: an unknown revision exits 2 (exit $rc)"; show "$tmp/check3"
fi
[ "$tap_failed" -eq 0 ]
