package ingest

import (
	"strconv"
	"strings"

	"github.com/tape-ledger/tape/ledgercore"
)

// field is one known key of a command object.
type field uint8

const (
	fType field = iota
	fID
	fTs
	fAsset
	fScale
	fAccount
	fFlags
	fDebit
	fCredit
	fAmount
	fPendingID
	fCommands
	fieldsCount
)

var fieldNames = [fieldsCount]string{
	"type", "id", "ts", "asset", "scale", "account", "flags", "debit", "credit", "amount", "pending_id", "commands",
}

func (f field) String() string { return fieldNames[f] }

// fieldSet is a set of fields, one bit each.
type fieldSet uint16

func setOf(fs ...field) fieldSet {
	var s fieldSet
	for _, f := range fs {
		s |= 1 << f
	}
	return s
}

func (s fieldSet) has(f field) bool { return s&(1<<f) != 0 }

// first returns the field of s with the lowest number; s is not empty.
func (s fieldSet) first() field {
	for f := range fieldsCount {
		if s.has(f) {
			return f
		}
	}
	panic("BUG: ingest: first of an empty field set")
}

// fieldOf returns the field named k.
func fieldOf(k []byte) (field, bool) {
	switch string(k) {
	case "type":
		return fType, true
	case "id":
		return fID, true
	case "ts":
		return fTs, true
	case "asset":
		return fAsset, true
	case "scale":
		return fScale, true
	case "account":
		return fAccount, true
	case "flags":
		return fFlags, true
	case "debit":
		return fDebit, true
	case "credit":
		return fCredit, true
	case "amount":
		return fAmount, true
	case "pending_id":
		return fPendingID, true
	case "commands":
		return fCommands, true
	}
	return 0, false
}

// stringBytesMax is the longest text each string field may hold (the
// ledgercore limits); 0 marks fields that are not strings.
var stringBytesMax = [fieldsCount]int{
	fID:        ledgercore.CommandIDBytesMax,
	fAsset:     ledgercore.AssetCodeBytesMax,
	fAccount:   ledgercore.AccountIDBytesMax,
	fDebit:     ledgercore.AccountIDBytesMax,
	fCredit:    ledgercore.AccountIDBytesMax,
	fAmount:    ledgercore.AmountBytesMax,
	fPendingID: ledgercore.CommandIDBytesMax,
}

// fieldsRequired and fieldsAllowed say which fields each kind of client
// command needs and may have (see ledgercore.Command). A kind without
// required fields is not accepted from clients.
var (
	fieldsRequired = [kindsEnd]fieldSet{
		ledgercore.CmdDefineAsset:     setOf(fType, fID, fAsset, fScale),
		ledgercore.CmdOpenAccount:     setOf(fType, fID, fAccount, fAsset),
		ledgercore.CmdTransfer:        setOf(fType, fID, fDebit, fCredit, fAsset, fAmount),
		ledgercore.CmdPendingTransfer: setOf(fType, fID, fDebit, fCredit, fAsset, fAmount),
		ledgercore.CmdPostPending:     setOf(fType, fID, fPendingID),
		ledgercore.CmdVoidPending:     setOf(fType, fID, fPendingID),
		ledgercore.CmdLinked:          setOf(fType, fID, fCommands),
	}
	fieldsOptional = [kindsEnd]fieldSet{
		ledgercore.CmdOpenAccount: setOf(fFlags),
		ledgercore.CmdPostPending: setOf(fAmount),
	}
)

// kindsEnd bounds the kinds this decoder knows; kinds added to the core
// later are not accepted until they are added here.
const kindsEnd = ledgercore.CmdCloseDay + 1

// fromClients reports whether clients may send commands of kind k.
func fromClients(k ledgercore.CommandKind) bool {
	return k < kindsEnd && fieldsRequired[k] != 0
}

func fieldsAllowed(k ledgercore.CommandKind) fieldSet {
	return fieldsRequired[k] | fieldsOptional[k] | setOf(fTs)
}

// span is a string value inside parser.text.
type span struct{ off, n int32 }

// rawCommand is one command object as parsed, before it becomes a
// ledgercore.Command. Children of a linked batch are a list through
// firstChild and nextSibling (indexes into parser.raws, -1 for none).
type rawCommand struct {
	seen       fieldSet
	kind       ledgercore.CommandKind
	strs       [fieldsCount]span
	scale      uint8
	flags      ledgercore.AccountFlags
	ts         int64
	children   int
	firstChild int32
	lastChild  int32
	next       int32
	unknown    string // path of the first unknown field, if hasUnknown
	hasUnknown bool
}

// parser turns one command object into a ledgercore.Command. Its buffers
// are reused from command to command.
type parser struct {
	s    []byte // the object's bytes
	i    int    // next byte of s to read
	text []byte // every kept string value, packed; one string per command
	key  []byte // the current key, unescaped
	raws []rawCommand
	path []int // child indexes from the top command down to the current one

	errField, errMsg string
}

// command parses b, which must hold one JSON object and space. On false
// p.errField and p.errMsg say why.
func (p *parser) command(b []byte) (ledgercore.Command, int64, bool) {
	p.s, p.i = b, 0
	p.text, p.raws, p.path = p.text[:0], p.raws[:0], p.path[:0]
	p.errField, p.errMsg = "", ""
	p.space()
	if p.i < len(p.s) && p.s[p.i] != '{' {
		return ledgercore.Command{}, 0, p.fail("", "expected a command object, not "+describeByte(p.s[p.i]))
	}
	if !p.object() {
		return ledgercore.Command{}, 0, false
	}
	p.space()
	if p.i != len(p.s) {
		return ledgercore.Command{}, 0, p.syntax("unexpected data after the command object")
	}
	all := string(p.text)
	return p.build(0, all), p.raws[0].ts, true
}

// fail records an error about field name (a path is added for commands in
// linked batches) and returns false.
func (p *parser) fail(name, msg string) bool {
	if name != "" {
		name = p.fieldPath(name)
	}
	p.errField, p.errMsg = name, msg
	return false
}

func (p *parser) failField(f field, msg string) bool { return p.fail(f.String(), msg) }

func (p *parser) syntax(msg string) bool {
	return p.fail("", "invalid JSON at byte "+strconv.Itoa(p.i+1)+": "+msg)
}

func (p *parser) fieldPath(name string) string {
	var b strings.Builder
	for _, i := range p.path {
		b.WriteString("commands[")
		b.WriteString(strconv.Itoa(i))
		b.WriteString("].")
	}
	b.WriteString(name)
	return b.String()
}

// object parses the command object at p.i into a new rawCommand.
func (p *parser) object() bool {
	ri := int32(len(p.raws))
	p.raws = append(p.raws, rawCommand{firstChild: -1, lastChild: -1, next: -1})
	if !p.expect('{') {
		return false
	}
	p.space()
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return p.validate(ri)
	}
	for {
		p.space()
		if !p.member(ri) {
			return false
		}
		p.space()
		if p.i >= len(p.s) {
			return p.syntax("unexpected end of input, expected ',' or '}'")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return p.validate(ri)
		default:
			return p.syntax("expected ',' or '}' after a field's value")
		}
	}
}

// member parses one "key": value pair of the object raws[ri].
func (p *parser) member(ri int32) bool {
	if p.i >= len(p.s) {
		return p.syntax("unexpected end of input, expected a field name in double quotes")
	}
	if p.s[p.i] != '"' {
		return p.syntax("expected a field name in double quotes")
	}
	var ok bool
	if p.key, ok = p.appendString(p.key[:0]); !ok {
		return false
	}
	p.space()
	if !p.expect(':') {
		return false
	}
	p.space()
	f, known := fieldOf(p.key)
	r := &p.raws[ri]
	switch {
	case !known:
		if !r.hasUnknown {
			r.unknown, r.hasUnknown = p.fieldPath(clip(string(p.key))), true
		}
		return p.skipValue()
	case r.seen.has(f):
		return p.failField(f, "appears twice")
	case f == fTs && len(p.path) > 0:
		return p.failField(f, "a command in a linked batch has no ts of its own; give ts on the batch")
	}
	r.seen |= 1 << f
	return p.value(ri, f)
}

// value parses the value of the known field f of raws[ri].
func (p *parser) value(ri int32, f field) bool {
	if p.i >= len(p.s) {
		return p.syntax("unexpected end of input, expected a value")
	}
	switch f {
	case fType:
		return p.typeValue(ri)
	case fTs:
		return p.tsValue(ri)
	case fScale:
		return p.scaleValue(ri)
	case fFlags:
		return p.flagsValue(ri)
	case fCommands:
		return p.commandsValue(ri)
	}
	return p.stringValue(ri, f)
}

func (p *parser) stringValue(ri int32, f field) bool {
	if c := p.s[p.i]; c != '"' {
		if f == fAmount && jsonTypeAt(c) == typeNumber {
			return p.failField(f, "amount must be a decimal string, not a JSON number")
		}
		return p.wrongType(f, "a string")
	}
	text, off, ok := p.readString()
	if !ok {
		return false
	}
	n := len(text)
	if limit := stringBytesMax[f]; n > limit {
		return p.failField(f, f.String()+" is "+strconv.Itoa(n)+" bytes long, at most "+strconv.Itoa(limit)+" allowed")
	}
	p.raws[ri].strs[f] = span{int32(off), int32(n)}
	return true
}

// wrongType reports that field f holds another JSON type than want.
func (p *parser) wrongType(f field, want string) bool {
	got := jsonTypeAt(p.s[p.i])
	if got == "" {
		return p.syntax("expected a value")
	}
	return p.failField(f, f.String()+" must be "+want+", not "+got)
}

func (p *parser) typeValue(ri int32) bool {
	if p.s[p.i] != '"' {
		return p.wrongType(fType, "a string")
	}
	name, off, ok := p.readString()
	if !ok {
		return false
	}
	k, known := ledgercore.CommandKindByName(string(name))
	switch {
	case known && k == ledgercore.CmdCloseDay:
		return p.failField(fType, "close_day is issued by the sequencer, not by clients")
	case !known || !fromClients(k):
		return p.failField(fType, "unknown command type "+strconv.Quote(clip(string(name)))+"; valid types: "+validTypesList)
	}
	p.text = p.text[:off]
	p.raws[ri].kind = k
	return true
}

// validTypesList lists the command types clients may send, for errors.
var validTypesList = validTypes()

func validTypes() string {
	var names []string
	for k := range kindsEnd {
		if fromClients(k) {
			names = append(names, k.String())
		}
	}
	return strings.Join(names, ", ")
}

func (p *parser) scaleValue(ri int32) bool {
	if jsonTypeAt(p.s[p.i]) != typeNumber {
		return p.wrongType(fScale, "an integer 0..255")
	}
	v, neg, ok := p.integer(fScale)
	if !ok {
		return false
	}
	if neg || v > 255 {
		return p.failField(fScale, "scale must be an integer 0..255")
	}
	p.raws[ri].scale = uint8(v)
	return true
}

func (p *parser) tsValue(ri int32) bool {
	var ts int64
	switch jsonTypeAt(p.s[p.i]) {
	case typeString:
		text, off, ok := p.readString()
		if !ok {
			return false
		}
		var msg string
		ts, msg = parseRFC3339(text)
		p.text = p.text[:off]
		if msg != "" {
			return p.failField(fTs, msg)
		}
	case typeNumber:
		v, neg, ok := p.integer(fTs)
		if !ok {
			return false
		}
		if neg || v == 0 || v > 1<<63-1 {
			return p.failField(fTs, "ts must be an integer of ns after 1970-01-01T00:00:00Z that fits in 64 bits")
		}
		ts = int64(v)
	default:
		return p.wrongType(fTs, "an RFC 3339 string or an integer of ns since the epoch")
	}
	p.raws[ri].ts = ts
	return true
}

// flagNamesList is the valid flag names, for errors.
var flagNamesList = strings.Join(ledgercore.FlagNames[:], ", ")

func (p *parser) flagsValue(ri int32) bool {
	return p.array(fFlags, "an array of flag names", func(int) bool {
		if p.i >= len(p.s) {
			return p.syntax("unexpected end of input in flags")
		}
		return p.flag(ri)
	})
}

// array parses the JSON array at p.i, calling elem for each element with
// p.i at its start; want names the array for a wrong-type error.
func (p *parser) array(f field, want string, elem func(n int) bool) bool {
	if p.s[p.i] != '[' {
		return p.wrongType(f, want)
	}
	p.i++
	for n := 0; ; n++ {
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' && n == 0 {
			p.i++
			return true
		}
		if !elem(n) {
			return false
		}
		if done, ok := p.arrayNext(); !ok || done {
			return ok
		}
	}
}

// flag parses one flag name into raws[ri].flags.
func (p *parser) flag(ri int32) bool {
	if p.s[p.i] != '"' {
		return p.wrongType(fFlags, "an array of flag names")
	}
	name, off, ok := p.readString()
	if !ok {
		return false
	}
	for bit, fn := range ledgercore.FlagNames {
		if string(name) == fn {
			p.raws[ri].flags |= 1 << bit
			p.text = p.text[:off]
			return true
		}
	}
	return p.failField(fFlags, "unknown flag "+strconv.Quote(clip(string(name)))+"; valid flags: "+flagNamesList)
}

// arrayNext reads the ',' or ']' after an array element; done is true after ']'.
func (p *parser) arrayNext() (done, ok bool) {
	p.space()
	if p.i >= len(p.s) {
		return false, p.syntax("unexpected end of input, expected ',' or ']'")
	}
	switch p.s[p.i] {
	case ',':
		p.i++
		return false, true
	case ']':
		p.i++
		return true, true
	}
	return false, p.syntax("expected ',' or ']' after an array element")
}

func (p *parser) commandsValue(ri int32) bool {
	if len(p.path) > 0 {
		return p.failField(fCommands, "a command in a linked batch cannot hold commands of its own")
	}
	return p.array(fCommands, "an array of command objects", func(n int) bool {
		if n == ledgercore.LinkedCommandsMax {
			return p.failField(fCommands, "a linked batch holds at most "+strconv.Itoa(ledgercore.LinkedCommandsMax)+" commands")
		}
		return p.child(ri, n)
	})
}

// child parses the n-th command of the linked batch raws[ri].
func (p *parser) child(ri int32, n int) bool {
	if p.i >= len(p.s) {
		return p.syntax("unexpected end of input in commands")
	}
	if c := p.s[p.i]; c != '{' {
		if jsonTypeAt(c) == "" {
			return p.syntax("expected a command object, not " + describeByte(c))
		}
		return p.fail("commands["+strconv.Itoa(n)+"]", "a command in a linked batch must be an object, not "+jsonTypeAt(c))
	}
	ci := int32(len(p.raws))
	p.path = append(p.path, n)
	if !p.object() {
		return false
	}
	p.path = p.path[:len(p.path)-1]
	r := &p.raws[ri]
	if r.lastChild < 0 {
		r.firstChild = ci
	} else {
		p.raws[r.lastChild].next = ci
	}
	r.lastChild = ci
	r.children++
	return true
}

// validate checks that raws[ri] has the fields its kind needs and no
// others. It runs when the object's '}' has been read.
func (p *parser) validate(ri int32) bool {
	r := &p.raws[ri]
	switch {
	case !r.seen.has(fType):
		return p.failField(fType, "missing; valid types: "+validTypesList)
	case r.hasUnknown:
		p.errField, p.errMsg = r.unknown, "unknown field; "+describe(r.kind, fieldsAllowed(r.kind), "has")
		return false
	case len(p.path) > 0 && r.kind == ledgercore.CmdLinked:
		return p.failField(fType, "a linked batch cannot hold another linked batch")
	}
	if extra := r.seen &^ fieldsAllowed(r.kind); extra != 0 {
		return p.failField(extra.first(), "not a field of "+describe(r.kind, fieldsAllowed(r.kind), ", which has"))
	}
	if missing := fieldsRequired[r.kind] &^ r.seen; missing != 0 {
		return p.failField(missing.first(), "missing; "+describe(r.kind, fieldsRequired[r.kind], "needs"))
	}
	if r.strs[fID].n == 0 {
		return p.failField(fID, "id must not be empty")
	}
	if r.seen.has(fAmount) && r.strs[fAmount].n == 0 && r.kind == ledgercore.CmdPostPending {
		return p.failField(fAmount, "amount must not be empty; leave it out to post the full amount")
	}
	return true
}

// describe says e.g. `a "transfer" command has type, id, ts, ...`.
func describe(k ledgercore.CommandKind, fs fieldSet, verb string) string {
	var b strings.Builder
	b.WriteString("a ")
	b.WriteString(strconv.Quote(k.String()))
	b.WriteString(" command")
	if verb[0] != ',' {
		b.WriteByte(' ')
	}
	b.WriteString(verb)
	sep := " "
	for f := range fieldsCount {
		if fs.has(f) {
			b.WriteString(sep)
			b.WriteString(f.String())
			sep = ", "
		}
	}
	return b.String()
}

// build makes the command from raws[ri], its strings cut from all.
func (p *parser) build(ri int32, all string) ledgercore.Command {
	r := &p.raws[ri]
	str := func(f field) string {
		s := r.strs[f]
		return all[s.off : s.off+s.n]
	}
	c := ledgercore.Command{
		Kind:      r.kind,
		ID:        str(fID),
		Asset:     str(fAsset),
		Scale:     r.scale,
		Account:   str(fAccount),
		Flags:     r.flags,
		Debit:     str(fDebit),
		Credit:    str(fCredit),
		Amount:    str(fAmount),
		PendingID: str(fPendingID),
	}
	if r.children > 0 {
		c.Commands = make([]ledgercore.Command, 0, r.children)
		for ci := r.firstChild; ci >= 0; ci = p.raws[ci].next {
			c.Commands = append(c.Commands, p.build(ci, all))
		}
	}
	return c
}

// clipBytesMax is how much of a client's unknown name an error repeats.
const clipBytesMax = 64

func clip(s string) string {
	if len(s) > clipBytesMax {
		return s[:clipBytesMax] + "..."
	}
	return s
}

// readString appends the JSON string at p.i to p.text and returns its
// (unescaped) bytes and where they start in p.text.
func (p *parser) readString() (b []byte, off int, ok bool) {
	off = len(p.text)
	if p.text, ok = p.appendString(p.text); !ok {
		return nil, off, false
	}
	return p.text[off:], off, true
}
