package ledgercore

import (
	"math/big"
	"strings"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		text  string
		scale uint8
		want  string // minor units, or "" when rejected
		code  Code
	}{
		{"0", 2, "0", CodeNone},
		{"100.25", 2, "10025", CodeNone},
		{"100.2", 2, "10020", CodeNone},
		{"100", 2, "10000", CodeNone},
		{"-7.5", 1, "-75", CodeNone},
		{"0.000000000000000001", 18, "1", CodeNone},
		{"00012.30", 2, "1230", CodeNone},
		{"1.001", 2, "", CodeScaleExceeded},
		{"1.500", 2, "", CodeScaleExceeded},
		{"1.5", 0, "", CodeScaleExceeded},
		{"99999999999999999999", 0, "99999999999999999999", CodeNone},
		{"-99999999999999999999", 0, "-99999999999999999999", CodeNone},
		{"99999999999999999999.999999999999999999", 18, "99999999999999999999999999999999999999", CodeNone},
		{"-99999999999999999999.99", 2, "-9999999999999999999999", CodeNone},
		{"100000000000000000000", 0, "", CodeAmountOverflow},
		{"100000000000000000000.00", 2, "", CodeAmountOverflow},
		{"99999999999999999999999999999999999999", 0, "", CodeAmountOverflow},
		{"99999999999999999999999999999999999999", 1, "", CodeAmountOverflow},
		{"1" + strings.Repeat("0", 20) + ".5", 18, "", CodeAmountOverflow},
		{"", 2, "", CodeInvalidAmount},
		{"-", 2, "", CodeInvalidAmount},
		{"+1", 2, "", CodeInvalidAmount},
		{"1e5", 2, "", CodeInvalidAmount},
		{".5", 2, "", CodeInvalidAmount},
		{"5.", 2, "", CodeInvalidAmount},
		{"1.2.3", 2, "", CodeInvalidAmount},
		{" 1", 2, "", CodeInvalidAmount},
		{"1,000", 2, "", CodeInvalidAmount},
		{"１", 2, "", CodeInvalidAmount},
		{"1", 19, "", CodeInvalidScale},
	}
	for _, tt := range tests {
		got, code := ParseAmount(tt.text, tt.scale)
		if code != tt.code {
			t.Errorf("ParseAmount(%q, %d) code = %v, want %v", tt.text, tt.scale, code, tt.code)
			continue
		}
		if code == CodeNone && got.String() != tt.want {
			t.Errorf("ParseAmount(%q, %d) = %s, want %s", tt.text, tt.scale, got, tt.want)
		}
	}
}

func TestAmountDecimal(t *testing.T) {
	tests := []struct {
		minor string
		scale uint8
		want  string
	}{
		{"0", 2, "0.00"},
		{"5", 2, "0.05"},
		{"-5", 3, "-0.005"},
		{"10025", 2, "100.25"},
		{"123", 0, "123"},
		{"1", 18, "0.000000000000000001"},
		{"99999999999999999999999999999999999999", 18, "99999999999999999999.999999999999999999"},
		{"-12345678901234567890123", 4, "-1234567890123456789.0123"},
	}
	for _, tt := range tests {
		a := minor(t, tt.minor)
		if got := a.Decimal(tt.scale); got != tt.want {
			t.Errorf("%s at scale %d = %q, want %q", tt.minor, tt.scale, got, tt.want)
		}
	}
}

// TestAmountArithmetic checks Add, Sub, Cmp and the overflow bound against
// math/big on values around the interesting edges.
func TestAmountArithmetic(t *testing.T) {
	max := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(38), nil), big.NewInt(1))
	vals := []string{"0", "1", "-1", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
		"-18446744073709551617", "99999999999999999999999999999999999999", "-99999999999999999999999999999999999999",
		"50000000000000000000000000000000000000", "-50000000000000000000000000000000000001"}
	for _, x := range vals {
		for _, y := range vals {
			a, b := minor(t, x), minor(t, y)
			bx, _ := new(big.Int).SetString(x, 10)
			by, _ := new(big.Int).SetString(y, 10)
			sum := new(big.Int).Add(bx, by)
			got, ok := a.Add(b)
			wantOK := sum.CmpAbs(max) <= 0
			if ok != wantOK || (ok && got.String() != sum.String()) {
				t.Errorf("%s + %s = %s ok=%v, want %s ok=%v", x, y, got, ok, sum, wantOK)
			}
			diff := new(big.Int).Sub(bx, by)
			got, ok = a.Sub(b)
			wantOK = diff.CmpAbs(max) <= 0
			if ok != wantOK || (ok && got.String() != diff.String()) {
				t.Errorf("%s - %s = %s ok=%v, want %s ok=%v", x, y, got, ok, diff, wantOK)
			}
			if a.Cmp(b) != bx.Cmp(by) {
				t.Errorf("Cmp(%s, %s) = %d, want %d", x, y, a.Cmp(b), bx.Cmp(by))
			}
		}
	}
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"0", "1.5", "-99999999999999999999999999999999999999", "0.000000000000000001", "1e3", ".", "--1"} {
		f.Add(s, uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, scale uint8) {
		a, code := ParseAmount(text, scale%19)
		if code != CodeNone {
			return
		}
		if !a.inRange() {
			t.Fatalf("%q parsed out of range", text)
		}
		back := a.Decimal(scale % 19)
		b, code := ParseAmount(back, scale%19)
		if code != CodeNone || b != a {
			t.Fatalf("%q -> %s -> %v (%v)", text, back, b, code)
		}
		// Exactness: compare with math/big on the digits.
		want, ok := new(big.Rat).SetString(text)
		if !ok {
			t.Fatalf("big.Rat cannot parse accepted %q", text)
		}
		got := new(big.Rat).SetFrac(bigOf(a), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale%19)), nil))
		if got.Cmp(want) != 0 {
			t.Fatalf("%q parsed to %s minor units at scale %d", text, a, scale%19)
		}
	})
}

// minor builds an Amount of minor units from decimal digits, up to the
// full 38-digit range (ParseAmount holds assets to fewer).
func minor(t testing.TB, digits string) Amount {
	t.Helper()
	v, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		t.Fatalf("bad digits %q", digits)
	}
	neg := v.Sign() < 0
	v.Abs(v)
	lo := new(big.Int).And(v, new(big.Int).SetUint64(^uint64(0))).Uint64()
	hi := new(big.Int).Rsh(v, 64).Uint64()
	a, ok := AmountFromParts(int64(hi), lo)
	if !ok {
		t.Fatalf("%s is beyond 38 digits", digits)
	}
	if neg {
		a = a.Neg()
	}
	return a
}

func TestAmountMaxFor(t *testing.T) {
	for s := range uint8(ScaleMax + 1) {
		want := "1" + strings.Repeat("0", IntegerDigitsMax+int(s))
		got, _ := AmountMaxFor(s).Add(AmountFromInt64(1))
		if got.String() != want {
			t.Errorf("AmountMaxFor(%d)+1 = %s, want %s", s, got, want)
		}
	}
	if AmountMaxFor(ScaleMax) != AmountMax {
		t.Error("the largest scale's limit is not AmountMax")
	}
}

func bigOf(a Amount) *big.Int {
	v, _ := new(big.Int).SetString(a.String(), 10)
	return v
}
