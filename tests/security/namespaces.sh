#!/bin/sh
# The namespace-claim security matrix (TAP): tests/security/namespaces.py
# writes a tree per row and judges `cairn check` and `cairn dump`, from a
# directory and from a git repository. Needs python3; git rows SKIP
# without git.
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
CAIRN=${CAIRN:-$top_builddir/cairn}
export top_srcdir top_builddir CAIRN
PYTHON3=${PYTHON3:-python3}
if ! command -v "$PYTHON3" >/dev/null 2>&1; then
	echo "1..0 # SKIP python3 not found"
	exit 0
fi
exec "$PYTHON3" "$top_srcdir/tests/security/namespaces.py"
