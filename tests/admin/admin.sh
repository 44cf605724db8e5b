#!/bin/sh
# The admin endpoint over HTTP (TAP): tests/admin/admin_test.py against
# tests/admin/admin_fixture and `cairn serve`.
# Debian packages: python3 (required), python3-prometheus-client (the
# /metrics parser), graphviz (dot), chromium (screenshot); prometheus
# (promtool) is used when present. Checks whose tool is missing SKIP.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
# Debian's python3 has the Debian-packaged modules; a pyenv shim would not.
PYTHON3=${PYTHON3:-python3}
if [ -x /usr/bin/python3 ] && ! "$PYTHON3" -c 'import prometheus_client' 2>/dev/null; then
	PYTHON3=/usr/bin/python3
fi
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
exec "$PYTHON3" "$top_srcdir/tests/admin/admin_test.py"
