#!/bin/sh
# The whole test suite built with AddressSanitizer and UndefinedBehavior-
# Sanitizer (configure --enable-asan) in a tree of its own, so the normal
# build is left alone: `make check-asan`, or by hand
#   tests/sanitize.sh SRCDIR BUILDDIR [configure args...]
# An in-tree configured source directory cannot host a second build
# (automake refuses), so the sources are copied first: the files git knows
# (tracked and new, not ignored), plus tests/node_modules as a link.
set -eu
src=${1:?usage: sanitize.sh SRCDIR BUILDDIR [configure args]}
dst=${2:?usage: sanitize.sh SRCDIR BUILDDIR [configure args]}
shift 2
if ! git -C "$src" rev-parse --git-dir >/dev/null 2>&1; then
	echo "sanitize.sh: $src is not a git checkout; configure a fresh copy with --enable-asan instead" >&2
	exit 2
fi
rm -rf "$dst/src"
mkdir -p "$dst/src" "$dst/build"
(cd "$src" && git ls-files -co --exclude-standard -z) |
	(cd "$src" && xargs -0 cp -a --parents -t "$dst/src")
[ -d "$src/tests/node_modules" ] && ln -sfn "$src/tests/node_modules" "$dst/src/tests/node_modules"
# Data the tests read beside the checkout (shared/gateway-api-conformance).
[ -d "$src/../shared" ] && export CAIRN_SHARED_DIR="$(cd "$src/../shared" && pwd)"
(cd "$dst/src" && autoreconf -fi >/dev/null)
cd "$dst/build"
"$dst/src/configure" --enable-asan --enable-debug "$@" >configure.log
make -j"${JOBS:-2}" >build.log 2>&1 || { tail -40 build.log; exit 1; }
# Leaks fail the run too (LeakSanitizer is on by default with ASan). The
# fuzz smoke test only replays here (its fuzzers have ASan of their own).
export FUZZ_SMOKE_SECONDS=${FUZZ_SMOKE_SECONDS:-0}
# Tests that bound RSS skip those bounds: ASan's quarantine and shadow
# memory would be measured, not cairn.
export CAIRN_SANITIZED=1
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1} \
UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
	make -j"${JOBS:-2}" check
