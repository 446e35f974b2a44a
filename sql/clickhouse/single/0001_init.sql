-- 0001_init, single layout (ClickHouse 23.8 or newer, one server): the tables of columnar/SCHEMAS.md.
--
-- Type map (Arrow -> ClickHouse): timestamp[ns, UTC] -> DateTime64(9, 'UTC') (1900 to 2262);
-- decimal128(38,18) -> Decimal128(18); decimal128(18,8) -> Decimal64(8); uint64 -> UInt64; uint8 -> UInt8;
-- fixed_size_binary(32) -> FixedString(32); date32 -> Date32; utf8 -> String, LowCardinality(String) for
-- the few-valued columns; bool -> Bool. ClickHouse has no unique keys: Write keeps keys unique (see the
-- package doc of columnar/clickhouse). Every statement is idempotent: a migration that failed half-way
-- runs again whole.

CREATE TABLE IF NOT EXISTS _tape_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime DEFAULT now()
) ENGINE = MergeTree ORDER BY version;

-- One row per posting leg. Legs of one seq share ts, so they share a partition, and one INSERT block
-- stores a key wholly or not at all.
CREATE TABLE IF NOT EXISTS events (
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
) ENGINE = MergeTree PARTITION BY toYYYYMM(ts) ORDER BY (seq, leg);

CREATE TABLE IF NOT EXISTS accounts (
    account                        String,
    asset                          LowCardinality(String),
    scale                          UInt8,
    debits_must_not_exceed_credits Bool,
    credits_must_not_exceed_debits Bool,
    opened_seq                     UInt64,
    opened_ts                      DateTime64(9, 'UTC')
) ENGINE = MergeTree ORDER BY (account, opened_seq);

-- One row per account at each day close; the rows of one close share day and seq.
CREATE TABLE IF NOT EXISTS snapshots (
    day             Date32,
    seq             UInt64,
    account         String,
    asset           LowCardinality(String),
    balance         Decimal128(18),
    debits_pending  Decimal128(18),
    credits_pending Decimal128(18),
    state_hash      FixedString(32)
) ENGINE = MergeTree PARTITION BY toYear(day) ORDER BY (day, account);

CREATE TABLE IF NOT EXISTS trades (
    ts         DateTime64(9, 'UTC'),
    sym        LowCardinality(String),
    px         Decimal64(8),
    qty        Decimal64(8),
    side       LowCardinality(String),
    trade_id   String,
    venue      LowCardinality(String),
    source     LowCardinality(String),
    source_seq UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (sym, ts);

CREATE TABLE IF NOT EXISTS quotes (
    ts         DateTime64(9, 'UTC'),
    sym        LowCardinality(String),
    bid        Decimal64(8),
    ask        Decimal64(8),
    bid_size   Decimal64(8),
    ask_size   Decimal64(8),
    venue      LowCardinality(String),
    source     LowCardinality(String),
    source_seq UInt64
) ENGINE = MergeTree PARTITION BY toYYYYMMDD(ts) ORDER BY (sym, ts);

-- Store bookkeeping: one row per stored batch; the watermark of a stream is max(seq) of its rows.
CREATE TABLE IF NOT EXISTS watermarks (
    stream String,
    seq    UInt64
) ENGINE = ReplacingMergeTree(seq) ORDER BY stream;
