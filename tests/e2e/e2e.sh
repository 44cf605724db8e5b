#!/bin/sh
# Proxyless end-to-end tests with real xDS clients, plus the self-test of the official-proto
# judge (tests/tools/xds-verify.js) they rely on. Run by `make check` (tests/tests.am).
#
# Environment (exported by automake's AM_TESTS_ENVIRONMENT): CAIRN (the built binary),
# top_srcdir, top_builddir, NODE, PYTHON3. Node modules (@grpc/grpc-js, @grpc/grpc-js-xds,
# protobufjs) come from $top_srcdir/tests/node_modules (npm install in tests/), else NODE_PATH.
# Exit 77 (skip) only when node or those modules are missing.
#
# By hand:  CAIRN=$PWD/cairn NODE_PATH=/path/node_modules sh tests/e2e/e2e.sh
# Extra:    E2E_TRACE=1 (client xDS traces in failure output), E2E_KEEP=1 (keep temp dirs),
#           E2E_REQUIREMENTS=1 (document what the real clients accept; slow).
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
	echo "1..0 # SKIP node modules @grpc/grpc-js, @grpc/grpc-js-xds, protobufjs not found (npm install in $top_srcdir/tests, or set NODE_PATH)"
	exit 0
fi

# Cache of the official protos' validate rules (and of envoy-protos.js), in the build tree.
CAIRN_TEST_CACHE=${CAIRN_TEST_CACHE:-$top_builddir/tests/.cache}
export CAIRN_TEST_CACHE
if [ -n "${CAIRN:-}" ]; then
	export CAIRN
fi
export PYTHON3="${PYTHON3:-/usr/bin/python3}"

exec "$NODE" --test --test-reporter=tap \
	"$top_srcdir/tests/tools/xds-verify.test.js" \
	"$top_srcdir/tests/e2e/e2e.test.js"
