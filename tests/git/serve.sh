#!/bin/sh
# `cairn serve --git` on a bare repository people push to: every push to
# the branch is served within 1 s (fast-forward, force push, re-created
# branch, refs packed by `git gc`), a deleted branch keeps the last commit
# serving, and a commit with errors is reported with file:line:col.
. "$top_srcdir/tests/git/lib.sh"
echo "1..12"
LIMIT_MS=1000

git init -q --bare -b main "$tmp/routes.git"
git -C "$tmp/routes.git" config receive.denyDeleteCurrent ignore
git clone -q "$tmp/routes.git" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -b main 2>/dev/null
write_shop "$tmp/work" 10
commit "$tmp/work" "shop: 10% canary"
git -C "$tmp/work" push -q origin main
first=$(git -C "$tmp/work" rev-parse HEAD)

serve "$tmp/serve.log" --git "$tmp/routes.git"
if ms=$(wait_log "$tmp/serve.log" "initial build: revision $first" 5000); then
	ok "the initial build serves the branch's commit"
else
	not_ok "the initial build serves the branch's commit"; show "$tmp/serve.log"
fi

# push_served DESCRIPTION REF_ARGS...: pushes, then waits for the pushed
# commit to be published.
push_served() {
	desc=$1
	shift
	want=$(git -C "$tmp/work" rev-parse HEAD)
	from=$(log_lines "$tmp/serve.log")
	start=$(now_ms)
	git -C "$tmp/work" push -q "$@" >"$tmp/push.out" 2>&1
	if wait_log "$tmp/serve.log" "revision $want" $((LIMIT_MS * 5)) "$from" >/dev/null; then
		elapsed=$(($(now_ms) - start))
		if [ "$elapsed" -le "$LIMIT_MS" ]; then
			ok "$desc: served in $elapsed ms"
		else
			not_ok "$desc: served in $elapsed ms (over $LIMIT_MS)"
		fi
	else
		not_ok "$desc: not served"; show "$tmp/push.out"; show "$tmp/serve.log"
	fi
}

write_shop "$tmp/work" 20
commit "$tmp/work" "shop: 20% canary"
second=$(git -C "$tmp/work" rev-parse HEAD)
push_served "fast-forward push" origin main

git -C "$tmp/work" reset -q --hard "$first"
push_served "force push back to the first commit" -f origin main

# A commit that breaks one file and adds a valid one: applied atomically,
# nothing of it is served.
git -C "$tmp/work" reset -q --hard "$second"
break_shop "$tmp/work"
mkdir -p "$tmp/work/blog"
cat >"$tmp/work/blog/proxy.yaml" <<YAML
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata:
  name: blog
  namespace: blog
spec:
  virtualhost:
    fqdn: blog.example.com
  routes:
    - services:
        - name: blog
          port: 80
---
apiVersion: v1
kind: Service
metadata:
  name: blog
  namespace: blog
spec:
  ports:
    - port: 80
YAML
commit "$tmp/work" "shop: typo, blog: new"
bad=$(git -C "$tmp/work" rev-parse HEAD)
from=$(log_lines "$tmp/serve.log")
git -C "$tmp/work" push -q -f origin main
if wait_log "$tmp/serve.log" "shop/proxy.yaml:11:11: error: " $((LIMIT_MS * 2)) "$from" >/dev/null; then
	ok "a bad commit's error is logged with file:line:col"
else
	not_ok "a bad commit's error is logged with file:line:col"; show "$tmp/serve.log"
fi
sleep 0.5
if grep -q "revision $bad" "$tmp/serve.log"; then
	not_ok "nothing of a commit with errors is served"
else
	ok "nothing of a commit with errors is served"
fi

# cairn status says what is serving (the last clean commit and its subject)
# and why the newer commit is not.
admin_port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
"$CAIRN" status --admin "127.0.0.1:$admin_port" >"$tmp/status.out" 2>&1
serving=$first # the force push before the bad commit left the first one serving
if grep -q "revision $serving ($(git -C "$tmp/work" log -1 --format=%s "$serving"))" "$tmp/status.out" &&
    grep -q "shop/proxy.yaml:11:11: error: " "$tmp/status.out"; then
	ok "cairn status shows the serving commit with its subject, and the bad commit's error"
else
	not_ok "cairn status shows the serving commit with its subject, and the bad commit's error"
	show "$tmp/status.out"
fi

git -C "$tmp/work" reset -q --hard "$second"
write_shop "$tmp/work" 30
commit "$tmp/work" "shop: 30% canary"
push_served "the fix is served" -f origin main
fixed=$(git -C "$tmp/work" rev-parse HEAD)

# Branch deleted: the last commit keeps serving.
from=$(log_lines "$tmp/serve.log")
git -C "$tmp/work" push -q origin :main
if wait_log "$tmp/serve.log" "still serving revision $fixed" $((LIMIT_MS * 2)) "$from" >/dev/null; then
	ok "a deleted branch keeps its last commit serving"
else
	not_ok "a deleted branch keeps its last commit serving"; show "$tmp/serve.log"
fi
check "the log says why" grep -q 'branch "main" does not exist' "$tmp/serve.log"
write_shop "$tmp/work" 40
commit "$tmp/work" "shop: 40% canary"
push_served "the re-created branch is served" origin main

# gc packs refs (and objects); pushes are still seen.
git -C "$tmp/routes.git" gc -q --prune=now
if [ -f "$tmp/routes.git/refs/heads/main" ]; then
	not_ok "git gc packed the refs"
else
	ok "git gc packed the refs"
fi
write_shop "$tmp/work" 50
commit "$tmp/work" "shop: 50% canary"
push_served "a push after git gc" origin main

kill "$serve_pid" 2>/dev/null
[ "$tap_failed" -eq 0 ]
