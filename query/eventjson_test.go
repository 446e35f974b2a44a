package query

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tape-ledger/tape/internal/testkit"
	"github.com/tape-ledger/tape/ledgercore"
)

// ledger runs commands through the core from genesis.
type ledger struct {
	s  *ledgercore.State
	ts int64
}

func newLedger() *ledger {
	return &ledger{s: ledgercore.Genesis(), ts: 1767605400_000000000} // 2026-01-05T09:30:00Z
}

func (l *ledger) do(t testing.TB, c ledgercore.Command) ([]ledgercore.Event, *ledgercore.Rejection) {
	t.Helper()
	l.ts += 1_500_000_001
	events, rej := ledgercore.Decide(l.s, ledgercore.Envelope{Seq: l.s.Seq + 1, Ts: l.ts}, &c)
	for i := range events {
		ledgercore.Apply(l.s, &events[i])
	}
	l.ts = l.s.Ts
	return events, rej
}

// sampleEvents returns real events of every kind, from one run of the core,
// and a rejection whose detail needs escaping.
func sampleEvents(t testing.TB) []ledgercore.Event {
	l := newLedger()
	var out []ledgercore.Event
	must := func(c ledgercore.Command) {
		t.Helper()
		events, rej := l.do(t, c)
		if rej != nil {
			t.Fatalf("%s: %v", c.ID, rej)
		}
		out = append(out, events...)
	}
	transfer := func(id, debit, credit, amount string) ledgercore.Command {
		return ledgercore.Command{Kind: ledgercore.CmdTransfer, ID: id, Debit: debit, Credit: credit, Asset: "USD", Amount: amount}
	}
	must(ledgercore.Command{Kind: ledgercore.CmdDefineAsset, ID: "asset:USD", Asset: "USD", Scale: 2})
	must(ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "open:ext:USD", Account: "ext:USD", Asset: "USD"})
	must(ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "open:alice", Account: "alice", Asset: "USD", Flags: ledgercore.FlagDebitsMustNotExceedCredits})
	must(ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "open:bob", Account: "bob", Asset: "USD", Flags: ledgercore.FlagDebitsMustNotExceedCredits})
	must(transfer("t:1", "ext:USD", "alice", "100.25"))
	must(ledgercore.Command{Kind: ledgercore.CmdPendingTransfer, ID: "p:2", Debit: "alice", Credit: "bob", Asset: "USD", Amount: "10"})
	must(ledgercore.Command{Kind: ledgercore.CmdPostPending, ID: "pp:3", PendingID: "p:2", Amount: "4.5"})
	must(ledgercore.Command{Kind: ledgercore.CmdPendingTransfer, ID: "p:4", Debit: "alice", Credit: "bob", Asset: "USD", Amount: "0.01"})
	must(ledgercore.Command{Kind: ledgercore.CmdVoidPending, ID: "v:5", PendingID: "p:4"})
	must(ledgercore.Command{Kind: ledgercore.CmdLinked, ID: "l:6", Commands: []ledgercore.Command{
		transfer("l:6.0", "alice", "bob", "30.50"), transfer("l:6.1", "bob", "ext:USD", "0.05"),
	}})
	events, rej := l.do(t, transfer("t:7", "bob", "alice", "1000"))
	if rej == nil || len(events) != 1 {
		t.Fatalf("overdraft: %v, %d events", rej, len(events))
	}
	out = append(out, events...)
	must(ledgercore.CloseDayCommand(ledgercore.DayOf(l.ts)))
	odd := ledgercore.Event{Kind: ledgercore.EvCommandRejected, Seq: 99, Ts: 1, CommandID: "x",
		Code: ledgercore.CodeInvalidAccountID, CommandKind: ledgercore.CmdOpenAccount,
		Detail: "account id \"a\\b\"\n\t\x00\x1f\x7f é \u2028 \xff <&> must be 1-64 bytes"}
	return append(out, odd)
}

func TestEventJSONGolden(t *testing.T) {
	events := sampleEvents(t)
	kinds := map[ledgercore.EventKind]bool{}
	var got bytes.Buffer
	got.WriteString("[\n")
	for i := range events {
		kinds[events[i].Kind] = true
		if i > 0 {
			got.WriteString(",\n")
		}
		got.Write(AppendEventJSON(nil, &events[i]))
	}
	got.WriteString("\n]\n")
	for k := ledgercore.EvAssetDefined; k <= ledgercore.EvCommandRejected; k++ {
		if !kinds[k] {
			t.Errorf("no sample event of kind %s", k)
		}
	}
	testkit.Golden(t, "testdata/events.golden.json", got.Bytes())
}

// TestEventJSONValid reads every sample event back with encoding/json.
func TestEventJSONValid(t *testing.T) {
	for _, e := range sampleEvents(t) {
		b := AppendEventJSON(nil, &e)
		var m map[string]any
		if !json.Valid(b) {
			t.Fatalf("invalid JSON: %s", b)
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != e.Kind.String() || m["seq"] != float64(e.Seq) || m["command_id"] != e.CommandID {
			t.Errorf("%s: read back %v", b, m)
		}
		if e.Kind == ledgercore.EvCommandRejected && m["detail"] != strings.ToValidUTF8(e.Detail, "\uFFFD") {
			t.Errorf("detail %q read back as %q", e.Detail, m["detail"])
		}
		legs, _ := m["legs"].([]any)
		if len(legs) != int(e.NLegs) {
			t.Errorf("%s: %d legs, want %d", b, len(legs), e.NLegs)
		}
		for i, leg := range legs {
			checkLeg(t, leg.(map[string]any), &e.Legs[i], e.Scale)
		}
	}
}

// checkLeg parses a leg's amounts back at the event's scale.
func checkLeg(t *testing.T, m map[string]any, l *ledgercore.Leg, scale uint8) {
	t.Helper()
	for name, want := range map[string]ledgercore.Amount{
		"delta": l.Delta, "balance_before": l.Before, "balance_after": l.After,
		"pending_before": l.PendingBefore, "pending_after": l.PendingAfter,
	} {
		text, _ := m[name].(string)
		got, code := ledgercore.ParseAmount(text, scale)
		if code != ledgercore.CodeNone || got != want {
			t.Errorf("leg %s = %q, want %s", name, text, want.Decimal(scale))
		}
	}
	if m["account"] != l.Account || m["side"] != l.Side.String() {
		t.Errorf("leg %v, want %s %s", m, l.Account, l.Side)
	}
}

// FuzzAppendString checks the escaping against encoding/json: both must
// read back as the same text.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f", "é\u2028\u2029\U0001F600", "\xff\xfe\xed\xa0\x80", "<&>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := AppendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q encoded as %s: %v", s, b, err)
		}
		std, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var want string
		if err := json.Unmarshal(std, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q encoded as %s reads back as %q, encoding/json gives %q", s, b, got, want)
		}
	})
}

func BenchmarkAppendEventJSON(b *testing.B) {
	events := sampleEvents(b)
	var transfer *ledgercore.Event
	for i := range events {
		if events[i].Kind == ledgercore.EvTransferPosted {
			transfer = &events[i]
			break
		}
	}
	buf := AppendEventJSON(nil, transfer)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		buf = AppendEventJSON(buf[:0], transfer)
	}
}
