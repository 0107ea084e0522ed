#!/usr/bin/env bash
# The demo behind `make demo`: serve the sample fleet on loopback, audit the
# sample vendor list into a fresh history database, change the fleet (a month
# passes), audit again, and show what changed. Nothing leaves 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-bin}
OUT=${OUT:-demo}
DNS=127.0.0.53:5353
SMTP_PORT=2525
HTTPS_PORT=8443
rm -rf "$OUT" && mkdir -p "$OUT"

fleet_pid=
stop_fleet() { if [ -n "$fleet_pid" ]; then kill "$fleet_pid" 2>/dev/null || true; wait "$fleet_pid" 2>/dev/null || true; fleet_pid=; fi; }
trap stop_fleet EXIT

start_fleet() { # $1: fleet definition
  rm -f "$OUT/fleet.ready"
  "$BIN/mxfleet" -fleet "$1" -ca-out "$OUT/ca.pem" -ready "$OUT/fleet.ready" -duration 10m >"$OUT/fleet.log" 2>&1 &
  fleet_pid=$!
  for _ in $(seq 1 100); do [ -f "$OUT/fleet.ready" ] && return 0; sleep 0.1; done
  echo "demo: the sample fleet did not start:"; cat "$OUT/fleet.log"; exit 1
}

# The fleet's own DNS, ports and test CA stand in for the internet's (and
# its policy server is on loopback: no HTTPS proxy from the environment).
flags=(--resolver "$DNS" --port "$SMTP_PORT" --mta-sts-port "$HTTPS_PORT" --https-proxy none --ca-file "$OUT/ca.pem"
       --ehlo demo.mxaudit.invalid --timeout 5s --retries 1
       --allow-private) # the fleet lives on loopback, which mxaudit refuses to dial by default

# The programme's deadlines and exceptions count in days, so month 1 is
# run on a clock set back a month (MXAUDIT_NOW) and month 2 on today's.
month1=$(date -u -d '31 days ago' +%Y-%m-%d)
letter_day=$(date -u -d '29 days ago' +%Y-%m-%d)
expires=$(date -u -d '20 days' +%Y-%m-%d)

echo "== Month 1 ($month1): auditing samples/vendors.csv against the sample fleet (samples/fleet.json)"
start_fleet samples/fleet.json
MXAUDIT_NOW="${month1}T09:00:00Z" "$BIN/mxaudit" run "${flags[@]}" --db "$OUT/history.db" samples/vendors.csv || true
stop_fleet

echo
echo "== Between the runs: the letter to Oldmill Credit Union goes out, Relic Insurance's risk is accepted"
MXAUDIT_NOW="${month1}T10:00:00Z" "$BIN/mxaudit" letter list --db "$OUT/history.db" | sed -n 1,5p
ref=$(MXAUDIT_NOW="${month1}T10:00:00Z" "$BIN/mxaudit" letter list --db "$OUT/history.db" | awk '/Oldmill Credit Union/ {print $1; exit}')
MXAUDIT_NOW="${letter_day}T12:00:00Z" "$BIN/mxaudit" letter sent --db "$OUT/history.db" --date "$letter_day" "$ref"
MXAUDIT_NOW="${letter_day}T12:00:00Z" "$BIN/mxaudit" exception add --db "$OUT/history.db" --domain relic-insurance.example \
  --vendor "Relic Insurance" --approver "Dana Whitfield (CISO)" \
  --reason "legacy contract ends this quarter; the vendor will not upgrade its gateway" --expires "$expires" --ticket RISK-42
MXAUDIT_NOW="${letter_day}T12:00:00Z" "$BIN/mxaudit" exception list --db "$OUT/history.db"

echo
echo "== Month 2: the fleet has changed (samples/fleet-next-month.json); auditing again"
start_fleet samples/fleet-next-month.json
status=0
"$BIN/mxaudit" run "${flags[@]}" --db "$OUT/history.db" --letters --fail-on regression samples/vendors.csv || status=$?
echo "(exit status $status: 1 means a regression, as a cron job would see it)"

echo
echo "== One domain in detail: mxaudit scan northwind-health.example"
"$BIN/mxaudit" scan "${flags[@]}" northwind-health.example || true
"$BIN/mxaudit" scan "${flags[@]}" --json northwind-health.example >"$OUT/northwind-health.json" || true
stop_fleet

echo
echo "== The programme after month 2: letters sent and not, exceptions"
"$BIN/mxaudit" letter list --db "$OUT/history.db"
"$BIN/mxaudit" exception list --db "$OUT/history.db" --all

echo
echo "== History"
"$BIN/mxaudit" runs --db "$OUT/history.db"
echo
echo "Files: $OUT/history.db (every run with its evidence), $OUT/northwind-health.json (full evidence of one domain)."
echo "Try: $BIN/mxaudit diff --db $OUT/history.db    $BIN/mxaudit history --db $OUT/history.db fabrikam-labs.example"
