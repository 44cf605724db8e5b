#!/bin/sh
# The Lua code cairn sends for cookieRewritePolicies (golden case
# contour-cookie-rewrite), run under LuaJIT (Envoy's Lua) with a stand-in
# for Envoy's response headers: Set-Cookie attributes are rewritten as the
# rules say, other cookies and attributes are kept. SKIP without luajit
# (Debian package luajit).
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
echo "1..1"
if ! command -v luajit >/dev/null 2>&1; then
	echo "ok 1 - cookie rewrite Lua # SKIP luajit not installed"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$CAIRN" dump --source "$top_srcdir/tests/golden/contour-cookie-rewrite/input" \
    --format json >"$tmp/dump.json" 2>/dev/null
# The LuaPerRoute of the /app service (service rules over route rules)
# and of the /plain route.
"${PYTHON3:-python3}" - "$tmp" <<'PY' || { echo "not ok 1 - cookie rewrite Lua: no Lua in the dump"; exit 0; }
import json, sys
tmp = sys.argv[1]
d = json.load(open(tmp + "/dump.json"))
lua = "envoy.filters.http.lua"
found = {}
for rc in d["routes"]:
    if rc["name"] != "ingress_http":
        continue
    for vh in rc["virtual_hosts"]:
        for r in vh["routes"]:
            p = r["match"].get("prefix")
            for c in r.get("route", {}).get("weighted_clusters", {}).get("clusters", []):
                if lua in c.get("typed_per_filter_config", {}):
                    found[p] = c["typed_per_filter_config"][lua]["source_code"]["inline_string"]
            if p not in found and lua in r.get("typed_per_filter_config", {}):
                found[p] = r["typed_per_filter_config"][lua]["source_code"]["inline_string"]
for p, name in (("/app", "app.lua"), ("/plain", "plain.lua")):
    open(tmp + "/" + name, "w").write(found[p])
PY
cat >"$tmp/run.lua" <<'LUA'
-- A stand-in for Envoy's header map: multi-valued, 0-based getAtIndex.
local function headers_of(list)
  local h = { list = list }
  function h:getNumValues(k) local n = 0 for _, e in ipairs(self.list) do if e[1] == k then n = n + 1 end end return n end
  function h:getAtIndex(k, i) local n = 0 for _, e in ipairs(self.list) do if e[1] == k then if n == i then return e[2] end n = n + 1 end end end
  function h:remove(k) local keep = {} for _, e in ipairs(self.list) do if e[1] ~= k then keep[#keep + 1] = e end end self.list = keep end
  function h:add(k, v) self.list[#self.list + 1] = { k, v } end
  return h
end
local function run(file, cookies)
  local list = { { "content-type", "text/plain" } }
  for _, c in ipairs(cookies) do list[#list + 1] = { "set-cookie", c } end
  local h = headers_of(list)
  dofile(file)
  envoy_on_response({ headers = function() return h end })
  local out = {}
  for _, e in ipairs(h.list) do if e[1] == "set-cookie" then out[#out + 1] = e[2] end end
  return out
end
local failed = 0
local function expect(got, want)
  for i = 1, math.max(#got, #want) do
    if got[i] ~= want[i] then
      print("# got:  " .. tostring(got[i]))
      print("# want: " .. tostring(want[i]))
      failed = 1
    end
  end
end
local dir = arg[1]
expect(run(dir .. "/app.lua", {
  "session=abc; Path=/; Domain=old.example.com; HttpOnly; SameSite=None",
  "prefs=dark; Secure; SameSite=None; Max-Age=60",
  "other=1; Path=/x; Secure",
  "novalue",
}), {
  "session=abc; HttpOnly; Path=/app; Domain=cookies.example.com; Secure; SameSite=Strict",
  "prefs=dark; Secure; Max-Age=60; SameSite=Lax",
  "other=1; Path=/x; Secure",
  "novalue",
})
expect(run(dir .. "/plain.lua", { "id=7;path=/old ;Secure", "session=abc; Path=/" }),
  { "id=7; Secure; Path=/plain", "session=abc; Path=/" })
expect(run(dir .. "/plain.lua", {}), {})
os.exit(failed)
LUA
if luajit "$tmp/run.lua" "$tmp" >"$tmp/out" 2>&1; then
	echo "ok 1 - cookie rewrite Lua rewrites Set-Cookie as the rules say (luajit)"
else
	echo "not ok 1 - cookie rewrite Lua"
	sed 's/^/# /' "$tmp/out"
fi
