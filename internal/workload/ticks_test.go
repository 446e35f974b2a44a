package workload

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tape-ledger/tape/internal/testkit"
)

const (
	tsLayout   = "2006-01-02T15:04:05.000000000Z"
	thursday   = StartDefault + 3*dayNs // 2026-01-08
	saturday   = StartDefault - 2*dayNs // 2026-01-03
	sharesSlop = 0.02
)

var (
	tradesCols = []string{"ts", "sym", "px", "qty", "side", "trade_id", "venue", "source", "source_seq"}
	quotesCols = []string{"ts", "sym", "bid", "ask", "bid_size", "ask_size", "venue", "source", "source_seq"}
	pxText     = regexp.MustCompile(`^[0-9]+\.[0-9]{4}$`)
)

func genTicks(t testing.TB, o TickOptions, f TickFormat) (trades, quotes []byte, st TickStats) {
	t.Helper()
	var tb, qb bytes.Buffer
	st, err := GenerateTicks(&tb, &qb, o, f)
	if err != nil {
		t.Fatalf("GenerateTicks(%+v, %s): %v", o, f, err)
	}
	return tb.Bytes(), qb.Bytes(), st
}

func TestTicksDeterministic(t *testing.T) {
	o := TickOptions{Seed: 1, Symbols: 5, Days: 2, Rate: 0.2}
	ta, qa, _ := genTicks(t, o, TickCSV)
	tb, qb, _ := genTicks(t, o, TickCSV)
	if !bytes.Equal(ta, tb) || !bytes.Equal(qa, qb) {
		t.Fatal("same options, different bytes")
	}
	o.Seed = 2
	tc, qc, _ := genTicks(t, o, TickCSV)
	if bytes.Equal(ta, tc) || bytes.Equal(qa, qc) {
		t.Fatal("seeds 1 and 2 gave the same bytes")
	}
	// A discarded table leaves the other one's bytes alone.
	var q bytes.Buffer
	if _, err := GenerateTicks(nil, &q, o, TickCSV); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(q.Bytes(), qc) {
		t.Fatal("quotes differ when trades are discarded")
	}
}

func TestTicksGolden(t *testing.T) {
	o := TickOptions{Seed: 1, Symbols: 3, Days: 2, Start: thursday + dayNs, Rate: 0.0005}
	for f := range tickFormatCount {
		trades, quotes, _ := genTicks(t, o, f)
		for _, tc := range []struct {
			table string
			got   []byte
		}{{"trades", trades}, {"quotes", quotes}} {
			testkit.Golden(t, filepath.Join("testdata", "ticks_seed1_"+tc.table+"."+f.String()), tc.got)
		}
	}
}

// TestTicksTables checks every row of both tables of a CSV run, and that the
// NDJSON run of the same options holds the same values.
func TestTicksTables(t *testing.T) {
	o := TickOptions{Seed: 3, Symbols: 40, Days: 3, Start: thursday, Rate: 0.04, Source: "feed-1"}
	if testing.Short() {
		o.Rate = 0.005
	}
	tradesCSV, quotesCSV, st := genTicks(t, o, TickCSV)
	trades := readTicksCSV(t, tradesCSV, tradesCols)
	quotes := readTicksCSV(t, quotesCSV, quotesCols)
	if int64(len(trades)) != st.Trades || int64(len(quotes)) != st.Quotes || st.OutOfOrder != 0 {
		t.Fatalf("%d trades, %d quotes; stats %+v", len(trades), len(quotes), st)
	}
	days := map[string]bool{}
	checkTable(t, "trades", trades, o, days)
	checkTable(t, "quotes", quotes, o, days)
	for _, want := range []string{"2026-01-08", "2026-01-09", "2026-01-12"} {
		if !days[want] {
			t.Errorf("no rows on %s; days seen %v", want, days)
		}
	}
	if len(days) != 3 {
		t.Errorf("rows on %d days, want 3: %v", len(days), days)
	}
	checkTradesInQuotes(t, trades, quotes)
	share := float64(st.Trades) / float64(st.Trades+st.Quotes)
	if math.Abs(share-0.2) > sharesSlop {
		t.Errorf("trades are %.3f of the ticks, want about 0.2", share)
	}

	tradesJSON, quotesJSON, stJSON := genTicks(t, o, TickNDJSON)
	if stJSON != st {
		t.Fatalf("NDJSON stats %+v, CSV stats %+v", stJSON, st)
	}
	compareRecords(t, "trades", readTradesJSON(t, tradesJSON), trades)
	compareRecords(t, "quotes", readQuotesJSON(t, quotesJSON), quotes)
}

func readTicksCSV(t *testing.T, data []byte, cols []string) [][]string {
	t.Helper()
	r := csv.NewReader(bytes.NewReader(data))
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v", err)
	}
	if len(recs) == 0 || strings.Join(recs[0], ",") != strings.Join(cols, ",") {
		t.Fatalf("header %v, want %v", recs[:min(1, len(recs))], cols)
	}
	return recs[1:]
}

// checkTable checks the columns both tables share, and each table's own.
func checkTable(t *testing.T, table string, rows [][]string, o TickOptions, days map[string]bool) {
	t.Helper()
	venues := map[string]bool{}
	for _, v := range tickVenues {
		venues[v] = true
	}
	var lastTs string
	var lastTradeID int64
	subDollar := false
	for i, r := range rows {
		where := table + " row " + strconv.Itoa(i+1)
		checkTickTs(t, where, r[0], lastTs)
		lastTs = r[0]
		days[r[0][:10]] = true
		if r[7] != o.Source || !venues[r[6]] || !validSymbol(r[1], o.Symbols) {
			t.Fatalf("%s: sym, venue or source wrong: %v", where, r)
		}
		if seq := parseInt(t, where, r[8]); seq != int64(i+1) {
			t.Fatalf("%s: source_seq %d", where, seq)
		}
		if table == "trades" {
			parsePx(t, where, r[2])
			id := parseInt(t, where, r[5])
			if parseInt(t, where, r[3]) <= 0 || (r[4] != "B" && r[4] != "S") || id <= lastTradeID {
				t.Fatalf("%s: qty, side or trade_id wrong (last id %d): %v", where, lastTradeID, r)
			}
			lastTradeID = id
			continue
		}
		bid, ask := parsePx(t, where, r[2]), parsePx(t, where, r[3])
		if bid >= ask || parseInt(t, where, r[4]) <= 0 || parseInt(t, where, r[5]) <= 0 {
			t.Fatalf("%s: bid, ask or sizes wrong: %v", where, r)
		}
		subDollar = subDollar || bid < pxOne
	}
	if table == "quotes" && !subDollar {
		t.Errorf("no quote below 1.0000: the 0.0001 grid goes untested")
	}
}

// checkTickTs checks the exact text, the order and the trading hours.
func checkTickTs(t *testing.T, where, s, last string) {
	t.Helper()
	ts, err := time.Parse(tsLayout, s)
	if err != nil || ts.Format(tsLayout) != s {
		t.Fatalf("%s: ts %q is not %s (%v)", where, s, tsLayout, err)
	}
	if s <= last { // fixed width: text order is time order
		t.Fatalf("%s: ts %s not after %s", where, s, last)
	}
	if wd := ts.Weekday(); wd == time.Saturday || wd == time.Sunday {
		t.Fatalf("%s: ts %s on a %s", where, s, wd)
	}
	if off := ts.UnixNano() % dayNs; off < tickOpenNs || off >= tickCloseNs {
		t.Fatalf("%s: ts %s outside 09:30-16:00", where, s)
	}
}

func validSymbol(s string, symbols int) bool {
	for i := range min(symbols, len(tickNames)) {
		if s == tickNames[i] {
			return true
		}
	}
	n, err := strconv.Atoi(strings.TrimPrefix(s, "SYM"))
	return err == nil && len(s) == 7 && n > len(tickNames) && n <= symbols
}

// parsePx parses a positive price on the tick grid into 10^-4 units.
func parsePx(t *testing.T, where, s string) int64 {
	t.Helper()
	if !pxText.MatchString(s) {
		t.Fatalf("%s: price %q is not decimal text with 4 decimals", where, s)
	}
	px := parseInt(t, where, strings.Replace(s, ".", "", 1))
	if px <= 0 || px >= pxOne && px%tickCents != 0 {
		t.Fatalf("%s: price %s not positive on the tick grid", where, s)
	}
	return px
}

func parseInt(t *testing.T, where, s string) int64 {
	t.Helper()
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%s: %v", where, err)
	}
	return v
}

// checkTradesInQuotes merges the tables by ts and checks that every trade is
// within the bid and ask of its symbol's latest quote of the same day.
func checkTradesInQuotes(t *testing.T, trades, quotes [][]string) {
	t.Helper()
	type quote struct{ day, bid, ask string }
	latest := map[string]quote{}
	q := 0
	var inside, atAsk, atBid int
	for i, tr := range trades {
		for ; q < len(quotes) && quotes[q][0] < tr[0]; q++ {
			latest[quotes[q][1]] = quote{quotes[q][0][:10], quotes[q][2], quotes[q][3]}
		}
		if q < len(quotes) && quotes[q][0] == tr[0] {
			t.Fatalf("trade %d and quote %d share ts %s", i+1, q+1, tr[0])
		}
		lq, ok := latest[tr[1]]
		if !ok || lq.day != tr[0][:10] {
			t.Fatalf("trade %d: no quote for %s earlier on its day", i+1, tr[1])
		}
		where := "trade " + strconv.Itoa(i+1)
		px, bid, ask := parsePx(t, where, tr[2]), parsePx(t, where, lq.bid), parsePx(t, where, lq.ask)
		switch {
		case px < bid || px > ask:
			t.Fatalf("%s: px %s outside the quote %s/%s", where, tr[2], lq.bid, lq.ask)
		case px == ask:
			atAsk++
		case px == bid:
			atBid++
		default:
			inside++
		}
	}
	if inside == 0 || atAsk == 0 || atBid == 0 {
		t.Errorf("trades: %d at the bid, %d at the ask, %d inside; want some of each", atBid, atAsk, inside)
	}
}

type tradeJSON struct {
	Ts, Sym, Px string
	Qty         int64
	Side        string
	TradeID     int64 `json:"trade_id"`
	Venue       string
	Source      string
	SourceSeq   int64 `json:"source_seq"`
}

type quoteJSON struct {
	Ts, Sym, Bid, Ask string
	BidSize           int64 `json:"bid_size"`
	AskSize           int64 `json:"ask_size"`
	Venue             string
	Source            string
	SourceSeq         int64 `json:"source_seq"`
}

// decodeLines decodes each line strictly: known keys only, prices strings,
// sizes numbers.
func decodeLines[T any](t *testing.T, data []byte, rec func(*T) []string) [][]string {
	t.Helper()
	var out [][]string
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		d := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		d.DisallowUnknownFields()
		var v T
		if err := d.Decode(&v); err != nil || !json.Valid(sc.Bytes()) {
			t.Fatalf("line %d: %v\n%s", n, err, sc.Bytes())
		}
		out = append(out, rec(&v))
	}
	return out
}

func readTradesJSON(t *testing.T, data []byte) [][]string {
	return decodeLines(t, data, func(v *tradeJSON) []string {
		return []string{v.Ts, v.Sym, v.Px, itoa(v.Qty), v.Side, itoa(v.TradeID), v.Venue, v.Source, itoa(v.SourceSeq)}
	})
}

func readQuotesJSON(t *testing.T, data []byte) [][]string {
	return decodeLines(t, data, func(v *quoteJSON) []string {
		return []string{v.Ts, v.Sym, v.Bid, v.Ask, itoa(v.BidSize), itoa(v.AskSize), v.Venue, v.Source, itoa(v.SourceSeq)}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func compareRecords(t *testing.T, table string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d NDJSON rows, %d CSV rows", table, len(got), len(want))
	}
	for i := range got {
		if strings.Join(got[i], ",") != strings.Join(want[i], ",") {
			t.Fatalf("%s row %d: NDJSON %v, CSV %v", table, i+1, got[i], want[i])
		}
	}
}

// TestTicksRate checks the average rate and that bursts make the ticks
// overdispersed: per-second counts of a Poisson process have a variance equal
// to their mean.
func TestTicksRate(t *testing.T) {
	o := TickOptions{Seed: 5, Symbols: 2, Rate: 5}
	trades, quotes, st := genTicks(t, o, TickCSV)
	want := o.Rate * float64(o.Symbols) * float64(tickWindowNs/1e9)
	if got := float64(st.Trades + st.Quotes); math.Abs(got/want-1) > 0.05 {
		t.Errorf("%.0f ticks, want about %.0f", got, want)
	}
	perSec := map[string]float64{} // "sym hh:mm:ss"
	for _, data := range [][]byte{trades, quotes} {
		for _, line := range bytes.Split(data, []byte("\n"))[1:] {
			if f := bytes.SplitN(line, []byte(","), 3); len(f) == 3 {
				perSec[string(f[1])+string(f[0][11:19])]++
			}
		}
	}
	secs := float64(o.Symbols) * float64(tickWindowNs/1e9)
	var sum, sumSq float64
	for _, c := range perSec {
		sum += c
		sumSq += c * c
	}
	mean := sum / secs
	dispersion := (sumSq/secs - mean*mean) / mean
	if dispersion < 2 {
		t.Errorf("per-second dispersion %.2f (mean %.2f): no bursts?", dispersion, mean)
	}
	t.Logf("%+v; per second and symbol: mean %.2f, dispersion %.2f", st, mean, dispersion)
}

// TestTicksTies: symbols due at the same ns tick one ns apart, in symbol
// order, so that no two rows share a ts.
func TestTicksTies(t *testing.T) {
	g := newTickGen(TickOptions{Seed: 1, Symbols: 5, Rate: 1, Start: StartDefault})
	g.out = &tickText{trades: newTickTable(nil, TickCSV, tradesHeader, "gen"),
		quotes: newTickTable(nil, TickCSV, quotesHeader, "gen")}
	g.openDay()
	due := g.day.midnight + tickOpenNs + 1000
	g.heap = g.heap[:0]
	for i := range g.syms {
		g.syms[i].next = due
		g.heap = append(g.heap, int32(len(g.syms)-1-i))
	}
	for i := len(g.heap)/2 - 1; i >= 0; i-- {
		g.siftDown(i)
	}
	for i := range g.syms {
		if g.heap[0] != int32(i) {
			t.Fatalf("tick %d is symbol %d, want %d", i, g.heap[0], i)
		}
		g.next()
		if want := due + int64(i); g.last != want {
			t.Fatalf("tick %d at %d, want %d", i, g.last, want)
		}
	}
}

func TestTicksOptionsErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		o    TickOptions
		f    TickFormat
	}{
		{"negative symbols", TickOptions{Symbols: -1}, TickCSV},
		{"too many symbols", TickOptions{Symbols: tickSymbolsMax + 1}, TickCSV},
		{"negative days", TickOptions{Days: -1}, TickCSV},
		{"too many days", TickOptions{Days: daysMax + 1}, TickCSV},
		{"start not midnight", TickOptions{Start: StartDefault + 1}, TickCSV},
		{"negative rate", TickOptions{Rate: -1}, TickCSV},
		{"rate too low", TickOptions{Rate: tickRateMin / 2}, TickCSV},
		{"rate NaN", TickOptions{Rate: math.NaN()}, TickCSV},
		{"rate too high", TickOptions{Rate: tickRateMax * 2}, TickCSV},
		{"total rate too high", TickOptions{Symbols: 100, Rate: tickRateMax}, TickCSV},
		{"source with comma", TickOptions{Source: "a,b"}, TickCSV},
		{"source with quote", TickOptions{Source: `a"b`}, TickNDJSON},
		{"source too long", TickOptions{Source: strings.Repeat("s", tickSourceMax+1)}, TickCSV},
		{"unknown format", TickOptions{}, tickFormatCount},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := GenerateTicks(io.Discard, io.Discard, tc.o, tc.f); !errors.Is(err, ErrOptions) {
				t.Fatalf("err = %v, want ErrOptions", err)
			}
		})
	}
}

func TestParseTickFormat(t *testing.T) {
	for f := range tickFormatCount {
		if got, err := ParseTickFormat(f.String()); got != f || err != nil {
			t.Errorf("ParseTickFormat(%q) = %v, %v", f.String(), got, err)
		}
	}
	if _, err := ParseTickFormat("parquet"); !errors.Is(err, ErrOptions) {
		t.Errorf("ParseTickFormat(parquet): err = %v", err)
	}
}

func TestTicksWriteError(t *testing.T) {
	o := TickOptions{Seed: 1, Rate: 1}
	if _, err := GenerateTicks(&failWriter{n: 100_000}, io.Discard, o, TickCSV); err == nil {
		t.Error("no error from a failing trades writer")
	}
	if _, err := GenerateTicks(io.Discard, &failWriter{n: 100_000}, o, TickNDJSON); err == nil {
		t.Error("no error from a failing quotes writer")
	}
}

func TestTicksWeekendStart(t *testing.T) {
	o := TickOptions{Seed: 1, Symbols: 2, Rate: 0.01}
	ta, qa, _ := genTicks(t, o, TickCSV)
	o.Start = saturday
	tb, qb, _ := genTicks(t, o, TickCSV)
	if !bytes.Equal(ta, tb) || !bytes.Equal(qa, qb) {
		t.Fatal("a Saturday start should move to the Monday")
	}
}

// TestTicksConstantMemory: all allocations happen before the first row, so
// more days or a higher rate allocate nothing more.
func TestTicksConstantMemory(t *testing.T) {
	allocs := func(o TickOptions) float64 {
		return testing.AllocsPerRun(1, func() {
			if _, err := GenerateTicks(io.Discard, io.Discard, o, TickCSV); err != nil {
				t.Fatal(err)
			}
		})
	}
	base := allocs(TickOptions{Seed: 1, Rate: 0.01})
	for _, o := range []TickOptions{{Seed: 1, Rate: 0.01, Days: 20}, {Seed: 1, Rate: 0.5}} {
		if got := allocs(o); got != base {
			t.Errorf("%+v: %.0f allocations, %.0f for one day at rate 0.01", o, got, base)
		}
	}
}

func TestExpTable(t *testing.T) {
	for _, x := range []uint64{1, 2, 3, 100, 255, 256} {
		got := float64(log2Q32(x)) / (1 << 32)
		if want := math.Log2(float64(x)); math.Abs(got-want) > 1e-8 {
			t.Errorf("log2Q32(%d) = %.10f, want %.10f", x, got, want)
		}
	}
	for i, q := range expQ16 {
		want := -math.Log(1-float64(i)/expBins) * (1 << expFracBits)
		if math.Abs(float64(q)-want) > 1 {
			t.Errorf("expQ16[%d] = %d, want %.2f", i, q, want)
		}
	}
	g := newTickGen(TickOptions{Seed: 1, Symbols: 1})
	const n = 200_000
	var sum float64
	for range n {
		sum += float64(expUnitQ16(g.rng))
	}
	if mean := sum / n / (1 << expFracBits); math.Abs(mean-1) > 0.01 {
		t.Errorf("mean of %d unit exponential draws %.4f", n, mean)
	}
}

func BenchmarkGenerateTicks(b *testing.B) {
	o := TickOptions{Seed: 1, Rate: 2} // 10 symbols, one day: 468k rows
	for f := range tickFormatCount {
		b.Run(f.String(), func(b *testing.B) {
			var tw, qw countWriter
			st, err := GenerateTicks(&tw, &qw, o, f)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(tw.n + qw.n)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if _, err := GenerateTicks(io.Discard, io.Discard, o, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(st.Trades+st.Quotes)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
