#!/bin/sh
# Make-before-break, NACK and many-stream tests (TAP): tests/protocol/ordering.test.js, see run.sh.
exec /bin/sh "$(dirname "$0")/run.sh" ordering.test.js
