-- 0001_init: the tables of columnar/SCHEMAS.md.
--
-- Type map (Arrow -> DuckDB): timestamp[ns, UTC] -> TIMESTAMP_NS (stored as UTC nanoseconds, no zone);
-- decimal128(38,18) -> DECIMAL(38,18); decimal128(18,8) -> DECIMAL(18,8); uint64 -> UBIGINT;
-- uint8 -> UTINYINT; fixed_size_binary(32) -> BLOB with a length check; date32 -> DATE; utf8 -> VARCHAR;
-- bool -> BOOLEAN.
--
-- Exactly once comes from the watermark, advanced in the transaction that inserts each batch. The
-- high-volume tables (events, trades, quotes) carry no primary key and no CHECK: an index costs 35-45% of
-- the insert rate and the 32-byte length of hashes is enforced by the Arrow type before a batch gets here.
-- The small tables keep their keys as a second guard.

CREATE TABLE _tape_migrations (
    version    INTEGER     NOT NULL PRIMARY KEY,
    applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);

-- One row per posting leg; a legless event is one row with leg 0 and null leg columns. Key (seq, leg).
CREATE TABLE events (
    seq            UBIGINT        NOT NULL,
    leg            UTINYINT       NOT NULL,
    ts             TIMESTAMP_NS   NOT NULL,
    command_id     VARCHAR        NOT NULL,
    type           VARCHAR        NOT NULL,
    account        VARCHAR,
    side           VARCHAR,
    asset          VARCHAR,
    amount         DECIMAL(38,18),
    delta          DECIMAL(38,18),
    balance_before DECIMAL(38,18),
    balance_after  DECIMAL(38,18),
    pending_before DECIMAL(38,18),
    pending_after  DECIMAL(38,18),
    pending_id     VARCHAR,
    link_id        VARCHAR,
    code           VARCHAR,
    day            DATE,
    state_hash     BLOB,
    hash           BLOB           NOT NULL
);

-- One row per account_opened event.
CREATE TABLE accounts (
    account                        VARCHAR      NOT NULL PRIMARY KEY,
    asset                          VARCHAR      NOT NULL,
    scale                          UTINYINT     NOT NULL,
    debits_must_not_exceed_credits BOOLEAN      NOT NULL,
    credits_must_not_exceed_debits BOOLEAN      NOT NULL,
    opened_seq                     UBIGINT      NOT NULL,
    opened_ts                      TIMESTAMP_NS NOT NULL
);

-- One row per account at each day close.
CREATE TABLE snapshots (
    day             DATE           NOT NULL,
    seq             UBIGINT        NOT NULL,
    account         VARCHAR        NOT NULL,
    asset           VARCHAR        NOT NULL,
    balance         DECIMAL(38,18) NOT NULL,
    debits_pending  DECIMAL(38,18) NOT NULL,
    credits_pending DECIMAL(38,18) NOT NULL,
    state_hash      BLOB           NOT NULL CHECK (octet_length(state_hash) = 32),
    PRIMARY KEY (day, account)
);

CREATE TABLE trades (
    ts         TIMESTAMP_NS  NOT NULL,
    sym        VARCHAR       NOT NULL,
    px         DECIMAL(18,8) NOT NULL,
    qty        DECIMAL(18,8) NOT NULL,
    side       VARCHAR       NOT NULL,
    trade_id   VARCHAR       NOT NULL,
    venue      VARCHAR       NOT NULL,
    source     VARCHAR       NOT NULL,
    source_seq UBIGINT       NOT NULL -- key (source, source_seq)
);

CREATE TABLE quotes (
    ts         TIMESTAMP_NS  NOT NULL,
    sym        VARCHAR       NOT NULL,
    bid        DECIMAL(18,8) NOT NULL,
    ask        DECIMAL(18,8) NOT NULL,
    bid_size   DECIMAL(18,8) NOT NULL,
    ask_size   DECIMAL(18,8) NOT NULL,
    venue      VARCHAR       NOT NULL,
    source     VARCHAR       NOT NULL,
    source_seq UBIGINT       NOT NULL -- key (source, source_seq)
);

-- Store bookkeeping: the highest seq (or source_seq) stored per stream ("events", "trades/<source>", ...).
CREATE TABLE watermarks (
    stream VARCHAR NOT NULL PRIMARY KEY,
    seq    UBIGINT NOT NULL
);
