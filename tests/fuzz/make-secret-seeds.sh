#!/bin/sh
# Writes the seed inputs of secret_fuzzer (see the top of secret_fuzzer.c)
# into corpus/secret/: the golden TLS trees' files that hold Secrets, and
# from tests/tls/make-certs.sh output (test-only keys, made for this and
# valid for ten years): PEM bundles as they come (certificate, chain, key,
# certificate and key, CRL, EC parameters and key) and Secret objects
# holding them under stringData (PEM) and data (base64), with a CA, a CRL,
# an expired certificate, a key of another certificate and a delegation.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus/secret
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
sh "$here/../tls/make-certs.sh" "$tmp" 3650 >/dev/null

for f in "$here"/../golden/tls-*/input/*/*.yaml; do
	grep -q '^kind: Secret' "$f" || continue
	case=$(echo "$f" | sed 's|.*/golden/||; s|/input/|-|; s|/|-|g')
	cp "$f" "$out/golden-$case"
done

cat "$tmp/shop.crt" >"$out/pem-cert"
cat "$tmp/shop.crt" "$tmp/ca.crt" >"$out/pem-chain"
cat "$tmp/shop.key" >"$out/pem-key"
cat "$tmp/shop.crt" "$tmp/shop.key" >"$out/pem-cert-and-key"
cat "$tmp/shop.crt" "$tmp/other.key" >"$out/pem-cert-and-other-key"
cat "$tmp/crl.pem" >"$out/pem-crl"
openssl ecparam -name prime256v1 >"$tmp/params.pem"
cat "$tmp/params.pem" "$tmp/shop.key" >"$out/pem-ec-params-and-key"

# indent FILE: the file as a YAML block scalar's lines.
indent() { sed 's/^/    /' "$1"; }
b64() { base64 -w0 "$1"; }

{
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: tls, namespace: shop}"
	echo "type: kubernetes.io/tls"
	echo "stringData:"
	echo "  tls.crt: |"; indent "$tmp/shop.crt"
	echo "  tls.key: |"; indent "$tmp/shop.key"
	echo "---"
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: ca, namespace: shop}"
	echo "stringData:"
	echo "  ca.crt: |"; indent "$tmp/ca.crt"
	echo "  ca.crl: |"; indent "$tmp/crl.pem"
	echo "---"
	echo "apiVersion: projectcontour.io/v1"
	echo "kind: TLSCertificateDelegation"
	echo "metadata: {name: to-others, namespace: shop}"
	echo "spec:"
	echo "  delegations: [{secretName: tls, targetNamespaces: [fuzz-other]}]"
} >"$out/yaml-stringdata-delegated"

{
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: tls, namespace: shop}"
	echo "type: kubernetes.io/tls"
	echo "data:"
	echo "  tls.crt: $(cat "$tmp/shop.crt" "$tmp/ca.crt" >"$tmp/chain" && b64 "$tmp/chain")"
	echo "  tls.key: $(b64 "$tmp/shop.key")"
	echo "---"
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: ca, namespace: shop}"
	echo "data:"
	echo "  ca.crt: $(b64 "$tmp/ca.crt")"
	echo "---"
	echo "apiVersion: projectcontour.io/v1"
	echo "kind: TLSCertificateDelegation"
	echo "metadata: {name: to-all, namespace: shop}"
	echo "spec:"
	echo "  delegations: [{secretName: tls, targetNamespaces: ['*']}]"
} >"$out/yaml-data-base64-wildcard-delegation"

{
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: tls, namespace: shop}"
	echo "type: kubernetes.io/tls"
	echo "stringData:"
	echo "  tls.crt: |"; indent "$tmp/expired.crt"
	echo "  tls.key: |"; indent "$tmp/other.key"
	echo "---"
	echo "apiVersion: v1"
	echo "kind: Secret"
	echo "metadata: {name: ca, namespace: shop}"
	echo "stringData:"
	echo "  ca.crt: |"; indent "$tmp/shop.key"
} >"$out/yaml-mismatched"
