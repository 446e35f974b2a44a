#!/usr/bin/env bash
# make demo: generate a workload, apply it through the sequencer, travel in
# time, verify the whole tape, and show balances as of several instants.
set -euo pipefail
bin=${1:-bin/tape}
data=${2:-demo-data}
n=${DEMO_COMMANDS:-200000}

rm -rf "$data"
mkdir -p "$data"
echo "== tape gen commands --seed 7 --n $n --days 3"
"$bin" gen commands --seed 7 --n "$n" --days 3 --out "$data/commands.ndjson"
echo
echo "== tape apply (fsync on, the sequencer path)"
time "$bin" apply --data "$data/ledger" "$data/commands.ndjson" 2>"$data/apply.log"
echo
accounts="ext:USD,c:0:USD,c:1:EUR,c:3:BTC,c:4:ETH"
for at in 2026-01-05T12:00:00Z 2026-01-05T23:59:59Z 2026-01-06T12:00:00Z 2026-01-07T23:59:59Z; do
  echo "== tape replay --until-ts $at"
  "$bin" replay --data "$data/ledger" --until-ts "$at" --accounts "$accounts" 2>>"$data/replay.log"
  echo
done
echo "== the first 3 events of the tape"
"$bin" replay --data "$data/ledger" --until-seq 3 --events 2>>"$data/replay.log" | head -3
echo
echo "== tape verify (re-execute every command, replay every event, compare hashes)"
time "$bin" verify --data "$data/ledger" 2>"$data/verify.log"
echo
echo "== tape project (the tape's events into the embedded DuckDB file, exactly once)"
"$bin" project --data "$data/ledger" 2>"$data/project.log"
echo
echo "== tape sql: double entry per asset (every asset's deltas sum to zero)"
"$bin" sql --data "$data/ledger" "SELECT asset, count(*) AS legs, sum(delta) AS net FROM events WHERE delta IS NOT NULL GROUP BY asset ORDER BY asset"
echo
echo "== tape sql: the latest balances of c:0:USD, as of its last leg (merged storage)"
"$bin" sql --data "$data/ledger" "SELECT seq, ts, type, delta, balance_before, balance_after FROM events WHERE account = 'c:0:USD' AND delta IS NOT NULL ORDER BY seq DESC LIMIT 3"
