#!/bin/sh
# README.md's "Quick start", run as written (TAP): every ```sh block under
# that heading, in order, in one `sh -e` shell (tests/lib/md-blocks.sh), in
# a scratch copy of the checkout, with the build tree's cairn as ./cairn.
#
# What the scratch copy stands in for, so the blocks run unchanged and
# whatever README's install and build commands become:
#   - every file under .ci/, and autoreconf, ./configure, make, sudo,
#     apt-get, apt and npm are stubs that log their arguments and succeed:
#     the build tree is already configured and built with its dependencies
#     installed, and `make check` must not recurse into the suite;
#   - ./cairn is the build tree's cairn; `./cairn serve` starts the daemon in
#     the background on ports the kernel picks (never the fixed 18000/9090 a
#     parallel run would share) and returns once the first snapshot is
#     built, as a user sees it in a second terminal; the test stops it.
# Then the prose: "Break it on purpose: cairn logs the error with its
# position and keeps serving the last good version of that file."
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
. "$top_srcdir/tests/git/lib.sh"
. "$top_srcdir/tests/lib/md-blocks.sh"

echo "1..8"
readme="$top_srcdir/README.md"
blocks=$(md_extract "$readme" "Quick start" "$tmp/md")
co="$tmp/checkout"
stubs="$tmp/stubs"
mkdir -p "$co/.ci" "$stubs"
cp -R "$top_srcdir/examples" "$co/"
cairn_abs=$(cd "$(dirname "$CAIRN")" && pwd)/$(basename "$CAIRN")

stub() { # PATH_OF_STUB
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n' "$(basename "$1")" "$tmp/stubs.log" >"$1"
	chmod 755 "$1"
}
for f in "$top_srcdir"/.ci/*; do
	stub "$co/.ci/$(basename "$f")"
done
stub "$co/configure"
for c in autoreconf make apt-get apt npm; do
	stub "$stubs/$c"
done
printf '#!/bin/sh\necho "sudo $*" >>"%s"\nexec "$@"\n' "$tmp/stubs.log" >"$stubs/sudo"
chmod 755 "$stubs/sudo"

cat >"$co/cairn" <<EOF
#!/bin/sh
# The build tree's cairn; serve runs in the background (see the test).
if [ "\$1" = serve ]; then
	shift
	"$cairn_abs" serve --xds 127.0.0.1:0 --admin 127.0.0.1:0 "\$@" 2>>"$tmp/serve.log" &
	echo \$! >"$tmp/serve.pid"
	i=0
	while ! grep -q "initial build" "$tmp/serve.log" 2>/dev/null; do
		kill -0 \$! 2>/dev/null || exit 1
		i=\$((i + 1)); [ \$i -lt 200 ] || exit 1
		sleep 0.05
	done
	exit 0
fi
exec "$cairn_abs" "\$@"
EOF
chmod 755 "$co/cairn"

(
	PATH="$stubs:$PATH"
	export PATH
	cd "$co" && timeout 60 sh -c '. "$1"; md_run "$2"' sh \
		"$top_srcdir/tests/lib/md-blocks.sh" "$tmp/md"
) >"$tmp/out" 2>&1
rc=$?
pid=$(cat "$tmp/serve.pid" 2>/dev/null)
[ -n "$pid" ] && daemons="$daemons $pid"

b=$(cat "$tmp/md/progress" 2>/dev/null || echo 0)
if [ "$blocks" -gt 0 ] && [ $rc -eq 0 ] && [ "$b" = "$blocks" ]; then
	ok "all $blocks shell blocks of the Quick start run as written"
else
	not_ok "all $blocks shell blocks of the Quick start run as written (exit $rc in block $b, README line $(cat "$tmp/md/$b.line" 2>/dev/null))"
	show "$tmp/out" 20
	[ -f "$tmp/md/$b.out" ] && show "$tmp/md/$b.out" 40
fi
check "the build steps ran (as stubs) before serve" test -s "$tmp/stubs.log"
if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && grep -q "initial build: .*10 objects (0 invalid, 0 orphaned)" "$tmp/serve.log"; then
	ok "cairn serve examples/quickstart is serving all 10 objects"
else
	not_ok "cairn serve examples/quickstart is serving all 10 objects"; show "$tmp/serve.log"
fi
admin=$(sed -n 's/.*admin on port \([0-9]*\).*/\1/p' "$tmp/serve.log" | head -1)
# The blocks' own outputs: dump printed YAML resources, check found nothing.
cat "$tmp/md"/*.out >"$tmp/all.out" 2>/dev/null
check "dump printed the shop's virtual host" grep -q "shop.example.com" "$tmp/all.out"
check "check found no problem" grep -q "^10 objects, 10 valid, 0 invalid, 0 orphaned" "$tmp/all.out"

# "Break it on purpose": a typo in shop/app.yaml is logged with its
# position and the shop keeps being served.
from=$(log_lines "$tmp/serve.log")
sed -i 's/- prefix:/- prefx:/' "$co/examples/quickstart/shop/app.yaml"
if wait_log "$tmp/serve.log" 'shop/app\.yaml:[0-9]+:[0-9]+: .*unknown field "prefx"' 5000 "$from" >/dev/null; then
	ok "a typo is logged with file:line:col"
else
	not_ok "a typo is logged with file:line:col"; show "$tmp/serve.log"
fi
if [ -n "$admin" ] && curl -sf "http://127.0.0.1:$admin/debug/xds?type=rds" | grep -q '"shop.example.com"'; then
	ok "and the shop's last good version keeps serving"
else
	not_ok "and the shop's last good version keeps serving (admin port '$admin')"
fi
# SIGTERM ends it cleanly, as "stop the server" in the README's words.
if [ -n "$pid" ] && kill "$pid" 2>/dev/null; then
	i=0
	while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
	wait "$pid" 2>/dev/null
	check "serve stops on SIGTERM, logging it" grep -q "stopped" "$tmp/serve.log"
else
	not_ok "serve stops on SIGTERM, logging it"
fi
[ "$tap_failed" -eq 0 ]
