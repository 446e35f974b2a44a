#!/usr/bin/env bash
# Durable transfer throughput: Tape's POST /v1/commands (batches of 1000,
# group commit, fsync on) against PostgreSQL as teams usually build a ledger
# (one transaction per transfer) and in its strongest batched form (1000
# transfers per set-based transaction), in the same run, as ratios.
#
#   bench/transfers.sh            (TAPE_BENCH_REQUESTS=3000, PG_BENCH_SECONDS=20)
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${TAPE_BENCH_REQUESTS:-3000}

echo "== Tape: go test -bench PostCommands -benchtime ${requests}x ./internal/server/" >&2
tape_out=$(go test -run '^$' -bench PostCommands -benchtime "${requests}x" -count 1 ./internal/server/ | grep '^BenchmarkPostCommands')
echo "$tape_out" >&2
tape_tps=$(echo "$tape_out" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "transfers/s") print $i}')
tape_p99=$(echo "$tape_out" | awk '{for (i = 1; i < NF; i++) if ($(i+1) == "p99-ms") print $i}')

echo "== PostgreSQL: bench/postgres/run.sh" >&2
pg_out=$(bench/postgres/run.sh)
pg_single=$(echo "$pg_out" | sed -n 's/^pg_single_transfers_per_s=//p')
pg_batched=$(echo "$pg_out" | sed -n 's/^pg_batched_transfers_per_s=//p')
pg_version=$(echo "$pg_out" | sed -n 's/^pg_version=//p')

awk -v t="$tape_tps" -v p99="$tape_p99" -v s="$pg_single" -v b="$pg_batched" -v v="$pg_version" 'BEGIN {
  printf "tape_transfers_per_s=%.0f\n", t
  printf "tape_p99_request_ms=%.1f  (requests of 1000 transfers, 8 clients)\n", p99
  printf "pg_single_transfers_per_s=%.0f  (PostgreSQL %s, one transaction per transfer)\n", s, v
  printf "pg_batched_transfers_per_s=%.0f  (1000 transfers per set-based transaction)\n", b
  printf "ratio_tape_to_pg_single=%.1f\n", t / s
  printf "ratio_tape_to_pg_batched=%.1f\n", t / b
}'
