#!/usr/bin/env bash
# make demo: generate a workload, apply it through the sequencer, travel in
# time, verify the whole tape, show balances as of several instants, project
# the tape into the embedded DuckDB file, ingest a trading day of ticks, and
# query events and ticks with SQL.
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
echo
echo "== tape sql: balance of c:0:USD as of 2026-01-06T12:00:00Z (the last leg at or before it)"
"$bin" sql --data "$data/ledger" "SELECT account, ts, balance_after AS balance FROM events WHERE account = 'c:0:USD' AND delta IS NOT NULL AND ts <= TIMESTAMP_NS '2026-01-06 12:00:00' ORDER BY seq DESC, leg DESC LIMIT 1"
echo
echo "== tape sql: day-end snapshots (one row per account at each day close, with the state hash)"
"$bin" sql --data "$data/ledger" "SELECT day, seq, count(*) AS accounts, any_value(state_hash) AS state_hash FROM snapshots GROUP BY day, seq ORDER BY day"
echo
echo "== tape gen ticks: a trading day of 20 symbols as CSV files, then tape ingest into the same DuckDB file"
"$bin" gen ticks --seed 7 --symbols 20 --rate 5 --out "$data/day"
time "$bin" ingest --data "$data/ledger" --kind trades "$data/day.trades.csv"
time "$bin" ingest --data "$data/ledger" --kind quotes "$data/day.quotes.csv"
echo "== tape ingest of the same file again: every row is stored already"
"$bin" ingest --data "$data/ledger" --kind trades "$data/day.trades.csv"
echo
echo "== tape sql: VWAP, high and low per symbol (prices are DECIMAL(18,8): cast before multiplying)"
"$bin" sql --data "$data/ledger" "SELECT sym, count(*) AS trades, CAST(sum(px * qty::DECIMAL(38,8)) / sum(qty) AS DECIMAL(18,4)) AS vwap, min(px) AS low, max(px) AS high FROM trades GROUP BY sym ORDER BY trades DESC LIMIT 5"
echo
echo "== tape sql: each AAPL trade with the quote in force (as-of join)"
"$bin" sql --data "$data/ledger" "SELECT t.ts, t.px, t.qty, t.side, q.bid, q.ask FROM trades t ASOF JOIN quotes q ON t.sym = q.sym AND t.ts >= q.ts WHERE t.sym = 'AAPL' ORDER BY t.ts LIMIT 5"
echo
echo "== tape sql: 1-hour OHLC bars of MSFT"
"$bin" sql --data "$data/ledger" "SELECT time_bucket(INTERVAL 1 hour, ts) AS bar, arg_min(px, ts) AS open, max(px) AS high, min(px) AS low, arg_max(px, ts) AS close, sum(qty) AS volume FROM trades WHERE sym = 'MSFT' GROUP BY bar ORDER BY bar"
