#!/bin/sh
# Gateway TLS over ADS (TAP): tests/gateway/ads-tls.test.js, the real daemon.
: "${top_srcdir:?}" "${CAIRN:?}"
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
if ! node_env_ready; then
	echo "1..0 # SKIP node modules missing: run .ci/install-deps.sh"
	exit 0
fi
exec "$NODE" --test --test-reporter=tap "$top_srcdir/tests/gateway/ads-tls.test.js"
