#!/bin/sh
# Regenerate proto/proto.am (automake needs the file lists spelled out)
# from proto/FILES, the one list of .proto files to compile.
set -eu
cd "$(dirname "$0")"
{
	echo "# Generated from proto/FILES by proto/update-am.sh; keep both in step."
	printf 'PROTO_FILES ='
	for f in $(cat FILES); do printf ' \\\n\t%s' "$f"; done; echo
	printf 'PROTO_GEN_C ='
	for f in $(cat FILES); do printf ' \\\n\tproto-gen/%s' "${f%.proto}.pb-c.c"; done; echo
	printf 'PROTO_GEN_H ='
	for f in $(cat FILES); do printf ' \\\n\tproto-gen/%s' "${f%.proto}.pb-c.h"; done; echo
} > proto.am
