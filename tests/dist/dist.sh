#!/bin/sh
# The release tarball holds the checkout (TAP): `make distdir` into a
# scratch directory, then every file git tracks must be in it (but
# .gitignore), so `make distcheck` and a package built from the tarball
# see what a checkout sees. A new test, example or doc that is not in
# EXTRA_DIST fails here in seconds, not in a 15-minute distcheck. Also
# checks that every path fits the tarball's ustar format (AM_INIT_AUTOMAKE
# tar-ustar: a name over 100 bytes must split at a '/' into a prefix of at
# most 155). Skips outside a git checkout (a release tree, distcheck).
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
top_builddir=${top_builddir:-$top_srcdir}
MAKE=${MAKE:-make}
unset MAKEFLAGS MFLAGS MAKELEVEL
n=0
failed=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }

if [ "$(git -C "$top_srcdir" rev-parse --show-toplevel 2>/dev/null)" != "$(cd "$top_srcdir" && pwd -P)" ]; then
	echo "1..0 # SKIP $top_srcdir is not a git checkout"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cairn-dist.XXXXXX") || exit 2
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM

if out=$($MAKE -C "$top_builddir" distdir distdir="$tmp/cairn" 2>&1); then
	ok "make distdir succeeds"
else
	not_ok "make distdir succeeds"
	printf '%s\n' "$out" | tail -20 | sed 's/^/#   /'
	echo "1..$n"
	exit 1
fi

(cd "$tmp/cairn" && find . -type f | sed 's|^\./||' | sort) > "$tmp/dist"
git -C "$top_srcdir" ls-files | grep -vx '.gitignore' | sort > "$tmp/git"
comm -23 "$tmp/git" "$tmp/dist" > "$tmp/missing"
if [ ! -s "$tmp/missing" ]; then
	ok "every file git tracks is in the tarball"
else
	not_ok "every file git tracks is in the tarball (add these to EXTRA_DIST)"
	sed 's/^/#   missing: /' "$tmp/missing"
fi

# ustar: "cairn-VERSION/path" either fits in 99 bytes, or splits at a '/'
# into a prefix of at most 155 bytes and a name of at most 100.
version=$(sed -n 's/^AC_INIT(\[cairn\], \[\([^]]*\)\].*/\1/p' "$top_srcdir/configure.ac")
sed "s|^|cairn-$version/|" "$tmp/dist" | awk '
	length($0) <= 99 { next }
	{
		fits = 0
		for (i = length($0); i > 0; i--)
			if (substr($0, i, 1) == "/" && i - 1 <= 155 && length($0) - i <= 100) { fits = 1; break }
		if (!fits) print
	}' > "$tmp/long"
if [ ! -s "$tmp/long" ]; then
	ok "every path fits the ustar tarball format"
else
	not_ok "every path fits the ustar tarball format"
	sed 's/^/#   too long: /' "$tmp/long"
fi
echo "1..$n"
exit $failed
