#!/bin/sh
# The plan of a push (issue #19): `cairn check --pre-receive` prints, for
# every accepted push of the served branch, what the deploy changes in
# what Envoy receives, so `git push` shows it to the pusher; a refused push
# prints no plan. Also `cairn diff --git REPO --from REV [--to REV]`.
. "$top_srcdir/tests/git/lib.sh"
echo "1..19"

git init -q --bare -b main "$tmp/routes.git"
cat >"$tmp/routes.git/hooks/pre-receive" <<HOOK
#!/bin/sh
exec "$CAIRN" check --pre-receive
HOOK
chmod +x "$tmp/routes.git/hooks/pre-receive"
git clone -q "$tmp/routes.git" "$tmp/work" 2>/dev/null
git -C "$tmp/work" checkout -q -b main 2>/dev/null

# 1. the first push of the branch: everything is new
write_shop "$tmp/work" 10
commit "$tmp/work" "shop: 10% canary"
first=$(git -C "$tmp/work" rev-parse HEAD)
if git -C "$tmp/work" push origin main >"$tmp/push1" 2>&1; then
	ok "the first push is accepted"
else
	not_ok "the first push is accepted"; show "$tmp/push1"
fi
check "its plan adds the host" \
	grep -q "^remote: virtual host shop.example.com  (ingress_http, shop.example.com): added" "$tmp/push1"
check "with the route as a line" \
	grep -q "^remote:   + /  -> shop/canary:80 (10%), shop/storefront:80 (90%)" "$tmp/push1"

# 2. one weight changed: one route changed, nothing else
write_shop "$tmp/work" 50
commit "$tmp/work" "shop: 50% canary"
second=$(git -C "$tmp/work" rev-parse HEAD)
if git -C "$tmp/work" push origin main >"$tmp/push2" 2>&1; then
	ok "a change is accepted"
else
	not_ok "a change is accepted"; show "$tmp/push2"
fi
check "its plan shows the route, old and new weights" \
	grep -q "^remote:   ~ /  -> shop/canary:80 (50%), shop/storefront:80 (50%)" "$tmp/push2"
check "and the one-line summary" \
	grep -q "^remote: 1 route changed on 1 host" "$tmp/push2"

# 3. a refused push shows its errors and no plan
break_shop "$tmp/work"
commit "$tmp/work" "shop: typo"
if git -C "$tmp/work" push origin main >"$tmp/push3" 2>&1; then
	not_ok "a commit with errors is refused"; show "$tmp/push3"
else
	ok "a commit with errors is refused"
fi
if grep -q "plan\|virtual host" "$tmp/push3"; then
	not_ok "a refused push prints no plan"; show "$tmp/push3"
else
	ok "a refused push prints no plan"
fi
git -C "$tmp/work" reset -q --hard "$second"

# 4. cairn diff --git between the two pushed commits, and --to defaulting
# to the branch head
"$CAIRN" diff --git "$tmp/routes.git" --from "$first" --to "$second" >"$tmp/d1" 2>&1
rc1=$?
"$CAIRN" diff --git "$tmp/routes.git" --from "$first" >"$tmp/d2" 2>&1
rc2=$?
if [ $rc1 -eq 1 ] && [ $rc2 -eq 1 ] && cmp -s "$tmp/d1" "$tmp/d2" &&
    grep -q "^  ~ /  -> shop/canary:80 (50%), shop/storefront:80 (50%)" "$tmp/d1"; then
	ok "diff --git --from --to, and --to defaults to the branch head (exit 1)"
else
	not_ok "diff --git --from --to ($rc1, $rc2)"; show "$tmp/d1"; show "$tmp/d2"
fi
"$CAIRN" diff --git "$tmp/routes.git" --from main --to "$second" >"$tmp/d3" 2>&1
rc=$?
check "diff --git of a commit with itself: exit 0, no output ($rc)" \
	test $rc -eq 0 -a ! -s "$tmp/d3"
"$CAIRN" diff --git "$tmp/routes.git" --from nosuchrev >"$tmp/d4" 2>&1
rc=$?
check "an unknown revision exits 2 ($rc)" test $rc -eq 2
# 5. the existing verdict line is still there, before the plan
check "the hook's check summary comes first" \
	sh -c "grep -n 'objects, 3 valid' '$tmp/push2' | head -1 | cut -d: -f1 | { read a; b=\$(grep -n ': plan' '$tmp/push2' | cut -d: -f1); test \"\$a\" -lt \"\$b\"; }"
# 6. a big plan is cut in the pusher's terminal, the summary kept
i=0
while [ $i -lt 120 ]; do
	printf 'apiVersion: projectcontour.io/v1\nkind: HTTPProxy\nmetadata:\n  name: p%d\n  namespace: shop\nspec:\n  virtualhost:\n    fqdn: p%d.example.com\n  routes:\n    - services:\n        - name: storefront\n          port: 80\n---\n' $i $i
	i=$((i + 1))
done >"$tmp/work/shop/many.yaml"
commit "$tmp/work" "shop: 120 hosts"
if git -C "$tmp/work" push origin main >"$tmp/push6" 2>&1; then
	ok "a push with a big plan is accepted"
else
	not_ok "a push with a big plan is accepted"; show "$tmp/push6"
fi
if grep -q "^remote: \.\.\. [0-9]* more lines: cairn diff --git REPO --from" "$tmp/push6" &&
    grep -q "^remote: 120 hosts added, 120 routes added" "$tmp/push6" &&
    [ "$(grep -c '^remote: ' "$tmp/push6")" -lt 220 ]; then
	ok "the plan stops after 200 lines, with the summary"
else
	not_ok "the plan stops after 200 lines, with the summary"; show "$tmp/push6"
fi

# 7. a Gateway-only change (examples/gateway-api, canary weights): nodes
# naming no Gateway see nothing change, the plan shows it under the
# Gateway's name
git init -q --bare -b main "$tmp/gw.git"
cp "$tmp/routes.git/hooks/pre-receive" "$tmp/gw.git/hooks/pre-receive"
git clone -q "$tmp/gw.git" "$tmp/gwwork" 2>/dev/null
git -C "$tmp/gwwork" checkout -q -b main 2>/dev/null
cp -R "$top_srcdir/examples/gateway-api/." "$tmp/gwwork/"
rm -f "$tmp/gwwork/README.md"
commit "$tmp/gwwork" "shop: Gateway API"
git -C "$tmp/gwwork" push origin main >"$tmp/push7a" 2>&1
sed -i 's/weight: 90/weight: 50/; s/weight: 10/weight: 50/' "$tmp/gwwork/shop/routes.yaml"
commit "$tmp/gwwork" "shop: 50% canary through the Gateway"
if git -C "$tmp/gwwork" push origin main >"$tmp/push7" 2>&1; then
	ok "a Gateway-only change is accepted"
else
	not_ok "a Gateway-only change is accepted"; show "$tmp/push7"
fi
check "its plan names the Gateway" \
	grep -q "^remote: Gateway shop/public (nodes with cairn.io/gateway: shop/public)" "$tmp/push7"
if grep -q "^remote:         route.weighted_clusters.clusters\[1\].weight: 90 -> 50" "$tmp/push7" &&
    ! grep -q "no change to what Envoy receives" "$tmp/push7"; then
	ok "with the Gateway's route change, not \"no change\""
else
	not_ok "with the Gateway's route change, not \"no change\""; show "$tmp/push7"
fi

# 8. a big Gateway-only plan is cut too, with the Gateway's summary (no
# object changes status: the default plan is empty). Each host is also a
# proxyless client's <host>:<port>: 240 hosts change.
gw_routes() { # gw_routes WEIGHT: 120 HTTPRoutes of shop/public, each its host
	i=0
	while [ $i -lt 120 ]; do
		printf 'apiVersion: gateway.networking.k8s.io/v1\nkind: HTTPRoute\nmetadata:\n  name: r%d\n  namespace: shop\nspec:\n  parentRefs:\n  - {name: public, sectionName: http}\n  hostnames: ["r%d.shop.example"]\n  rules:\n  - backendRefs:\n    - {name: api, port: 80, weight: %d}\n    - {name: web, port: 80, weight: 10}\n---\n' $i $i "$1"
		i=$((i + 1))
	done >"$tmp/gwwork/shop/many.yaml"
}
gw_routes 10
commit "$tmp/gwwork" "shop: 120 routes"
git -C "$tmp/gwwork" push origin main >"$tmp/push8a" 2>&1
gw_routes 30
commit "$tmp/gwwork" "shop: 120 routes reweighted"
if git -C "$tmp/gwwork" push origin main >"$tmp/push8" 2>&1; then
	ok "a push with a big Gateway-only plan is accepted"
else
	not_ok "a push with a big Gateway-only plan is accepted"; show "$tmp/push8"
fi
if grep -q "^remote: \.\.\. [0-9]* more lines: cairn diff --git REPO --from" "$tmp/push8" &&
    grep -q "^remote: Gateway shop/public: 240 routes changed on 240 hosts" "$tmp/push8"; then
	ok "it stops after 200 lines, with the Gateway's summary"
else
	not_ok "it stops after 200 lines, with the Gateway's summary"; show "$tmp/push8" 250
fi
[ $tap_failed -eq 0 ]
