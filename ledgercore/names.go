package ledgercore

import (
	"cmp"
	"slices"
	"strconv"
)

// ValidAccountID reports whether id is 1-64 bytes of [A-Za-z0-9._:-].
func ValidAccountID(id string) bool {
	if len(id) == 0 || len(id) > AccountIDBytesMax {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '.' || c == '_' || c == ':' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

func validAssetCode(code string) bool {
	if len(code) == 0 || len(code) > AssetCodeBytesMax {
		return false
	}
	for i := 0; i < len(code); i++ {
		c := code[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare[string])
	return keys
}

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }

// nsPerDay is the number of nanoseconds in a UTC day (no leap seconds in
// Unix time).
const nsPerDay = 86_400_000_000_000

// DayOf returns the UTC day (days since 1970-01-01) that ts falls in.
func DayOf(ts int64) int32 {
	d := ts / nsPerDay
	if ts%nsPerDay < 0 {
		d--
	}
	return int32(d)
}

// DayStart returns the ts of 00:00 UTC of day.
func DayStart(day int32) int64 { return int64(day) * nsPerDay }

// CivilDate returns the proleptic Gregorian date of a day since 1970-01-01
// (Howard Hinnant's civil_from_days; the core has no time package).
func CivilDate(day int32) (year int, month, dom int) {
	z := int64(day) + 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}

// DayFromCivil is the inverse of CivilDate.
func DayFromCivil(year, month, dom int) int32 {
	y := int64(year)
	if month <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era--
	}
	yoe := y - era*400
	mp := int64(month + 9)
	if month > 2 {
		mp = int64(month - 3)
	}
	doy := (153*mp+2)/5 + int64(dom) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int32(era*146097 + doe - 719468)
}

// FormatDay returns day as YYYY-MM-DD.
func FormatDay(day int32) string {
	y, m, d := CivilDate(day)
	b := strconv.AppendInt(nil, int64(y), 10)
	b = append(b, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return string(b)
}

// CloseDayCommand is the command the sequencer issues to close day.
func CloseDayCommand(day int32) Command {
	return Command{Kind: CmdCloseDay, ID: ReservedIDPrefix + "close:" + FormatDay(day), Day: day}
}
