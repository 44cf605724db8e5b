#!/bin/sh
# HTTPProxy features through real proxyless clients (tests/e2e/features.test.js), TAP.
# Same environment as e2e.sh: CAIRN, top_srcdir, NODE; node modules from tests/node_modules
# or NODE_PATH; python3-grpcio under /usr/bin/python3. Exit 77 (skip) without node modules.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=${top_srcdir:-$(cd "$here/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
NODE=${NODE:-node}

if [ -d "$top_srcdir/tests/node_modules" ]; then
	NODE_PATH="$top_srcdir/tests/node_modules${NODE_PATH:+:$NODE_PATH}"
fi
NODE_PATH=${NODE_PATH:-}
export NODE_PATH

if ! command -v "$NODE" >/dev/null 2>&1; then
	echo "1..0 # SKIP node ($NODE) not found"
	exit 0
fi
if ! "$NODE" -e "for (const m of ['@grpc/grpc-js', '@grpc/grpc-js-xds', 'protobufjs']) require.resolve(m)" >/dev/null 2>&1; then
	echo "1..0 # SKIP node modules @grpc/grpc-js, @grpc/grpc-js-xds, protobufjs not found"
	exit 0
fi

CAIRN_TEST_CACHE=${CAIRN_TEST_CACHE:-$top_builddir/tests/.cache}
export CAIRN_TEST_CACHE
if [ -n "${CAIRN:-}" ]; then
	export CAIRN
fi
export PYTHON3="${PYTHON3:-/usr/bin/python3}"

exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/e2e/features.test.js"
