package ingest

// Timestamp text to int64 ns since the Unix epoch, UTC, exactly: no float,
// no time.Parse (which allocates and accepts more than we want). RFC 3339 is
// the commands' parser.

// parseTs parses b in format f, or returns a reason.
func parseTs(b []byte, f TimeFormat) (int64, string) {
	if f == TimeRFC3339 {
		return parseRFC3339(b)
	}
	unitDigits := [...]int{TimeEpochS: 9, TimeEpochMS: 6, TimeEpochUS: 3, TimeEpochNS: 0}[f]
	return parseEpoch(b, unitDigits)
}

// parseEpoch parses digits(.digits)? in a unit of 10^fracMax ns: the
// fraction may hold at most fracMax digits.
func parseEpoch(b []byte, fracMax int) (int64, string) {
	var v, frac int64
	fracDigits, sawDot, digits := 0, false, 0
	for i, c := range b {
		switch {
		case c == '.' && !sawDot && digits > 0 && i < len(b)-1:
			sawDot = true
		case c >= '0' && c <= '9':
			if sawDot {
				if fracDigits == fracMax {
					return 0, "more decimal places than reach a nanosecond"
				}
				frac = frac*10 + int64(c-'0')
				fracDigits++
				continue
			}
			digits++
			if digits > 19 || v > (1<<63-1-9)/10 {
				return 0, "out of the range of int64 nanoseconds"
			}
			v = v*10 + int64(c-'0')
		default:
			return 0, "not an epoch timestamp (digits, optionally a fraction)"
		}
	}
	if digits == 0 {
		return 0, "not an epoch timestamp (digits, optionally a fraction)"
	}
	unit := pow10i(fracMax)
	for ; fracDigits < fracMax; fracDigits++ {
		frac *= 10
	}
	if v > (1<<63-1-frac)/unit {
		return 0, "out of the range of int64 nanoseconds"
	}
	return v*unit + frac, ""
}

func pow10i(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
