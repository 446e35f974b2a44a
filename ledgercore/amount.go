package ledgercore

import (
	"math/bits"
)

// Amount is an exact signed integer in an asset's minor unit, 128 bits wide
// (two's complement). Its magnitude never exceeds AmountMax = 10^38-1; an
// asset's amounts and balances are further held to IntegerDigitsMax digits
// before the decimal point (see AmountMaxFor), so that every value of every
// asset fits one column type exactly: Arrow decimal128(38, 18), DuckDB
// DECIMAL(38, 18) and ClickHouse Decimal128(18), as well as decimal128(38, s)
// at the asset's own scale s.
type Amount struct {
	hi int64
	lo uint64
}

// amountDigitsMax is the number of decimal digits an Amount may have.
const amountDigitsMax = 38

// ScaleMax is the largest number of decimal places an asset may have.
const ScaleMax = 18

// AmountMax is 10^38 - 1, the largest magnitude of an Amount.
var AmountMax = Amount{hi: 0x4b3b4ca85a86c47a, lo: 0x098a223fffffffff}

// IntegerDigitsMax is how many digits an amount or balance may have before
// the decimal point, in any asset: 38 digits in all minus the 18 that the
// largest scale needs after it.
const IntegerDigitsMax = amountDigitsMax - ScaleMax

// amountMaxByScale[s] is 10^(IntegerDigitsMax+s) - 1.
var amountMaxByScale = func() (t [ScaleMax + 1]Amount) {
	var hi, lo uint64 = 0, 1
	for range IntegerDigitsMax {
		hi, lo = mulAdd10(hi, lo, 0)
	}
	for s := range t {
		m := Amount{hi: int64(hi), lo: lo}
		t[s], _ = m.Sub(AmountFromInt64(1))
		hi, lo = mulAdd10(hi, lo, 0)
	}
	return t
}()

// AmountMaxFor is the largest magnitude of an amount or balance of an asset
// with the given scale: 10^(20+scale) - 1 minor units, i.e. at most
// IntegerDigitsMax digits before the decimal point.
func AmountMaxFor(scale uint8) Amount { return amountMaxByScale[scale] }

// Within reports whether |a| <= limit.
func (a Amount) Within(limit Amount) bool {
	hi, lo := a.abs()
	lhi, llo := uint64(limit.hi), limit.lo
	return hi < lhi || (hi == lhi && lo <= llo)
}

// AmountFromInt64 returns v as an Amount.
func AmountFromInt64(v int64) Amount {
	return Amount{hi: v >> 63, lo: uint64(v)}
}

// AmountFromParts returns the Amount with the given two's complement halves.
// It is the inverse of Parts; values beyond ±AmountMax are reported as !ok.
func AmountFromParts(hi int64, lo uint64) (Amount, bool) {
	a := Amount{hi: hi, lo: lo}
	return a, a.inRange()
}

// Parts returns the two's complement halves of a (high word signed).
func (a Amount) Parts() (hi int64, lo uint64) { return a.hi, a.lo }

// IsZero reports whether a == 0.
func (a Amount) IsZero() bool { return a.hi == 0 && a.lo == 0 }

// Sign returns -1, 0 or +1.
func (a Amount) Sign() int {
	switch {
	case a.hi < 0:
		return -1
	case a.hi == 0 && a.lo == 0:
		return 0
	default:
		return 1
	}
}

// Neg returns -a. It cannot overflow because the range is symmetric.
func (a Amount) Neg() Amount {
	lo, borrow := bits.Sub64(0, a.lo, 0)
	hi := -a.hi - int64(borrow)
	return Amount{hi: hi, lo: lo}
}

// Cmp compares a and b: -1 if a < b, 0 if equal, +1 if a > b.
func (a Amount) Cmp(b Amount) int {
	switch {
	case a.hi < b.hi:
		return -1
	case a.hi > b.hi:
		return 1
	case a.lo < b.lo:
		return -1
	case a.lo > b.lo:
		return 1
	}
	return 0
}

// Add returns a + b and false when the result leaves ±AmountMax.
func (a Amount) Add(b Amount) (Amount, bool) {
	lo, carry := bits.Add64(a.lo, b.lo, 0)
	hi := a.hi + b.hi + int64(carry)
	r := Amount{hi: hi, lo: lo}
	// Operands are within ±(10^38-1) < 2^127/1.7, so the 128-bit sum cannot wrap.
	return r, r.inRange()
}

// Sub returns a - b and false when the result leaves ±AmountMax.
func (a Amount) Sub(b Amount) (Amount, bool) {
	return a.Add(b.Neg())
}

// abs returns the magnitude of a as an unsigned 128-bit pair.
func (a Amount) abs() (hi, lo uint64) {
	if a.hi < 0 {
		n := a.Neg()
		return uint64(n.hi), n.lo
	}
	return uint64(a.hi), a.lo
}

func (a Amount) inRange() bool { return a.Within(AmountMax) }

// ParseAmount parses decimal text such as "-12.5" into minor units of an asset
// with the given scale. Text with more fractional digits than scale is
// rejected with CodeScaleExceeded (never rounded); more than
// IntegerDigitsMax digits before the point is CodeAmountOverflow; trailing zeros count as digits ("1.500" is
// rejected for scale 2); anything that is not plain decimal text
// (exponents, '+', spaces, empty parts) is CodeInvalidAmount.
func ParseAmount(text string, scale uint8) (Amount, Code) {
	if scale > ScaleMax {
		return Amount{}, CodeInvalidScale
	}
	s := text
	neg := false
	if len(s) > 0 && s[0] == '-' {
		neg = true
		s = s[1:]
	}
	var hi, lo uint64
	digits, frac, sawDot, sawDigit, overflow := 0, 0, false, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if sawDot || !sawDigit || i == len(s)-1 {
				return Amount{}, CodeInvalidAmount
			}
			sawDot = true
			continue
		}
		if c < '0' || c > '9' {
			return Amount{}, CodeInvalidAmount
		}
		sawDigit = true
		if sawDot {
			frac++
		}
		if digits == 0 && c == '0' {
			continue // leading zeros carry no digits
		}
		digits++
		if digits > amountDigitsMax {
			overflow = true // keep checking the syntax and the scale first
			continue
		}
		hi, lo = mulAdd10(hi, lo, uint64(c-'0'))
	}
	switch {
	case !sawDigit:
		return Amount{}, CodeInvalidAmount
	case frac > int(scale):
		return Amount{}, CodeScaleExceeded
	case overflow:
		return Amount{}, CodeAmountOverflow
	}
	for ; frac < int(scale); frac++ {
		if digits > 0 {
			digits++
		}
		if digits > amountDigitsMax {
			return Amount{}, CodeAmountOverflow
		}
		hi, lo = mulAdd10(hi, lo, 0)
	}
	a := Amount{hi: int64(hi), lo: lo}
	if !a.Within(AmountMaxFor(scale)) {
		return Amount{}, CodeAmountOverflow
	}
	if neg {
		a = a.Neg()
	}
	return a, CodeNone
}

func mulAdd10(hi, lo, d uint64) (uint64, uint64) {
	h, l := bits.Mul64(lo, 10)
	l, carry := bits.Add64(l, d, 0)
	return hi*10 + h + carry, l
}

// pow10x19 is 10^19, the largest power of ten below 2^64.
const pow10x19 = 10_000_000_000_000_000_000

// AppendDecimal appends a as decimal text with scale fractional digits
// ("-12.50" for -1250 at scale 2). It is the inverse of ParseAmount.
func (a Amount) AppendDecimal(dst []byte, scale uint8) []byte {
	var buf [48]byte
	hi, lo := a.abs()
	i := len(buf)
	// Split the magnitude into base-10^19 chunks, least significant first.
	var chunks [3]uint64
	n := 0
	for hi != 0 || lo != 0 || n == 0 {
		qhi := hi / pow10x19
		qlo, r := bits.Div64(hi%pow10x19, lo, pow10x19)
		chunks[n] = r
		n++
		hi, lo = qhi, qlo
	}
	for k := 0; k < n; k++ {
		c := chunks[k]
		last := k == n-1
		for j := 0; j < 19 && (!last || c != 0 || j == 0); j++ {
			i--
			buf[i] = byte('0' + c%10)
			c /= 10
		}
	}
	intDigits := buf[i:]
	if a.hi < 0 {
		dst = append(dst, '-')
	}
	if scale == 0 {
		return append(dst, intDigits...)
	}
	sc := int(scale)
	if len(intDigits) <= sc {
		dst = append(dst, '0', '.')
		for z := len(intDigits); z < sc; z++ {
			dst = append(dst, '0')
		}
		return append(dst, intDigits...)
	}
	dst = append(dst, intDigits[:len(intDigits)-sc]...)
	dst = append(dst, '.')
	return append(dst, intDigits[len(intDigits)-sc:]...)
}

// Decimal returns a as decimal text with scale fractional digits.
func (a Amount) Decimal(scale uint8) string {
	return string(a.AppendDecimal(nil, scale))
}

// String returns a in minor units (scale 0).
func (a Amount) String() string { return a.Decimal(0) }
