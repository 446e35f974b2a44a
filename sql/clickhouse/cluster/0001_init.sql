-- 0001_init, cluster layout (ClickHouse 23.8 or newer, a cluster defined in the servers' remote_servers
-- with {shard} and {replica} macros): the tables of columnar/SCHEMAS.md as ReplicatedMergeTree tables
-- <name>_local on every server and Distributed tables under the public names.
--
-- ${database} and ${cluster} are filled in by columnar/clickhouse from the store URL; {shard} and
-- {replica} are the servers' macros. Columns and types are those of the single layout (see there).
-- Inserts go through the Distributed tables synchronously (insert_distributed_sync = 1), so a write that
-- returns is on its shard. Every statement is idempotent.

CREATE TABLE IF NOT EXISTS _tape_migrations ON CLUSTER '${cluster}' (
    version    UInt32,
    name       String,
    applied_at DateTime DEFAULT now()
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/${database}/_tape_migrations', '{replica}')
ORDER BY version;

-- Sharded by seq: the legs of one event live on one shard, in one partition.
CREATE TABLE IF NOT EXISTS events_local ON CLUSTER '${cluster}' (
    seq            UInt64,
    leg            UInt8,
    ts             DateTime64(9, 'UTC'),
    command_id     String,
    type           LowCardinality(String),
    account        Nullable(String),
    side           LowCardinality(Nullable(String)),
    asset          LowCardinality(Nullable(String)),
    amount         Nullable(Decimal128(18)),
    delta          Nullable(Decimal128(18)),
    balance_before Nullable(Decimal128(18)),
    balance_after  Nullable(Decimal128(18)),
    pending_before Nullable(Decimal128(18)),
    pending_after  Nullable(Decimal128(18)),
    pending_id     Nullable(String),
    link_id        Nullable(String),
    code           LowCardinality(Nullable(String)),
    day            Nullable(Date32),
    state_hash     Nullable(FixedString(32)),
    hash           FixedString(32)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/events_local', '{replica}')
PARTITION BY toYYYYMM(ts) ORDER BY (seq, leg);

CREATE TABLE IF NOT EXISTS events ON CLUSTER '${cluster}' AS events_local
ENGINE = Distributed('${cluster}', '${database}', 'events_local', seq);

CREATE TABLE IF NOT EXISTS accounts_local ON CLUSTER '${cluster}' (
    account                        String,
    asset                          LowCardinality(String),
    scale                          UInt8,
    debits_must_not_exceed_credits Bool,
    credits_must_not_exceed_debits Bool,
    opened_seq                     UInt64,
    opened_ts                      DateTime64(9, 'UTC')
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/accounts_local', '{replica}')
ORDER BY (account, opened_seq);

CREATE TABLE IF NOT EXISTS accounts ON CLUSTER '${cluster}' AS accounts_local
ENGINE = Distributed('${cluster}', '${database}', 'accounts_local', cityHash64(account));

CREATE TABLE IF NOT EXISTS snapshots_local ON CLUSTER '${cluster}' (
    day             Date32,
    seq             UInt64,
    account         String,
    asset           LowCardinality(String),
    balance         Decimal128(18),
    debits_pending  Decimal128(18),
    credits_pending Decimal128(18),
    state_hash      FixedString(32)
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/snapshots_local', '{replica}')
PARTITION BY toYear(day) ORDER BY (day, account);

CREATE TABLE IF NOT EXISTS snapshots ON CLUSTER '${cluster}' AS snapshots_local
ENGINE = Distributed('${cluster}', '${database}', 'snapshots_local', cityHash64(account));

-- Ticks are sharded by symbol: the queries (bars, as-of joins, VWAP) run per symbol.
CREATE TABLE IF NOT EXISTS trades_local ON CLUSTER '${cluster}' (
    ts         DateTime64(9, 'UTC'),
    sym        LowCardinality(String),
    px         Decimal64(8),
    qty        Decimal64(8),
    side       LowCardinality(String),
    trade_id   String,
    venue      LowCardinality(String),
    source     LowCardinality(String),
    source_seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/trades_local', '{replica}')
PARTITION BY toYYYYMMDD(ts) ORDER BY (sym, ts);

CREATE TABLE IF NOT EXISTS trades ON CLUSTER '${cluster}' AS trades_local
ENGINE = Distributed('${cluster}', '${database}', 'trades_local', cityHash64(sym));

CREATE TABLE IF NOT EXISTS quotes_local ON CLUSTER '${cluster}' (
    ts         DateTime64(9, 'UTC'),
    sym        LowCardinality(String),
    bid        Decimal64(8),
    ask        Decimal64(8),
    bid_size   Decimal64(8),
    ask_size   Decimal64(8),
    venue      LowCardinality(String),
    source     LowCardinality(String),
    source_seq UInt64
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/quotes_local', '{replica}')
PARTITION BY toYYYYMMDD(ts) ORDER BY (sym, ts);

CREATE TABLE IF NOT EXISTS quotes ON CLUSTER '${cluster}' AS quotes_local
ENGINE = Distributed('${cluster}', '${database}', 'quotes_local', cityHash64(sym));

CREATE TABLE IF NOT EXISTS watermarks_local ON CLUSTER '${cluster}' (
    stream String,
    seq    UInt64
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/${database}/watermarks_local', '{replica}', seq)
ORDER BY stream;

CREATE TABLE IF NOT EXISTS watermarks ON CLUSTER '${cluster}' AS watermarks_local
ENGINE = Distributed('${cluster}', '${database}', 'watermarks_local', cityHash64(stream));
