package workload

import "strconv"

// asset is one currency or instrument of the workload. Balances are tracked
// exactly, as int64 counts of 10^-trackScale; trackScale is below scale only
// where 10^-scale units would overflow an int64 (ETH at 18 decimals), and the
// written amounts are then padded with zeros up to scale.
type asset struct {
	code       string
	scale      int // decimals the ledger allows
	trackScale int // decimals tracked here, <= scale
	// Amounts are drawn log-uniformly over the decades
	// [10^expMin, 10^expMax) of tracked units.
	expMin, expMax int
	weight         int // relative share of the activity
}

var assetTable = []asset{
	{code: "USD", scale: 2, trackScale: 2, expMin: 2, expMax: 7, weight: 30},   // 1.00 .. 99999.99
	{code: "EUR", scale: 2, trackScale: 2, expMin: 2, expMax: 7, weight: 20},   // 1.00 .. 99999.99
	{code: "JPY", scale: 0, trackScale: 0, expMin: 2, expMax: 8, weight: 10},   // 100 .. 99999999
	{code: "BTC", scale: 8, trackScale: 8, expMin: 4, expMax: 10, weight: 15},  // 0.0001 .. 99.99999999
	{code: "ETH", scale: 18, trackScale: 9, expMin: 6, expMax: 11, weight: 10}, // 0.001 .. 99.999999999
	{code: "AAPL", scale: 0, trackScale: 0, expMin: 0, expMax: 4, weight: 15},  // 1 .. 9999 shares
}

const (
	overflowDigits = 40 // beyond any 128-bit amount
	roundPermille  = 300
	trimPermille   = 250
)

var pow10 = func() (p [19]int64) {
	p[0] = 1
	for i := 1; i < len(p); i++ {
		p[i] = p[i-1] * 10
	}
	return p
}()

// amountIn draws an amount of tracked units log-uniformly over the decades
// [10^expLo, 10^expHi), sometimes rounded to two significant digits.
func (g *gen) amountIn(expLo, expHi int) int64 {
	e := expLo + g.rng.IntN(expHi-expLo)
	v := pow10[e] + g.rng.Int64N(9*pow10[e])
	if g.rng.IntN(1000) < roundPermille {
		v = roundDown2(v)
	}
	return v
}

// depositAmount is a deposit's size: the upper decades of the asset.
func (g *gen) depositAmount(ai int) int64 {
	a := &assetTable[ai]
	return g.amountIn(a.expMin+1, a.expMax)
}

// transferAmount is a transfer's size, at most roomMax (> 0).
func (g *gen) transferAmount(ai int, roomMax int64) int64 {
	a := &assetTable[ai]
	v := g.amountIn(a.expMin, a.expMax-1)
	if v <= roomMax {
		return v
	}
	v = 1 + g.rng.Int64N(roomMax)
	if r := roundDown2(v); r > 0 && g.rng.IntN(1000) < roundPermille {
		v = r
	}
	return v
}

// roundDown2 keeps the two leading digits of v > 0.
func roundDown2(v int64) int64 {
	p := int64(1)
	for v/p >= 100 {
		p *= 10
	}
	return v / p * p
}

// appendAmount writes units of asset ai as a decimal string, either with all
// scale decimals ("10.50") or with trailing zeros trimmed ("10.5", "10").
func appendAmount(b []byte, ai int, units int64, trim bool) []byte {
	a := &assetTable[ai]
	if units < 0 {
		panic("BUG: workload negative amount")
	}
	p := pow10[a.trackScale]
	b = strconv.AppendInt(b, units/p, 10)
	var digits [18]byte
	frac := units % p
	for i := a.trackScale - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	for i := a.trackScale; i < a.scale; i++ {
		digits[i] = '0'
	}
	n := a.scale
	for trim && n > 0 && digits[n-1] == '0' {
		n--
	}
	if n > 0 {
		b = append(b, '.')
		b = append(b, digits[:n]...)
	}
	return b
}

// appendAmountRandom is appendAmount with a random choice of form.
func (g *gen) appendAmountRandom(b []byte, ai int, units int64) []byte {
	return appendAmount(b, ai, units, g.rng.IntN(1000) < trimPermille)
}
