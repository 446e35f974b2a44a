package columnar

import (
	"errors"
	"fmt"
	"math/bits"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/ledgercore"
)

// Errors of the decimal conversions, wrapped with the value that caused them.
var (
	// ErrInvalidDecimal: not plain decimal text (-?digits(.digits)?), or a
	// scale above ledgercore.ScaleMax.
	ErrInvalidDecimal = errors.New("invalid decimal")
	// ErrScaleExceeded: more fractional digits than the scale allows.
	ErrScaleExceeded = errors.New("scale exceeded")
	// ErrDecimalOverflow: more integer digits than the type allows.
	ErrDecimalOverflow = errors.New("decimal overflow")
)

// Limits of the conversions.
const (
	// tickTextBytesMax is the longest decimal text ParseTickDecimal reads.
	tickTextBytesMax = 64
	// tickIntegerDigitsMax is the most digits before the point of a
	// decimal128(18, 8).
	tickIntegerDigitsMax = tickPrecision - tickScale
	// quoteBytesMax is the most bytes of a bad value an error message quotes.
	quoteBytesMax = 64
)

// pow10 holds 10^0 .. 10^19 (10^19 < 2^64).
var pow10 = func() (t [20]uint64) {
	t[0] = 1
	for i := 1; i < len(t); i++ {
		t[i] = t[i-1] * 10
	}
	return t
}()

// moneyHiMax[s] is the high word of ledgercore.AmountMaxFor(s) = 10^(20+s)-1,
// that is floor(10^(20+s) / 2^64): an amount whose high word lies strictly
// between -moneyHiMax[s] and moneyHiMax[s] is within AmountMaxFor(s).
var moneyHiMax = func() (t [ledgercore.ScaleMax + 1]int64) {
	for s := range t {
		t[s], _ = ledgercore.AmountMaxFor(uint8(s)).Parts()
	}
	return t
}()

// moneyMax is 10^38 - 1, the largest magnitude of a decimal128(38, s).
var moneyMax = decimal128.GetMaxValue(moneyPrecision)

// Money returns the minor units a of an asset with the given scale as a
// MoneyType value: a × 10^(18−scale), exact. The ledger holds every amount
// and balance to ledgercore.AmountMaxFor(scale), so the product always fits;
// a value beyond it is a bug and panics.
func Money(a ledgercore.Amount, scale uint8) decimal128.Num {
	if scale > ledgercore.ScaleMax {
		panic("BUG: columnar: money at scale " + strconv.Itoa(int(scale)) + " above 18")
	}
	hi, lo := a.Parts()
	// Fast path: |hi| < moneyHiMax[scale] bounds |a| below 10^(20+scale).
	if h := moneyHiMax[scale]; (hi >= h || hi <= -h) && !a.Within(ledgercore.AmountMaxFor(scale)) {
		panic("BUG: columnar: amount " + a.String() + " beyond the range of scale " + strconv.Itoa(int(scale)))
	}
	// Two's complement multiplication is exact modulo 2^128, and the true
	// product is below 10^38 < 2^127.
	return decimal128.New(hi, lo).Mul(decimal128.FromU64(pow10[moneyScale-scale]))
}

// MinorUnits is the inverse of Money: the MoneyType value n in minor units of
// an asset with the given scale. It fails if n is not a whole number of minor
// units (more fractional digits than scale), or beyond the asset's range.
func MinorUnits(n decimal128.Num, scale uint8) (ledgercore.Amount, error) {
	if scale > ledgercore.ScaleMax {
		return ledgercore.Amount{}, fmt.Errorf("%w: scale %d is above %d", ErrInvalidDecimal, scale, ledgercore.ScaleMax)
	}
	mag := n.Abs() // the most negative Num stays negative: caught below
	if mag.Sign() < 0 || mag.Greater(moneyMax) {
		return ledgercore.Amount{}, fmt.Errorf("%w: %s does not fit decimal128(38, 18)", ErrDecimalOverflow, DecimalText(n, moneyScale))
	}
	d := pow10[moneyScale-scale]
	hi := uint64(mag.HighBits())
	qhi, r := hi/d, hi%d
	qlo, rem := bits.Div64(r, mag.LowBits(), d)
	if rem != 0 {
		return ledgercore.Amount{}, fmt.Errorf("%w: %s is not a whole number of minor units at scale %d",
			ErrScaleExceeded, DecimalText(n, moneyScale), scale)
	}
	a, ok := ledgercore.AmountFromParts(int64(qhi), qlo)
	if !ok || !a.Within(ledgercore.AmountMaxFor(scale)) {
		return ledgercore.Amount{}, fmt.Errorf("%w: %s is beyond %d integer digits",
			ErrDecimalOverflow, DecimalText(n, moneyScale), ledgercore.IntegerDigitsMax)
	}
	if n.Sign() < 0 {
		a = a.Neg()
	}
	return a, nil
}

// ParseTickDecimal parses a tick price or size into a TickDecimalType value.
// The text must be plain decimal (-?digits(.digits)?, at most 64 bytes).
// More than 8 fractional digits is ErrScaleExceeded (never rounded; trailing
// zeros count, as in ledgercore.ParseAmount) and more than 10 integer digits
// (leading zeros do not count) is ErrDecimalOverflow.
func ParseTickDecimal(text string) (decimal128.Num, error) {
	if len(text) > tickTextBytesMax {
		return decimal128.Num{}, fmt.Errorf("%w: %s is longer than %d bytes", ErrInvalidDecimal, quote(text), tickTextBytesMax)
	}
	s, neg := text, false
	if len(s) > 0 && s[0] == '-' {
		s, neg = s[1:], true
	}
	var v uint64
	intDigits, frac, sawDot, sawDigit := 0, 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '.' {
			if sawDot || !sawDigit || i == len(s)-1 {
				return decimal128.Num{}, fmt.Errorf("%w: %s", ErrInvalidDecimal, quote(text))
			}
			sawDot = true
			continue
		}
		if c < '0' || c > '9' {
			return decimal128.Num{}, fmt.Errorf("%w: %s", ErrInvalidDecimal, quote(text))
		}
		sawDigit = true
		if sawDot {
			frac++
		} else if v != 0 || c != '0' {
			intDigits++
		}
		if intDigits <= tickIntegerDigitsMax && frac <= tickScale {
			v = v*10 + uint64(c-'0') // below 10^18: cannot wrap
		}
	}
	switch {
	case !sawDigit:
		return decimal128.Num{}, fmt.Errorf("%w: %s", ErrInvalidDecimal, quote(text))
	case frac > tickScale:
		return decimal128.Num{}, fmt.Errorf("%w: %s has more than %d decimal places", ErrScaleExceeded, quote(text), tickScale)
	case intDigits > tickIntegerDigitsMax:
		return decimal128.Num{}, fmt.Errorf("%w: %s has more than %d digits before the point",
			ErrDecimalOverflow, quote(text), tickIntegerDigitsMax)
	}
	v *= pow10[tickScale-frac]
	n := decimal128.FromU64(v)
	if neg {
		n = n.Negate()
	}
	return n, nil
}

// numText returns n as exact decimal text with scale fractional digits, for
// error messages. (Num.BigInt truncates on 32-bit machines.)
func DecimalText(n decimal128.Num, scale int) string {
	hi, lo := uint64(n.HighBits()), n.LowBits()
	neg := n.Sign() < 0
	if neg { // two's complement magnitude; the most negative Num stays 2^127
		var borrow uint64
		lo, borrow = bits.Sub64(0, lo, 0)
		hi, _ = bits.Sub64(0, hi, borrow)
	}
	var buf [48]byte // 39 digits, a point, a sign
	i := len(buf)
	for digits := 0; hi != 0 || lo != 0 || digits <= scale; digits++ {
		if digits == scale && scale > 0 {
			i--
			buf[i] = '.'
		}
		var r uint64
		hi, r = hi/10, hi%10
		lo, r = bits.Div64(r, lo, 10)
		i--
		buf[i] = byte('0' + r)
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// quote quotes a bad value for an error message, cut to quoteBytesMax bytes.
func quote(s string) string {
	if len(s) > quoteBytesMax {
		return strconv.Quote(s[:quoteBytesMax]) + "..."
	}
	return strconv.Quote(s)
}
