#!/bin/sh
# Soak test (TAP), run by `make soak`, not by make check: tests/soak/soak.test.js.
# SOAK_SECONDS (default 300) of random edits every 50 ms with 200 connected clients.
: "${top_srcdir:?}" "${CAIRN:?}"
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
if ! node_env_ready; then
	echo "1..0 # SKIP node modules missing: run .ci/install-deps.sh"
	exit 0
fi
export SOAK_SECONDS="${SOAK_SECONDS:-300}"
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/soak/soak.test.js"
