#!/usr/bin/env bash
# Peak memory of `tape ingest` loading a CSV file of at least 5 GB into a DuckDB file (the issue's target:
# under 1 GiB), with its rate. Needs about 8 GB of free disk in $TMPDIR (default /tmp); removes it after.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="-buildvcs=false -tags=duckdb_arrow"
go build -o bin/tape ./cmd/tape
work=$(mktemp -d "${TMPDIR:-/tmp}/tape-ingest-memory.XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "== generating two trading days of 200 symbols (quotes CSV over 5 GB)"
bin/tape gen ticks --seed 9 --symbols 200 --rate 8.5 --days 2 --out "$work/day"
ls -l "$work/day.quotes.csv"
size=$(stat -c %s "$work/day.quotes.csv")
[ "$size" -ge 5000000000 ] || { echo "the CSV is only $size bytes"; exit 1; }
echo "== tape ingest --kind quotes (default store: DuckDB file, memory_limit 512MB)"
/usr/bin/time -v bin/tape ingest --data "$work/data" --kind quotes "$work/day.quotes.csv" 2>"$work/time.txt"
grep -E '^ingested' "$work/time.txt"
rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
echo "peak RSS: $((rss_kb / 1024)) MiB for a $((size / 1000000)) MB CSV (target: under 1024 MiB)"
[ "$rss_kb" -lt $((1024 * 1024)) ] || { echo "over the target"; exit 1; }
