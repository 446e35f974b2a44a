package workload

import (
	"math/bits"
	"math/rand/v2"
	"time"
)

const (
	hourNs          = int64(3600) * 1e9
	dayNs           = 24 * hourNs
	tradingOpenNs   = 8 * hourNs  // 08:00 UTC
	tradingCloseNs  = 20 * hourNs // 20:00 UTC
	tradingWindowNs = tradingCloseNs - tradingOpenNs
)

// clock hands out strictly increasing timestamps: the lines are split evenly
// over the business days, each day's trading window is cut into one slot per
// line, and each line gets a random instant inside its own slot.
type clock struct {
	lines, days int64
	line        int64  // 0-based index of the next line
	day         int64  // business-day index of the current day
	first, end  int64  // lines [first, end) fall on the current day
	midnight    int64  // ts of the current day's 00:00
	prefix      []byte // "2026-01-05T" of the current day
	last        int64  // last ts handed out
}

func newClock(start int64, lines, days int64) clock {
	for isWeekend(start) {
		start += dayNs
	}
	return clock{lines: lines, days: days, day: -1, midnight: start, last: -1,
		prefix: make([]byte, 0, len("2006-01-02T"))}
}

func isWeekend(midnight int64) bool {
	weekday := (midnight/dayNs + 4) % 7 // 1970-01-01 was a Thursday; 0 is Sunday
	return weekday == 0 || weekday == 6
}

// mulDiv returns a*b/c without overflow; a*b/c must fit in an int64.
func mulDiv(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, _ := bits.Div64(hi, lo, uint64(c))
	return int64(q)
}

func (c *clock) advanceDay() {
	if c.day >= 0 {
		c.midnight += dayNs
		for isWeekend(c.midnight) {
			c.midnight += dayNs
		}
	}
	c.day++
	if c.day >= c.days {
		panic("BUG: workload clock ran past its last business day")
	}
	c.first = c.end
	c.end = mulDiv(c.lines, c.day+1, c.days)
	c.prefix = time.Unix(0, c.midnight).UTC().AppendFormat(c.prefix[:0], "2006-01-02T")
}

// next returns the ts of the next line.
func (c *clock) next(rng *rand.Rand) int64 {
	for c.line >= c.end {
		c.advanceDay()
	}
	j, count := c.line-c.first, c.end-c.first
	lo := mulDiv(tradingWindowNs, j, count)
	hi := mulDiv(tradingWindowNs, j+1, count)
	ts := c.midnight + tradingOpenNs + lo + rng.Int64N(hi-lo)
	if ts <= c.last {
		panic("BUG: workload clock went backwards")
	}
	c.line++
	c.last = ts
	return ts
}

// appendTs appends ts, which must fall on the current day, as
// "2006-01-02T15:04:05.000000000Z".
func (c *clock) appendTs(b []byte, ts int64) []byte {
	return appendDayTs(b, c.prefix, c.midnight, ts)
}

// appendDayTs appends ts as "2006-01-02T15:04:05.000000000Z"; ts must fall on
// the day that starts at midnight, whose "2006-01-02T" is prefix.
func appendDayTs(b, prefix []byte, midnight, ts int64) []byte {
	off := ts - midnight
	if off < 0 || off >= dayNs {
		panic("BUG: workload ts outside the current day")
	}
	b = append(b, prefix...)
	b = append2(b, off/hourNs)
	b = append(b, ':')
	b = append2(b, off/(60*1e9)%60)
	b = append(b, ':')
	b = append2(b, off/1e9%60)
	b = append(b, '.')
	b = appendPadded(b, off%1e9, 9)
	return append(b, 'Z')
}

func append2(b []byte, v int64) []byte {
	return append(b, byte('0'+v/10), byte('0'+v%10))
}

// appendPadded appends v >= 0 zero-padded to width digits.
func appendPadded(b []byte, v int64, width int) []byte {
	var d [20]byte
	i := len(d)
	for v > 0 || len(d)-i < width {
		i--
		d[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, d[i:]...)
}
