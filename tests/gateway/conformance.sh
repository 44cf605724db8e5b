#!/bin/sh
# Every upstream Gateway API conformance manifest, each document in its
# namespace's directory, loads as it is (TAP, tests/gateway/load.py
# --conformance). The manifests are read from
# $(top_srcdir)/../shared/gateway-api-conformance, never copied into the
# project ($CAIRN_SHARED_DIR names shared/ where the source is a copy, as in
# tests/sanitize.sh); without them (or python3) the test is skipped.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
PYTHON3=${PYTHON3:-python3}
# A TAP plan of 0 with SKIP, exit 0: this project's TAP driver reports
# exit 77 as an error.
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
shared=${CAIRN_SHARED_DIR:-$top_srcdir/../shared}
if [ ! -d "$shared/gateway-api-conformance" ]; then
	echo "1..0 # SKIP $shared/gateway-api-conformance not found"
	exit 0
fi
export CAIRN_SHARED_DIR="$shared"
exec "$PYTHON3" "$top_srcdir/tests/gateway/load.py" --conformance
