#!/bin/sh
# Delta (incremental) ADS protocol tests (TAP): tests/protocol/delta.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" delta.test.js
