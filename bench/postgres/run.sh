#!/usr/bin/env bash
# Benchmark: the classic "ledger transfer on PostgreSQL" design, for comparison
# with Tape. Starts a throwaway, durable (fsync=on, synchronous_commit=on)
# PostgreSQL server, runs two pgbench workloads and prints on stdout:
#
#   pg_single_transfers_per_s=<number>   one transaction per transfer
#   pg_batched_transfers_per_s=<number>  1000 transfers per transaction (set-based)
#   pg_version=<server version>
#
# Progress goes to stderr. See README.md next to this file.
#
# Environment knobs (defaults in brackets):
#   PG_BENCH_SECONDS [20]       duration of each phase, in seconds
#   PG_BENCH_ACCOUNTS [10000]   number of accounts
#   PG_BENCH_BATCH [1000]       transfers per transaction in the batched phase
#   PG_SINGLE_CLIENTS [8]       pgbench clients, single phase
#   PG_BATCH_CLIENTS [2]        pgbench clients, batched phase
#   PG_BENCH_THREADS [2]        pgbench threads (capped at the client count)
#   PG_SHARED_BUFFERS [1GB]     shared_buffers
#   PG_VERIFY_SAMPLE [1000]     accounts whose history chain is verified
#   PG_BENCH_TMPDIR [/var/tmp]  where the throwaway cluster lives (must be a
#                               real disk: fsync on tmpfs is a no-op)
set -euo pipefail

SECONDS_PER_PHASE="${PG_BENCH_SECONDS:-20}"
ACCOUNTS="${PG_BENCH_ACCOUNTS:-10000}"
BATCH="${PG_BENCH_BATCH:-1000}"
SINGLE_CLIENTS="${PG_SINGLE_CLIENTS:-8}"
BATCH_CLIENTS="${PG_BATCH_CLIENTS:-2}"
THREADS="${PG_BENCH_THREADS:-2}"
SHARED_BUFFERS="${PG_SHARED_BUFFERS:-1GB}"
VERIFY_SAMPLE="${PG_VERIFY_SAMPLE:-1000}"
BASE_TMP="${PG_BENCH_TMPDIR:-/var/tmp}"
PORT=54329 # only names the unix socket inside our private directory

log() { printf '[pg-bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

for v in SECONDS_PER_PHASE ACCOUNTS BATCH SINGLE_CLIENTS BATCH_CLIENTS THREADS VERIFY_SAMPLE; do
  [[ "${!v}" =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive integer (got '${!v}')"
done
((ACCOUNTS >= 2)) || die "need at least 2 accounts"

# --- PostgreSQL binaries -----------------------------------------------------
find_pgbin() {
  local d
  # newest major version first
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -t/ -k5,5 -n -r); do
    if [[ -x "$d/postgres" && -x "$d/initdb" && -x "$d/pgbench" ]]; then
      echo "$d"
      return 0
    fi
  done
  return 1
}

if ! PGBIN="$(find_pgbin)"; then
  [[ $EUID -eq 0 ]] || die "PostgreSQL not installed and not root: install postgresql-15 first"
  log "PostgreSQL server binaries not found; installing from Debian packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update >&2
  apt-get install -y postgresql-15 >&2 || apt-get install -y postgresql >&2
  PGBIN="$(find_pgbin)" || die "PostgreSQL installation failed"
fi
log "using PostgreSQL binaries in $PGBIN"

# --- run the server as an unprivileged user -------------------------------
if [[ $EUID -eq 0 ]]; then
  if ! id -u postgres >/dev/null 2>&1; then
    log "creating system user 'postgres'"
    if getent group postgres >/dev/null; then
      useradd --system --no-create-home --shell /usr/sbin/nologin -g postgres postgres
    else
      useradd --system --no-create-home --shell /usr/sbin/nologin --user-group postgres
    fi
  fi
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

# --- throwaway cluster -------------------------------------------------------
WORK=""
PGBENCH_PID=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [[ -n "$PGBENCH_PID" ]]; then
    kill "$PGBENCH_PID" 2>/dev/null || true
    wait "$PGBENCH_PID" 2>/dev/null || true
  fi
  if [[ -n "$WORK" && -d "$WORK" ]]; then
    if [[ -f "$WORK/data/postmaster.pid" ]]; then
      log "stopping PostgreSQL"
      as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m fast -t 60 -w stop >/dev/null 2>&1 ||
        as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -m immediate -t 30 -w stop >/dev/null 2>&1 ||
        { pid="$(head -n1 "$WORK/data/postmaster.pid" 2>/dev/null || true)"; [[ -n "$pid" ]] && kill -9 "$pid" 2>/dev/null; sleep 1; } || true
    fi
    rm -rf "$WORK"
    log "removed $WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$BASE_TMP"
WORK="$(mktemp -d "$BASE_TMP/tape-pgbench.XXXXXX")"
chmod 0755 "$WORK"
mkdir -p "$WORK/data" "$WORK/sock"
chmod 0700 "$WORK/data" "$WORK/sock"
[[ $EUID -eq 0 ]] && chown -R postgres: "$WORK"
fstype="$(stat -f -c %T "$WORK")"
log "cluster directory $WORK (filesystem: $fstype)"
[[ "$fstype" == tmpfs || "$fstype" == ramfs ]] &&
  log "WARNING: $fstype is not durable storage; fsync is a no-op there, figures will be too optimistic (set PG_BENCH_TMPDIR)"

log "initdb"
as_pg "$PGBIN/initdb" -D "$WORK/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$WORK/initdb.log" 2>&1 ||
  { cat "$WORK/initdb.log" >&2; die "initdb failed"; }

cat >>"$WORK/data/postgresql.conf" <<CONF
# --- tape benchmark settings ---
listen_addresses = ''
unix_socket_directories = '$WORK/sock'
port = $PORT
max_connections = 50
# durable commits, like Tape
fsync = on
synchronous_commit = on
full_page_writes = on
shared_buffers = '$SHARED_BUFFERS'
# keep checkpoints out of a short run, as a tuned production server would
max_wal_size = '8GB'
min_wal_size = '1GB'
checkpoint_timeout = '30min'
autovacuum = on
logging_collector = off
CONF

log "starting PostgreSQL"
as_pg "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/server.log" -w -t 60 start >/dev/null ||
  { cat "$WORK/server.log" >&2 2>/dev/null; die "PostgreSQL failed to start"; }

unset PGSERVICE PGSERVICEFILE PGHOSTADDR PGPASSWORD PGPASSFILE PGOPTIONS PGSSLMODE
export PGHOST="$WORK/sock" PGPORT="$PORT" PGUSER=postgres PGDATABASE=ledger
as_pg "$PGBIN/createdb" ledger
psql_q() { "$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -At "$@"; }

PG_VERSION_FULL="$(psql_q -c 'SHOW server_version')"
PG_VERSION="${PG_VERSION_FULL%% *}"
log "server version: $PG_VERSION_FULL"
log "settings: $(psql_q -F' ' -c "SELECT string_agg(name || '=' || current_setting(name), ' ' ORDER BY name) FROM pg_settings WHERE name IN ('fsync','synchronous_commit','shared_buffers','wal_sync_method','full_page_writes')")"

# --- schema and seed ---------------------------------------------------------
log "creating schema and seeding $ACCOUNTS accounts"
psql_q -v accounts="$ACCOUNTS" <<'SQL'
CREATE TABLE accounts (
  id      bigint PRIMARY KEY,
  asset   text,
  balance numeric(38,2) NOT NULL
);
CREATE TABLE transfers_history (
  id             bigserial,
  transfer_id    text UNIQUE,
  account_id     bigint,
  delta          numeric(38,2),
  balance_before numeric(38,2),
  balance_after  numeric(38,2),
  ts             timestamptz DEFAULT now()
);
INSERT INTO accounts (id, asset, balance)
SELECT g, 'USD', 1000000.00 + (g % 1000) * 10.25
FROM generate_series(1, :accounts) g;
-- snapshot of the opening balances, used only by the verification
CREATE TABLE accounts_opening AS SELECT id, balance FROM accounts;
VACUUM ANALYZE accounts;
CHECKPOINT;
SQL
TOTAL_BEFORE="$(psql_q -c 'SELECT sum(balance) FROM accounts')"
log "total balance before: $TOTAL_BEFORE"

# --- pgbench scripts ------------------------------------------------------------
# Single: one transaction per transfer. Both account rows are updated in id
# order, so concurrent clients cannot deadlock. The UPDATE ... RETURNING gives
# the balance after the leg (captured with \gset); before = after - delta.
cat >"$WORK/single.sql" <<'SQL'
\set debit random(1, :naccounts)
\set credit 1 + ((:debit + random(0, :naccounts - 2)) % :naccounts)
\set cents random(1, 100000)
BEGIN;
\if :debit < :credit
UPDATE accounts SET balance = balance - CAST(:cents AS bigint) * 0.01 WHERE id = :debit RETURNING balance AS debit_after \gset
UPDATE accounts SET balance = balance + CAST(:cents AS bigint) * 0.01 WHERE id = :credit RETURNING balance AS credit_after \gset
\else
UPDATE accounts SET balance = balance + CAST(:cents AS bigint) * 0.01 WHERE id = :credit RETURNING balance AS credit_after \gset
UPDATE accounts SET balance = balance - CAST(:cents AS bigint) * 0.01 WHERE id = :debit RETURNING balance AS debit_after \gset
\endif
INSERT INTO transfers_history (transfer_id, account_id, delta, balance_before, balance_after)
SELECT t.id || l.suffix, l.account_id, l.delta, l.after - l.delta, l.after
FROM (SELECT CAST(gen_random_uuid() AS text) AS id) t,
     (VALUES ('/D', CAST(:debit AS bigint), -(CAST(:cents AS bigint) * 0.01), CAST(:debit_after AS numeric)),
             ('/C', CAST(:credit AS bigint), CAST(:cents AS bigint) * 0.01, CAST(:credit_after AS numeric))
     ) AS l(suffix, account_id, delta, after);
COMMIT;
SQL

# Batched: BATCH random transfers per transaction, set-based.
#  1. generate the transfers into a session temp table (not WAL-logged);
#  2. lock every touched account in id order (no deadlocks between clients);
#  3. one statement: UPDATE each account once with its aggregated delta
#     (RETURNING the balance it actually wrote), derive per-account running
#     before/after balances in transfer order with a window function, and
#     INSERT all history legs (in transfer order, so ids follow it).
cat >"$WORK/batched.sql" <<'SQL'
CREATE TEMP TABLE IF NOT EXISTS batch (seq int, transfer_id text, debit bigint, credit bigint, amount numeric(38,2)) ON COMMIT DELETE ROWS;
BEGIN;
INSERT INTO batch (seq, transfer_id, debit, credit, amount)
SELECT g, CAST(gen_random_uuid() AS text), d,
       1 + (d + CAST(floor(random() * (:naccounts - 1)) AS bigint)) % :naccounts,
       (1 + floor(random() * 100000)) * 0.01
FROM (SELECT g, 1 + CAST(floor(random() * :naccounts) AS bigint) AS d FROM generate_series(1, :batch) g) s;
SELECT count(*) FROM (SELECT id FROM accounts WHERE id IN (SELECT debit FROM batch UNION SELECT credit FROM batch) ORDER BY id FOR UPDATE) locked;
WITH legs AS (
  SELECT seq, 0 AS leg, transfer_id || '/D' AS leg_id, debit AS account_id, -amount AS delta FROM batch
  UNION ALL
  SELECT seq, 1 AS leg, transfer_id || '/C' AS leg_id, credit AS account_id, amount AS delta FROM batch
), upd AS (
  UPDATE accounts a SET balance = a.balance + d.delta
  FROM (SELECT account_id, sum(delta) AS delta FROM legs GROUP BY account_id) d
  WHERE a.id = d.account_id
  RETURNING a.id, a.balance - d.delta AS opening
), chained AS (
  SELECT l.seq, l.leg, l.leg_id, l.account_id, l.delta,
         u.opening + sum(l.delta) OVER (PARTITION BY l.account_id ORDER BY l.seq, l.leg
                                        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS balance_after
  FROM legs l JOIN upd u ON u.id = l.account_id
)
INSERT INTO transfers_history (transfer_id, account_id, delta, balance_before, balance_after)
SELECT leg_id, account_id, delta, balance_after - delta, balance_after
FROM chained ORDER BY seq, leg;
COMMIT;
SQL

# run_phase NAME SCRIPT CLIENTS MODE -> sets PHASE_TPS and PHASE_TX
run_phase() {
  local name="$1" script="$2" clients="$3" mode="$4" threads="$THREADS" out rc failed
  ((threads > clients)) && threads="$clients"
  out="$WORK/$name.out"
  log "phase $name: pgbench -c $clients -j $threads -T $SECONDS_PER_PHASE -M $mode (progress every 5 s)"
  # pgbench's progress lines and any errors go straight to our stderr
  set +e
  PGOPTIONS='-c client_min_messages=warning' \
    "$PGBIN/pgbench" -n -f "$script" -c "$clients" -j "$threads" -T "$SECONDS_PER_PHASE" -M "$mode" -P 5 \
    -D naccounts="$ACCOUNTS" -D batch="$BATCH" >"$out" &
  PGBENCH_PID=$! # waited for in the background so that INT/TERM are handled at once
  wait "$PGBENCH_PID"
  rc=$?
  PGBENCH_PID=""
  set -e
  sed 's/^/    /' "$out" >&2
  ((rc == 0)) || die "pgbench $name exited with status $rc (a client aborted, see errors above)"
  PHASE_TPS="$(awk '/^tps = /{print $3; exit}' "$out")"
  PHASE_TX="$(awk -F': ' '/^number of transactions actually processed/{split($2, a, "/"); print a[1]; exit}' "$out")"
  failed="$(awk -F': ' '/^number of failed transactions/{split($2, a, " "); print a[1]; exit}' "$out")"
  [[ -n "$PHASE_TPS" && -n "$PHASE_TX" ]] || die "could not parse pgbench output for $name"
  if [[ -n "$failed" && "$failed" != 0 ]]; then
    log "WARNING: phase $name had $failed failed transactions"
  else
    log "phase $name: ${PHASE_TX} transactions, ${failed:-0} failed"
  fi
}

# --- phase 1: single ------------------------------------------------------------
run_phase single "$WORK/single.sql" "$SINGLE_CLIENTS" prepared
SINGLE_TPS="$PHASE_TPS"
SINGLE_TX="$PHASE_TX"

log "vacuum + checkpoint between phases"
psql_q -c 'VACUUM ANALYZE accounts' -c 'VACUUM ANALYZE transfers_history' -c 'CHECKPOINT'

# --- phase 2: batched -----------------------------------------------------------
# -M simple: the script creates a temp table, which prepared mode cannot handle.
run_phase batched "$WORK/batched.sql" "$BATCH_CLIENTS" simple
BATCHED_TPS="$(awk -v t="$PHASE_TPS" -v b="$BATCH" 'BEGIN{printf "%.6f", t * b}')"
BATCHED_TX="$PHASE_TX"

# --- verification -----------------------------------------------------------
log "verifying"
TOTAL_AFTER="$(psql_q -c 'SELECT sum(balance) FROM accounts')"
[[ "$TOTAL_AFTER" == "$TOTAL_BEFORE" ]] ||
  die "VERIFICATION FAILED: total balance changed: before=$TOTAL_BEFORE after=$TOTAL_AFTER"
log "ok: total balance unchanged ($TOTAL_AFTER)"

ROWS="$(psql_q -c 'SELECT count(*) FROM transfers_history')"
EXPECTED_ROWS=$((2 * SINGLE_TX + 2 * BATCH * BATCHED_TX))
[[ "$ROWS" == "$EXPECTED_ROWS" ]] ||
  die "VERIFICATION FAILED: $ROWS history rows, expected $EXPECTED_ROWS (2 x $SINGLE_TX + 2 x $BATCH x $BATCHED_TX)"
log "ok: $ROWS history rows = 2 legs x $((SINGLE_TX + BATCH * BATCHED_TX)) transfers"

BAD_TRANSFERS="$(psql_q -c "SELECT count(*) FROM (SELECT split_part(transfer_id, '/', 1) FROM transfers_history GROUP BY 1 HAVING count(*) <> 2 OR sum(delta) <> 0) x")"
[[ "$BAD_TRANSFERS" == 0 ]] ||
  die "VERIFICATION FAILED: $BAD_TRANSFERS transfers without exactly two legs summing to zero"
log "ok: every transfer has two legs summing to zero"

# History chain for a random sample of accounts, in id order:
#   balance_after - balance_before = delta,  balance_before(i) = balance_after(i-1),
#   first balance_before = opening balance,  last balance_after = current balance.
CHAIN="$(psql_q -v sample="$VERIFY_SAMPLE" <<'SQL'
WITH sample AS (
  SELECT id FROM accounts ORDER BY random() LIMIT :sample
), h AS (
  SELECT h.account_id, h.delta, h.balance_before, h.balance_after,
         lag(h.balance_after) OVER w AS prev_after,
         row_number() OVER w AS rn,
         count(*) OVER (PARTITION BY h.account_id) AS n
  FROM transfers_history h
  WHERE h.account_id IN (SELECT id FROM sample)
  WINDOW w AS (PARTITION BY h.account_id ORDER BY h.id)
)
SELECT (SELECT count(*) FROM sample) || ' ' ||
       (SELECT count(*) FROM h) || ' ' ||
       (SELECT count(*) FROM h WHERE h.balance_after - h.balance_before <> h.delta
                                  OR (h.rn > 1 AND h.balance_before <> h.prev_after)) || ' ' ||
       (SELECT count(*) FROM h JOIN accounts_opening o ON o.id = h.account_id
         WHERE h.rn = 1 AND h.balance_before <> o.balance) || ' ' ||
       (SELECT count(*) FROM h JOIN accounts a ON a.id = h.account_id
         WHERE h.rn = h.n AND h.balance_after <> a.balance) || ' ' ||
       (SELECT count(*) FROM sample s JOIN accounts a USING (id) JOIN accounts_opening o USING (id)
         WHERE NOT EXISTS (SELECT 1 FROM transfers_history t WHERE t.account_id = s.id)
           AND a.balance <> o.balance);
SQL
)"
read -r n_sample n_rows bad_links bad_start bad_end bad_idle <<<"$CHAIN"
if ((bad_links + bad_start + bad_end + bad_idle != 0)); then
  die "VERIFICATION FAILED: history chain broken for sampled accounts: bad links/deltas=$bad_links bad opening=$bad_start bad closing=$bad_end untouched-but-changed=$bad_idle"
fi
log "ok: history chain intact for $n_sample sampled accounts ($n_rows legs)"

log "results: single ${SINGLE_TPS} transfers/s, batched ${BATCHED_TPS} transfers/s"
printf 'pg_single_transfers_per_s=%.1f\n' "$SINGLE_TPS"
printf 'pg_batched_transfers_per_s=%.1f\n' "$BATCHED_TPS"
printf 'pg_version=%s\n' "$PG_VERSION"
