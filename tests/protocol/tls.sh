#!/bin/sh
# xDS over TLS and mTLS (TAP): tests/protocol/tls.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" tls.test.js
