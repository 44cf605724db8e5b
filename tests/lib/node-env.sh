# Sourced by test scripts: find the test-only npm packages (installed by
# .ci/install-deps.sh into tests/node_modules, or named by NODE_PATH).
if [ -d "$top_srcdir/tests/node_modules/@grpc/grpc-js-xds" ]; then
	NODE_PATH="$top_srcdir/tests/node_modules${NODE_PATH:+:$NODE_PATH}"
fi
export NODE_PATH="${NODE_PATH:-}"

node_env_ready() {
	${NODE:-node} -e "require.resolve('@grpc/grpc-js-xds'); require.resolve('protobufjs')" >/dev/null 2>&1
}
