#!/bin/sh
# SotW ADS protocol tests (TAP): tests/protocol/sotw.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" sotw.test.js
