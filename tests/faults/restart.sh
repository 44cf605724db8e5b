#!/bin/sh
# The first reboot (issue #15): a typo must not take a site down across a
# restart. The real daemon on a copy of examples/quickstart with its own
# state directory:
#   * kill -9 and restart with shop/app.yaml broken: every host is still
#     served, byte for byte as before, from the persisted last good copy;
#     /status, `cairn status` (exit 1), the log and `cairn dump` (exit 1,
#     the same resources as the daemon, judged by Envoy's official protos)
#     say so;
#   * a corrupt copy (truncated, one bit flipped) is discarded and said so,
#     never served;
#   * a file deleted while broken loses its objects and its copy;
#   * no state directory: a warning at start, and serving;
#   * read-only (tmpfs remounted): copies are read, not written; full
#     (a tmpfs filled up): the copy is not saved, it is said, no partial
#     file is left and no stale copy is served. SKIP without mount(2).
: "${top_srcdir:?}" "${CAIRN:?}"
set -u
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
unset CAIRN_STATE_DIRECTORY STATE_DIRECTORY 2>/dev/null || :

echo "1..16"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
show() { sed 's/^/# /' "$1" | tail -30; }

tmp=$(mktemp -d)
pid=
mounted=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	[ -n "$mounted" ] && umount "$mounted" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
src=$tmp/src
cp -r "$top_srcdir/examples/quickstart" "$src"
chmod -R u+w "$src"
state=$tmp/state
mkdir "$state"
app=$src/shop/app.yaml
cp "$app" "$tmp/app.good"

# start STATE [CONFIG]: cairn serve on src with that state directory (or
# the config file naming it in state-directory), until ready.
start() {
	: >"$tmp/serve.log"
	if [ -n "${2:-}" ]; then
		"$CAIRN" serve -c "$2" "$src" --xds 127.0.0.1:0 \
			--admin 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
	else
		CAIRN_STATE_DIRECTORY=$1 "$CAIRN" serve "$src" --xds 127.0.0.1:0 \
			--admin 127.0.0.1:0 >"$tmp/serve.log" 2>&1 &
	fi
	pid=$!
	i=0
	while [ $i -lt 100 ]; do
		port=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
		if [ -n "$port" ] && curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
kill9() { kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=; }
admin() { curl -sf --max-time 5 "http://127.0.0.1:$port$1"; }

# hosts: the domains of ingress_http the running daemon serves, sorted.
hosts() {
	admin /debug/xds | python3 -c 'import json, sys
d = json.load(sys.stdin)
for r in d["types"]["rds"]["resources"]:
    if r["name"] == "ingress_http":
        print(" ".join(sorted(dom for vh in r["resource"].get("virtual_hosts", []) for dom in vh["domains"])))'
}
# served FILE: every resource the daemon serves (type, name, JSON), sorted.
served() {
	admin /debug/xds | python3 -c 'import json, sys
d = json.load(sys.stdin)
for t in ("lds", "rds", "cds", "eds", "sds"):
    for r in d["types"][t]["resources"]:
        r["resource"].pop("@type", None)  # dump leaves it out at the top
        print(t, r["name"], r["version"], json.dumps(r["resource"], sort_keys=True))' | sort >"$1"
}
# dumped FILE ARGS...: the same from `cairn dump --format json` (no versions).
dumped() {
	out=$1
	shift
	CAIRN_STATE_DIRECTORY=$state "$CAIRN" dump "$src" --format json "$@" \
		>"$tmp/dump.json" 2>"$tmp/dump.err"
	drc=$?
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
keys = {"listeners": "lds", "routes": "rds", "clusters": "cds", "endpoints": "eds", "secrets": "sds"}
for k, t in keys.items():
    for r in d.get(k, []):
        print(t, r.get("name") or r.get("cluster_name"), json.dumps(r, sort_keys=True))' "$tmp/dump.json" 2>/dev/null | sort >"$out"
	return $drc
}
status_is() {
	admin /status | python3 -c 'import json, sys
d = json.load(sys.stdin)
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$1"
}
copy_of() { grep -l "^path $1\$" "${base:-$state}"/lastgood/*/*.lg 2>/dev/null | head -1; }
wait_for() { # wait_for SHELL-CONDITION: up to 5 s
	i=0
	while [ $i -lt 50 ]; do
		if eval "$1"; then return 0; fi
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
both="blog.example.com shop.example.com"

# --- 1: a good tree is persisted --------------------------------------------
start "$state"
served "$tmp/before"
# The first build's copies are saved right after READY.
wait_for 'status_is "all(f[\"persisted\"] for f in d[\"files\"])"'
if [ "$(hosts)" = "$both" ] && [ -n "$(copy_of shop/app.yaml)" ] &&
    [ "$(ls "$state"/lastgood/*/*.lg | wc -l)" -eq 3 ] &&
    status_is 'all(f["persisted"] for f in d["files"])'; then
	ok "a good tree: both hosts served, one copy per file, /status says persisted"
else
	not_ok "a good tree: both hosts served, one copy per file, /status says persisted"
	ls -la "$state"/lastgood/* | sed 's/^/# /'
	show "$tmp/serve.log"
fi

# --- 2: broken, kill -9, restart ------------------------------------------
echo "    - conditions: [{prefx: /x}]" >>"$app"
wait_for 'admin /status | grep -q error-serving-previous'
kill9
start "$state"
served "$tmp/after"
if [ "$(hosts)" = "$both" ] && cmp -s "$tmp/before" "$tmp/after"; then
	ok "kill -9 and restart with shop/app.yaml broken: every host served, every resource identical"
else
	not_ok "kill -9 and restart with shop/app.yaml broken: every host served, every resource identical (hosts: $(hosts))"
	diff "$tmp/before" "$tmp/after" | cut -c1-200 | head -10 | sed 's/^/# /'
	show "$tmp/serve.log"
fi
if status_is '[f["state"] for f in d["files"] if f["path"] == "shop/app.yaml"] == ["error-serving-persisted"] and d["summary"]["errors"] > 0' &&
    grep -q 'shop/app.yaml:.*unknown field "prefx"' "$tmp/serve.log" &&
    grep -q 'shop/app.yaml: warning: file has errors; its last good version (content [0-9a-f]*), persisted in the state directory before the restart, is in effect' "$tmp/serve.log" &&
    admin / | grep -q 'error-serving-persisted.*last good copy from the state directory, persisted before the restart'; then
	ok "/status, the HTML page and the log say shop/app.yaml is served from the persisted copy"
else
	not_ok "/status, the HTML page and the log say shop/app.yaml is served from the persisted copy"
	admin /status | head -c 2000 | sed 's/^/# /'
	show "$tmp/serve.log"
fi
"$CAIRN" status --admin "127.0.0.1:$port" >"$tmp/status.txt" 2>&1
rc=$?
if [ $rc -eq 1 ] && grep -q "^shop/app.yaml: served from its last good copy in the state directory" "$tmp/status.txt"; then
	ok "cairn status names the file served from its copy and exits 1 (errors reported)"
else
	not_ok "cairn status names the file served from its copy and exits 1 (exit $rc)"
	show "$tmp/status.txt"
fi

# --- 3: dump agrees with the daemon -----------------------------------------
dumped "$tmp/dumped"
rc=$?
cut -d' ' -f1,2,4- "$tmp/after" >"$tmp/after.nover"
if [ $rc -eq 1 ] && cmp -s "$tmp/dumped" "$tmp/after.nover" &&
    grep -q "cairn dump: shop/app.yaml has errors; showing its last good version (content [0-9a-f]*), persisted in $state/lastgood/[0-9a-f]*, which cairn serve serves" "$tmp/dump.err" &&
    grep -q 'shop/app.yaml:.*unknown field "prefx"' "$tmp/dump.err" &&
    ! grep -q 'not saved' "$tmp/dump.err"; then
	ok "cairn dump shows exactly what the daemon serves, says so on stderr, exits 1"
else
	not_ok "cairn dump shows exactly what the daemon serves, says so on stderr, exits 1 (exit $rc)"
	diff "$tmp/dumped" "$tmp/after.nover" | cut -c1-200 | head -10 | sed 's/^/# /'
	show "$tmp/dump.err"
fi
if node_env_ready; then
	CAIRN_STATE_DIRECTORY=$state "$CAIRN" dump "$src" --format pb 2>/dev/null |
		"$NODE" "$top_srcdir/tests/tools/xds-verify.js" >"$tmp/verify" 2>&1
	if [ $? -eq 0 ]; then
		ok "the resources served from the copy pass Envoy's official protos ($(tail -1 "$tmp/verify"))"
	else
		not_ok "the resources served from the copy pass Envoy's official protos"
		show "$tmp/verify"
	fi
else
	skip "the resources served from the copy pass Envoy's official protos" "node modules missing"
fi
"$CAIRN" dump --no-state "$src" --format json >"$tmp/nostate.json" 2>/dev/null
rc=$?
dumped "$tmp/dumped2" --state-dir "$tmp/nowhere"
rc2=$?
if [ $rc -eq 1 ] && ! grep -q shop.example.com "$tmp/nostate.json" && [ $rc2 -eq 2 ] &&
    grep -q "cairn dump: --state-dir $tmp/nowhere: cannot open" "$tmp/dump.err"; then
	ok "dump --no-state leaves the broken file out (exit 1); a --state-dir that cannot be read is exit 2"
else
	not_ok "dump --no-state leaves the broken file out (exit 1); a --state-dir that cannot be read is exit 2 ($rc, $rc2)"
	show "$tmp/dump.err"
fi

# --- 4: corrupt copies are discarded, never served ------------------------
kill9
copy=$(copy_of shop/app.yaml)
python3 -c 'import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[-20] ^= 0x01
open(p, "wb").write(b)' "$copy"
CAIRN_STATE_DIRECTORY=$state "$CAIRN" dump "$src" --format json >"$tmp/flip.json" 2>"$tmp/flip.err"
rc=$?
if [ $rc -eq 1 ] && ! grep -q shop.example.com "$tmp/flip.json" &&
    grep -q "last good copy .* of shop/app.yaml discarded: checksum mismatch" "$tmp/flip.err" &&
    [ -f "$copy" ]; then
	ok "a bit-flipped copy: dump refuses it, says so, leaves it (read-only)"
else
	not_ok "a bit-flipped copy: dump refuses it, says so, leaves it (read-only) (exit $rc)"
	show "$tmp/flip.err"
fi
start "$state"
if [ "$(hosts)" = "blog.example.com" ] && [ ! -f "$copy" ] &&
    grep -q "last good copy .* of shop/app.yaml discarded: checksum mismatch.*(deleted)" "$tmp/serve.log" &&
    status_is '[f["state"] for f in d["files"] if f["path"] == "shop/app.yaml"] == ["error"]' &&
    admin /status | grep -q 'discarded: checksum mismatch'; then
	ok "a bit-flipped copy: the daemon discards it, serves nothing of the file, says so (log, /status)"
else
	not_ok "a bit-flipped copy: the daemon discards it, serves nothing of the file, says so (hosts: $(hosts))"
	show "$tmp/serve.log"
fi
# Fixed, saved again, broken again; then a truncated copy.
cp "$tmp/app.good" "$app"
wait_for '[ -n "$(copy_of shop/app.yaml)" ]'
echo "  oops: [" >>"$app"
wait_for 'admin /status | grep -q error-serving-previous'
kill9
copy=$(copy_of shop/app.yaml)
head -c 200 "$copy" >"$tmp/trunc" && cat "$tmp/trunc" >"$copy"
start "$state"
if [ "$(hosts)" = "blog.example.com" ] && [ ! -f "$copy" ] &&
    grep -q "last good copy $state/lastgood/[0-9a-f]*/[0-9a-f]*.lg discarded: truncated (shorter than its header says) (deleted)" "$tmp/serve.log"; then
	ok "a truncated copy: discarded at start, said so, never served"
else
	not_ok "a truncated copy: discarded at start, said so, never served (hosts: $(hosts))"
	show "$tmp/serve.log"
fi

# --- 5: deleted while broken ------------------------------------------------
cp "$tmp/app.good" "$app"
wait_for '[ -n "$(copy_of shop/app.yaml)" ]'
echo "  oops: [" >>"$app"
kill9
start "$state"
copy=$(copy_of shop/app.yaml)
before=$(hosts)
rm "$app"
wait_for '[ "$(hosts)" = "blog.example.com" ]'
if [ "$before" = "$both" ] && [ "$(hosts)" = "blog.example.com" ] && [ -n "$copy" ] &&
    wait_for '[ ! -f "$copy" ]' && ! admin /status | grep -q 'shop/app.yaml'; then
	ok "a file deleted while served from its copy: its objects and its copy are gone"
else
	not_ok "a file deleted while served from its copy: its objects and its copy are gone (before: $before, now: $(hosts))"
	show "$tmp/serve.log"
fi
kill9
cp "$tmp/app.good" "$app"

# --- 6: no state directory --------------------------------------------------
: >"$tmp/statefile"
start "$tmp/statefile"
rc=$?
if [ $rc -eq 0 ] && [ "$(hosts)" = "$both" ] &&
    grep -q "no state directory: cannot create $tmp/statefile/lastgood/[0-9a-f]*: Not a directory (the state directory $tmp/statefile comes from \$CAIRN_STATE_DIRECTORY); serving on, but last good versions will not survive a restart" "$tmp/serve.log"; then
	ok "no usable state directory: a warning at start, and serving"
else
	not_ok "no usable state directory: a warning at start, and serving"
	show "$tmp/serve.log"
fi
kill9

# --- 7: read-only and full (tmpfs) -----------------------------------------
small=$tmp/small
mkdir "$small"
if ! mount -t tmpfs -o size=256k,mode=0700 cairn-test "$small" 2>"$tmp/mount.err"; then
	reason=$(head -1 "$tmp/mount.err")
	while [ "$n" -lt 16 ]; do
		skip "tmpfs state directory" "cannot mount a tmpfs: $reason"
	done
	exit 0
fi
mounted=$small
base=$small
# From here on the state directory comes from cairn.yaml, not the environment.
printf 'state-directory: %s\n' "$small" >"$tmp/cairn.yaml"
start "$small" "$tmp/cairn.yaml"
wait_for '[ "$(ls "$small"/lastgood/*/*.lg 2>/dev/null | wc -l)" -eq 3 ]'
echo "  oops: [" >>"$app"
wait_for 'admin /status | grep -q error-serving-previous'
kill9
mount -o remount,ro "$small"
start "$small" "$tmp/cairn.yaml"
if [ "$(hosts)" = "$both" ] &&
    grep -q "the state directory $small is read-only: last good copies are read but not updated" "$tmp/serve.log" &&
    status_is '[f["state"] for f in d["files"] if f["path"] == "shop/app.yaml"] == ["error-serving-persisted"]' &&
    "$CAIRN" dump -c "$tmp/cairn.yaml" "$src" --format json 2>"$tmp/dump.err" | grep -q shop.example.com &&
    grep -q "showing its last good version .*persisted in $small/lastgood/" "$tmp/dump.err"; then
	ok "read-only state directory: a warning; the copies are read and serve (dump finds them through cairn.yaml)"
else
	not_ok "read-only state directory: a warning; the copies are read and serve (dump finds them through cairn.yaml) (hosts: $(hosts))"
	show "$tmp/serve.log"
fi
# A new good version cannot be saved: said once, the daemon serves it.
sed 's/prefix: \/api/prefix: \/api2/' "$tmp/app.good" >"$app"
if wait_for 'admin /debug/xds | grep -q "/api2"' &&
    wait_for 'grep -q "shop/app.yaml: last good copy not saved: the state directory is read-only" "$tmp/serve.log"'; then
	ok "read-only: a new good version serves, and the log says its copy was not saved"
else
	not_ok "read-only: a new good version serves, and the log says its copy was not saved"
	show "$tmp/serve.log"
fi
kill9
mount -o remount,rw "$small"
cp "$tmp/app.good" "$app"
start "$small" "$tmp/cairn.yaml"
wait_for '[ -n "$(copy_of shop/app.yaml)" ]'
# Fill the tmpfs, then save a new good version of app.yaml.
head -c 1m /dev/zero >"$small/filler" 2>/dev/null
sed 's/prefix: \/api/prefix: \/api3/' "$tmp/app.good" >"$app"
wait_for 'admin /debug/xds | grep -q "/api3"'
wait_for 'grep -q "shop/app.yaml: last good copy not saved: .*No space left on device" "$tmp/serve.log"'
leftover=$(ls -A "$small"/lastgood/*/ | grep -c '^\.' || :)
stale=$(grep -l "^path shop/app.yaml\$" "$small"/lastgood/*/*.lg 2>/dev/null | wc -l)
if grep -q "shop/app.yaml: last good copy not saved: .*No space left on device" "$tmp/serve.log" &&
    [ "$leftover" -eq 0 ] && [ "$stale" -eq 0 ] && [ "$(hosts)" = "$both" ]; then
	ok "full: the copy is not saved and it is said; no partial file; the stale copy is dropped; serving"
else
	not_ok "full: the copy is not saved and it is said; no partial file; the stale copy is dropped (leftover $leftover, stale $stale)"
	ls -la "$small"/lastgood/*/ | sed 's/^/# /'
	show "$tmp/serve.log"
fi
echo "  oops: [" >>"$app"
wait_for 'admin /status | grep -q error-serving-previous'
kill9
start "$small" "$tmp/cairn.yaml"
if [ "$(hosts)" = "blog.example.com" ] && ! admin /debug/xds | grep -q '"/api"'; then
	ok "after a restart, a file whose copy could not be saved is left out, not served stale"
else
	not_ok "after a restart, a file whose copy could not be saved is left out, not served stale (hosts: $(hosts))"
	show "$tmp/serve.log"
fi
kill9
exit 0
