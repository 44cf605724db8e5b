#!/bin/sh
# Runs one protocol test file (tests/protocol/NAME.test.js) under node's test runner with TAP
# output, against tests/protocol/ads_fixture_server. usage: run.sh NAME.test.js
# Skips (77) only when node or its test modules are missing.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
export top_srcdir top_builddir
NODE=${NODE:-node}

if [ -d "$top_srcdir/tests/node_modules/@grpc/grpc-js-xds" ]; then
	NODE_PATH="$top_srcdir/tests/node_modules${NODE_PATH:+:$NODE_PATH}"
fi
export NODE_PATH="${NODE_PATH:-}"

if ! command -v "$NODE" >/dev/null 2>&1; then
	echo "1..0 # SKIP node not found"
	exit 0
fi
if ! "$NODE" -e "require.resolve('@grpc/grpc-js'); require.resolve('@grpc/grpc-js-xds'); require.resolve('protobufjs')" >/dev/null 2>&1; then
	echo "1..0 # SKIP node modules missing: run npm ci in tests/ or set NODE_PATH"
	exit 0
fi
if [ ! -x "${ADS_FIXTURE:-$top_builddir/tests/protocol/ads_fixture_server}" ]; then
	echo "Bail out! ${ADS_FIXTURE:-$top_builddir/tests/protocol/ads_fixture_server} is not built"
	exit 1
fi
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/protocol/$1"
