package columnar

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/decimal128"

	"github.com/tape-ledger/tape/ledgercore"
)

// amountBig returns a as a big.Int.
func amountBig(a ledgercore.Amount) *big.Int {
	hi, lo := a.Parts()
	v := new(big.Int).Lsh(big.NewInt(hi), 64)
	return v.Add(v, new(big.Int).SetUint64(lo))
}

// amountOf returns v as an Amount, which it must fit.
func amountOf(t *testing.T, v *big.Int) ledgercore.Amount {
	t.Helper()
	n := numFromBig(v) // the same two's complement halves
	a, ok := ledgercore.AmountFromParts(n.HighBits(), n.LowBits())
	if !ok || amountBig(a).Cmp(v) != 0 {
		t.Fatalf("amount %s does not fit", v)
	}
	return a
}

// numBig and numFromBig convert between Num and big.Int on any word size
// (Num.BigInt and decimal128.FromBigInt truncate on 32-bit machines).
func numBig(n decimal128.Num) *big.Int {
	v := new(big.Int).Lsh(big.NewInt(n.HighBits()), 64)
	return v.Add(v, new(big.Int).SetUint64(n.LowBits()))
}

func numFromBig(v *big.Int) decimal128.Num {
	mask := new(big.Int).SetUint64(1<<64 - 1)
	lo := new(big.Int).And(v, mask) // two's complement low word, also for v < 0
	hi := new(big.Int).Rsh(v, 64)   // floor
	return decimal128.New(hi.Int64(), lo.Uint64())
}

func pow10Big(n int) *big.Int { return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil) }

// TestMoneyRoundTrip converts amounts at every scale, at the extremes
// ±(10^(20+s)−1) minor units and at random, to MoneyType values, checks each
// against m × 10^(18−s) computed on big.Int, and converts it back.
func TestMoneyRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	for s := uint8(0); s <= ledgercore.ScaleMax; s++ {
		limit := new(big.Int).Sub(pow10Big(20+int(s)), big.NewInt(1))
		values := []*big.Int{big.NewInt(0), big.NewInt(1), big.NewInt(-1), limit, new(big.Int).Neg(limit),
			new(big.Int).Sub(limit, big.NewInt(1)), new(big.Int).Lsh(big.NewInt(1), 64), new(big.Int).Neg(new(big.Int).Lsh(big.NewInt(1), 64))}
		for range 200 {
			values = append(values, randomBig(rng, 20+int(s)))
		}
		for _, v := range values {
			if v.CmpAbs(limit) > 0 {
				continue // 2^64 is beyond the range of scale 0
			}
			a := amountOf(t, v)
			n := Money(a, s)
			want := new(big.Int).Mul(v, pow10Big(18-int(s)))
			if numBig(n).Cmp(want) != 0 {
				t.Fatalf("Money(%s, %d) = %s, want %s", v, s, numBig(n), want)
			}
			back, err := MinorUnits(n, s)
			if err != nil || back != a {
				t.Fatalf("MinorUnits(Money(%s, %d)) = %s, %v", v, s, back, err)
			}
		}
	}
}

// randomBig returns a signed integer of 1 to digits digits.
func randomBig(rng *rand.Rand, digits int) *big.Int {
	b := make([]byte, 1+rng.IntN(digits))
	for i := range b {
		b[i] = byte('0' + rng.IntN(10))
	}
	v, _ := new(big.Int).SetString(string(b), 10)
	if rng.IntN(2) == 0 {
		v.Neg(v)
	}
	return v
}

// TestMoneyPanicsBeyondRange: an amount beyond its scale's range is a bug.
func TestMoneyPanicsBeyondRange(t *testing.T) {
	for _, c := range []struct {
		name  string
		a     ledgercore.Amount
		scale uint8
	}{
		{"10^20 at scale 0", amountOf(t, pow10Big(20)), 0},
		{"-10^20 at scale 0", amountOf(t, new(big.Int).Neg(pow10Big(20))), 0},
		{"10^30 at scale 9", amountOf(t, pow10Big(29)), 9},
		{"10^38-1 at scale 17", ledgercore.AmountMax, 17},
		{"scale 19", ledgercore.AmountFromInt64(1), 19},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				if s, _ := r.(string); !strings.HasPrefix(s, "BUG: ") {
					t.Fatalf("recovered %v, want a BUG: panic", r)
				}
			}()
			Money(c.a, c.scale)
		})
	}
}

// TestMinorUnitsErrors: values that are not whole minor units, or beyond the
// range, are errors and never rounded.
func TestMinorUnitsErrors(t *testing.T) {
	big38 := numFromBig
	for _, c := range []struct {
		name  string
		n     decimal128.Num
		scale uint8
		want  error
		text  string
	}{
		{"one unit of scale 18 at scale 17", decimal128.FromI64(1), 17, ErrScaleExceeded, "0.000000000000000001"},
		{"-0.5 at scale 0", decimal128.FromI64(-5 * 1e17), 0, ErrScaleExceeded, "-0.500000000000000000"},
		{"1.001 at scale 2", decimal128.FromI64(1001 * 1e15), 2, ErrScaleExceeded, "1.001"},
		{"10^38", big38(pow10Big(38)), 18, ErrDecimalOverflow, "100000000000000000000.000000000000000000"},
		{"-10^38", big38(new(big.Int).Neg(pow10Big(38))), 0, ErrDecimalOverflow, "-100000000000000000000"},
		{"min int128", decimal128.New(-1<<63, 0), 0, ErrDecimalOverflow, "-170141183460469231731"},
		{"max int128", decimal128.New(1<<63-1, 1<<64-1), 18, ErrDecimalOverflow, "170141183460469231731"},
		{"scale 19", decimal128.FromI64(0), 19, ErrInvalidDecimal, "scale 19"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a, err := MinorUnits(c.n, c.scale)
			if !errors.Is(err, c.want) {
				t.Fatalf("MinorUnits = %s, %v; want %v", a, err, c.want)
			}
			if !strings.Contains(err.Error(), c.text) {
				t.Errorf("error %q does not name the value %s", err, c.text)
			}
		})
	}
}

func TestParseTickDecimal(t *testing.T) {
	for _, c := range []struct {
		text string
		want string // the value at scale 8, or "" with err
		err  error
	}{
		{"0", "0", nil},
		{"-0", "0", nil},
		{"187.23", "18723000000", nil},
		{"-187.23", "-18723000000", nil},
		{"0.00000001", "1", nil},
		{"9999999999.99999999", "999999999999999999", nil},
		{"-9999999999.99999999", "-999999999999999999", nil},
		{"0009999999999.5", "999999999950000000", nil}, // leading zeros are no digits
		{"1.10000000", "110000000", nil},
		{"1.000000000", "", ErrScaleExceeded}, // trailing zeros count
		{"0.000000001", "", ErrScaleExceeded},
		{"10000000000", "", ErrDecimalOverflow},
		{"-10000000000.5", "", ErrDecimalOverflow},
		{"99999999999999999999999999999999999999999", "", ErrDecimalOverflow},
		{"", "", ErrInvalidDecimal},
		{"-", "", ErrInvalidDecimal},
		{".5", "", ErrInvalidDecimal},
		{"5.", "", ErrInvalidDecimal},
		{"+5", "", ErrInvalidDecimal},
		{"1e5", "", ErrInvalidDecimal},
		{" 1", "", ErrInvalidDecimal},
		{"1.2.3", "", ErrInvalidDecimal},
		{"--1", "", ErrInvalidDecimal},
		{"1,5", "", ErrInvalidDecimal},
		{"١", "", ErrInvalidDecimal}, // Arabic-Indic one
		{strings.Repeat("0", 65), "", ErrInvalidDecimal},
	} {
		t.Run(c.text, func(t *testing.T) {
			n, err := ParseTickDecimal(c.text)
			if c.err != nil {
				if !errors.Is(err, c.err) {
					t.Fatalf("ParseTickDecimal(%q) = %s, %v; want %v", c.text, numBig(n), err, c.err)
				}
				if want := quote(c.text); !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not name the value %s", err, want)
				}
				return
			}
			if err != nil || numBig(n).String() != c.want {
				t.Fatalf("ParseTickDecimal(%q) = %s, %v; want %s", c.text, numBig(n), err, c.want)
			}
		})
	}
}

// FuzzParseTickDecimal checks ParseTickDecimal against big.Rat: whatever it
// accepts is exactly the text's value, and it accepts every plain decimal
// that fits decimal128(18, 8).
func FuzzParseTickDecimal(f *testing.F) {
	for _, s := range []string{"0", "-1.5", "9999999999.99999999", "1e3", "0.000000001", "00.10", "-.1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		n, err := ParseTickDecimal(text)
		plain := len(text) <= tickTextBytesMax && plainDecimal(text)
		r, ok := new(big.Rat).SetString(text)
		if err != nil {
			if !plain || !ok {
				return
			}
			scaled := new(big.Rat).Mul(r, new(big.Rat).SetInt(pow10Big(8)))
			_, frac, _ := strings.Cut(text, ".")
			if scaled.IsInt() && len(frac) <= 8 && new(big.Int).Abs(scaled.Num()).Cmp(pow10Big(18)) < 0 {
				t.Fatalf("ParseTickDecimal(%q) rejected a value that fits: %v", text, err)
			}
			return
		}
		if !plain || !ok {
			t.Fatalf("ParseTickDecimal(%q) accepted text that is not plain decimal", text)
		}
		got := new(big.Rat).SetFrac(numBig(n), pow10Big(8))
		if got.Cmp(r) != 0 {
			t.Fatalf("ParseTickDecimal(%q) = %s", text, got.FloatString(8))
		}
	})
}

// plainDecimal reports whether s is -?digits(.digits)?.
func plainDecimal(s string) bool {
	s = strings.TrimPrefix(s, "-")
	i, f, dot := strings.Cut(s, ".")
	digits := func(p string) bool {
		return p != "" && strings.Trim(p, "0123456789") == ""
	}
	return digits(i) && (!dot || digits(f))
}
