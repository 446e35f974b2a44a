package ledgercore

import (
	"encoding/binary"
	"math/bits"
	"strconv"
)

// The canonical binary encoding of commands and events. It is what event
// hashes cover and what the tape stores, so it is the same on every machine:
// little-endian, unsigned varints for counts and lengths, and amounts as
// zig-zag 128-bit integers in the fewest little-endian bytes. Changing it
// changes every hash: add a new version instead.

// DecodeError says where and why bytes do not decode.
type DecodeError struct {
	Offset int
	Reason string
}

func (e *DecodeError) Error() string {
	return "decode at byte " + strconv.Itoa(e.Offset) + ": " + e.Reason
}

// stringBytesMax bounds any string in the encoding (ids, details).
const stringBytesMax = 4096

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendAmount(b []byte, a Amount) []byte {
	// zig-zag: (a << 1) ^ (a >> 127), so small magnitudes take few bytes.
	hi := uint64(a.hi)<<1 | a.lo>>63
	lo := a.lo << 1
	if a.hi < 0 {
		hi, lo = ^hi, ^lo
	}
	n := (bits.Len64(lo) + 7) / 8
	if hi != 0 {
		n = 8 + (bits.Len64(hi)+7)/8
	}
	b = append(b, byte(n))
	base := len(b)
	b = binary.LittleEndian.AppendUint64(b, lo)
	b = binary.LittleEndian.AppendUint64(b, hi)
	return b[:base+n]
}

// AppendCommand appends the canonical encoding of cmd.
func AppendCommand(b []byte, c *Command) []byte {
	b = append(b, byte(c.Kind))
	b = appendString(b, c.ID)
	switch c.Kind {
	case CmdDefineAsset:
		b = appendString(b, c.Asset)
		b = append(b, c.Scale)
	case CmdOpenAccount:
		b = appendString(b, c.Account)
		b = appendString(b, c.Asset)
		b = append(b, byte(c.Flags))
	case CmdTransfer, CmdPendingTransfer:
		b = appendString(b, c.Debit)
		b = appendString(b, c.Credit)
		b = appendString(b, c.Asset)
		b = appendString(b, c.Amount)
	case CmdPostPending, CmdVoidPending:
		b = appendString(b, c.PendingID)
		b = appendString(b, c.Amount)
	case CmdLinked:
		b = binary.AppendUvarint(b, uint64(len(c.Commands)))
		for i := range c.Commands {
			b = AppendCommand(b, &c.Commands[i])
		}
	case CmdCloseDay:
		b = binary.AppendVarint(b, int64(c.Day))
	}
	return b
}

// appendEventBody appends the canonical encoding of e without its hash.
func appendEventBody(b []byte, e *Event) []byte {
	b = append(b, byte(e.Kind))
	b = binary.LittleEndian.AppendUint64(b, e.Seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(e.Ts))
	b = appendString(b, e.CommandID)
	b = binary.LittleEndian.AppendUint64(b, e.Digest)
	b = appendString(b, e.LinkID)
	if e.LinkID != "" {
		b = binary.LittleEndian.AppendUint64(b, e.LinkDigest)
	}
	switch e.Kind {
	case EvAssetDefined:
		b = appendString(b, e.Asset)
		b = append(b, e.Scale)
	case EvAccountOpened:
		b = appendString(b, e.Account)
		b = appendString(b, e.Asset)
		b = append(b, byte(e.Flags))
	case EvTransferPosted, EvPendingCreated, EvPendingPosted, EvPendingVoided:
		b = appendString(b, e.Asset)
		b = append(b, e.Scale)
		b = appendAmount(b, e.Amount)
		b = appendString(b, e.PendingID)
		for i := range 2 {
			l := &e.Legs[i]
			b = appendString(b, l.Account)
			b = append(b, byte(l.Side))
			b = appendAmount(b, l.Delta)
			b = appendAmount(b, l.Before)
			b = appendAmount(b, l.After)
			b = appendAmount(b, l.PendingBefore)
			b = appendAmount(b, l.PendingAfter)
		}
	case EvDayClosed:
		b = binary.AppendVarint(b, int64(e.Day))
		b = append(b, e.StateHash[:]...)
	case EvCommandRejected:
		b = append(b, byte(e.Code), byte(e.CommandKind))
		b = appendString(b, e.Detail)
	}
	return b
}

// AppendEvent appends the canonical encoding of e including its hash.
func AppendEvent(b []byte, e *Event) []byte {
	b = appendEventBody(b, e)
	return append(b, e.Hash[:]...)
}

// decoder reads the canonical encoding; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err *DecodeError
}

func (d *decoder) fail(reason string) {
	if d.err == nil {
		d.err = &DecodeError{Offset: d.off, Reason: reason}
	}
}

func (d *decoder) byte1() byte {
	if d.err != nil || d.off >= len(d.b) {
		d.fail("unexpected end")
		return 0
	}
	c := d.b[d.off]
	d.off++
	return c
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 || (n > 1 && d.b[d.off+n-1] == 0) {
		d.fail("bad or overlong varint")
		return 0
	}
	d.off += n
	return v
}

func (d *decoder) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 || (n > 1 && d.b[d.off+n-1] == 0) {
		d.fail("bad or overlong varint")
		return 0
	}
	d.off += n
	return v
}

// day reads a varint that must fit a day number (int32).
func (d *decoder) day() int32 {
	v := d.varint()
	if v < -1<<31 || v > 1<<31-1 {
		d.fail("day " + strconv.FormatInt(v, 10) + " out of range")
		return 0
	}
	return int32(v)
}

func (d *decoder) fixed(n int) []byte {
	if d.err != nil || len(d.b)-d.off < n {
		d.fail("unexpected end")
		return nil
	}
	p := d.b[d.off : d.off+n]
	d.off += n
	return p
}

func (d *decoder) u64() uint64 {
	p := d.fixed(8)
	if p == nil {
		return 0
	}
	return binary.LittleEndian.Uint64(p)
}

func (d *decoder) str() string {
	n := d.uvarint()
	if n > stringBytesMax {
		d.fail("string of " + u64s(n) + " bytes is longer than " + strconv.Itoa(stringBytesMax))
		return ""
	}
	return string(d.fixed(int(n)))
}

func (d *decoder) amount() Amount {
	n := int(d.byte1())
	if n > 16 {
		d.fail("amount of " + strconv.Itoa(n) + " bytes")
		return Amount{}
	}
	p := d.fixed(n)
	if p == nil {
		return Amount{}
	}
	if n > 0 && p[n-1] == 0 {
		d.fail("amount not in its shortest form")
		return Amount{}
	}
	var hi, lo uint64
	for i, c := range p {
		if i < 8 {
			lo |= uint64(c) << (8 * i)
		} else {
			hi |= uint64(c) << (8 * (i - 8))
		}
	}
	neg := lo&1 != 0
	lo = lo>>1 | hi<<63
	hi >>= 1
	if neg {
		hi, lo = ^hi, ^lo
	}
	a := Amount{hi: int64(hi), lo: lo}
	if !a.inRange() {
		d.fail("amount beyond 38 digits")
		return Amount{}
	}
	return a
}

func (d *decoder) hash() (h [32]byte) {
	copy(h[:], d.fixed(32))
	return h
}

// DecodeCommand decodes one command from the front of b and returns the
// bytes it used.
func DecodeCommand(b []byte) (Command, int, error) {
	d := decoder{b: b}
	c := d.command(0)
	if d.err != nil {
		return Command{}, 0, d.err
	}
	return c, d.off, nil
}

func (d *decoder) command(depth int) Command {
	var c Command
	c.Kind = CommandKind(d.byte1())
	c.ID = d.str()
	switch c.Kind {
	case CmdDefineAsset:
		c.Asset = d.str()
		c.Scale = d.byte1()
	case CmdOpenAccount:
		c.Account = d.str()
		c.Asset = d.str()
		c.Flags = AccountFlags(d.byte1())
	case CmdTransfer, CmdPendingTransfer:
		c.Debit = d.str()
		c.Credit = d.str()
		c.Asset = d.str()
		c.Amount = d.str()
	case CmdPostPending, CmdVoidPending:
		c.PendingID = d.str()
		c.Amount = d.str()
	case CmdLinked:
		n := d.uvarint()
		if depth > 0 || n > LinkedCommandsMax {
			d.fail("linked batch nested or longer than " + strconv.Itoa(LinkedCommandsMax))
			return c
		}
		c.Commands = make([]Command, 0, n)
		for range n {
			c.Commands = append(c.Commands, d.command(depth+1))
		}
	case CmdCloseDay:
		c.Day = d.day()
	default:
		d.fail("unknown command kind " + strconv.Itoa(int(c.Kind)))
	}
	return c
}

// DecodeEvent decodes one event (with hash) from the front of b and returns
// the bytes it used.
func DecodeEvent(b []byte) (Event, int, error) {
	d := decoder{b: b}
	var e Event
	d.event(&e)
	if d.err != nil {
		return Event{}, 0, d.err
	}
	return e, d.off, nil
}

func (d *decoder) event(e *Event) {
	e.Kind = EventKind(d.byte1())
	e.Seq = d.u64()
	e.Ts = int64(d.u64())
	e.CommandID = d.str()
	e.Digest = d.u64()
	e.LinkID = d.str()
	if e.LinkID != "" {
		e.LinkDigest = d.u64()
	}
	switch e.Kind {
	case EvAssetDefined:
		e.Asset = d.str()
		e.Scale = d.byte1()
	case EvAccountOpened:
		e.Account = d.str()
		e.Asset = d.str()
		e.Flags = AccountFlags(d.byte1())
	case EvTransferPosted, EvPendingCreated, EvPendingPosted, EvPendingVoided:
		e.Asset = d.str()
		e.Scale = d.byte1()
		e.Amount = d.amount()
		e.PendingID = d.str()
		e.NLegs = 2
		for i := range 2 {
			l := &e.Legs[i]
			l.Account = d.str()
			l.Side = Side(d.byte1())
			l.Delta = d.amount()
			l.Before = d.amount()
			l.After = d.amount()
			l.PendingBefore = d.amount()
			l.PendingAfter = d.amount()
		}
	case EvDayClosed:
		e.Day = d.day()
		copy(e.StateHash[:], d.fixed(32))
	case EvCommandRejected:
		e.Code = Code(d.byte1())
		e.CommandKind = CommandKind(d.byte1())
		e.Detail = d.str()
	default:
		d.fail("unknown event kind " + strconv.Itoa(int(e.Kind)))
	}
	e.Hash = d.hash()
}

// VerifyChain checks that every event's hash is the hash of its body chained
// to the previous one, starting from prev. It returns the index of the first
// event that does not match, or -1.
func VerifyChain(events []Event, prev [32]byte) int {
	for i := range events {
		if EventHash(prev, &events[i]) != events[i].Hash {
			return i
		}
		prev = events[i].Hash
	}
	return -1
}
