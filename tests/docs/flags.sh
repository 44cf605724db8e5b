#!/bin/sh
# The flags of every subcommand: parser, --help and man/cairn.1 agree
# (tests/docs/flags.py, TAP).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
CAIRN=${CAIRN:-$top_srcdir/cairn}
exec "${PYTHON3:-/usr/bin/python3}" "$top_srcdir/tests/docs/flags.py" "$CAIRN" "$top_srcdir/man/cairn.1"
