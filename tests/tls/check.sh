#!/bin/sh
# File-backed Secrets end to end (TAP): certificates made here by
# openssl (make-certs.sh) in certbot's layout, `cairn check` and
# `cairn dump` with secrets.allowed-directories; a renewal (symlinks in
# live/ flipped to new files in archive/) changes the SDS Secret and
# nothing else; bad PEM, a mismatched key, a file outside the allowed
# directories and an expired certificate are located errors/warnings;
# private keys appear in no output unless --show-secrets.
set -u
: "${CAIRN:?}" "${top_srcdir:?}"
here=$top_srcdir/tests/tls

if ! command -v openssl >/dev/null 2>&1; then
	echo "1..0 # SKIP openssl not found"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }
check() { # description, then a command: ok when it succeeds
	d=$1
	shift
	if "$@" >"$tmp/out" 2>&1; then ok "$d"; else not_ok "$d" "$(head -20 "$tmp/out")"; fi
}

sh "$here/make-certs.sh" "$tmp/certs" 30 || { echo "Bail out! make-certs.sh failed"; exit 1; }
le=$tmp/letsencrypt
# certbot: archive/<name>/{fullchain,privkey}N.pem, live/<name>/*.pem -> ../../archive/...
issue() { # N CERT KEY
	mkdir -p "$le/archive/shop" "$le/live/shop"
	cp "$tmp/certs/$2" "$le/archive/shop/fullchain$1.pem"
	cp "$tmp/certs/$3" "$le/archive/shop/privkey$1.pem"
	for f in fullchain privkey; do
		ln -sfn "../../archive/shop/$f$1.pem" "$le/live/shop/$f.pem.tmp"
		mv -T "$le/live/shop/$f.pem.tmp" "$le/live/shop/$f.pem"
	done
}
issue 1 shop.crt shop.key
mkdir -p "$tmp/elsewhere" "$tmp/src/shop"
cat >"$tmp/cairn.yaml" <<EOF
secrets:
  allowed-directories: [$le]
EOF
cat >"$tmp/src/shop/app.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: shop-tls
  annotations:
    cairn.io/certificate-file: $le/live/shop/fullchain.pem
    cairn.io/private-key-file: $le/live/shop/privkey.pem
---
apiVersion: projectcontour.io/v1
kind: HTTPProxy
metadata: {name: shop}
spec:
  virtualhost:
    fqdn: shop.example.com
    tls: {secretName: shop-tls}
  routes:
    - services: [{name: web, port: 80}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec: {ports: [{port: 80}]}
EOF
cfg="-c $tmp/cairn.yaml"
keyline=$(sed -n 2p "$tmp/certs/shop.key")

# 1. a certbot layout under the allowed directory: valid, served over SDS
check "certbot files under secrets.allowed-directories: cairn check passes" \
    "$CAIRN" check $cfg --source "$tmp/src"
"$CAIRN" dump $cfg --source "$tmp/src" --format json >"$tmp/dump1.json" 2>&1
if grep -q '"name": "shop/shop-tls"' "$tmp/dump1.json" && grep -q '"ingress_https"' "$tmp/dump1.json"; then
	ok "dump: Secret shop/shop-tls over SDS and the ingress_https listener"
else
	not_ok "dump: Secret shop/shop-tls over SDS and the ingress_https listener" "$(head -c 2000 "$tmp/dump1.json")"
fi

# 2. keys never printed unless asked
leaks=
for fmt in yaml json pb; do
	"$CAIRN" dump $cfg --source "$tmp/src" --format $fmt >"$tmp/d.$fmt" 2>&1
	[ $fmt = pb ] && cut -f3 "$tmp/d.$fmt" | while read -r b; do echo "$b" | base64 -d; done >"$tmp/d.$fmt.raw" 2>/dev/null && mv "$tmp/d.$fmt.raw" "$tmp/d.$fmt"
	grep -aq -e "$keyline" -e "PRIVATE KEY" "$tmp/d.$fmt" && leaks="$leaks $fmt"
	[ $fmt != pb ] && ! grep -q '\[redacted\]' "$tmp/d.$fmt" && leaks="$leaks $fmt(no-redaction-marker)"
done
"$CAIRN" check $cfg --source "$tmp/src" --format json >"$tmp/c.json" 2>&1
grep -q -e "$keyline" "$tmp/c.json" && leaks="$leaks check-json"
if [ -z "$leaks" ]; then ok "private key absent from dump (yaml, json, pb) and check"; else not_ok "private key absent from dump and check" "leaks in:$leaks"; fi
"$CAIRN" dump $cfg --source "$tmp/src" --format yaml --show-secrets >"$tmp/d.show" 2>&1
"$CAIRN" dump $cfg --source "$tmp/src" --format pb --show-secrets | cut -f3 | while read -r b; do echo "$b" | base64 -d; done >"$tmp/d.showpb" 2>/dev/null
if ! grep -q '\[redacted\]' "$tmp/d.show" && grep -aq "PRIVATE KEY" "$tmp/d.showpb"; then
	ok "--show-secrets shows the key"
else
	not_ok "--show-secrets shows the key"
fi
if grep -q '"not_after": [0-9]' "$tmp/c.json"; then ok "check --format json: the Secret's not_after"; else not_ok "check --format json: the Secret's not_after" "$(head -40 "$tmp/c.json")"; fi

# 3. renewal: new files in archive/, symlinks flipped: a new Secret version, nothing else
sds() { "$CAIRN" dump $cfg --source "$tmp/src" --type "$1" --format pb 2>/dev/null | md5sum; }
s1=$(sds sds); l1=$(sds lds); r1=$(sds rds); c1=$(sds cds)
issue 2 blog.crt blog.key
s2=$(sds sds); l2=$(sds lds); r2=$(sds rds); c2=$(sds cds)
if [ "$s1" != "$s2" ] && [ "$l1" = "$l2" ] && [ "$r1" = "$r2" ] && [ "$c1" = "$c2" ]; then
	ok "certbot renewal: the Secret changes, listeners, routes and clusters do not"
else
	not_ok "certbot renewal: the Secret changes, listeners, routes and clusters do not" "sds $s1/$s2 lds $l1/$l2"
fi

# 4. located problems
cp "$tmp/certs/shop.crt" "$le/bad.pem"
printf '%s\n' '-----BEGIN CERTIFICATE-----' 'not base64!' '-----END CERTIFICATE-----' >"$le/garbage.pem"
cp "$tmp/certs/other.key" "$le/other.key"
cp "$tmp/certs/shop.key" "$le/shop.key"
cp "$tmp/certs/expired.crt" "$tmp/certs/expired.key" "$le/"
cp "$tmp/certs/shop.key" "$tmp/elsewhere/outside.key"
ln -s "$tmp/elsewhere/outside.key" "$le/escape.key"
mkdir -p "$tmp/bad/shop"
cat >"$tmp/bad/shop/secrets.yaml" <<EOF
apiVersion: v1
kind: Secret
metadata:
  name: garbage
  annotations:
    cairn.io/certificate-file: $le/garbage.pem
    cairn.io/private-key-file: $le/shop.key
---
apiVersion: v1
kind: Secret
metadata:
  name: mismatched
  annotations:
    cairn.io/certificate-file: $le/bad.pem
    cairn.io/private-key-file: $le/other.key
---
apiVersion: v1
kind: Secret
metadata:
  name: escape
  annotations:
    cairn.io/certificate-file: $le/bad.pem
    cairn.io/private-key-file: $le/escape.key
---
apiVersion: v1
kind: Secret
metadata:
  name: expired
  annotations:
    cairn.io/certificate-file: $le/expired.crt
    cairn.io/private-key-file: $le/expired.key
---
apiVersion: v1
kind: Secret
metadata:
  name: missing
  annotations:
    cairn.io/ca-file: $le/nope.pem
EOF
(cd "$tmp/bad" && "$CAIRN" check $cfg --source . >"$tmp/bad.out" 2>&1; echo "exit $?" >>"$tmp/bad.out")
expect() { # description, fixed string
	if grep -qF -- "$2" "$tmp/bad.out"; then ok "$1"; else not_ok "$1" "expected: $2" "$(cat "$tmp/bad.out")"; fi
}
expect "bad PEM: located error" "shop/secrets.yaml:6:32: error: Secret shop/garbage: tls.crt:"
expect "bad PEM: why" "tls.crt: PEM block 1 is malformed"
expect "mismatched key: located error" "shop/secrets.yaml:15:32: error: Secret shop/mismatched: tls.key: the private key does not match the certificate"
expect "file outside the allowed directories: named, with where it resolves" "shop/secrets.yaml:23:32: error: Secret shop/escape: annotation cairn.io/private-key-file: file $le/escape.key resolves to $tmp/elsewhere/outside.key, outside secrets.allowed-directories"
expect "expired certificate: a located warning" "shop/secrets.yaml:30:32: warning: Secret shop/expired: tls.crt: the certificate expired on 2000-02-01T00:00:00Z (CertificateExpired)"
expect "missing file: named" "Secret shop/missing: annotation cairn.io/ca-file: file $le/nope.pem: No such file or directory"
expect "check exits 1" "exit 1"
if grep -q -e "$keyline" "$tmp/bad.out"; then not_ok "no key material in the messages"; else ok "no key material in the messages"; fi

# 5. permissions: certbot's privkey is 0600 root; cairn (User=cairn) cannot read it.
# Root reads anything, so as root cairn runs as nobody here (setpriv).
as_user=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod -R a+rX "$tmp"
	$as_user test -x "$CAIRN" || as_user=
fi
if [ "$(id -u)" != 0 ] || [ -n "$as_user" ]; then
	chmod 000 "$le/shop.key"
	(cd "$tmp/bad" && $as_user "$CAIRN" check $cfg --source . >"$tmp/bad.out" 2>&1)
	expect "unreadable key: Permission denied, named" "file $le/shop.key: Permission denied"
	chmod 600 "$le/shop.key"
else
	n=$((n + 1)); echo "ok $n - unreadable key # SKIP running as root without setpriv, or $CAIRN not executable by nobody"
fi
echo "1..$n"
