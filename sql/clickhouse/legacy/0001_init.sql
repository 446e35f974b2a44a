-- 0001_init, legacy layout (ClickHouse 18.16, for the driver and outage tests only): the columns of the
-- single layout in types 18.16 has. It lacks DateTime64, Date32, Bool and (without an experimental
-- setting) LowCardinality, so:
--   timestamp[ns, UTC] -> Int64 nanoseconds since the epoch (ts, opened_ts);
--   date32             -> Int32 days since the epoch (day);
--   bool               -> UInt8 0/1;
--   LowCardinality(String) -> String.
-- Decimal128(18), Decimal64(8) and FixedString(32) are as in the single layout (18.16 needs no setting
-- for decimals). columnar/clickhouse reads these columns back in the contract's Arrow types.

CREATE TABLE IF NOT EXISTS _tape_migrations (
    version    UInt32,
    name       String,
    applied_at DateTime DEFAULT now()
) ENGINE = MergeTree ORDER BY version;

-- Partitions of 30 days of nanoseconds: the legs of one seq share ts, so they share a partition.
CREATE TABLE IF NOT EXISTS events (
    seq            UInt64,
    leg            UInt8,
    ts             Int64,
    command_id     String,
    type           String,
    account        Nullable(String),
    side           Nullable(String),
    asset          Nullable(String),
    amount         Nullable(Decimal128(18)),
    delta          Nullable(Decimal128(18)),
    balance_before Nullable(Decimal128(18)),
    balance_after  Nullable(Decimal128(18)),
    pending_before Nullable(Decimal128(18)),
    pending_after  Nullable(Decimal128(18)),
    pending_id     Nullable(String),
    link_id        Nullable(String),
    code           Nullable(String),
    day            Nullable(Int32),
    state_hash     Nullable(FixedString(32)),
    hash           FixedString(32)
) ENGINE = MergeTree PARTITION BY intDiv(ts, 2592000000000000) ORDER BY (seq, leg);

CREATE TABLE IF NOT EXISTS accounts (
    account                        String,
    asset                          String,
    scale                          UInt8,
    debits_must_not_exceed_credits UInt8,
    credits_must_not_exceed_debits UInt8,
    opened_seq                     UInt64,
    opened_ts                      Int64
) ENGINE = MergeTree ORDER BY (account, opened_seq);

CREATE TABLE IF NOT EXISTS snapshots (
    day             Int32,
    seq             UInt64,
    account         String,
    asset           String,
    balance         Decimal128(18),
    debits_pending  Decimal128(18),
    credits_pending Decimal128(18),
    state_hash      FixedString(32)
) ENGINE = MergeTree PARTITION BY intDiv(day, 366) ORDER BY (day, account);

CREATE TABLE IF NOT EXISTS trades (
    ts         Int64,
    sym        String,
    px         Decimal64(8),
    qty        Decimal64(8),
    side       String,
    trade_id   String,
    venue      String,
    source     String,
    source_seq UInt64
) ENGINE = MergeTree PARTITION BY intDiv(ts, 86400000000000) ORDER BY (sym, ts);

CREATE TABLE IF NOT EXISTS quotes (
    ts         Int64,
    sym        String,
    bid        Decimal64(8),
    ask        Decimal64(8),
    bid_size   Decimal64(8),
    ask_size   Decimal64(8),
    venue      String,
    source     String,
    source_seq UInt64
) ENGINE = MergeTree PARTITION BY intDiv(ts, 86400000000000) ORDER BY (sym, ts);

CREATE TABLE IF NOT EXISTS watermarks (
    stream String,
    seq    UInt64
) ENGINE = ReplacingMergeTree(seq) ORDER BY stream;
