#!/bin/sh
# ingress_http in pieces through ADS (TAP): tests/protocol/pieces.test.js.
: "${top_srcdir:?}" "${CAIRN:?}"
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
if ! node_env_ready; then
	echo "1..0 # SKIP node modules missing: run .ci/install-deps.sh"
	exit 0
fi
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/protocol/pieces.test.js"
