#!/bin/sh
# Gateway TLS over ADS (TAP): tests/gateway/ads-tls.test.js, the real daemon,
# with a state directory of its own (not a ledger another run left behind).
: "${top_srcdir:?}" "${CAIRN:?}"
NODE=${NODE:-node}
. "$top_srcdir/tests/lib/node-env.sh"
if ! node_env_ready; then
	echo "1..0 # SKIP node modules missing: run .ci/install-deps.sh"
	exit 0
fi
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT
CAIRN_STATE_DIRECTORY=$state "$NODE" --test --test-reporter=tap \
    "$top_srcdir/tests/gateway/ads-tls.test.js"
