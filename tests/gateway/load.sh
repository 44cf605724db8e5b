#!/bin/sh
# Gateway API kinds (TAP): located load errors and examples/gateway-api
# (tests/gateway/load.py). Without python3 the test is skipped (a TAP plan of 0).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
PYTHON3=${PYTHON3:-python3}
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
exec "$PYTHON3" "$top_srcdir/tests/gateway/load.py"
