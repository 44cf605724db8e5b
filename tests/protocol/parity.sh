#!/bin/sh
# go-control-plane's server and cache test behaviours (TAP): tests/protocol/parity.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" parity.test.js
