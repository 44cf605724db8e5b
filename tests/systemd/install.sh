#!/bin/sh
# `make install DESTDIR=...` (TAP): the binary, both systemd units (with
# ExecStart naming the installed binary), the sysusers.d and tmpfiles.d
# snippets, both man pages and the example configuration land where the
# configured directories say, and the installed example configuration is
# accepted by `cairn check`. Runs from $top_builddir.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
MAKE=${MAKE:-make}
# Run as a test of `make check`: be a make of our own, not a part of it.
unset MAKEFLAGS MFLAGS MAKELEVEL
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-install.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
dest=$tmp/dest

# The directories as configured, straight from the Makefile.
var() {
	printf 'print-var:\n\t@echo $(%s)\n' "$1" |
	    $MAKE -s --no-print-directory -C "$top_builddir" -f Makefile -f - print-var 2>/dev/null
}
bindir=$(var bindir)
unitdir=$(var systemdsystemunitdir)
sysusersdir=$(var sysusersdir)
tmpfilesdir=$(var tmpfilesdir)
mandir=$(var mandir)
confdir=$(var cairnconfdir)
if [ -z "$bindir" ] || [ -z "$unitdir" ] || [ -z "$mandir" ] || [ -z "$confdir" ]; then
	echo "Bail out! cannot read the install directories from $top_builddir/Makefile"
	exit 1
fi

if out=$($MAKE -C "$top_builddir" install DESTDIR="$dest" 2>&1); then
	ok "make install DESTDIR=... succeeds"
else
	not_ok "make install DESTDIR=... succeeds"
	printf '%s\n' "$out" | tail -30 | sed 's/^/#   /'
fi

expect() { # description test-flag path
	if [ "$2" "$dest$3" ]; then
		ok "$1: $3"
	else
		not_ok "$1: $3"
	fi
}
expect "binary" -x "$bindir/cairn"
expect "unit" -f "$unitdir/cairn.service"
expect "unit" -f "$unitdir/envoy.service"
expect "sysusers.d" -f "$sysusersdir/cairn.conf"
expect "tmpfiles.d" -f "$tmpfilesdir/cairn.conf"
expect "man page" -f "$mandir/man1/cairn.1"
expect "man page" -f "$mandir/man5/cairn.yaml.5"
expect "example configuration" -f "$confdir/cairn.yaml.example"

if grep -qxF "ExecStart=$bindir/cairn serve" "$dest$unitdir/cairn.service" &&
    grep -qF "ExecStartPre=$bindir/cairn bootstrap" "$dest$unitdir/envoy.service"; then
	ok "the units run the installed binary ($bindir/cairn)"
else
	not_ok "the units run the installed binary ($bindir/cairn)"
	grep -n Exec "$dest$unitdir/cairn.service" "$dest$unitdir/envoy.service" | sed 's/^/#   /'
fi

if out=$("$dest$bindir/cairn" check -c "$dest$confdir/cairn.yaml.example" \
    --source "$top_srcdir/examples/quickstart" 2>&1); then
	ok "the installed example configuration passes cairn check"
else
	not_ok "the installed example configuration passes cairn check"
	printf '%s\n' "$out" | sed 's/^/#   /'
fi

if out=$($MAKE -C "$top_builddir" uninstall DESTDIR="$dest" 2>&1) &&
    [ -z "$(find "$dest" -type f)" ]; then
	ok "make uninstall removes every installed file"
else
	not_ok "make uninstall removes every installed file"
	find "$dest" -type f | sed 's/^/#   left: /'
fi
echo "1..$n"
exit $failed
