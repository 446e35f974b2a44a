package fix

import "strconv"

// EntryType is MDEntryType (269) of an entry AppendEntries returns.
type EntryType byte

// The entry types Tape takes in; AppendEntries skips the others (opening
// price, session high, imbalance, ...).
const (
	Bid   EntryType = '0'
	Offer EntryType = '1'
	Trade EntryType = '2'
)

func (t EntryType) String() string {
	switch t {
	case Bid:
		return "Bid"
	case Offer:
		return "Offer"
	case Trade:
		return "Trade"
	}
	return "EntryType(" + strconv.Quote(string(rune(t))) + ")"
}

// UpdateAction is MDUpdateAction (279) of an incremental entry.
type UpdateAction byte

// The update actions of FIX 4.4.
const (
	UpdateNew    UpdateAction = '0'
	UpdateChange UpdateAction = '1'
	UpdateDelete UpdateAction = '2'
)

func (a UpdateAction) String() string {
	switch a {
	case UpdateNew:
		return "New"
	case UpdateChange:
		return "Change"
	case UpdateDelete:
		return "Delete"
	}
	return "UpdateAction(" + strconv.Quote(string(rune(a))) + ")"
}

// Side is Side (54) of an entry: the aggressor of a trade, where the venue
// sends it.
type Side byte

// The sides Tape takes in; AppendEntries refuses other values of 54.
const (
	SideUnknown Side = 0 // no 54 in the entry
	SideBuy     Side = '1'
	SideSell    Side = '2'
)

func (s Side) String() string {
	switch s {
	case SideUnknown:
		return "Unknown"
	case SideBuy:
		return "Buy"
	case SideSell:
		return "Sell"
	}
	return "Side(" + strconv.Quote(string(rune(s))) + ")"
}

// Entry is one bid, offer or trade of a market-data message. Prices and
// sizes keep the decimal text as sent: Tape parses them against the
// instrument's scale later, and never through a float.
type Entry struct {
	Type    EntryType
	Update  UpdateAction // 279 in 35=X; UpdateNew in 35=W
	Symbol  string       // 55 of the entry, else 55 before NoMDEntries
	Px      string       // 270: -?digits[.digits]; "" only in a Delete that has none
	Size    string       // 271: digits[.digits]; "" only in a Delete that has none
	Ts      int64        // ns since the Unix epoch, UTC; see AppendEntries
	TradeID string       // 1003, "" when absent
	Venue   string       // 275 MDMkt, else 30 LastMkt, "" when neither
	Side    Side         // 54, SideUnknown when absent
}

// decimalDigitsMax is the most digits a Px or Size may hold: the 38 of
// decimal128(38, s).
const decimalDigitsMax = 38

// AppendEntries appends to dst the bids, offers and trades of a
// MarketDataSnapshotFullRefresh (35=W) or MarketDataIncrementalRefresh
// (35=X) and returns the extended slice. The rules:
//
//   - NoMDEntries (268) opens the group; each entry starts with the group's
//     first field, MDEntryType (269) in W and MDUpdateAction (279) in X, and
//     runs to the next entry's start or the message's end. The entries
//     found must number NoMDEntries. A tag repeated inside one entry is an
//     error; tags other than those below are ignored.
//   - 279 must be 0 (New), 1 (Change) or 2 (Delete); W entries are New.
//   - Entries whose 269 is not 0 (Bid), 1 (Offer) or 2 (Trade) are skipped.
//   - Symbol is the entry's 55, else the 55 before 268.
//   - 270 MDEntryPx and 271 MDEntrySize are required but in a Delete.
//     Both are decimals: an optional '-' (not for a size), digits, and an
//     optional '.' followed by digits, at most 38 digits, no exponent.
//   - 54 Side, optional, must be 1 (Buy) or 2 (Sell).
//   - Ts is 272 MDEntryDate with 273 MDEntryTime. Without a date, the time
//     is taken on SendingTime's (52) date, or on the day before when that
//     lands more than 12 hours after SendingTime: an entry from 23:59:59.9
//     sent at 00:00:00.1. Without a time, Ts is SendingTime. In a message
//     resent with PossDupFlag (43) Y, OrigSendingTime (122), when present,
//     stands for SendingTime: a resent message maps to the same entries.
//
// All strings of the appended entries share one copy of the message; the
// Message and its bytes may be reused as soon as AppendEntries returns.
// On an error dst is returned as it came, with an *EntryError.
func AppendEntries(dst []Entry, m *Message) ([]Entry, error) {
	mp, i, err := newMapper(m)
	if err != nil {
		return dst, err
	}
	orig, n := dst, 0
	var e entryFields
	for ; i < len(m.fields)-1; i++ {
		tag := int(m.fields[i].tag)
		if tag == mp.delim {
			if n > 0 {
				if dst, err = mp.appendEntry(dst, n, &e); err != nil {
					return orig, err
				}
			}
			if n++; n > mp.count {
				return orig, mp.countError("more")
			}
			e = entryFields{}
		}
		if slot := e.slot(tag); slot != nil && n > 0 {
			if *slot != 0 {
				return orig, &EntryError{Entry: n, Tag: tag, Reason: "appears twice in the entry"}
			}
			*slot = i
		}
	}
	if n > 0 {
		if dst, err = mp.appendEntry(dst, n, &e); err != nil {
			return orig, err
		}
	}
	if n != mp.count {
		return orig, mp.countError(strconv.Itoa(n))
	}
	return dst, nil
}

// mapper holds what the entries of one message share.
type mapper struct {
	m           *Message
	incremental bool   // 35=X
	delim       int    // the tag that starts an entry
	count       int    // NoMDEntries
	symbol      int    // field index of 55 before 268; 0 when none
	sendingTs   int64  // 52, or 122 in a PossDup
	str         string // the message's bytes, copied once for the entries' strings
}

// newMapper reads what comes before the entries of m and returns the index
// of the field after NoMDEntries.
func newMapper(m *Message) (mapper, int, error) {
	mp := mapper{m: m}
	switch string(m.MsgType()) {
	case MsgTypeMarketDataSnapshot:
		mp.delim = TagMDEntryType
	case MsgTypeMarketDataIncremental:
		mp.incremental, mp.delim = true, TagMDUpdateAction
	default:
		return mp, 0, &EntryError{Tag: TagMsgType, Reason: quote(m.MsgType()) + " is not W or X"}
	}
	tsTag := TagSendingTime
	if possDup, _ := m.Get(TagPossDupFlag); string(possDup) == "Y" && m.index(TagOrigSendingTime) >= 0 {
		tsTag = TagOrigSendingTime
	}
	v, ok := m.Get(tsTag)
	if !ok {
		return mp, 0, &EntryError{Tag: TagSendingTime, Reason: "is missing"}
	}
	if mp.sendingTs, ok = parseTimestamp(v); !ok {
		return mp, 0, &EntryError{Tag: tsTag, Reason: quote(v) + " is not a UTCTimestamp " + timestampLayout}
	}
	i := 3
	for ; i < len(m.fields)-1 && m.fields[i].tag != TagNoMDEntries; i++ {
		if m.fields[i].tag == TagSymbol && mp.symbol == 0 {
			mp.symbol = i
		}
	}
	if i == len(m.fields)-1 {
		return mp, 0, &EntryError{Tag: TagNoMDEntries, Reason: "is missing"}
	}
	v = mp.value(i)
	count, ok := parseInt(v)
	if !ok || count < 0 || count > FieldsMax {
		return mp, 0, &EntryError{Tag: TagNoMDEntries, Reason: quote(v) + " is not a count from 0 to " + strconv.Itoa(FieldsMax)}
	}
	mp.count = count
	i++
	if i < len(m.fields)-1 && count > 0 && int(m.fields[i].tag) != mp.delim {
		return mp, 0, &EntryError{Entry: 1, Tag: int(m.fields[i].tag),
			Reason: "comes first in the entry, which must start with tag " + strconv.Itoa(mp.delim) + " " + tagName(mp.delim)}
	}
	return mp, i, nil
}

func (mp *mapper) value(i int) []byte {
	f := mp.m.fields[i]
	return mp.m.buf[f.start:f.end]
}

// string returns the value of field i as a string sharing the message's
// copy, or "" for i == 0.
func (mp *mapper) string(i int) string {
	if i == 0 {
		return ""
	}
	if mp.str == "" {
		mp.str = string(mp.m.buf)
	}
	f := mp.m.fields[i]
	return mp.str[f.start:f.end]
}

// countError says that the entries found, n ("2" or "more"), are not
// NoMDEntries.
func (mp *mapper) countError(n string) *EntryError {
	entries := " entries"
	if n == "1" {
		entries = " entry"
	}
	return &EntryError{Tag: TagNoMDEntries, Reason: "is " + strconv.Itoa(mp.count) + " but the message holds " + n + entries}
}

// entryFields holds the field index of each tag of one entry; 0 when the
// entry lacks it (field 0 is BeginString, never in an entry).
type entryFields struct {
	action, typ, symbol, px, size, date, time, tradeID, mdMkt, lastMkt, side int
}

// slot returns where e keeps the index of a field with tag, or nil for a
// tag AppendEntries ignores.
func (e *entryFields) slot(tag int) *int {
	switch tag {
	case TagMDUpdateAction:
		return &e.action
	case TagMDEntryType:
		return &e.typ
	case TagSymbol:
		return &e.symbol
	case TagMDEntryPx:
		return &e.px
	case TagMDEntrySize:
		return &e.size
	case TagMDEntryDate:
		return &e.date
	case TagMDEntryTime:
		return &e.time
	case TagTradeID:
		return &e.tradeID
	case TagMDMkt:
		return &e.mdMkt
	case TagLastMkt:
		return &e.lastMkt
	case TagSide:
		return &e.side
	}
	return nil
}

// appendEntry checks entry n (1-based) and appends it to dst, unless its
// type is not one Tape takes in.
func (mp *mapper) appendEntry(dst []Entry, n int, e *entryFields) ([]Entry, error) {
	action := UpdateNew
	if mp.incremental {
		v := mp.value(e.action)
		if len(v) != 1 || v[0] < '0' || v[0] > '2' {
			return dst, &EntryError{Entry: n, Tag: TagMDUpdateAction, Reason: quote(v) + " is not 0 (New), 1 (Change) or 2 (Delete)"}
		}
		action = UpdateAction(v[0])
	}
	if e.typ == 0 {
		return dst, &EntryError{Entry: n, Tag: TagMDEntryType, Reason: "is missing"}
	}
	typ := mp.value(e.typ)
	if len(typ) != 1 || typ[0] < '0' || typ[0] > '2' {
		return dst, nil
	}
	symbol := e.symbol
	if symbol == 0 {
		symbol = mp.symbol
	}
	if symbol == 0 {
		return dst, &EntryError{Entry: n, Tag: TagSymbol, Reason: "is missing, in the entry and before NoMDEntries"}
	}
	if err := mp.checkDecimal(n, TagMDEntryPx, e.px, action, true); err != nil {
		return dst, err
	}
	if err := mp.checkDecimal(n, TagMDEntrySize, e.size, action, false); err != nil {
		return dst, err
	}
	ts, err := mp.entryTs(n, e)
	if err != nil {
		return dst, err
	}
	side := SideUnknown
	if e.side != 0 {
		v := mp.value(e.side)
		if len(v) != 1 || (v[0] != byte(SideBuy) && v[0] != byte(SideSell)) {
			return dst, &EntryError{Entry: n, Tag: TagSide, Reason: quote(v) + " is not 1 (Buy) or 2 (Sell)"}
		}
		side = Side(v[0])
	}
	venue := e.mdMkt
	if venue == 0 {
		venue = e.lastMkt
	}
	return append(dst, Entry{Type: EntryType(typ[0]), Update: action, Symbol: mp.string(symbol),
		Px: mp.string(e.px), Size: mp.string(e.size), Ts: ts, TradeID: mp.string(e.tradeID), Venue: mp.string(venue),
		Side: side}), nil
}

// checkDecimal checks the Px or Size at field i of entry n: required but
// in a Delete, a decimal, negative only when signed.
func (mp *mapper) checkDecimal(n, tag, i int, action UpdateAction, signed bool) error {
	if i == 0 {
		if action == UpdateDelete {
			return nil
		}
		return &EntryError{Entry: n, Tag: tag, Reason: "is missing"}
	}
	v := mp.value(i)
	if reason := decimalReason(v); reason != "" {
		return &EntryError{Entry: n, Tag: tag, Reason: quote(v) + " " + reason}
	}
	if !signed && v[0] == '-' {
		return &EntryError{Entry: n, Tag: tag, Reason: quote(v) + " is negative"}
	}
	return nil
}

// decimalReason says why v is not a decimal as Tape takes them, or "".
func decimalReason(v []byte) string {
	if len(v) > 0 && v[0] == '-' {
		v = v[1:]
	}
	if len(v) == 0 || !isDigit(v[0]) {
		return "is not a decimal"
	}
	digits, dot := 0, false
	for _, c := range v {
		switch {
		case isDigit(c):
			digits++
		case c == '.' && !dot:
			dot = true
		default:
			return "is not a decimal"
		}
	}
	if digits > decimalDigitsMax {
		return "has more than " + strconv.Itoa(decimalDigitsMax) + " digits"
	}
	return ""
}

// entryTs returns the ts of entry n from its 272 and 273 and SendingTime.
func (mp *mapper) entryTs(n int, e *entryFields) (int64, error) {
	day := mp.sendingTs / nsPerDay // SendingTime is 1970 or later
	if e.date != 0 {
		d, ok := parseDate(mp.value(e.date))
		if !ok {
			return 0, &EntryError{Entry: n, Tag: TagMDEntryDate, Reason: quote(mp.value(e.date)) + " is not a UTCDateOnly " + dateLayout}
		}
		day = d
	}
	if e.time == 0 {
		return mp.sendingTs, nil
	}
	tod, ok := parseTimeOfDay(mp.value(e.time))
	if !ok {
		return 0, &EntryError{Entry: n, Tag: TagMDEntryTime, Reason: quote(mp.value(e.time)) + " is not a UTCTimeOnly " + timeLayout}
	}
	ts := day*nsPerDay + tod
	if e.date == 0 && ts > mp.sendingTs+nsPerDay/2 {
		ts -= nsPerDay
	}
	return ts, nil
}
