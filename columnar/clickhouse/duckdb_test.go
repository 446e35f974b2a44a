//go:build duckdb_arrow

package clickhouse_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/tape-ledger/tape/columnar"
	"github.com/tape-ledger/tape/columnar/columnartest"
	"github.com/tape-ledger/tape/columnar/duckdb"
)

// The same random batches written to chDB (ClickHouse 26) and DuckDB give the same answers, cell by
// cell, to the same questions: every row of every table, per-asset sums of delta, the last balance of
// each account, and the VWAP terms per symbol (sum of px*qty and of qty, exact decimals).
func TestChDBMatchesDuckDB(t *testing.T) {
	ctx := context.Background()
	ch, _, _ := openChDB(t)
	dk, err := duckdb.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer dk.Close()
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	g := columnartest.NewGen(seed, true)
	for _, tb := range columnar.Tables()[:5] {
		stream, source := tb.Name, ""
		if tb.Name == "trades" || tb.Name == "quotes" {
			source = "feed"
			stream = tb.Name + "/" + source
		}
		next := uint64(1)
		for range 3 {
			rec, upTo := g.Batch(t, tb.Name, 1+g.IntN(150), next, source)
			mustWrite(t, ch, tb.Name, rec, stream, upTo)
			if _, err := dk.Write(ctx, tb.Name, rec, stream, upTo); err != nil {
				t.Fatal(err)
			}
			rec.Release()
			next = upTo + 1
		}
	}
	queries := []struct{ name, clickhouse, duckdb string }{}
	for _, tb := range columnar.Tables()[:5] {
		q := "SELECT * FROM " + tb.Name + " ORDER BY " + columnartest.OrderBy[tb.Name]
		queries = append(queries, struct{ name, clickhouse, duckdb string }{tb.Name, q, q})
	}
	queries = append(queries,
		struct{ name, clickhouse, duckdb string }{"delta per asset",
			"SELECT asset, sum(delta) FROM events WHERE delta IS NOT NULL GROUP BY asset ORDER BY asset",
			"SELECT asset, sum(delta) FROM events WHERE delta IS NOT NULL GROUP BY asset ORDER BY asset"},
		struct{ name, clickhouse, duckdb string }{"last balance per account",
			`SELECT e.account, e.balance_after FROM events e
			 JOIN (SELECT account, max(seq * 2 + leg) AS k FROM events WHERE account IS NOT NULL GROUP BY account) m
			   ON e.account = m.account AND e.seq * 2 + e.leg = m.k ORDER BY e.account`,
			`SELECT e.account, e.balance_after FROM events e
			 JOIN (SELECT account, max(seq * 2 + leg) AS k FROM events WHERE account IS NOT NULL GROUP BY account) m
			   ON e.account = m.account AND e.seq * 2 + e.leg = m.k ORDER BY e.account`},
		struct{ name, clickhouse, duckdb string }{"VWAP terms per symbol",
			"SELECT sym, sum(toDecimal128(px, 8) * toDecimal128(qty, 8)), sum(toDecimal128(qty, 8)), count() FROM trades GROUP BY sym ORDER BY sym",
			"SELECT sym, sum(px::DECIMAL(38,8) * qty::DECIMAL(38,8)), sum(qty::DECIMAL(38,8)), count(*)::UBIGINT FROM trades GROUP BY sym ORDER BY sym"},
		struct{ name, clickhouse, duckdb string }{"balances at each day close",
			"SELECT day, sum(balance), count() FROM snapshots GROUP BY day ORDER BY day",
			"SELECT day, sum(balance), count(*)::UBIGINT FROM snapshots GROUP BY day ORDER BY day"},
	)
	for _, q := range queries {
		_, got := columnartest.QueryAll(t, ch, q.clickhouse)
		_, want := columnartest.QueryAll(t, dk, q.duckdb)
		if len(want) == 0 {
			t.Errorf("%s: DuckDB returned no rows", q.name)
		}
		columnartest.SameRows(t, q.name, got, want)
	}
}
