#!/usr/bin/env bash
# make e2e: prove mxaudit's verdicts against software nobody here wrote.
#
# Installs Postfix, Exim (GnuTLS), NSD, nginx, OpenSSL and testssl.sh from
# Debian's packages, starts private instances of each with their own config
# under a temp dir, bound to 127.0.9.x only, serves a DNSSEC-signed zone of
# test domains, runs `mxaudit run` and `mxaudit scan --json` over them, runs
# testssl.sh against every SMTP address, and hands everything to the Go test
# in this directory (go test -tags e2e), which asserts every verdict and
# compares protocol and suite lists with testssl.sh's. Then it times mxaudit
# against testssl.sh on the modern Postfix and writes results.txt.
#
# Root only. Nothing is sent outside 127.0.0.0/8; every daemon started here
# is stopped on exit. Environment: BIN (default bin), E2E_KEEP=1 keeps the
# work dir, E2E_SKIP_INSTALL=1 skips apt-get (packages already installed),
# E2E_BENCH_ONLY=1 only times mxaudit against testssl.sh (make bench).
set -euo pipefail
cd "$(dirname "$0")/../.."

BIN=${BIN:-bin}
HERE=samples/e2e
MODE=e2e # or bench: E2E_BENCH_ONLY=1
if [ -n "${E2E_BENCH_ONLY:-}" ]; then MODE=bench; fi
GO=${GO:-go}

if [ "$(id -u)" != 0 ]; then
  echo "e2e: must run as root: it installs Debian packages and starts private Postfix, Exim, NSD and nginx instances." >&2
  echo "e2e: run it as root (CI does so when .ci/run runs as root), or skip it." >&2
  exit 2
fi

# --- addresses and ports: everything on 127.0.9.x --------------------------
NET=127.0.9
DNS_IP=$NET.53
DNS_PORT=5353
HTTPS_IP=$NET.80
HTTPS_PORT=8443
SMTP_PORT=2525
EHLO=e2e.mxaudit.invalid
ZONE=e2e.test
UNSIGNED_ZONE=unsigned.test

# SMTP instances: name, address, MTA.
INSTANCES=(modern:$NET.10:postfix tls12:$NET.11:postfix legacy:$NET.12:postfix selfsigned:$NET.13:postfix
           expired:$NET.14:postfix mismatch:$NET.15:postfix nostarttls:$NET.16:postfix dualcert:$NET.17:postfix
           tls13:$NET.18:postfix ccert:$NET.19:postfix exim:$NET.20:exim opensmtpd:$NET.21:opensmtpd)
# The throttling proxy in front of the modern Postfix (samples/e2e/throttleproxy):
# THROTTLE_LIMIT connections per THROTTLE_WINDOW, then "421 too many connections".
THROTTLE_IP=$NET.22
THROTTLE_LIMIT=8
THROTTLE_WINDOW=10
# IPv6: a network namespace of our own, joined to the host by a veth pair
# with unique local addresses (RFC 4193) from a prefix of our own; a
# Postfix with TLS at V6_TLS (the AAAA-only MX) and one without STARTTLS at
# V6_PLAIN (the IPv6 side of the dual-stack MX) run inside it.
V6_NS=mxaudit-e2e6
V6_HOST_IF=mxe2e6h
V6_NS_IF=mxe2e6n
V6_PREFIX=fd6e:2e2e:9
V6_HOST=$V6_PREFIX::1
V6_TLS=$V6_PREFIX::10
V6_PLAIN=$V6_PREFIX::16

# Bounded waits: WAIT_TRIES tries, WAIT_STEP seconds apart.
WAIT_TRIES=100
WAIT_STEP=0.1
TESTSSL_TIMEOUT=1200 # seconds allowed for one testssl.sh run
# testssl.sh runs at once (E2E_TESTSSL_PARALLEL): each run is one bash
# process at a time, so on a machine busy with other work more of them in
# parallel finish sooner.
TESTSSL_PARALLEL=${E2E_TESTSSL_PARALLEL:-4}
BENCH_RUNS=3        # timed runs of each tool in the benchmark

# Nothing may listen on our addresses yet (another e2e run, say): its
# servers would answer in place of ours.
busy=$(ss -Hltn "( src $NET.0/24 )" 2>/dev/null || true)
if [ -n "$busy" ]; then
  echo "e2e: something already listens on $NET.x (another make e2e?):" >&2
  echo "$busy" >&2
  exit 1
fi

WORK=$(mktemp -d /tmp/mxaudit-e2e.XXXXXX)
chmod 755 "$WORK" # nginx workers and Exim run as unprivileged users
OUT=$WORK/out
mkdir -p "$OUT"
log() { printf '== %s\n' "$*"; }
die() { printf 'e2e: %s\n' "$*" >&2; exit 1; }

# --- cleanup: stop exactly what was started here ---------------------------
PIDS=()
POSTFIX_DIRS=()
CREATED_USER=
CREATED_POLICY=
CREATED_SMTPD_USERS=()
CREATED_SMTPD_DIRS=()
CREATED_NS=
cleanup() {
  local status=$?
  set +e
  for d in "${POSTFIX_DIRS[@]}"; do
    postfix -c "$d/conf" stop >/dev/null 2>&1
    local pidf=$d/queue/pid/master.pid
    if [ -s "$pidf" ]; then
      local p; p=$(tr -d ' \n' <"$pidf")
      [ -n "$p" ] && kill "$p" 2>/dev/null
    fi
  done
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [ -n "$CREATED_POLICY" ] && rm -f /usr/sbin/policy-rc.d
  [ -n "$CREATED_USER" ] && userdel Debian-exim 2>/dev/null
  for u in "${CREATED_SMTPD_USERS[@]}"; do userdel "$u" 2>/dev/null; done
  for d in "${CREATED_SMTPD_DIRS[@]}"; do rm -rf "$d"; done
  if [ -n "$CREATED_NS" ]; then
    ip netns pids "$V6_NS" 2>/dev/null | xargs -r kill 2>/dev/null
    ip link del "$V6_HOST_IF" 2>/dev/null
    ip netns del "$V6_NS" 2>/dev/null
  fi
  if [ "$status" = 0 ] && [ "${E2E_KEEP:-}" != 1 ]; then
    rm -rf "$WORK"
  else
    echo "e2e: work dir kept for inspection: $WORK" >&2
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_tcp() { # $1 ip, $2 port, $3 what
  for _ in $(seq 1 "$WAIT_TRIES"); do
    if timeout 1 bash -c "exec 3<>/dev/tcp/$1/$2" 2>/dev/null; then return 0; fi
    sleep "$WAIT_STEP"
  done
  die "$3 did not start listening on $1:$2"
}

# --- packages ---------------------------------------------------------------
EXIM_LIBS=(libgnutls30 libgnutls-dane0 libidn12 libidn2-0 libnsl2 libpcre2-8-0 libcrypt1 libdb5.3)
SMTPD_LIBS=(libevent-2.1-7 libpam0g libssl3 zlib1g)
if [ "${E2E_SKIP_INSTALL:-}" != 1 ]; then
  log "installing packages (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  # Debian's maintainer scripts would start the system instances of nsd and
  # nginx; policy-rc.d (exit 101) forbids that while we install.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
    CREATED_POLICY=1
  fi
  apt-get update -qq >"$WORK/apt.log" 2>&1 || { cat "$WORK/apt.log"; die "apt-get update failed"; }
  apt-get install -y -qq --no-install-recommends postfix nsd nginx-light openssl testssl.sh ldnsutils \
    bind9-dnsutils ca-certificates iproute2 "${EXIM_LIBS[@]}" "${SMTPD_LIBS[@]}" >>"$WORK/apt.log" 2>&1 \
    || { tail -30 "$WORK/apt.log"; die "apt-get install failed"; }
  if [ -n "$CREATED_POLICY" ]; then rm -f /usr/sbin/policy-rc.d; CREATED_POLICY=; fi
fi
# Exim conflicts with Postfix as a Debian package (both provide
# mail-transport-agent), so its daemon binary is unpacked from the .deb.
mkdir -p "$WORK/exim-deb"
(cd "$WORK/exim-deb" && chown _apt . 2>/dev/null; apt-get download -qq exim4-daemon-light >"$WORK/exim-download.log" 2>&1) \
  || { cat "$WORK/exim-download.log"; die "apt-get download exim4-daemon-light failed"; }
dpkg-deb -x "$WORK"/exim-deb/exim4-daemon-light_*.deb "$WORK/exim-deb/root"
EXIM=$WORK/exim-deb/root/usr/sbin/exim4
# OpenSMTPD conflicts with Postfix the same way: unpacked from its .deb too.
mkdir -p "$WORK/smtpd-deb"
(cd "$WORK/smtpd-deb" && chown _apt . 2>/dev/null; apt-get download -qq opensmtpd >"$WORK/smtpd-download.log" 2>&1) \
  || { cat "$WORK/smtpd-download.log"; die "apt-get download opensmtpd failed"; }
dpkg-deb -x "$WORK"/smtpd-deb/opensmtpd_*.deb "$WORK/smtpd-deb/root"
SMTPD=$WORK/smtpd-deb/root/usr/sbin/smtpd
# Its users, chroot and spool are compiled in (as Debian's postinst makes them).
for u in opensmtpd opensmtpq; do
  if ! getent passwd "$u" >/dev/null; then
    useradd --system --no-create-home --home-dir /var/lib/opensmtpd/empty --shell /usr/sbin/nologin --user-group "$u"
    CREATED_SMTPD_USERS+=("$u")
  fi
done
for d in /var/lib/opensmtpd /var/spool/smtpd; do
  [ -e "$d" ] || CREATED_SMTPD_DIRS+=("$d")
done
mkdir -p /var/lib/opensmtpd/empty
# The binary has its user compiled in.
if ! getent passwd Debian-exim >/dev/null; then
  useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group Debian-exim
  CREATED_USER=1
fi
for tool in postfix nsd nginx openssl testssl ldns-keygen ldns-signzone ldns-key2ds dig jq ip; do
  command -v "$tool" >/dev/null || die "$tool is not installed"
done
[ -x "$BIN/mxaudit" ] || die "$BIN/mxaudit is missing: run make build"
$GO build -o "$WORK/throttleproxy" "./$HERE/throttleproxy" || die "cannot build the throttling proxy"

# --- test CA and certificates -------------------------------------------------
log "test CA and certificates"
CA=$WORK/ca
mkdir -p "$CA/new"
: >"$CA/index.txt"
echo 1000 >"$CA/serial"
cat >"$CA/ca.cnf" <<EOF
[ ca ]
default_ca = e2e
[ e2e ]
dir = $CA
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
certificate = \$dir/ca.pem
private_key = \$dir/ca.key
default_md = sha256
default_days = 365
policy = anything
unique_subject = no
copy_extensions = none
[ anything ]
commonName = supplied
[ v3ca ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
EOF
# The CA is valid from 2020, as a real CA would be, so that the expired leaf
# below (2024-2025) is expired and nothing else.
CA_START=20200101000000Z
CA_END=$(date -u -d '+2 years' +%Y%m%d%H%M%SZ)
openssl req -new -newkey rsa:2048 -nodes -keyout "$CA/ca.key" -out "$CA/ca.req" -subj "/CN=mxaudit e2e test CA" 2>/dev/null
openssl ca -batch -notext -selfsign -config "$CA/ca.cnf" -keyfile "$CA/ca.key" -extensions v3ca \
  -startdate "$CA_START" -enddate "$CA_END" -in "$CA/ca.req" -out "$CA/ca.pem" >"$CA/ca.log" 2>&1 \
  || { cat "$CA/ca.log"; die "cannot make the test CA"; }

newkey() { # $1 out, $2 rsa|ec
  if [ "$2" = ec ]; then openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null
  else openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null; fi
}
issue() { # $1 name, $2 rsa|ec, $3 SAN list "a,b", [$4 start $5 end as YYYYMMDDHHMMSSZ]
  local d=$WORK/certs/$1 san=""
  mkdir -p "$d"
  newkey "$d/key.pem" "$2"
  for n in ${3//,/ }; do san="$san${san:+,}DNS:$n"; done
  openssl req -new -key "$d/key.pem" -subj "/CN=${3%%,*}" -out "$d/req.pem" 2>/dev/null
  printf '[ leaf ]\nbasicConstraints = critical, CA:false\nkeyUsage = critical, digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth\nsubjectAltName = %s\n' "$san" >"$d/ext.cnf"
  local dates=(-days 365)
  [ $# -ge 5 ] && dates=(-startdate "$4" -enddate "$5")
  openssl ca -batch -notext -config "$CA/ca.cnf" -extfile "$d/ext.cnf" -extensions leaf "${dates[@]}" \
    -in "$d/req.pem" -out "$d/cert.pem" >"$d/ca.log" 2>&1 || { cat "$d/ca.log"; die "cannot issue $1"; }
}
spki311() { # $1 cert → the TLSA 3 1 1 (and 2 1 1 for a CA) digest
  openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1
}
issue modern rsa mx.modern.$ZONE,mx.dane-bad.$ZONE,mx.throttled.$ZONE,mx.dual.$ZONE
issue tls12 rsa mx.tls12.$ZONE,mx.$UNSIGNED_ZONE
issue legacy rsa mx.legacy.$ZONE
issue expired rsa mx.expired.$ZONE 20240101000000Z 20250101000000Z
issue mismatch rsa wrong-name.$ZONE
issue exim ec mx.exim.$ZONE,implicit.$ZONE
issue dualcert rsa mx.dualcert.$ZONE
issue dualcert-ec ec mx.dualcert.$ZONE
issue tls13 rsa mx.tls13.$ZONE
issue ccert rsa mx.ccert.$ZONE
issue opensmtpd rsa mx.opensmtpd.$ZONE
issue v6 rsa mx.v6only.$ZONE,mx.dual.$ZONE
issue mtasts rsa mta-sts.modern.$ZONE,mta-sts.tls12.$ZONE,mta-sts.exim.$ZONE,mta-sts.sts-mismatch.$ZONE
mkdir -p "$WORK/certs/selfsigned"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/certs/selfsigned/key.pem" -out "$WORK/certs/selfsigned/cert.pem" \
  -days 365 -sha256 -subj "/CN=mx.selfsigned.$ZONE" -addext "subjectAltName=DNS:mx.selfsigned.$ZONE" 2>/dev/null
openssl dhparam -out "$WORK/certs/dh1024.pem" 1024 2>/dev/null
cp "$CA/ca.pem" "$OUT/ca.pem"

# --- DNS: a DNSSEC-signed zone and an unsigned one, served by NSD -----------
log "DNS zones (signed $ZONE, unsigned $UNSIGNED_ZONE) on $DNS_IP:$DNS_PORT"
DNSD=$WORK/dns
mkdir -p "$DNSD"
TLSA_MODERN=$(spki311 "$WORK/certs/modern/cert.pem")
TLSA_SELF=$(spki311 "$WORK/certs/selfsigned/cert.pem")
TLSA_EXIM=$(spki311 "$WORK/certs/exim/cert.pem")
TLSA_TLS12=$(spki311 "$WORK/certs/tls12/cert.pem")
TLSA_CA=$(spki311 "$CA/ca.pem")
TLSA_DUAL_RSA=$(spki311 "$WORK/certs/dualcert/cert.pem")
# A digest that matches nothing: the modern key's digest with its first byte changed.
TLSA_WRONG=$(printf '%s' "$TLSA_MODERN" | sed 's/^../00/')
[ "$TLSA_WRONG" != "$TLSA_MODERN" ] || TLSA_WRONG=$(printf '%s' "$TLSA_MODERN" | sed 's/^../11/')
TXT_RPT='"v=TLSRPTv1; rua=mailto:tlsrpt@reports.e2e.test"'
cat >"$DNSD/$ZONE.zone" <<EOF
\$ORIGIN $ZONE.
\$TTL 300
@                      SOA  ns.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 300
@                      NS   ns.$ZONE.
ns                     A    $DNS_IP
mx.modern              A    $NET.10
mx.dane-bad            A    $NET.10
mx.tls12               A    $NET.11
mx.legacy              A    $NET.12
mx.selfsigned          A    $NET.13
mx.expired             A    $NET.14
mx.mismatch            A    $NET.15
mx.nostarttls          A    $NET.16
mx.exim                A    $NET.20
mx.dualcert            A    $NET.17
mx.tls13               A    $NET.18
mx.ccert               A    $NET.19
mx.opensmtpd           A    $NET.21
mx.throttled           A    $THROTTLE_IP
mx.v6only              AAAA $V6_TLS
mx.dual                A    $NET.10
mx.dual                AAAA $V6_PLAIN
; modern: TLS 1.2+1.3, MTA-STS enforce, TLS-RPT, DANE-EE
modern                 MX   10 mx.modern
_mta-sts.modern        TXT  "v=STSv1; id=e2e1"
mta-sts.modern         A    $HTTPS_IP
_smtp._tls.modern      TXT  $TXT_RPT
_25._tcp.mx.modern     TLSA 3 1 1 $TLSA_MODERN
; tls12: TLS 1.2 only, MTA-STS testing, DANE-TA (the test CA's key)
tls12                  MX   10 mx.tls12
_mta-sts.tls12         TXT  "v=STSv1; id=e2e1"
mta-sts.tls12          A    $HTTPS_IP
_25._tcp.mx.tls12      TLSA 2 1 1 $TLSA_CA
legacy                 MX   10 mx.legacy
; selfsigned: an untrusted certificate pinned by DANE-EE
selfsigned             MX   10 mx.selfsigned
_25._tcp.mx.selfsigned TLSA 3 1 1 $TLSA_SELF
expired                MX   10 mx.expired
mismatch               MX   10 mx.mismatch
nostarttls             MX   10 mx.nostarttls
; exim: the second MTA (GnuTLS), MTA-STS enforce, DANE-EE on an ECDSA key
exim                   MX   10 mx.exim
_mta-sts.exim          TXT  "v=STSv1; id=e2e1"
mta-sts.exim           A    $HTTPS_IP
_smtp._tls.exim        TXT  $TXT_RPT
_25._tcp.mx.exim       TLSA 3 1 1 $TLSA_EXIM
; twomx: two MX of different quality
twomx                  MX   10 mx.modern
twomx                  MX   20 mx.legacy
; dane-bad: a TLSA record that matches nothing
dane-bad               MX   10 mx.dane-bad
_25._tcp.mx.dane-bad   TLSA 3 1 1 $TLSA_WRONG
; sts-mismatch: an enforced policy that does not cover the MX
sts-mismatch           MX   10 mx.modern
_mta-sts.sts-mismatch  TXT  "v=STSv1; id=e2e1"
mta-sts.sts-mismatch   A    $HTTPS_IP
; implicit: no MX, mail goes to the domain's own address
implicit               A    $NET.20
; dualcert: an RSA and an ECDSA certificate, a TLSA record for the RSA key only
dualcert               MX   10 mx.dualcert
_25._tcp.mx.dualcert   TLSA 3 1 1 $TLSA_DUAL_RSA
; tls13: TLS 1.3 only
tls13                  MX   10 mx.tls13
; ccert: requires a client certificate, so the session dies after the handshake
ccert                  MX   10 mx.ccert
; opensmtpd: every handshake aborts after the ServerHello
opensmtpd              MX   10 mx.opensmtpd
; throttled: the modern Postfix behind a proxy that refuses past a rate
throttled              MX   10 mx.throttled
; v6only: an AAAA-only MX (in the IPv6 namespace); dualstack: the modern
; Postfix over IPv4, a Postfix without STARTTLS over IPv6
v6only                 MX   10 mx.v6only
dualstack              MX   10 mx.dual
; nullmx: accepts no mail (RFC 7505)
nullmx                 MX   0 .
; sender authentication (RFC 7208 SPF, RFC 7489 DMARC): modern and nullmx
; meet CISA BOD 18-01 (nullmx as a non-sending domain), exim asks only for
; quarantine, legacy authorises the whole internet; the rest publish nothing
; (and no _dmarc record at the organisational domain e2e.test either)
modern                 TXT  "v=spf1 mx -all"
_dmarc.modern          TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@modern.$ZONE"
exim                   TXT  "v=spf1 ip4:$NET.20 ~all"
_dmarc.exim            TXT  "v=DMARC1; p=quarantine; rua=mailto:dmarc@exim.$ZONE"
legacy                 TXT  "v=spf1 +all"
nullmx                 TXT  "v=spf1 -all"
_dmarc.nullmx          TXT  "v=DMARC1; p=reject; rua=mailto:dmarc@nullmx.$ZONE"
EOF
cat >"$DNSD/$UNSIGNED_ZONE.zone" <<EOF
\$ORIGIN $UNSIGNED_ZONE.
\$TTL 300
@                  SOA  ns.$ZONE. hostmaster.$ZONE. 1 3600 600 86400 300
@                  NS   ns.$ZONE.
@                  MX   10 mx
mx                 A    $NET.11
; a correct TLSA record in an unsigned zone: a sender must ignore it
_25._tcp.mx        TLSA 3 1 1 $TLSA_TLS12
EOF
(cd "$DNSD" && ldns-keygen -a ECDSAP256SHA256 -k "$ZONE" >ksk.name && ldns-keygen -a ECDSAP256SHA256 "$ZONE" >zsk.name) \
  || die "ldns-keygen failed"
KSK=$(cat "$DNSD/ksk.name"); ZSK=$(cat "$DNSD/zsk.name")
(cd "$DNSD" && ldns-signzone -n -t 0 -f "$ZONE.zone.signed" "$ZONE.zone" "$KSK" "$ZSK") || die "ldns-signzone failed"
ldns-key2ds -n -2 "$DNSD/$KSK.key" >"$OUT/trust-anchor.ds" || die "ldns-key2ds failed"
cat >"$DNSD/nsd.conf" <<EOF
server:
  ip-address: $DNS_IP@$DNS_PORT
  do-ip6: no
  username: ""
  chroot: ""
  zonesdir: "$DNSD"
  database: ""
  zonelistfile: "$DNSD/zone.list"
  xfrdfile: "$DNSD/xfrd.state"
  xfrdir: "$DNSD"
  pidfile: "$DNSD/nsd.pid"
  logfile: "$DNSD/nsd.log"
  server-count: 1
  hide-version: yes
remote-control:
  control-enable: no
zone:
  name: "$ZONE"
  zonefile: "$ZONE.zone.signed"
zone:
  name: "$UNSIGNED_ZONE"
  zonefile: "$UNSIGNED_ZONE.zone"
EOF
nsd-checkconf "$DNSD/nsd.conf" || die "nsd.conf is invalid"
nsd -d -c "$DNSD/nsd.conf" >"$DNSD/nsd.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 1 "$WAIT_TRIES"); do
  if dig +time=1 +tries=1 +short @"$DNS_IP" -p "$DNS_PORT" SOA "$ZONE" 2>/dev/null | grep -q "ns.$ZONE"; then break; fi
  sleep "$WAIT_STEP"
done
dig +time=1 +tries=1 +dnssec @"$DNS_IP" -p "$DNS_PORT" MX "modern.$ZONE" | grep -q RRSIG || { cat "$DNSD/nsd.out" "$DNSD/nsd.log" 2>/dev/null; die "NSD does not serve the signed zone"; }

# --- nginx: MTA-STS policies over HTTPS ----------------------------------------
log "nginx serving MTA-STS policies on $HTTPS_IP:$HTTPS_PORT"
NGX=$WORK/nginx
mkdir -p "$NGX/tmp"
policy() { # $1 domain label, $2 mode, $3 mx pattern
  local dir=$NGX/www/mta-sts.$1.$ZONE/.well-known
  mkdir -p "$dir"
  printf 'version: STSv1\r\nmode: %s\r\nmx: %s\r\nmax_age: 86400\r\n' "$2" "$3" >"$dir/mta-sts.txt"
}
policy modern enforce "mx.modern.$ZONE"
policy tls12 testing "mx.tls12.$ZONE"
policy exim enforce "*.exim.$ZONE"
policy sts-mismatch enforce "mx.elsewhere.$ZONE"
chmod -R a+rX "$NGX/www"
cat >"$NGX/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $NGX/nginx.pid;
error_log $NGX/error.log;
events { worker_connections 64; }
http {
  access_log $NGX/access.log;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  default_type application/octet-stream;
  server {
    listen $HTTPS_IP:$HTTPS_PORT ssl;
    ssl_certificate $WORK/certs/mtasts/cert.pem;
    ssl_certificate_key $WORK/certs/mtasts/key.pem;
    root $NGX/www/\$host;
    location = /.well-known/mta-sts.txt { default_type text/plain; }
  }
}
EOF
nginx -e "$NGX/error.log" -p "$NGX" -c "$NGX/nginx.conf" -t >"$NGX/check.log" 2>&1 || { cat "$NGX/check.log"; die "nginx.conf is invalid"; }
nginx -e "$NGX/error.log" -p "$NGX" -c "$NGX/nginx.conf" >"$NGX/nginx.out" 2>&1 &
PIDS+=($!)
wait_tcp "$HTTPS_IP" "$HTTPS_PORT" nginx

# --- Postfix instances -------------------------------------------------------
postfix_instance() { # $1 name, $2 ip, [$3 network namespace], then main.cf lines on stdin
  local d=$WORK/postfix-$1 protocols=ipv4 listen=$2:$SMTP_PORT in_ns=()
  if [[ $2 == *:* ]]; then protocols=ipv6; listen="[$2]:$SMTP_PORT"; fi
  [ -n "${3:-}" ] && in_ns=(ip netns exec "$3")
  mkdir -p "$d/conf" "$d/queue" "$d/data"
  chown postfix "$d/data"
  cat >"$d/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $d/queue
data_directory = $d/data
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.$1.$ZONE
mydomain = $ZONE
mydestination =
local_recipient_maps =
inet_interfaces = loopback-only
inet_protocols = $protocols
smtpd_peername_lookup = no
maillog_file = $d/maillog
maillog_file_prefixes = $WORK
smtpd_relay_restrictions = reject
smtpd_recipient_restrictions = reject
biff = no
EOF
  cat >>"$d/conf/main.cf"
  # Explicit address in master.cf: Postfix refuses inet_interfaces that are
  # not configured on an interface, but binds any 127.x address given here.
  cat >"$d/conf/master.cf" <<EOF
$listen inet  n  -  n  -  -  smtpd
tlsmgr    unix  -  -  n  1000?  1  tlsmgr
anvil     unix  -  -  n  -  1  anvil
proxymap  unix  -  -  n  -  -  proxymap
postlog   unix-dgram n  -  n  -  1  postlogd
EOF
  postfix -c "$d/conf" check >"$d/check.log" 2>&1 || { cat "$d/check.log" "$d/maillog" 2>/dev/null; die "postfix check failed for $1"; }
  POSTFIX_DIRS+=("$d")
  "${in_ns[@]}" postfix -c "$d/conf" start >"$d/start.log" 2>&1 || { cat "$d/start.log" "$d/maillog" 2>/dev/null; die "postfix $1 did not start"; }
}
tls_files() { echo "smtpd_tls_chain_files = $WORK/certs/$1/key.pem, $WORK/certs/$1/cert.pem"; }

log "Postfix instances on $NET.10-16:$SMTP_PORT"
postfix_instance modern $NET.10 <<EOF
smtpd_tls_security_level = may
$(tls_files modern)
smtpd_tls_protocols = >=TLSv1.2
smtpd_tls_ciphers = high
tls_high_cipherlist = ECDHE+AESGCM:ECDHE+CHACHA20
tls_preempt_cipherlist = yes
EOF
# tls12 sends the CA certificate after its leaf, as DANE-TA(2) needs (RFC 7672 §3.1.2).
postfix_instance tls12 $NET.11 <<EOF
smtpd_tls_security_level = may
$(tls_files tls12), $CA/ca.pem
smtpd_tls_protocols = >=TLSv1.2, <=TLSv1.2
smtpd_tls_ciphers = high
tls_preempt_cipherlist = yes
EOF
# The weakest Debian's OpenSSL 3 can still be made to serve: TLS 1.0 and
# 1.1, NULL and anonymous suites, static RSA, CAMELLIA, ARIA, DH-1024.
postfix_instance legacy $NET.12 <<EOF
smtpd_tls_security_level = may
$(tls_files legacy)
smtpd_tls_protocols = >=TLSv1
smtpd_tls_ciphers = low
tls_low_cipherlist = ALL:COMPLEMENTOFALL:eNULL:@SECLEVEL=0
smtpd_tls_dh1024_param_file = $WORK/certs/dh1024.pem
EOF
postfix_instance selfsigned $NET.13 <<EOF
smtpd_tls_security_level = may
$(tls_files selfsigned)
EOF
postfix_instance expired $NET.14 <<EOF
smtpd_tls_security_level = may
$(tls_files expired)
EOF
postfix_instance mismatch $NET.15 <<EOF
smtpd_tls_security_level = may
$(tls_files mismatch)
EOF
postfix_instance nostarttls $NET.16 <<EOF
smtpd_tls_security_level = none
EOF
log "Postfix instances on $NET.17-19:$SMTP_PORT"
# Two certificates: OpenSSL picks the ECDSA one for a client that offers
# ECDSA suites and signature algorithms, the RSA one otherwise.
postfix_instance dualcert $NET.17 <<EOF
smtpd_tls_security_level = may
$(tls_files dualcert), $WORK/certs/dualcert-ec/key.pem, $WORK/certs/dualcert-ec/cert.pem
smtpd_tls_protocols = >=TLSv1.2
EOF
postfix_instance tls13 $NET.18 <<EOF
smtpd_tls_security_level = may
$(tls_files tls13)
smtpd_tls_protocols = >=TLSv1.3
EOF
# A client certificate from the test CA is required (which needs the
# "encrypt" level); a sender without one completes the handshake and is
# then turned away with a 421.
postfix_instance ccert $NET.19 <<EOF
smtpd_tls_security_level = encrypt
$(tls_files ccert)
smtpd_tls_req_ccert = yes
smtpd_tls_CAfile = $CA/ca.pem
EOF

# --- Exim (GnuTLS) -----------------------------------------------------------
log "Exim (GnuTLS) on $NET.20:$SMTP_PORT"
EXD=$WORK/exim
mkdir -p "$EXD/spool" "$EXD/log"
cp "$WORK/certs/exim/cert.pem" "$WORK/certs/exim/key.pem" "$EXD/"
chown Debian-exim "$EXD/spool" "$EXD/log" "$EXD/key.pem"
chmod 600 "$EXD/key.pem"
cat >"$EXD/exim.conf" <<EOF
primary_hostname = mx.exim.$ZONE
local_interfaces = $NET.20
daemon_smtp_ports = $SMTP_PORT
spool_directory = $EXD/spool
log_file_path = $EXD/log/%slog
pid_file_path = $EXD/exim.pid
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = *
tls_certificate = $EXD/cert.pem
tls_privatekey = $EXD/key.pem
tls_require_ciphers = NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2
acl_smtp_rcpt = refuse
begin acl
refuse:
  deny
begin routers
begin transports
EOF
"$EXIM" -C "$EXD/exim.conf" -bV >"$EXD/check.log" 2>&1 || { cat "$EXD/check.log"; die "exim config invalid"; }
"$EXIM" -C "$EXD/exim.conf" -bdf >"$EXD/exim.out" 2>&1 &
PIDS+=($!)

# --- OpenSMTPD (OpenSSL 3): every handshake aborts after the ServerHello ----
# Debian 12's OpenSMTPD 6.8 under OpenSSL 3 sends its ServerHello and
# certificate, then ends each handshake with an alert ("EVP lib"): no
# client ever gets a session. Reproduced as shipped, nothing configured to
# make it fail.
log "OpenSMTPD on $NET.21:$SMTP_PORT"
OSD=$WORK/opensmtpd
mkdir -p "$OSD"
cp "$WORK/certs/opensmtpd/cert.pem" "$WORK/certs/opensmtpd/key.pem" "$OSD/"
chmod 600 "$OSD/key.pem"
cat >"$OSD/smtpd.conf" <<EOF
pki mx.opensmtpd.$ZONE cert "$OSD/cert.pem"
pki mx.opensmtpd.$ZONE key "$OSD/key.pem"
listen on $NET.21 port $SMTP_PORT tls pki mx.opensmtpd.$ZONE hostname mx.opensmtpd.$ZONE
action "deliver" mbox
match from any for any reject
EOF
"$SMTPD" -n -f "$OSD/smtpd.conf" >"$OSD/check.log" 2>&1 || { cat "$OSD/check.log"; die "smtpd.conf is invalid"; }
"$SMTPD" -d -f "$OSD/smtpd.conf" >"$OSD/smtpd.out" 2>&1 &
PIDS+=($!)

# --- the throttling proxy in front of the modern Postfix ----------------------
log "throttling proxy on $THROTTLE_IP:$SMTP_PORT ($THROTTLE_LIMIT connections per ${THROTTLE_WINDOW}s) to $NET.10"
"$WORK/throttleproxy" -listen "$THROTTLE_IP:$SMTP_PORT" -backend "$NET.10:$SMTP_PORT" -limit "$THROTTLE_LIMIT" \
  -window "${THROTTLE_WINDOW}s" -stats "$OUT/throttle-stats.txt" >"$WORK/throttleproxy.out" 2>&1 &
THROTTLE_PID=$!
PIDS+=($THROTTLE_PID)

# --- IPv6: a namespace of our own behind a veth pair ----------------------------
# Skipped, with the reason in out/ipv6.txt, when this kernel or container
# has no IPv6 or no network namespaces.
V6_OK=
v6_skip() { echo "skipped: $*" >"$OUT/ipv6.txt"; log "IPv6 servers skipped: $*"; }
if [ "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null)" != 0 ]; then
  v6_skip "IPv6 is disabled in this kernel (net.ipv6.conf.all.disable_ipv6 is not 0)"
elif ip netns list 2>/dev/null | grep -qw "$V6_NS"; then
  die "network namespace $V6_NS exists already (another make e2e?)"
elif ! ip netns add "$V6_NS" 2>"$WORK/netns.log"; then
  v6_skip "cannot create a network namespace: $(cat "$WORK/netns.log")"
else
  CREATED_NS=1
  if ip link add "$V6_HOST_IF" type veth peer name "$V6_NS_IF" netns "$V6_NS" 2>>"$WORK/netns.log" \
     && ip addr add "$V6_HOST/64" dev "$V6_HOST_IF" nodad 2>>"$WORK/netns.log" \
     && ip link set "$V6_HOST_IF" up \
     && ip -n "$V6_NS" link set lo up \
     && ip -n "$V6_NS" addr add "$V6_TLS/64" dev "$V6_NS_IF" nodad 2>>"$WORK/netns.log" \
     && ip -n "$V6_NS" addr add "$V6_PLAIN/64" dev "$V6_NS_IF" nodad 2>>"$WORK/netns.log" \
     && ip -n "$V6_NS" link set "$V6_NS_IF" up; then
    V6_OK=1
  else
    v6_skip "cannot set up the veth pair: $(cat "$WORK/netns.log")"
  fi
fi
if [ -n "$V6_OK" ]; then
  log "IPv6 Postfix instances in namespace $V6_NS: [$V6_TLS]:$SMTP_PORT (TLS), [$V6_PLAIN]:$SMTP_PORT (no STARTTLS)"
  postfix_instance v6only "$V6_TLS" "$V6_NS" <<EOF
smtpd_tls_security_level = may
$(tls_files v6)
EOF
  postfix_instance v6plain "$V6_PLAIN" "$V6_NS" <<EOF
smtpd_tls_security_level = none
EOF
  wait_tcp "$V6_TLS" "$SMTP_PORT" v6only
  wait_tcp "$V6_PLAIN" "$SMTP_PORT" v6plain
  echo "ok: $V6_TLS and $V6_PLAIN in namespace $V6_NS" >"$OUT/ipv6.txt"
fi

for inst in "${INSTANCES[@]}"; do
  IFS=: read -r name ip _ <<<"$inst"
  wait_tcp "$ip" "$SMTP_PORT" "$name"
done
wait_tcp "$THROTTLE_IP" "$SMTP_PORT" throttleproxy

DOMAINS=(modern tls12 legacy selfsigned expired mismatch nostarttls exim twomx dane-bad sts-mismatch implicit nullmx
         dualcert tls13 ccert opensmtpd throttled)
if [ -n "$V6_OK" ]; then DOMAINS+=(v6only dualstack); fi
ALL=()
for d in "${DOMAINS[@]}"; do ALL+=("$d.$ZONE"); done
ALL+=("$UNSIGNED_ZONE")
MXFLAGS=(--resolver "$DNS_IP:$DNS_PORT" --port "$SMTP_PORT" --mta-sts-port "$HTTPS_PORT" --https-proxy none --ca-file "$OUT/ca.pem"
         --ehlo "$EHLO" --timeout 5s --retries 1
         --allow-private) # the test servers live on 127.0.9.x, which mxaudit refuses to dial by default

if [ -n "${E2E_SERVE_ONLY:-}" ]; then # for debugging: keep the servers up for that many seconds
  echo "serving for ${E2E_SERVE_ONLY}s; work dir $WORK; try:"
  echo "  $BIN/mxaudit scan ${MXFLAGS[*]} ${ALL[*]}"
  echo "$WORK" >/tmp/mxaudit-e2e.serving
  sleep "$E2E_SERVE_ONLY"
  exit 0
fi

printf '%s\n' "${INSTANCES[@]}" >"$OUT/instances.txt"
TESTSSL=(testssl --quiet --color 0 --warnings off --nodns none --connect-timeout 5 --openssl-timeout 5
         --starttls smtp -p -s -e -S)
# make e2e adds the vulnerability checks (-U) on the servers whose TLS
# stacks differ (OpenSSL, GnuTLS): -U triples testssl.sh's time (3 minutes
# for the modern Postfix on 2 busy cores); the benchmark times the tools on the
# protocol, suite and certificate checks alone.
TESTSSL_VULN=(modern exim)
# The IPv6 servers are compared too, testssl.sh run with -6 inside their
# namespace; -U on the one with TLS (a Postfix with its defaults, unlike
# the modern one: CBC suites, no server order).
V6_INSTANCES=()
if [ -n "$V6_OK" ]; then
  V6_INSTANCES=("v6only $V6_TLS" "v6plain $V6_PLAIN")
  TESTSSL_VULN+=(v6only)
fi
printf '%s\n' "${TESTSSL_VULN[@]}" >"$OUT/testssl-vuln.txt"

if [ "$MODE" = e2e ]; then # make bench times the tools only
# --- the vendor list and mxaudit --------------------------------------------
{
  echo "Vendor,Domain,Owner,Tier"
  i=0
  for d in "${ALL[@]}"; do i=$((i + 1)); echo "E2E vendor $i,$d,e2e,1"; done
} >"$OUT/vendors.csv"

log "mxaudit run over ${#ALL[@]} domains"
status=0
"$BIN/mxaudit" run "${MXFLAGS[@]}" --db "$OUT/history.db" --quiet "$OUT/vendors.csv" >"$OUT/run.out" 2>"$OUT/run.err" || status=$?
echo "$status" >"$OUT/run.status"
for d in "${ALL[@]}"; do
  "$BIN/mxaudit" history --db "$OUT/history.db" --json "$d" >"$OUT/history-$d.json" 2>>"$OUT/history.err" || true
done
# Each mxaudit command starts with the throttling proxy's window empty: a
# server that refuses the very first connection is not throttling but down.
sleep "$THROTTLE_WINDOW"
log "mxaudit scan --json over the same domains"
status=0
"$BIN/mxaudit" scan "${MXFLAGS[@]}" --json "${ALL[@]}" >"$OUT/scan.json" 2>"$OUT/scan.err" || status=$?
echo "$status" >"$OUT/scan.status"
sleep "$THROTTLE_WINDOW"
log "mxaudit scan --json --trust-anchor (DNSSEC validated from the test zone's key)"
status=0
"$BIN/mxaudit" scan "${MXFLAGS[@]}" --json --trust-anchor "$OUT/trust-anchor.ds" "${ALL[@]}" >"$OUT/scan-dane.json" 2>"$OUT/scan-dane.err" || status=$?
echo "$status" >"$OUT/scan-dane.status"

# --- testssl.sh against every SMTP address -----------------------------------
log "testssl.sh --starttls smtp -p -s -e -S against each SMTP address, -U too on ${TESTSSL_VULN[*]} ($TESTSSL_PARALLEL at a time)"
mkdir -p "$OUT/testssl"
run_testssl() { # $1 name, $2 ip, $3 the network namespace of an IPv6 server
  local rc=0 extra=() in_ns=() target="$2:$SMTP_PORT"
  if [[ " ${TESTSSL_VULN[*]} " == *" $1 "* ]]; then extra=(-U); fi
  # testssl.sh resolves a target it is given by name only, and an IPv6
  # literal only through --ip (with --nodns none it would find no address).
  if [ -n "${3:-}" ]; then in_ns=(ip netns exec "$3"); extra+=(-6 --ip "$2"); target="[$2]:$SMTP_PORT"; fi
  timeout "$TESTSSL_TIMEOUT" "${in_ns[@]}" "${TESTSSL[@]}" "${extra[@]}" --jsonfile "$OUT/testssl/$1.json" "$target" >"$OUT/testssl/$1.log" 2>&1 || rc=$?
  echo "$rc" >"$OUT/testssl/$1.status"
}
running=()
queue_testssl() { # the arguments of run_testssl, at most TESTSSL_PARALLEL at once
  run_testssl "$@" &
  running+=($!)
  if [ "${#running[@]}" -ge "$TESTSSL_PARALLEL" ]; then wait "${running[0]}"; running=("${running[@]:1}"); fi
}
# The IPv6 server with -U first: it runs longest.
for inst in "${V6_INSTANCES[@]}"; do
  read -r name ip <<<"$inst"
  queue_testssl "$name" "$ip" "$V6_NS"
done
for inst in "${INSTANCES[@]}"; do
  IFS=: read -r name ip _ <<<"$inst"
  queue_testssl "$name" "$ip"
done
for p in "${running[@]}"; do wait "$p"; done

# --- the assertions ------------------------------------------------------------
log "asserting every verdict (go test -tags e2e ./$HERE/)"
E2E_OUT=$OUT E2E_MXAUDIT=$BIN/mxaudit E2E_RESOLVER=$DNS_IP:$DNS_PORT E2E_SMTP_PORT=$SMTP_PORT E2E_HTTPS_PORT=$HTTPS_PORT \
  $GO test -tags e2e -count=1 -v -skip TestBenchConnections "./$HERE/" 2>&1 | tee "$OUT/gotest.log" | grep -E '^(=== RUN|--- |\s+e2e_test|PASS|FAIL|ok)' | grep -v '^=== RUN' || true
grep -q '^ok ' "$OUT/gotest.log" || { echo; echo "e2e: assertions failed; full log: $OUT/gotest.log"; grep -E '^\s+\S+_test.go:[0-9]+:' "$OUT/gotest.log" | head -80; exit 1; }

fi

# --- benchmark: mxaudit scan against testssl.sh on the modern Postfix --------
log "benchmark on the modern Postfix ($NET.10): $BENCH_RUNS runs of each"
MAILLOG=$WORK/postfix-modern/maillog
connects() { grep -c 'postfix/smtpd\[[0-9]*\]: connect from' "$MAILLOG" || true; }
settle() { sleep 1; } # let postlogd write the last lines
bench() { # $1 label, then the command
  local label=$1; shift
  local i t0 t1 c0 c1
  for i in $(seq 1 "$BENCH_RUNS"); do
    settle; c0=$(connects); t0=$(date +%s.%N)
    "$@" >"$OUT/bench-$label-$i.out" 2>"$OUT/bench-$label-$i.err" || true
    t1=$(date +%s.%N); settle; c1=$(connects)
    awk -v l="$label" -v i="$i" -v a="$t0" -v b="$t1" -v c=$((c1 - c0)) 'BEGIN {printf "%s %d %.3f %d\n", l, i, b - a, c}' >>"$OUT/bench.txt"
  done
}
: >"$OUT/bench.txt"
bench mxaudit "$BIN/mxaudit" scan "${MXFLAGS[@]}" --json "modern.$ZONE"
bench testssl timeout "$TESTSSL_TIMEOUT" "${TESTSSL[@]}" "$NET.10:$SMTP_PORT"
E2E_OUT=$OUT $GO test -tags e2e -count=1 -v -run 'TestBenchConnections' "./$HERE/" >"$OUT/bench-test.log" 2>&1 \
  || { cat "$OUT/bench-test.log"; die "benchmark cross-check failed"; }

# The -U comparison's table (written by TestAgainstTestssl) goes into
# results.txt; make bench, which runs no comparison, keeps the last one.
VULN_MARK='# make e2e: testssl.sh -U against mxaudit'
if [ "$MODE" = e2e ]; then
  vuln_section=$({
    echo "$VULN_MARK, verdicts compared where both tools answer (samples/e2e/e2e_test.go TestAgainstTestssl)"
    v6note="IPv6 servers skipped: $(cat "$OUT/ipv6.txt")"
    if [ -n "$V6_OK" ]; then v6note="with -6 --ip inside namespace $V6_NS for [$V6_TLS]"; fi
    echo "# Measured $(date -u +%Y-%m-%dT%H:%MZ); testssl.sh ${TESTSSL[*]} -U ($v6note); explained differences: known-differences.txt."
    cat "$OUT/testssl-vuln-compared.txt"
  })
else
  vuln_section=$(sed -n "\|^$VULN_MARK|,\$p" "$HERE/results.txt" 2>/dev/null || true)
fi
median() { sort -n | awk '{a[NR]=$1} END {if (NR % 2) print a[(NR+1)/2]; else printf "%.3f\n", (a[NR/2]+a[NR/2+1])/2}'; }
m_time=$(awk '$1=="mxaudit"{print $3}' "$OUT/bench.txt" | median)
t_time=$(awk '$1=="testssl"{print $3}' "$OUT/bench.txt" | median)
m_conn=$(awk '$1=="mxaudit"{print $4}' "$OUT/bench.txt" | median)
t_conn=$(awk '$1=="testssl"{print $4}' "$OUT/bench.txt" | median)
{
  echo "# make $MODE: mxaudit scan vs testssl.sh on one real Postfix (samples/e2e/e2e.sh)"
  echo "# Measured $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores; Postfix $(postconf -d -h mail_version), OpenSSL $(openssl version | cut -d' ' -f2), testssl.sh $(dpkg-query -W -f='${Version}' testssl.sh), mxaudit $("$BIN/mxaudit" --version 2>/dev/null | awk '{print $NF}')."
  echo "# Server: Postfix at $NET.10:$SMTP_PORT, TLS 1.2 + 1.3, 3 + 3 suites accepted, over loopback."
  echo "# mxaudit: $BIN/mxaudit scan ${MXFLAGS[*]//$WORK/WORK} --json modern.$ZONE   (WORK: the run's temp dir)"
  echo "# testssl: ${TESTSSL[*]} $NET.10:$SMTP_PORT"
  echo "# Wall time by date +%s.%N around each command; connections = Postfix 'connect from' log lines during it."
  echo "# Median of $BENCH_RUNS runs each; every run:"
  sed 's/^/#   /' "$OUT/bench.txt"
  printf '%-10s %12s %12s\n' tool wall_s connections
  printf '%-10s %12s %12s\n' mxaudit "$m_time" "$m_conn"
  printf '%-10s %12s %12s\n' testssl.sh "$t_time" "$t_conn"
  awk -v mt="$m_time" -v tt="$t_time" -v mc="$m_conn" -v tc="$t_conn" \
    'BEGIN {printf "mxaudit is %.1fx faster and makes %.2fx the connections of testssl.sh\n", tt / mt, mc / tc}'
  if [ -n "$vuln_section" ]; then echo; echo "$vuln_section"; fi
} >"$HERE/results.txt"
echo
cat "$HERE/results.txt"
echo
if [ "$MODE" = bench ]; then log "benchmark done (results in $HERE/results.txt)"; else log "e2e passed"; fi
