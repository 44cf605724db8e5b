#!/bin/sh
# Proxyless gRPC through a Gateway's GRPCRoutes with real xDS clients (TAP):
# tests/gateway/grpc.test.js. grpc-js-xds from the node modules; grpc C-core
# from /usr/bin/python3 (python3-grpcio): its tests are TAP skips without it.
: "${top_srcdir:?}" "${CAIRN:?}"
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
if ! node_env_ready; then
	echo "1..0 # SKIP node modules missing: run .ci/install-deps.sh"
	exit 0
fi
export PYTHON3="${PYTHON3:-/usr/bin/python3}"
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/gateway/grpc.test.js"
