package workload

import (
	"math/bits"
	"math/rand/v2"
)

// Exponential gaps without floats: math.Log may differ in the last bit
// between GOARCHes (assembly versions, fused multiply-adds), and one flipped
// bit in one gap would shift every later ts. The inverse CDF of the unit
// exponential is tabulated at expBins quantiles with integer arithmetic only,
// and a draw interpolates linearly inside a uniformly chosen bin; the last
// bin is the tail, drawn again past its start as the exponential is
// memoryless.

const (
	expBins     = 256
	expFracBits = 16 // the table is in 1/65536ths of the mean
	expTailMax  = 8  // redraws in the tail; one more has odds 256^-8
	ln2Q32      = 0xB17217F8
)

// expQ16[i] is -ln(1 - i/expBins) in 1/65536ths.
var expQ16 = func() (q [expBins]int64) {
	const log2Bins = 8 // log2(expBins)
	for i := range q {
		// -ln(1 - i/256) = ln2 * (8 - log2(256 - i))
		x := uint64(log2Bins<<32) - log2Q32(uint64(expBins-i))
		hi, lo := bits.Mul64(x, ln2Q32) // Q64
		q[i] = int64(hi<<expFracBits | lo>>(64-expFracBits))
	}
	return q
}()

// log2Q32 returns log2(x) for x >= 1 in Q32, truncated, by repeated squaring
// of the mantissa: each squaring yields one bit of the fraction.
func log2Q32(x uint64) uint64 {
	k := uint64(bits.Len64(x) - 1)
	y := x << (62 - k) // the mantissa in [1, 2) as Q62
	var frac uint64
	for range 32 {
		hi, lo := bits.Mul64(y, y) // Q124 in [1, 4)
		y = hi<<2 | lo>>62
		frac <<= 1
		if y >= 1<<63 {
			frac |= 1
			y >>= 1
		}
	}
	return k<<32 | frac
}

// expUnitQ16 draws a unit exponential in 1/65536ths.
func expUnitQ16(rng *rand.PCG) int64 {
	var q int64
	r := rng.Uint64()
	for range expTailMax {
		if r>>56 != expBins-1 {
			break
		}
		q += expQ16[expBins-1]
		r = rng.Uint64()
	}
	i := min(r>>56, expBins-2) // bin expBins-1 only after expTailMax redraws
	frac := int64(r >> 40 & (1<<expFracBits - 1))
	lo, hi := expQ16[i], expQ16[i+1]
	return q + lo + (hi-lo)*frac>>expFracBits
}
