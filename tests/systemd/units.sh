#!/bin/sh
# systemd integration files (TAP): `systemd-analyze verify` on
# systemd/cairn.service and systemd/envoy.service (made from their .in
# templates with ExecStart naming binaries that exist here), their
# `systemd-analyze security` exposure (printed as comments; cairn.service
# must stay "OK", below 3.0), and the sysusers.d/tmpfiles.d snippets applied
# to an empty root directory.
# Debian packages: systemd (systemd-analyze, systemd-sysusers,
# systemd-tmpfiles). A missing tool makes its checks SKIP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }
check() { # description command...
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		not_ok "$desc"
		printf '%s\n' "$out" | sed 's/^/#   /'
	fi
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-units.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM
envoy=$(command -v envoy 2>/dev/null || echo /bin/true)
for unit in cairn envoy; do
	sed -e "s|@bindir@|$(dirname "$CAIRN")|g" -e "s|@ENVOY_BIN@|$envoy|g" \
	    "$top_srcdir/systemd/$unit.service.in" > "$tmp/$unit.service"
done
if grep -q '@[A-Za-z_]*@' "$tmp/cairn.service" "$tmp/envoy.service"; then
	not_ok "units: every @VARIABLE@ is substituted"
else
	ok "units: every @VARIABLE@ is substituted"
fi

if command -v systemd-analyze >/dev/null 2>&1; then
	# --man=no: the man pages are checked by man.sh, installed or not.
	for unit in cairn envoy; do
		check "systemd-analyze verify $unit.service" \
		    systemd-analyze verify --man=no "$tmp/$unit.service"
	done
	for key in 'Type=notify' 'ExecReload=/bin/kill -HUP $MAINPID' 'User=cairn' \
	    'StateDirectory=cairn' 'RuntimeDirectory=cairn' 'WatchdogSec=30s' \
	    'Restart=on-failure' 'ProtectSystem=strict' 'ProtectHome=yes' 'PrivateTmp=yes' \
	    'NoNewPrivileges=yes' 'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX' \
	    'SystemCallFilter=@system-service' 'UMask=0077'; do
		if grep -qxF "$key" "$tmp/cairn.service"; then
			ok "cairn.service has $key"
		else
			not_ok "cairn.service has $key"
		fi
	done
	for unit in cairn envoy; do
		if out=$(systemd-analyze security --offline=yes --no-pager "$tmp/$unit.service" 2>&1); then
			printf '%s\n' "$out" | grep -E '^(✗|→)|Overall' | sed 's/^/# /'
			level=$(printf '%s\n' "$out" | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
			echo "# $unit.service exposure: $level"
			if [ "$unit" = envoy ] || awk -v l="$level" 'BEGIN { exit !(l != "" && l + 0 < 3.0) }'; then
				ok "systemd-analyze security $unit.service ($level)"
			else
				not_ok "systemd-analyze security $unit.service ($level, want < 3.0)"
			fi
		else
			skip "systemd-analyze security $unit.service" "--offline not supported here"
		fi
	done
else
	skip "systemd-analyze verify" "systemd-analyze not installed (Debian systemd)"
fi

if command -v systemd-sysusers >/dev/null 2>&1 && command -v systemd-tmpfiles >/dev/null 2>&1; then
	root=$tmp/root
	mkdir -p "$root/etc"
	for f in passwd group shadow gshadow; do : > "$root/etc/$f"; done
	check "sysusers.d/cairn.conf creates the cairn user" \
	    systemd-sysusers --root="$root" "$top_srcdir/systemd/sysusers.d/cairn.conf"
	if grep -q '^cairn:x:[0-9]*:[0-9]*:[^:]*:/var/lib/cairn:' "$root/etc/passwd"; then
		ok "the cairn user's home is /var/lib/cairn"
	else
		not_ok "the cairn user's home is /var/lib/cairn"
	fi
	check "tmpfiles.d/cairn.conf applies" \
	    systemd-tmpfiles --root="$root" --create "$top_srcdir/systemd/tmpfiles.d/cairn.conf"
	if [ -d "$root/etc/cairn/resources" ] && [ -d "$root/etc/cairn/certs" ] &&
	    [ -d "$root/var/lib/cairn" ]; then
		ok "tmpfiles.d made /etc/cairn/resources, /etc/cairn/certs, /var/lib/cairn"
	else
		not_ok "tmpfiles.d made /etc/cairn/resources, /etc/cairn/certs, /var/lib/cairn"
	fi
else
	skip "sysusers.d and tmpfiles.d snippets" "systemd-sysusers/systemd-tmpfiles not installed"
fi
echo "1..$n"
exit $failed
