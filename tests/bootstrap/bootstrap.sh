#!/bin/sh
# `cairn bootstrap` judged by Envoy's official protos and their protoc-gen-validate rules (TAP):
# tests/bootstrap/bootstrap.test.js under node's test runner. Skips (77) only when node or its
# test modules are missing.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
NODE=${NODE:-node}

if [ -d "$top_srcdir/tests/node_modules/@grpc/grpc-js-xds" ]; then
	NODE_PATH="$top_srcdir/tests/node_modules${NODE_PATH:+:$NODE_PATH}"
fi
export NODE_PATH="${NODE_PATH:-}"

if ! command -v "$NODE" >/dev/null 2>&1; then
	echo "1..0 # SKIP node not found"
	exit 0
fi
if ! "$NODE" -e "require.resolve('@grpc/grpc-js-xds'); require.resolve('protobufjs')" >/dev/null 2>&1; then
	echo "1..0 # SKIP node modules missing: run npm ci in tests/ or set NODE_PATH"
	exit 0
fi
if [ ! -x "$CAIRN" ]; then
	echo "Bail out! $CAIRN is not built"
	exit 1
fi
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/bootstrap/bootstrap.test.js"
