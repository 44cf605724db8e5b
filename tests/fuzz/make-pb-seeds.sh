#!/bin/sh
# Writes the seed inputs of pb_fuzzer (see the top of pb_fuzzer.c) into
# corpus/pb/: each resource `cairn dump --format pb` makes of a few golden
# inputs, as "<message type>\n<bytes>". CAIRN names the binary (default
# ./cairn).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cairn=${CAIRN:-./cairn}
out=$here/corpus/pb
mkdir -p "$out"
for c in basic tls-basic contour-ingress headers-and-order weights \
    gateway-httproute-filters gateway-grpcroute tracing; do
	in=$here/../golden/$c/input
	[ -d "$in" ] || continue
	set --
	[ -f "$here/../golden/$c/dump-flags" ] && set -- $(cat "$here/../golden/$c/dump-flags")
	"$cairn" dump --no-state --source "$in" --format pb "$@" 2>/dev/null |
	while IFS="$(printf '\t')" read -r url name b64; do
		type=${url##*/}
		file=$out/$c-$(echo "$type" | sed 's/.*\.//')-$(echo "$name" | tr -c 'a-zA-Z0-9_.\n-' '_')
		{ printf '%s\n' "$type"; echo "$b64" | base64 -d; } >"$file"
	done
done
