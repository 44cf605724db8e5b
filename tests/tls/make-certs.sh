#!/bin/sh
# Test certificates made with openssl at run time (nothing secret is
# checked in but the golden fixtures, which this script also made).
#
# usage: make-certs.sh DIR [DAYS]
# In DIR (created): a CA (ca.crt, ca.key); server certificates for
# shop.example.com (shop.crt/.key), *.blog.example.com (blog.crt/.key) and
# localhost/127.0.0.1 (localhost.crt/.key, for an xDS server); a client
# certificate (client.crt/.key); an expired one (expired.crt/.key, valid
# in 2000 only); a key that matches nothing (other.key); a CRL revoking
# revoked.crt (crl.pem); and a second CA (other-ca.crt/.key) that signs
# other-client.crt/.key. Certificates are valid for DAYS (default 2).
set -eu
dir=$1
days=${2:-2}
mkdir -p "$dir"
cd "$dir"
: "${OPENSSL:=openssl}"

mkdir -p db
: >db/index.txt
echo 1000 >db/serial
echo 1000 >db/crlnumber
cat >ca.cnf <<CNF
[ca]
default_ca = test_ca
[test_ca]
dir = .
database = db/index.txt
serial = db/serial
crlnumber = db/crlnumber
new_certs_dir = db
certificate = ca.crt
private_key = ca.key
default_md = sha256
default_days = $days
default_crl_days = $days
policy = any
unique_subject = no
copy_extensions = copy
[any]
commonName = supplied
[server]
basicConstraints = CA:FALSE
extendedKeyUsage = serverAuth
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
[req]
distinguished_name = dn
[dn]
CNF

key() {
	"$OPENSSL" genpkey -algorithm EC -pkeyopt ec_paramgen_curve:prime256v1 \
	    -out "$1" 2>/dev/null
}

# ca NAME CN
ca() {
	key "$1.key"
	"$OPENSSL" req -x509 -new -key "$1.key" -out "$1.crt" -days "$days" \
	    -subj "/CN=$2" -config ca.cnf \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

# leaf NAME EXT CN SAN [CA] [extra ca args...]
leaf() {
	name=$1 ext=$2 cn=$3 san=$4 signer=${5:-ca}
	if [ $# -ge 5 ]; then shift 5; else shift $#; fi
	key "$name.key"
	"$OPENSSL" req -new -key "$name.key" -out "$name.csr" -subj "/CN=$cn" \
	    -config ca.cnf ${san:+-addext "subjectAltName=$san"} 2>/dev/null
	"$OPENSSL" ca -batch -config ca.cnf -name test_ca -cert "$signer.crt" \
	    -keyfile "$signer.key" -extensions "$ext" -in "$name.csr" \
	    -out "$name.crt" -notext "$@" 2>/dev/null
	rm -f "$name.csr"
}

ca ca "cairn test CA"
ca other-ca "another CA"
leaf shop server shop.example.com "DNS:shop.example.com"
leaf blog server "*.blog.example.com" "DNS:*.blog.example.com"
leaf localhost server localhost "DNS:localhost,IP:127.0.0.1"
leaf backend server backend.shop.svc "DNS:backend.shop.svc"
leaf client client envoy-1 ""
leaf revoked client revoked-client ""
leaf other-client client other-client "" other-ca
leaf expired server expired.example.com "DNS:expired.example.com" ca \
    -startdate 20000101000000Z -enddate 20000201000000Z
key other.key
"$OPENSSL" ca -batch -config ca.cnf -name test_ca -revoke revoked.crt 2>/dev/null
"$OPENSSL" ca -batch -config ca.cnf -name test_ca -gencrl -out crl.pem 2>/dev/null
rm -rf db ca.cnf
