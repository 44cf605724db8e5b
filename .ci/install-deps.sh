#!/bin/sh
# Install what cairn needs on Debian 12 (or Ubuntu), in two parts:
#
#   .ci/install-deps.sh build   what building and running cairn needs: the
#                               Build-Depends of debian/control, read from
#                               there (one list for `make` and for the
#                               Debian package), and build-essential
#   .ci/install-deps.sh test    what the test suite needs on top: the
#                               Build-Depends marked <!nocheck>, the test-only
#                               tools below (independent judges, headless
#                               Chromium, valgrind, clang's libFuzzer, the
#                               Debian packaging tools) and the npm packages
#                               of tests/package.json
#   .ci/install-deps.sh         both (what .ci/run does)
#
# --print (first) lists the Debian packages instead of installing them.
# Safe to run again: it installs only what is missing.
set -eu
cd "$(dirname "$0")/.."

print=
if [ "${1:-}" = --print ]; then
	print=1
	shift
fi
what=${1:-all}
case $what in
build | test | all) ;;
*)
	echo "usage: $0 [--print] [build|test|all]" >&2
	exit 2
	;;
esac

# Test-only Debian packages, one per line (the package build does not need
# them; `.ci/install-deps.sh test` installs them).
TEST_PACKAGES="
python3-grpcio
python3-prometheus-client
prometheus
valgrind
graphviz
chromium
clang
libclang-rt-14-dev
debhelper
dpkg-dev
fakeroot
lintian
luajit
"

# debian/control's Build-Depends, one "name build|test" line each: the
# first alternative, without version or architecture restrictions; entries
# with the <!nocheck> build profile are the tests'. debhelper's own entries
# (debhelper-compat, dh-sequence-*) only matter to the package build and are
# left to the test list (debhelper provides them).
build_depends() {
	awk '
	/^Build-Depends:/ { on = 1; sub(/^Build-Depends:/, ""); print; next }
	on && /^#/ { next }
	on && /^[ \t]/ { print; next }
	{ on = 0 }
	' debian/control | tr '\n' ',' | tr ',' '\n' | while read -r entry; do
		[ -n "$entry" ] || continue
		name=${entry%%[ |(<[]*}
		case $name in debhelper-compat | dh-sequence-*) continue ;; esac
		case $entry in
		*'<!nocheck>'*) echo "$name test" ;;
		*) echo "$name build" ;;
		esac
	done
}

deps=$(build_depends)
if [ -z "$deps" ]; then
	echo "$0: no Build-Depends found in debian/control" >&2
	exit 2
fi
PACKAGES=
if [ "$what" != test ]; then
	PACKAGES="build-essential $(echo "$deps" | awk '$2 == "build" { print $1 }')"
fi
if [ "$what" != build ]; then
	PACKAGES="$PACKAGES $(echo "$deps" | awk '$2 == "test" { print $1 }') $TEST_PACKAGES"
	# Node: any Node >= 20 already on the machine will do; Debian's otherwise.
	command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"
fi

if [ -n "$print" ]; then
	echo $PACKAGES
	exit 0
fi

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

[ "$what" != build ] || exit 0
# Test-only npm packages (exact versions in tests/package.json; no lock
# file is kept, see tests/.npmrc).
if [ ! -d tests/node_modules/@grpc/grpc-js-xds ] || [ tests/package.json -nt tests/node_modules ]; then
	(cd tests && npm install --no-audit --no-fund --loglevel=error)
	touch tests/node_modules
fi
