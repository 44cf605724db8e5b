#!/bin/sh
# Every upstream Gateway API conformance manifest, each document in its
# namespace's directory, loads as it is (TAP, tests/gateway/load.py
# --conformance). The manifests are read from
# $(top_srcdir)/../shared/gateway-api-conformance, never copied into the
# project; without them (or python3) the test is skipped (exit 77).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
PYTHON3=${PYTHON3:-python3}
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 77
fi
if [ ! -d "$top_srcdir/../shared/gateway-api-conformance" ]; then
	echo "1..0 # SKIP $top_srcdir/../shared/gateway-api-conformance not found"
	exit 77
fi
exec "$PYTHON3" "$top_srcdir/tests/gateway/load.py" --conformance
