package fix

// FIX time values: UTCTimestamp (52, 122) is YYYYMMDD-HH:MM:SS[.s...],
// UTCDateOnly (272) YYYYMMDD, UTCTimeOnly (273) HH:MM:SS[.s...]. FIX 4.4
// writes milliseconds; venues often send micro- or nanoseconds, so 1 to 9
// decimals are read. Append writes milliseconds.
const (
	timestampLayout = "(YYYYMMDD-HH:MM:SS[.sss])"
	dateLayout      = "(YYYYMMDD)"
	timeLayout      = "(HH:MM:SS[.sss])"
	timestampBytes  = len("20060102-15:04:05.000") // as Append writes it

	nsPerSecond = 1_000_000_000
	nsPerMilli  = 1_000_000
	nsPerDay    = 86_400 * nsPerSecond
	// Years a ts can hold: int64 ns since 1970 end in April 2262.
	yearMin = 1970
	yearMax = 2261
	// civilEpochDays is 1970-01-01 counted in days from 0000-03-01.
	civilEpochDays = 719_468
)

// parseTimestamp parses a UTCTimestamp into a ts.
func parseTimestamp(v []byte) (int64, bool) {
	if len(v) < len("20060102-15:04:05") || v[8] != '-' {
		return 0, false
	}
	days, ok := parseDate(v[:8])
	if !ok {
		return 0, false
	}
	tod, ok := parseTimeOfDay(v[9:])
	if !ok {
		return 0, false
	}
	return days*nsPerDay + tod, true
}

// parseDate parses a UTCDateOnly into days since 1970-01-01.
func parseDate(v []byte) (int64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	y, ok1 := digits(v[0:4])
	mo, ok2 := digits(v[4:6])
	d, ok3 := digits(v[6:8])
	if !ok1 || !ok2 || !ok3 || y < yearMin || y > yearMax || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) {
		return 0, false
	}
	return daysFromCivil(y, mo, d), true
}

// parseTimeOfDay parses a UTCTimeOnly into ns since midnight. A leap second
// (SS 60) reads as the first second of the next minute.
func parseTimeOfDay(v []byte) (int64, bool) {
	if len(v) < len("15:04:05") || v[2] != ':' || v[5] != ':' {
		return 0, false
	}
	h, ok1 := digits(v[0:2])
	mi, ok2 := digits(v[3:5])
	s, ok3 := digits(v[6:8])
	if !ok1 || !ok2 || !ok3 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	ns := int64(h*3600+mi*60+s) * nsPerSecond
	frac := v[8:]
	if len(frac) == 0 {
		return ns, true
	}
	if frac[0] != '.' || len(frac) < 2 || len(frac) > 10 {
		return 0, false
	}
	f, ok := digits(frac[1:])
	if !ok {
		return 0, false
	}
	for range 10 - len(frac) {
		f *= 10
	}
	return ns + int64(f), true
}

// digits parses up to 9 ASCII digits.
func digits(v []byte) (int, bool) {
	n := 0
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// daysIn returns the days of month mo of year y.
func daysIn(y, mo int) int {
	switch mo {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns the days from 1970-01-01 to a date of the
// proleptic Gregorian calendar, y >= 0 (Howard Hinnant's days_from_civil).
func daysFromCivil(y, mo, d int) int64 {
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((mo+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146_097 + int64(doe) - civilEpochDays
}

// civilFromDays is the inverse of daysFromCivil, for any days a ts holds.
func civilFromDays(days int64) (y, mo, d int) {
	z := days + civilEpochDays
	era := z / 146_097
	if z < 0 && z%146_097 != 0 {
		era--
	}
	doe := int(z - era*146_097)
	yoe := (doe - doe/1460 + doe/36_524 - doe/146_096) / 365
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	mo = mp + 3
	if mo > 12 {
		mo -= 12
	}
	y = yoe + int(era)*400
	if mo <= 2 {
		y++
	}
	return y, mo, d
}

// appendTimestamp appends ts as a UTCTimestamp to the millisecond,
// truncating.
func appendTimestamp(dst []byte, ts int64) []byte {
	days := ts / nsPerDay
	if ts < 0 && ts%nsPerDay != 0 {
		days--
	}
	ms := int((ts - days*nsPerDay) / nsPerMilli)
	y, mo, d := civilFromDays(days)
	dst = appendDigits(dst, y, 4)
	dst = appendDigits(dst, mo, 2)
	dst = appendDigits(dst, d, 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, ms/3_600_000, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, ms/60_000%60, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, ms/1000%60, 2)
	dst = append(dst, '.')
	return appendDigits(dst, ms%1000, 3)
}

// appendDigits appends v, 0 <= v < 10^n, as n digits with leading zeros.
func appendDigits(dst []byte, v, n int) []byte {
	var b [4]byte
	for i := n - 1; i >= 0; i-- {
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, b[:n]...)
}
