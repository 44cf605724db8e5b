#!/bin/sh
# Install everything cairn needs to build and to run its whole test suite
# on Debian 12: the C libraries, the protobuf-c compiler, the independent
# xDS clients used as judges (python3-grpcio; @grpc/grpc-js-xds from npm)
# and the tools the admin and systemd tests drive (prometheus_client, dot,
# systemd-analyze, man, headless Chromium) and clang's libFuzzer for the
# fuzz smoke runs.
# Safe to run again.
set -eu
cd "$(dirname "$0")/.."

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

PACKAGES="build-essential autoconf automake libtool pkg-config git
  libgrpc-dev libprotobuf-c-dev protobuf-c-compiler libyaml-dev libgit2-dev
  libsystemd-dev libmicrohttpd-dev libxxhash-dev libjansson-dev libcmocka-dev
  python3 python3-grpcio valgrind openssl libssl-dev curl
  python3-prometheus-client prometheus graphviz systemd groff-base man-db chromium
  clang libclang-rt-14-dev"
PACKAGES="$PACKAGES libre2-dev" # RE2, Envoy's regex engine (build)
# Node: any Node >= 20 already on the machine will do; Debian's otherwise.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	$SUDO apt-get update -q
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# Test-only npm packages (exact versions in tests/package.json; no lock
# file is kept, see tests/.npmrc).
if [ ! -d tests/node_modules/@grpc/grpc-js-xds ] || [ tests/package.json -nt tests/node_modules ]; then
	(cd tests && npm install --no-audit --no-fund --loglevel=error)
	touch tests/node_modules
fi
