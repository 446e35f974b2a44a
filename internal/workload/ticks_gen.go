package workload

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

const (
	pxScale   = 4               // decimals of every price column
	pxOne     = int64(10_000)   // 1.0000
	tickCents = int64(100)      // 0.01, the tick at or above pxOne
	tickSub   = int64(1)        // 0.0001, the tick below pxOne
	pxMin     = tickSub         // lowest bid
	pxMax     = 100_000 * pxOne // highest bid; asks stay below 2*pxMax

	tickOpenNs   = 9*hourNs + 30*60*1e9 // 09:30 UTC
	tickCloseNs  = 16 * hourNs          // 16:00 UTC
	tickWindowNs = tickCloseNs - tickOpenNs

	tradePermille      = 200 // of the ticks after a symbol's first quote of the day
	insideTradePercent = 10  // of the trades, when the spread is above one tick
	oddLotTradePercent = 12
	oddLotQuotePercent = 3

	// Each symbol alternates calm spells and bursts, both of exponential
	// length, and opens every day with a burst. A burst multiplies the rate
	// by burstXMin..burstXMax (5.5 on average); bursts take a
	// burstMeanNs/(burstMeanNs+calmMeanNs) = 5% share of the time, so the
	// average rate is 0.95+0.05*5.5 = 1.225 times the calm rate.
	burstMeanNs         = 2e9
	calmMeanNs          = 38e9
	burstXMin           = 3
	burstXMax           = 8
	loadPermille        = 1225
	activityMin         = 1 // a symbol's share of the ticks goes with its activity
	activityMax         = 4
	volBpMin, volBpMax  = 100, 300 // daily volatility of a symbol, basis points of its price
	walkStepsMax        = 4096     // steps of one tick per quote; the rest of the variance is dropped
	spreadStepTicks     = 20_000   // one more tick of base spread per 20000 ticks of price (0.5 bp)
	subDollarPercent    = 10       // of the "SYM" symbols start below 1.0000
	tradeIDSkipMax      = 3        // trade ids skip 0..3 numbers, as if other feeds used them
	tickStartPxMinCents = 10_00
	tickStartPxMaxCents = 500_00
)

var tickNames = [...]string{"AAPL", "MSFT", "AMZN", "NVDA", "GOOG", "META", "TSLA", "JPM", "XOM", "KO"}

// tickSym is one symbol's state; prices are in 10^-pxScale.
type tickSym struct {
	name      []byte
	calmGapNs int64 // mean gap between ticks outside bursts
	volBp     int64
	bid, ask  int64
	quoted    bool  // a quote was written today, so trades may follow
	varDayQ16 int64 // variance of the walk over a trading day, ticks² in 1/65536ths
	varQ16    int64 // accrued variance not yet walked
	lastQuote int64 // ts of the last quote, or of today's open
	next      int64 // ts of the next tick
	burstX    int64 // rate multiplier: 1 when calm
	burstAt   int64 // when calm: ts from which the next tick starts a burst
	burstEnd  int64 // in a burst: ts from which the next tick ends it
}

// tickDay is the business day being generated.
type tickDay struct {
	midnight int64
	prefix   []byte // "2026-01-05T"
}

type tickGen struct {
	rng     *rand.PCG
	syms    []tickSym
	heap    []int32 // symbols that tick again today, by next ts
	day     tickDay // openDay moves it to the next business day
	close   int64   // today's 16:00
	last    int64   // ts of the last row of either table
	tradeID int64
	out     tickSink
	stats   TickStats
}

// tickSink receives the generated rows: text tables (tickText) or Arrow
// batches (tickBatches).
type tickSink interface {
	writeTrade(d *tickDay, sym []byte, r tradeRow) // by value: a pointer would escape through the interface
	writeQuote(d *tickDay, sym []byte, r quoteRow)
	ok() bool
}

func newTickGen(o TickOptions) *tickGen {
	g := &tickGen{
		rng:  rand.NewPCG(uint64(o.Seed), tickPCGStream),
		syms: make([]tickSym, o.Symbols),
		heap: make([]int32, 0, o.Symbols),
		day:  tickDay{midnight: o.Start - dayNs, prefix: make([]byte, 0, len("2006-01-02T"))},
		last: -1,
	}
	var activitySum int64
	activity := make([]int64, o.Symbols)
	for i := range g.syms {
		s := &g.syms[i]
		s.name = tickName(i)
		s.bid = g.startPx(i)
		s.volBp = volBpMin + g.below(volBpMax-volBpMin+1)
		activity[i] = activityMin + g.below(activityMax-activityMin+1)
		activitySum += activity[i]
	}
	for i := range g.syms {
		// Single IEEE operations, each correctly rounded: the same on every GOARCH.
		gap := 1e6 * loadPermille * float64(activitySum) / (float64(int64(o.Symbols)*activity[i]) * o.Rate)
		g.syms[i].calmGapNs = max(1, int64(gap))
	}
	return g
}

func tickName(i int) []byte {
	if i < len(tickNames) {
		return []byte(tickNames[i])
	}
	return appendPadded([]byte("SYM"), int64(i+1), 4)
}

func (g *tickGen) startPx(i int) int64 {
	if i >= len(tickNames) && g.below(100) < subDollarPercent {
		return 500 + g.below(pxOne-500) // 0.0500..0.9999
	}
	cents := tickStartPxMinCents + g.below(tickStartPxMaxCents-tickStartPxMinCents+1)
	return cents * tickCents
}

// below returns a number in [0, n), n > 0, with a bias under n/2^64.
func (g *tickGen) below(n int64) int64 {
	hi, _ := bits.Mul64(g.rng.Uint64(), uint64(n))
	return int64(hi)
}

// expGap draws an exponential gap of mean meanNs, at least 1 ns.
func (g *tickGen) expGap(meanNs int64) int64 {
	return max(1, mulDiv(meanNs, expUnitQ16(g.rng), 1<<expFracBits))
}

func (g *tickGen) run(days int64) {
	for d := int64(0); d < days && g.out.ok(); d++ {
		g.openDay()
		for len(g.heap) > 0 && g.out.ok() {
			g.next()
		}
	}
}

// openDay moves to the next business day and schedules every symbol's first
// tick after the open.
func (g *tickGen) openDay() {
	g.day.midnight += dayNs
	for isWeekend(g.day.midnight) {
		g.day.midnight += dayNs
	}
	g.day.prefix = time.Unix(0, g.day.midnight).UTC().AppendFormat(g.day.prefix[:0], "2006-01-02T")
	open := g.day.midnight + tickOpenNs
	g.close = g.day.midnight + tickCloseNs
	g.heap = g.heap[:0]
	for i := range g.syms {
		s := &g.syms[i]
		s.quoted = false
		s.lastQuote = open
		s.burstX, s.burstAt, s.burstEnd = 1, open, 0
		sigmaQ8 := s.bid * s.volBp << 8 / (10_000 * tickAt(s.bid)) // ticks in 1/256ths
		s.varDayQ16 = sigmaQ8 * sigmaQ8
		s.next = open + g.expGap(s.calmGapNs)
		if s.next < g.close {
			g.heap = append(g.heap, int32(i))
		}
	}
	for i := len(g.heap)/2 - 1; i >= 0; i-- {
		g.siftDown(i)
	}
}

// next writes the earliest symbol's tick and reschedules it.
func (g *tickGen) next() {
	s := &g.syms[g.heap[0]]
	ts := max(s.next, g.last+1) // ties across symbols: rows of both tables never share a ts
	if ts < g.close {
		g.tick(s, ts)
		g.last = ts
		s.next = ts + g.expGap(s.calmGapNs/s.burstX)
		if s.next < g.close {
			g.siftDown(0)
			return
		}
	}
	last := len(g.heap) - 1
	g.heap[0] = g.heap[last]
	g.heap = g.heap[:last]
	g.siftDown(0)
}

func (g *tickGen) before(a, b int32) bool {
	na, nb := g.syms[a].next, g.syms[b].next
	return na < nb || na == nb && a < b
}

func (g *tickGen) siftDown(i int) {
	h := g.heap
	for {
		least, l, r := i, 2*i+1, 2*i+2
		if l < len(h) && g.before(h[l], h[least]) {
			least = l
		}
		if r < len(h) && g.before(h[r], h[least]) {
			least = r
		}
		if least == i {
			return
		}
		h[i], h[least] = h[least], h[i]
		i = least
	}
}

// tick writes one row for s at ts.
func (g *tickGen) tick(s *tickSym, ts int64) {
	if s.burstEnd != 0 && ts >= s.burstEnd {
		s.burstX, s.burstEnd = 1, 0
		s.burstAt = ts + g.expGap(calmMeanNs)
	} else if s.burstEnd == 0 && ts >= s.burstAt {
		s.burstX = burstXMin + g.below(burstXMax-burstXMin+1)
		s.burstEnd = ts + g.expGap(burstMeanNs)
	}
	if !s.quoted || g.below(1000) >= tradePermille {
		g.quote(s, ts)
	} else {
		g.trade(s, ts)
	}
}

func (g *tickGen) quote(s *tickSym, ts int64) {
	g.walk(s, ts)
	tk := tickAt(s.bid)
	spread := 1 + s.bid/(spreadStepTicks*tk) + g.spreadExtra()
	s.ask = onGridUp(s.bid + spread*tk)
	s.quoted = true
	r := quoteRow{ts: ts, bid: s.bid, ask: s.ask, bidSize: g.lotSize(oddLotQuotePercent),
		askSize: g.lotSize(oddLotQuotePercent), venue: g.venue()}
	g.out.writeQuote(&g.day, s.name, r)
	g.stats.Quotes++
}

// walk moves the bid by the variance accrued since the last quote, in steps
// of one tick up or down.
func (g *tickGen) walk(s *tickSym, ts int64) {
	s.varQ16 += mulDiv(ts-s.lastQuote, s.varDayQ16, tickWindowNs)
	s.lastQuote = ts
	steps := min(s.varQ16>>16, walkStepsMax)
	s.varQ16 &= 1<<16 - 1
	var net int64
	for steps > 0 {
		n := min(steps, 64)
		r := g.rng.Uint64()
		if n < 64 {
			r &= 1<<n - 1
		}
		net += 2*int64(bits.OnesCount64(r)) - n
		steps -= n
	}
	if net != 0 {
		s.bid = movePx(s.bid, net)
	}
}

// spreadExtra is the ticks of spread above the symbol's base.
func (g *tickGen) spreadExtra() int64 {
	switch r := g.below(100); {
	case r < 70:
		return 0
	case r < 90:
		return 1
	case r < 97:
		return 2
	default:
		return 3 + g.below(3)
	}
}

func (g *tickGen) trade(s *tickSym, ts int64) {
	r := tradeRow{ts: ts, px: s.bid, side: 'S'}
	tk := tickAt(s.bid)
	if n := (s.ask - s.bid) / tk; n > 1 && g.below(100) < insideTradePercent {
		r.px = onGridDown(s.bid + tk*(1+g.below(n-1)))
		if 2*r.px >= s.bid+s.ask {
			r.side = 'B'
		}
	} else if g.below(2) == 0 {
		r.px, r.side = s.ask, 'B'
	}
	if r.px < s.bid || r.px > s.ask {
		panic("BUG: trade price outside the quote")
	}
	r.qty = g.lotSize(oddLotTradePercent)
	g.tradeID += 1 + g.below(tradeIDSkipMax+1)
	r.tradeID = g.tradeID
	r.venue = g.venue()
	g.out.writeTrade(&g.day, s.name, r)
	g.stats.Trades++
}

// lotSize draws a size: mostly round lots of 100, skewed to the small ones.
func (g *tickGen) lotSize(oddPercent int64) int64 {
	r := g.below(100)
	switch {
	case r < oddPercent:
		return 1 + g.below(99)
	case r < 55:
		return 100
	case r < 85:
		return 100 * (2 + g.below(4))
	case r < 97:
		return 100 * (6 + g.below(15))
	default:
		return 100 * (21 + g.below(80))
	}
}

func (g *tickGen) venue() uint8 {
	r := uint64(g.below(100))
	for v, p := range tickVenuePercent {
		if r < p {
			return uint8(v)
		}
		r -= p
	}
	panic("BUG: tick venue shares do not sum to 100")
}

// Price grid.

// tickAt is the tick of a price: 0.01 from 1.0000 up, 0.0001 below.
func tickAt(px int64) int64 {
	if px >= pxOne {
		return tickCents
	}
	return tickSub
}

// onGridDown rounds a multiple of tickSub down onto the grid.
func onGridDown(px int64) int64 {
	if px >= pxOne {
		return px - px%tickCents
	}
	return px
}

// onGridUp rounds a multiple of tickSub up onto the grid.
func onGridUp(px int64) int64 {
	if px > pxOne && px%tickCents != 0 {
		return px - px%tickCents + tickCents
	}
	return px
}

// movePx moves a bid by net ticks of its own price, onto the grid and
// within [pxMin, pxMax].
func movePx(bid, net int64) int64 {
	px := bid + net*tickAt(bid)
	if px < pxMin {
		px = min(2*pxMin-px, pxOne-tickSub) // reflect off the floor
	}
	return min(onGridDown(px), pxMax)
}
