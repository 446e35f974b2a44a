package ingest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/tape-ledger/tape/internal/workload"
	"github.com/tape-ledger/tape/ledgercore"
)

// decodeAll decodes body to the end, collecting commands and errors. It
// fails the test if the decoder does not stop within a bound.
func decodeAll(t testing.TB, body []byte) ([]TimedCommand, []error) {
	t.Helper()
	return decodeAllFrom(t, bytes.NewReader(body), len(body))
}

// testDecoder is reused by the tests, which do not run in parallel.
var testDecoder = NewCommandDecoder(nil)

func decodeAllFrom(t testing.TB, r io.Reader, size int) ([]TimedCommand, []error) {
	t.Helper()
	d := testDecoder
	d.Reset(r)
	var cmds []TimedCommand
	var errs []error
	for range size + 2 {
		tc, err := d.Next()
		switch {
		case err == io.EOF:
			return cmds, errs
		case err != nil:
			errs = append(errs, err)
		default:
			cmds = append(cmds, tc)
		}
	}
	t.Fatalf("decoder did not reach io.EOF after %d calls", size+2)
	return nil, nil
}

func decodeOne(t *testing.T, line string) (TimedCommand, error) {
	t.Helper()
	cmds, errs := decodeAll(t, []byte(line))
	if len(cmds)+len(errs) != 1 {
		t.Fatalf("%s: got %d commands and errors %v, want one result", line, len(cmds), errs)
	}
	if len(errs) == 1 {
		return TimedCommand{}, errs[0]
	}
	return cmds[0], nil
}

const tsExample = 1767605400_000000001 // 2026-01-05T09:30:00.000000001Z

func TestDecodeCommands(t *testing.T) {
	tests := []struct {
		line string
		want TimedCommand
	}{
		{`{"type":"define_asset","id":"asset:USD","ts":"2026-01-05T09:30:00.000000001Z","asset":"USD","scale":2}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdDefineAsset, ID: "asset:USD", Asset: "USD", Scale: 2}, Ts: tsExample}},
		{`{"type":"open_account","id":"open:alice","account":"alice","asset":"USD","flags":["debits_must_not_exceed_credits"]}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "open:alice", Account: "alice", Asset: "USD", Flags: ledgercore.FlagDebitsMustNotExceedCredits}}},
		{`{"type":"open_account","id":"o","account":"a","asset":"USD","flags":[]}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "o", Account: "a", Asset: "USD"}}},
		{`{"type":"open_account","id":"o","account":"a","asset":"USD","flags":["credits_must_not_exceed_debits","debits_must_not_exceed_credits"]}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "o", Account: "a", Asset: "USD", Flags: 3}}},
		{`{"type":"transfer","id":"t:42","debit":"ext:USD","credit":"alice","asset":"USD","amount":"100.25"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdTransfer, ID: "t:42", Debit: "ext:USD", Credit: "alice", Asset: "USD", Amount: "100.25"}}},
		{` { "amount" : "-1" , "asset":"X","credit":"b","debit":"a","id":"p","type":"pending_transfer","ts":7 } ` + "\r",
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdPendingTransfer, ID: "p", Debit: "a", Credit: "b", Asset: "X", Amount: "-1"}, Ts: 7}},
		{`{"type":"post_pending","id":"pp:44","pending_id":"p:43","amount":"5.00"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdPostPending, ID: "pp:44", PendingID: "p:43", Amount: "5.00"}}},
		{`{"type":"post_pending","id":"pp:44","pending_id":"p:43"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdPostPending, ID: "pp:44", PendingID: "p:43"}}},
		{`{"type":"void_pending","id":"v:45","pending_id":"p:43"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdVoidPending, ID: "v:45", PendingID: "p:43"}}},
		{`{"type":"linked","id":"l:46","ts":"2026-01-05T10:30:00.000000001+01:00","commands":[` +
			`{"type":"transfer","id":"l:46.0","debit":"a","credit":"b","asset":"USD","amount":"1"},` +
			`{"type":"void_pending","id":"l:46.1","pending_id":"p:1"}]}`,
			TimedCommand{Ts: tsExample, Cmd: ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l:46", Commands: []ledgercore.Command{
				{Kind: ledgercore.CmdTransfer, ID: "l:46.0", Debit: "a", Credit: "b", Asset: "USD", Amount: "1"},
				{Kind: ledgercore.CmdVoidPending, ID: "l:46.1", PendingID: "p:1"},
			}}}},
		// An empty batch is the core's to reject (linked_batch_empty).
		{`{"type":"linked","id":"l","commands":[]}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l"}}},
		// Escapes decode; what the core thinks of the ids is its business.
		{`{"type":"void_pending","id":"\u0076:\"1\"\/\ud83d\ude00é","pending_id":"\t"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdVoidPending, ID: "v:\"1\"/\U0001F600é", PendingID: "\t"}}},
		// Semantic nonsense passes: the core rejects it with a code.
		{`{"type":"define_asset","id":"a","asset":"usd","scale":255}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdDefineAsset, ID: "a", Asset: "usd", Scale: 255}}},
		{`{"type":"transfer","id":"tape:x","debit":"a","credit":"a","asset":"","amount":"1e5"}`,
			TimedCommand{Cmd: ledgercore.Command{Kind: ledgercore.CmdTransfer, ID: "tape:x", Debit: "a", Credit: "a", Amount: "1e5"}}},
	}
	for _, tt := range tests {
		got, err := decodeOne(t, tt.line)
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		tt.want.Line = 1
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.line, got, tt.want)
		}
	}
}

func TestDecodeCommandErrors(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	tr := func(fields string) string {
		return `{"type":"transfer","id":"t","debit":"a","credit":"b","asset":"USD"` + fields + `}`
	}
	tests := []struct{ line, want string }{
		{tr(`,"amount":100.25`), `line 1: field "amount": amount must be a decimal string, not a JSON number`},
		{tr(`,"amount":-1`), `line 1: field "amount": amount must be a decimal string, not a JSON number`},
		{tr(`,"amount":null`), `line 1: field "amount": amount must be a string, not null`},
		{tr(`,"ammount":"1"`), `line 1: field "ammount": unknown field; a "transfer" command has type, id, ts, asset, debit, credit, amount`},
		{tr(`,"ammount":{"x":[1,"]"]},"amount":"1"`), `line 1: field "ammount": unknown field; a "transfer" command has type, id, ts, asset, debit, credit, amount`},
		{tr(`,"amount":"1","scale":2`), `line 1: field "scale": not a field of a "transfer" command, which has type, id, ts, asset, debit, credit, amount`},
		{`{"type":"transfer","id":"t","credit":"b","asset":"USD","amount":"1"}`, `line 1: field "debit": missing; a "transfer" command needs type, id, asset, debit, credit, amount`},
		{`{"type":"xfer","id":"t"}`, `line 1: field "type": unknown command type "xfer"; valid types: define_asset, open_account, transfer, pending_transfer, post_pending, void_pending, linked`},
		{`{"type":"close_day","id":"t"}`, `line 1: field "type": close_day is issued by the sequencer, not by clients`},
		{`{"id":"t"}`, `line 1: field "type": missing; valid types: define_asset, open_account, transfer, pending_transfer, post_pending, void_pending, linked`},
		{`{"type":3}`, `line 1: field "type": type must be a string, not a JSON number`},
		{tr(`,"amount":"1","debit":"c"`), `line 1: field "debit": appears twice`},
		{tr(`,"amount":"` + long(65) + `"`), `line 1: field "amount": amount is 65 bytes long, at most 64 allowed`},
		{`{"type":"void_pending","id":"` + long(129) + `","pending_id":"p"}`, `line 1: field "id": id is 129 bytes long, at most 128 allowed`},
		{`{"type":"void_pending","id":"v","pending_id":"` + long(129) + `"}`, `line 1: field "pending_id": pending_id is 129 bytes long, at most 128 allowed`},
		{`{"type":"open_account","id":"o","account":"` + long(65) + `","asset":"USD"}`, `line 1: field "account": account is 65 bytes long, at most 64 allowed`},
		{`{"type":"define_asset","id":"a","asset":"ABCDEFGHIJKLM","scale":2}`, `line 1: field "asset": asset is 13 bytes long, at most 12 allowed`},
		{`{"type":"void_pending","id":"","pending_id":"p"}`, `line 1: field "id": id must not be empty`},
		{`{"type":"post_pending","id":"pp","pending_id":"p","amount":""}`, `line 1: field "amount": amount must not be empty; leave it out to post the full amount`},
		{tr(`,"amount":"1","debit":true`), `line 1: field "debit": appears twice`},
		{`{"debit":true}`, `line 1: field "debit": debit must be a string, not a boolean`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":"2"}`, `line 1: field "scale": scale must be an integer 0..255, not a string`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":256}`, `line 1: field "scale": scale must be an integer 0..255`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":-1}`, `line 1: field "scale": scale must be an integer 0..255`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":2.0}`, `line 1: field "scale": scale must be an integer`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":1e2}`, `line 1: field "scale": scale must be an integer`},
		{`{"type":"define_asset","id":"a","asset":"USD","scale":02}`, `line 1: invalid JSON at byte 55: a number may not start with 0`},
		{`{"ts":"2026-01-05T09:30:00"}`, `line 1: field "ts": ts must have a time zone: Z or +hh:mm or -hh:mm`},
		{`{"ts":"2026-01-05T09:30:00+0100"}`, `line 1: field "ts": ts must end in a time zone: Z or +hh:mm or -hh:mm`},
		{`{"ts":"2026-02-30T09:30:00Z"}`, `line 1: field "ts": ts is not a valid date and time`},
		{`{"ts":"2026-01-05T24:00:00Z"}`, `line 1: field "ts": ts is not a valid date and time`},
		{`{"ts":"2026-01-05 09:30:00Z"}`, `line 1: field "ts": ts must be RFC 3339 text like "2026-01-05T09:30:00.000000001Z"`},
		{`{"ts":"2026-01-05T09:30:00.Z"}`, `line 1: field "ts": ts must be RFC 3339 text like "2026-01-05T09:30:00.000000001Z"`},
		{`{"ts":"2026-01-05T09:30:00.0000000001Z"}`, `line 1: field "ts": ts has more than 9 fractional digits (ns)`},
		{`{"ts":"1969-12-31T23:59:59Z"}`, `line 1: field "ts": ts must be after 1970-01-01T00:00:00Z and before 2262`},
		{`{"ts":"1970-01-01T00:00:00Z"}`, `line 1: field "ts": ts must be after 1970-01-01T00:00:00Z and before 2262`},
		{`{"ts":"2262-04-12T00:00:00Z"}`, `line 1: field "ts": ts must be after 1970-01-01T00:00:00Z and before 2262`},
		{`{"ts":0}`, `line 1: field "ts": ts must be an integer of ns after 1970-01-01T00:00:00Z that fits in 64 bits`},
		{`{"ts":-5}`, `line 1: field "ts": ts must be an integer of ns after 1970-01-01T00:00:00Z that fits in 64 bits`},
		{`{"ts":9223372036854775808}`, `line 1: field "ts": ts must be an integer of ns after 1970-01-01T00:00:00Z that fits in 64 bits`},
		{`{"ts":12345678901234567890}`, `line 1: field "ts": ts has too many digits`},
		{`{"ts":1.5}`, `line 1: field "ts": ts must be an integer`},
		{`{"ts":{}}`, `line 1: field "ts": ts must be an RFC 3339 string or an integer of ns since the epoch, not an object`},
		{`{"flags":"debits_must_not_exceed_credits"}`, `line 1: field "flags": flags must be an array of flag names, not a string`},
		{`{"flags":[1]}`, `line 1: field "flags": flags must be an array of flag names, not a JSON number`},
		{`{"flags":["no_overdraft"]}`, `line 1: field "flags": unknown flag "no_overdraft"; valid flags: debits_must_not_exceed_credits, credits_must_not_exceed_debits`},
		{`{"flags":[,]}`, `line 1: invalid JSON at byte 11: expected a value`},
		{`{"type":"linked","id":"l","commands":{}}`, `line 1: field "commands": commands must be an array of command objects, not an object`},
		{`{"type":"linked","id":"l","commands":["t"]}`, `line 1: field "commands[0]": a command in a linked batch must be an object, not a string`},
		{`{"type":"linked","id":"l","commands":[{"type":"void_pending","id":"v","pending_id":"p","ts":1}]}`,
			`line 1: field "commands[0].ts": a command in a linked batch has no ts of its own; give ts on the batch`},
		{`{"type":"linked","id":"l","commands":[{"type":"void_pending","id":"v","pending_id":"p"},{"type":"void_pending","id":"w","pendingid":"p"}]}`,
			`line 1: field "commands[1].pendingid": unknown field; a "void_pending" command has type, id, ts, pending_id`},
		{`{"type":"linked","id":"l","commands":[{"type":"linked","id":"m","commands":[]}]}`,
			`line 1: field "commands[0].commands": a command in a linked batch cannot hold commands of its own`},
		{`{"type":"linked","id":"l","commands":[{"type":"linked","id":"m"}]}`,
			`line 1: field "commands[0].type": a linked batch cannot hold another linked batch`},
		{`{"type":"linked","id":"l","commands":[{"type":"close_day","id":"m"}]}`,
			`line 1: field "commands[0].type": close_day is issued by the sequencer, not by clients`},
		{`{"type":"linked","id":"l","commands":[` + strings.Repeat(`{"type":"void_pending","id":"v","pending_id":"p"},`, 64) + `{}]}`,
			`line 1: field "commands": a linked batch holds at most 64 commands`},
		{`[1]`, `command 1: expected a command object, not a JSON number`},
		{`"x"`, `line 1: expected a command object, not a string`},
		{`x`, `line 1: expected a command object, not 'x'`},
		{"\x01", `line 1: expected a command object, not byte 0x01`},
		{`{"type":"void_pending","id":"v","pending_id":"p"} {}`, `line 1: invalid JSON at byte 51: unexpected data after the command object`},
		{`{"type":"void_pending","id":"v","pending_id":"p"`, `line 1: invalid JSON at byte 49: unexpected end of input, expected ',' or '}'`},
		{`{"type":"void_pending" "id":"v"}`, `line 1: invalid JSON at byte 24: expected ',' or '}' after a field's value`},
		{`{"type" "void_pending"}`, `line 1: invalid JSON at byte 9: expected ':'`},
		{`{type:"void_pending"}`, `line 1: invalid JSON at byte 2: expected a field name in double quotes`},
		{`{"type":"void_pending",}`, `line 1: invalid JSON at byte 24: expected a field name in double quotes`},
		{`{"id":"a`, `line 1: invalid JSON at byte 9: unexpected end of input inside a string`},
		{`{"id":"a\x"}`, `line 1: invalid JSON at byte 9: invalid escape in a string`},
		{`{"id":"a` + "\t" + `"}`, `line 1: invalid JSON at byte 9: control character in a string (escape it)`},
		{`{"id":"a` + "\xff" + `"}`, `line 1: invalid JSON at byte 9: invalid UTF-8 in a string`},
		{`{"id":"\udc00"}`, `line 1: invalid JSON at byte 14: \u escape is a lone low surrogate`},
		{`{"id":"\ud800x"}`, `line 1: invalid JSON at byte 14: \u escape is a high surrogate without its low one`},
		{`{"id":"\u12g4"}`, `line 1: invalid JSON at byte 10: \u escape needs 4 hex digits`},
		{`{"id":"` + long(300) + `"}`, `line 1: field "id": id is 300 bytes long, at most 128 allowed`},
		{`{"x` + long(100) + `":1,"type":"void_pending"}`, `line 1: field "x` + long(63) + `...": unknown field; a "void_pending" command has type, id, ts, pending_id`},
	}
	for _, tt := range tests {
		_, err := decodeOne(t, tt.line)
		var ce *CommandError
		if !errors.As(err, &ce) {
			t.Errorf("%s: got error %v, want a *CommandError", tt.line, err)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%s:\n got %s\nwant %s", tt.line, err, tt.want)
		}
	}
}

func TestDecodeFraming(t *testing.T) {
	const v = `{"type":"void_pending","id":"v","pending_id":"p"}`
	tooLong := `{"type":"void_pending","id":"v","pending_id":"p","x":"` + strings.Repeat("x", CommandBytesMax) + `"}`
	longest := v[:len(v)-1] + strings.Repeat(" ", CommandBytesMax-len(v)) + "}"
	tests := []struct {
		name, body string
		lines      []int    // Line of each decoded command
		errs       []string // errors, in order
	}{
		{"longest line", longest + "\n" + longest + " \n" + longest, []int{1, 3}, []string{`line 2: line is longer than 65536 bytes`}},
		{"longest element", "[" + longest + "," + longest + "]", []int{1, 2}, nil},
		{"element too long", "[" + longest + "," + longest[:CommandBytesMax-1] + " }]", []int{1}, []string{`command 2: command is longer than 65536 bytes`}},
		{"empty", "", nil, nil},
		{"space", " \n\t\r\n", nil, nil},
		{"blank lines", "\n\n" + v + "\n  \n" + v + "\r\n\n", []int{3, 5}, nil},
		{"no final newline", v + "\n" + v, []int{1, 2}, nil},
		{"error then more", v + "\n{\n" + v + "\n", []int{1, 3}, []string{`line 2: invalid JSON at byte 2: unexpected end of input, expected a field name in double quotes`}},
		{"array line in NDJSON", v + "\n[1]\n", []int{1}, []string{`line 2: expected a command object, not an array`}},
		{"line too long", v + "\n" + tooLong + "\n" + v, []int{1, 3}, []string{`line 2: line is longer than 65536 bytes`}},
		{"line too long at the end", tooLong + strings.Repeat("y", 2*CommandBytesMax), nil, []string{`line 1: line is longer than 65536 bytes`}},
		{"array", " [" + v + " ,\n" + v + "] \n", []int{1, 2}, nil},
		{"empty array", "[ ]", nil, nil},
		{"array error then more", "[" + v + `,{"id":1},` + v + "]", []int{1, 3}, []string{`command 2: field "id": id must be a string, not a JSON number`}},
		{"array trailing comma", "[" + v + ",]", []int{1}, []string{`command 2: expected a command object, not ']'`}},
		{"array missing comma", "[" + v + v + "]", []int{1}, []string{`command 2: expected ',' or ']' after the previous command`}},
		{"array not closed", "[" + v + ",", []int{1}, []string{`command 2: unexpected end of input: the array is not closed with ']'`}},
		{"array cut in a command", "[" + v[:20], nil, []string{`command 1: unexpected end of input inside a command`}},
		{"array of numbers", "[1]", nil, []string{`command 1: expected a command object, not a JSON number`}},
		{"data after array", "[" + v + "] x", []int{1}, []string{`command 2: unexpected data after the array's closing ']'`}},
		{"two arrays", "[][]", nil, []string{`command 1: unexpected data after the array's closing ']'`}},
		{"array element too long", "[" + tooLong + "]", nil, []string{`command 1: command is longer than 65536 bytes`}},
		{"array braces in strings", `[{"type":"void_pending","id":"}]\"{","pending_id":"p"}]`, []int{1}, nil},
	}
	for _, tt := range tests {
		cmds, errs := decodeAll(t, []byte(tt.body))
		checkDecoding(t, []byte(tt.body)) // also one byte per read
		var lines []int
		for _, c := range cmds {
			lines = append(lines, c.Line)
		}
		var texts []string
		for _, e := range errs {
			texts = append(texts, e.Error())
		}
		if !reflect.DeepEqual(lines, tt.lines) || !reflect.DeepEqual(texts, tt.errs) {
			t.Errorf("%s:\n got lines %v errors %q\nwant lines %v errors %q", tt.name, lines, texts, tt.lines, tt.errs)
		}
	}
}

// TestDecodeTs checks RFC 3339 text against the time package.
func TestDecodeTs(t *testing.T) {
	for _, s := range []string{
		"2026-01-05T09:30:00Z", "2026-01-05T09:30:00.5Z", "2026-01-05T09:30:00.123456789Z",
		"2026-01-05t09:30:00.1234z", "2026-01-05T09:30:00.000000001+05:30", "2026-01-05T00:00:00-23:59",
		"2024-02-29T12:00:00Z", "1970-01-01T00:00:00.000000001Z", "2262-04-11T23:47:15.999999999Z",
		"1970-01-01T01:00:00.5+01:00",
	} {
		want, err := time.Parse(time.RFC3339Nano, strings.ToUpper(s))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeOne(t, `{"ts":"`+s+`","type":"void_pending","id":"v","pending_id":"p"}`)
		if err != nil {
			t.Errorf("%s: %v", s, err)
			continue
		}
		if got.Ts != want.UnixNano() {
			t.Errorf("%s: ts %d, want %d", s, got.Ts, want.UnixNano())
		}
		n, err := decodeOne(t, `{"ts":`+strconv.FormatInt(got.Ts, 10)+`,"type":"void_pending","id":"v","pending_id":"p"}`)
		if err != nil || n.Ts != got.Ts {
			t.Errorf("%s as an integer: ts %d, %v", s, n.Ts, err)
		}
	}
}

// TestArrayEqualsNDJSON decodes a generated workload as NDJSON and as a JSON
// array: the commands must be the same, and every line must decode.
func TestArrayEqualsNDJSON(t *testing.T) {
	var body bytes.Buffer
	st, err := workload.Generate(&body, workload.Options{Seed: 7, N: 3000})
	if err != nil {
		t.Fatal(err)
	}
	lines, errs := decodeAll(t, body.Bytes())
	if len(errs) > 0 || int64(len(lines)) != st.Lines {
		t.Fatalf("NDJSON: %d commands of %d, errors %v", len(lines), st.Lines, errs)
	}
	array := append([]byte{'['}, bytes.ReplaceAll(bytes.TrimSpace(body.Bytes()), []byte("\n"), []byte(",\n  "))...)
	array = append(array, ']')
	elems, errs := decodeAll(t, array)
	if len(errs) > 0 || len(elems) != len(lines) {
		t.Fatalf("array: %d commands, want %d; errors %v", len(elems), len(lines), errs)
	}
	linked := 0
	for i := range lines {
		if lines[i].Ts == 0 || lines[i].Line != i+1 {
			t.Fatalf("line %d: %+v", i+1, lines[i])
		}
		if !reflect.DeepEqual(lines[i], elems[i]) {
			t.Fatalf("command %d:\nNDJSON %+v\n array %+v", i+1, lines[i], elems[i])
		}
		linked += len(lines[i].Cmd.Commands)
	}
	if int64(linked) != st.LinkedLegs {
		t.Fatalf("%d linked commands, want %d", linked, st.LinkedLegs)
	}
}

// TestDecodeSmallReads feeds the decoder one byte per read and checks that
// the result does not depend on how the input arrives.
func TestDecodeSmallReads(t *testing.T) {
	var body bytes.Buffer
	if _, err := workload.Generate(&body, workload.Options{Seed: 3, N: 300}); err != nil {
		t.Fatal(err)
	}
	want, _ := decodeAll(t, body.Bytes())
	for _, r := range []io.Reader{
		iotest.OneByteReader(bytes.NewReader(body.Bytes())),
		iotest.DataErrReader(bytes.NewReader(body.Bytes())),
		iotest.HalfReader(bytes.NewReader(body.Bytes())),
	} {
		d := NewCommandDecoder(r)
		for i := 0; ; i++ {
			tc, err := d.Next()
			if err == io.EOF {
				if i != len(want) {
					t.Fatalf("%d commands, want %d", i, len(want))
				}
				break
			}
			if err != nil || !reflect.DeepEqual(tc, want[i]) {
				t.Fatalf("command %d: %+v, %v", i+1, tc, err)
			}
		}
	}
}

func TestDecodeReadError(t *testing.T) {
	boom := errors.New("boom")
	const v = `{"type":"void_pending","id":"v","pending_id":"p"}` + "\n"
	d := NewCommandDecoder(io.MultiReader(strings.NewReader(v), iotest.ErrReader(boom)))
	if _, err := d.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Next(); !errors.Is(err, boom) {
		t.Fatalf("got %v, want %v", err, boom)
	}
	if _, err := d.Next(); err != io.EOF {
		t.Fatalf("after a read error got %v, want io.EOF", err)
	}
	d.Reset(strings.NewReader("[" + v + "]"))
	if tc, err := d.Next(); err != nil || tc.Line != 1 {
		t.Fatalf("after Reset: %+v, %v", tc, err)
	}
}

// TestDecodeAllocs pins the allocations of a transfer: one string holds
// all its text.
func TestDecodeAllocs(t *testing.T) {
	line := []byte(`{"type":"transfer","id":"t:42","ts":"2026-01-05T09:30:00.000000001Z","debit":"ext:USD","credit":"alice","asset":"USD","amount":"100.25"}` + "\n")
	body := bytes.Repeat(line, 100)
	r := bytes.NewReader(body)
	d := NewCommandDecoder(r)
	allocs := testing.AllocsPerRun(10, func() {
		r.Reset(body)
		d.Reset(r)
		for {
			if _, err := d.Next(); err != nil {
				break
			}
		}
	})
	if allocs > 100 {
		t.Fatalf("%v allocations per 100 transfers, want at most 100", allocs)
	}
}

// appendCommandJSON writes tc as the decoder's canonical input.
func appendCommandJSON(b []byte, c *ledgercore.Command, ts int64) []byte {
	str := func(name, v string) {
		s, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		b = append(b, ',', '"')
		b = append(b, name...)
		b = append(b, '"', ':')
		b = append(b, s...)
	}
	b = append(b, `{"type":"`...)
	b = append(b, c.Kind.String()...)
	b = append(b, '"')
	str("id", c.ID)
	if ts != 0 {
		b = strconv.AppendInt(append(b, `,"ts":`...), ts, 10)
	}
	switch c.Kind {
	case ledgercore.CmdDefineAsset:
		str("asset", c.Asset)
		b = strconv.AppendInt(append(b, `,"scale":`...), int64(c.Scale), 10)
	case ledgercore.CmdOpenAccount:
		str("account", c.Account)
		str("asset", c.Asset)
		b = append(b, `,"flags":[`...)
		sep := ""
		for i, n := range ledgercore.FlagNames {
			if c.Flags&(1<<i) != 0 {
				b = append(b, sep+`"`+n+`"`...)
				sep = ","
			}
		}
		b = append(b, ']')
	case ledgercore.CmdTransfer, ledgercore.CmdPendingTransfer:
		str("debit", c.Debit)
		str("credit", c.Credit)
		str("asset", c.Asset)
		str("amount", c.Amount)
	case ledgercore.CmdPostPending, ledgercore.CmdVoidPending:
		str("pending_id", c.PendingID)
		if c.Amount != "" {
			str("amount", c.Amount)
		}
	case ledgercore.CmdLinked:
		b = append(b, `,"commands":[`...)
		for i := range c.Commands {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendCommandJSON(b, &c.Commands[i], 0)
		}
		b = append(b, ']')
	}
	return append(b, '}')
}
