#!/bin/sh
# The daemon's log format under journald, redirected and on a terminal
# (tests/systemd/logs.py, TAP).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
CAIRN=${CAIRN:-$top_srcdir/cairn}
exec "${PYTHON3:-/usr/bin/python3}" "$top_srcdir/tests/systemd/logs.py" "$CAIRN" "$top_srcdir/examples/quickstart"
