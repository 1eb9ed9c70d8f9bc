#!/bin/sh
# Regenerates the test certificate authority and the 127.0.0.1/localhost server certificate of
# okta-http's TLS handshake test (see README.md). Needs only the openssl command line.
set -eu
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
touch "$work/index.txt"
cat > "$work/ca.cnf" <<'CNF'
[ca]
default_ca = test
[test]
database = $ENV::WORK/index.txt
new_certs_dir = $ENV::WORK
rand_serial = yes
default_md = sha256
policy = anything
copy_extensions = none
unique_subject = no
[anything]
commonName = supplied
[ca_ext]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
[server_ext]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.1
CNF
export WORK="$work"
# Valid from 2000 to 2125, so no clock (and no CI machine) sees them outside their validity.
dates="-startdate 20000101000000Z -enddate 21251231235959Z"
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -subj "/CN=okta-http test CA" -keyout "$work/ca.key" -out "$work/ca.csr"
openssl ca -batch -config "$work/ca.cnf" -selfsign -keyfile "$work/ca.key" -in "$work/ca.csr" \
  -extensions ca_ext $dates -notext -out ca.pem
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout server.key.pem -out "$work/server.csr"
openssl ca -batch -config "$work/ca.cnf" -cert ca.pem -keyfile "$work/ca.key" \
  -in "$work/server.csr" -extensions server_ext $dates -notext -out server.pem
