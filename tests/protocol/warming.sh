#!/bin/sh
# The warming gate (SPEC §8) on the wire (TAP): tests/protocol/warming.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" warming.test.js
