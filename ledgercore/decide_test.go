package ledgercore

import (
	"strings"
	"testing"
)

// newTestLedger has USD (scale 2) and BTC (scale 8), an external USD account
// and two customers: alice (funded with 100.00, must not overdraw) and bob.
func newTestLedger(t *testing.T) *sequence {
	t.Helper()
	q := &sequence{s: Genesis(), tb: t}
	q.must(Command{Kind: CmdDefineAsset, ID: "a1", Asset: "USD", Scale: 2})
	q.must(Command{Kind: CmdDefineAsset, ID: "a2", Asset: "BTC", Scale: 8})
	q.must(Command{Kind: CmdOpenAccount, ID: "o1", Account: "ext:USD", Asset: "USD"})
	q.must(Command{Kind: CmdOpenAccount, ID: "o2", Account: "alice", Asset: "USD", Flags: FlagDebitsMustNotExceedCredits})
	q.must(Command{Kind: CmdOpenAccount, ID: "o3", Account: "bob", Asset: "USD", Flags: FlagDebitsMustNotExceedCredits})
	q.must(Command{Kind: CmdOpenAccount, ID: "o4", Account: "credit-line", Asset: "USD", Flags: FlagCreditsMustNotExceedDebits})
	q.must(Command{Kind: CmdOpenAccount, ID: "o5", Account: "btc-wallet", Asset: "BTC"})
	q.must(Command{Kind: CmdTransfer, ID: "fund", Debit: "ext:USD", Credit: "alice", Asset: "USD", Amount: "100.00"})
	q.must(Command{Kind: CmdPendingTransfer, ID: "p-void", Debit: "alice", Credit: "bob", Asset: "USD", Amount: "1.00"})
	q.must(Command{Kind: CmdVoidPending, ID: "v1", PendingID: "p-void"})
	return q
}

func transfer(id, debit, credit, asset, amount string) Command {
	return Command{Kind: CmdTransfer, ID: id, Debit: debit, Credit: credit, Asset: asset, Amount: amount}
}

// TestEveryRejectionCode hits each code with a command that must produce it,
// and checks whether the rejection is recorded (takes a seq) or not.
func TestEveryRejectionCode(t *testing.T) {
	tests := []struct {
		name     string
		cmd      Command
		code     Code
		recorded bool
	}{
		{"insufficient funds", transfer("x1", "alice", "bob", "USD", "100.01"), CodeInsufficientFunds, true},
		{"account not found", transfer("x2", "alice", "nobody", "USD", "1"), CodeAccountNotFound, true},
		{"asset mismatch", transfer("x3", "alice", "btc-wallet", "USD", "1"), CodeAssetMismatch, true},
		{"scale exceeded", transfer("x4", "alice", "bob", "USD", "1.001"), CodeScaleExceeded, true},
		{"amount overflow", transfer("x5", "ext:USD", "bob", "USD", strings.Repeat("9", 40)), CodeAmountOverflow, true},
		{"duplicate account", Command{Kind: CmdOpenAccount, ID: "x6", Account: "alice", Asset: "USD"}, CodeDuplicateAccount, true},
		{"pending not found", Command{Kind: CmdPostPending, ID: "x7", PendingID: "nope"}, CodePendingNotFound, true},
		{"pending already resolved", Command{Kind: CmdPostPending, ID: "x8", PendingID: "p-void"}, CodePendingAlreadyResolved, true},
		{"duplicate command", transfer("fund", "ext:USD", "alice", "USD", "100.00"), CodeDuplicateCommand, false},
		{"invalid amount zero", transfer("x9", "alice", "bob", "USD", "0"), CodeInvalidAmount, true},
		{"invalid amount negative", transfer("x10", "alice", "bob", "USD", "-1"), CodeInvalidAmount, true},
		{"same account", transfer("x11", "alice", "alice", "USD", "1"), CodeSameAccount, true},
		{"asset not found", Command{Kind: CmdOpenAccount, ID: "x12", Account: "c", Asset: "XYZ"}, CodeAssetNotFound, true},
		{"duplicate asset", Command{Kind: CmdDefineAsset, ID: "x13", Asset: "USD", Scale: 2}, CodeDuplicateAsset, true},
		{"invalid scale", Command{Kind: CmdDefineAsset, ID: "x14", Asset: "EUR", Scale: 19}, CodeInvalidScale, true},
		{"invalid asset code", Command{Kind: CmdDefineAsset, ID: "x15", Asset: "usd", Scale: 2}, CodeInvalidAssetCode, true},
		{"invalid account id", Command{Kind: CmdOpenAccount, ID: "x16", Account: "has space", Asset: "USD"}, CodeInvalidAccountID, true},
		{"invalid command id", transfer(strings.Repeat("i", 129), "alice", "bob", "USD", "1"), CodeInvalidCommandID, false},
		{"reserved command id", transfer("tape:x", "alice", "bob", "USD", "1"), CodeInvalidCommandID, false},
		{"command id not UTF-8", transfer("id\xff", "alice", "bob", "USD", "1"), CodeInvalidCommandID, false},
		{"credits exceed debits", transfer("x17", "ext:USD", "credit-line", "USD", "1"), CodeCreditsExceedDebits, true},
		{"pending amount exceeded", Command{Kind: CmdPostPending, ID: "x18", PendingID: "p-open", Amount: "2.01"}, CodePendingAmountExceeded, true},
		{"invalid command", Command{Kind: CmdOpenAccount, ID: "x19", Account: "both", Asset: "USD", Flags: flagsAll}, CodeInvalidCommand, true},
		{"linked batch empty", Command{Kind: CmdLinked, ID: "x20"}, CodeLinkedBatchEmpty, false},
		{"linked batch too long", Command{Kind: CmdLinked, ID: "x21", Commands: make([]Command, LinkedCommandsMax+1)}, CodeLinkedBatchTooLong, false},
		{"linked batch nested", Command{Kind: CmdLinked, ID: "x22", Commands: []Command{{Kind: CmdLinked, ID: "x22.0"}}}, CodeLinkedBatchNested, false},
		{"id reused", transfer("fund", "ext:USD", "alice", "USD", "100.01"), CodeIDReusedWithDifferentCommand, false},
		{"day already closed", CloseDayCommand(-1 << 31), CodeDayAlreadyClosed, true},
		{"close day from a client", Command{Kind: CmdCloseDay, ID: "close", Day: 3}, CodeInvalidCommandID, false},
	}
	hit := map[Code]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := newTestLedger(t)
			q.must(Command{Kind: CmdPendingTransfer, ID: "p-open", Debit: "alice", Credit: "bob", Asset: "USD", Amount: "2.00"})
			before := q.s.Seq
			hashBefore := StateHash(q.s)
			events, rej := q.run(tt.cmd)
			if rej == nil || rej.Code != tt.code {
				t.Fatalf("got rejection %v, want %v", rej, tt.code)
			}
			hit[tt.code] = true
			if tt.recorded {
				if len(events) != 1 || events[0].Kind != EvCommandRejected || events[0].Code != tt.code || q.s.Seq != before+1 {
					t.Fatalf("want one recorded rejection, got %d events, seq %d -> %d", len(events), before, q.s.Seq)
				}
				// A retry returns the same outcome and changes nothing.
				_, again := q.run(tt.cmd)
				if again == nil || again.Code != CodeDuplicateCommand || again.Seq != before+1 {
					t.Fatalf("retry of a recorded rejection: %v", again)
				}
				return
			}
			if len(events) != 0 || q.s.Seq != before || StateHash(q.s) != hashBefore {
				t.Fatalf("unrecorded rejection changed the ledger: %d events, seq %d -> %d", len(events), before, q.s.Seq)
			}
		})
	}
	for _, c := range Codes() {
		if !hit[c] {
			t.Errorf("no test produces rejection code %s", c)
		}
	}
}

func TestTransferLegsAndChain(t *testing.T) {
	q := newTestLedger(t)
	ev := q.must(transfer("t1", "alice", "bob", "USD", "30.5"))
	if len(ev) != 1 || ev[0].Kind != EvTransferPosted {
		t.Fatalf("events = %+v", ev)
	}
	d, c := ev[0].Legs[0], ev[0].Legs[1]
	if d.Account != "alice" || d.Before.Decimal(2) != "100.00" || d.After.Decimal(2) != "69.50" || d.Delta.Decimal(2) != "-30.50" {
		t.Errorf("debit leg = %+v", d)
	}
	if c.Account != "bob" || c.Before.Decimal(2) != "0.00" || c.After.Decimal(2) != "30.50" {
		t.Errorf("credit leg = %+v", c)
	}
	if ev[0].Seq != q.s.Seq || ev[0].Hash != q.s.LastHash {
		t.Errorf("state did not advance to the event")
	}
}

func TestPendingPostPartialReleasesTheRest(t *testing.T) {
	q := newTestLedger(t)
	q.must(Command{Kind: CmdPendingTransfer, ID: "p", Debit: "alice", Credit: "bob", Asset: "USD", Amount: "60.00"})
	// 60 of alice's 100 are held: 40.01 more cannot leave.
	if _, rej := q.run(transfer("t-over", "alice", "bob", "USD", "40.01")); rej == nil || rej.Code != CodeInsufficientFunds {
		t.Fatalf("held funds spent: %v", rej)
	}
	ev := q.must(Command{Kind: CmdPostPending, ID: "pp", PendingID: "p", Amount: "25.00"})
	if ev[0].Kind != EvPendingPosted || ev[0].Amount.Decimal(2) != "25.00" {
		t.Fatalf("post event = %+v", ev[0])
	}
	a, _ := q.s.Account("alice")
	b, _ := q.s.Account("bob")
	if a.Balance.Decimal(2) != "75.00" || !a.DebitsPending.IsZero() || b.Balance.Decimal(2) != "25.00" || !b.CreditsPending.IsZero() {
		t.Fatalf("after partial post: alice %+v bob %+v", a, b)
	}
	if _, rej := q.run(Command{Kind: CmdVoidPending, ID: "v", PendingID: "p"}); rej == nil || rej.Code != CodePendingAlreadyResolved {
		t.Fatalf("void after post: %v", rej)
	}
	if err := CheckInvariants(q.s); err != nil {
		t.Fatal(err)
	}
}

func TestLinkedBatchAllOrNothing(t *testing.T) {
	q := newTestLedger(t)
	ok := Command{Kind: CmdLinked, ID: "l1", Commands: []Command{
		transfer("l1.0", "alice", "bob", "USD", "60"),
		transfer("l1.1", "bob", "alice", "USD", "10"),
	}}
	ev := q.must(ok)
	if len(ev) != 2 || ev[0].LinkID != "l1" || ev[1].Seq != ev[0].Seq+1 {
		t.Fatalf("linked events = %+v", ev)
	}
	hash := StateHash(q.s)
	seq := q.s.Seq
	bad := Command{Kind: CmdLinked, ID: "l2", Commands: []Command{
		transfer("l2.0", "bob", "alice", "USD", "50"),  // fine alone
		transfer("l2.1", "alice", "bob", "USD", "150"), // needs l2.0 first: fine too
		transfer("l2.2", "bob", "alice", "USD", "999"), // fails: the whole batch fails
	}}
	ev, rej := q.run(bad)
	if rej == nil || rej.Code != CodeInsufficientFunds || len(ev) != 3 {
		t.Fatalf("bad batch: %v, %d events", rej, len(ev))
	}
	for i, e := range ev {
		if e.Kind != EvCommandRejected || e.Code != CodeInsufficientFunds || e.Seq != seq+1+uint64(i) {
			t.Errorf("event %d = %+v", i, e)
		}
	}
	a, _ := q.s.Account("alice")
	if a.Balance.Decimal(2) != "50.00" {
		t.Fatalf("failed batch moved money: alice %s", a.Balance.Decimal(2))
	}
	_ = hash
	// Each child id and the batch id return the original outcome.
	for _, id := range []string{"l2", "l2.1"} {
		seqOf, _ := q.s.CommandSeq(id)
		if seqOf == 0 {
			t.Errorf("id %s not remembered", id)
		}
	}
	if _, rej := q.run(bad); rej == nil || rej.Code != CodeDuplicateCommand || rej.Seq != seq+1 {
		t.Fatalf("retry of the batch: %v", rej)
	}
}

func TestLinkedBatchSeesItsOwnEffects(t *testing.T) {
	q := newTestLedger(t)
	q.must(Command{Kind: CmdLinked, ID: "l", Commands: []Command{
		{Kind: CmdOpenAccount, ID: "l.0", Account: "carol", Asset: "USD", Flags: FlagDebitsMustNotExceedCredits},
		transfer("l.1", "alice", "carol", "USD", "10"),
		{Kind: CmdPendingTransfer, ID: "l.2", Debit: "carol", Credit: "bob", Asset: "USD", Amount: "4"},
		{Kind: CmdPostPending, ID: "l.3", PendingID: "l.2"},
	}})
	c, _ := q.s.Account("carol")
	if c.Balance.Decimal(2) != "6.00" || !c.DebitsPending.IsZero() {
		t.Fatalf("carol = %+v", c)
	}
	if err := CheckInvariants(q.s); err != nil {
		t.Fatal(err)
	}
}

func TestCloseDayRecordsStateHash(t *testing.T) {
	q := newTestLedger(t)
	want := StateHash(q.s)
	ev := q.must(CloseDayCommand(DayFromCivil(2026, 1, 5)))
	if ev[0].Kind != EvDayClosed || ev[0].StateHash != want || FormatDay(q.s.ClosedDay) != "2026-01-05" {
		t.Fatalf("close = %+v", ev[0])
	}
}

func TestDecideDoesNotMutate(t *testing.T) {
	q := newTestLedger(t)
	hash := StateHash(q.s)
	seq := q.s.Seq
	cmd := Command{Kind: CmdLinked, ID: "l", Commands: []Command{
		transfer("l.0", "alice", "bob", "USD", "10"),
		{Kind: CmdOpenAccount, ID: "l.1", Account: "dave", Asset: "USD"},
	}}
	Decide(q.s, Envelope{Seq: seq + 1, Ts: q.s.Ts + 1}, &cmd)
	if StateHash(q.s) != hash || q.s.Seq != seq {
		t.Fatal("Decide changed the state")
	}
	if _, ok := q.s.Account("dave"); ok {
		t.Fatal("Decide opened an account")
	}
}

func TestCivilDates(t *testing.T) {
	for _, tt := range []struct {
		y, m, d int
		day     int32
	}{{1970, 1, 1, 0}, {2000, 3, 1, 11017}, {2026, 1, 5, 20458}, {1969, 12, 31, -1}, {2400, 2, 29, 157113}} {
		if got := DayFromCivil(tt.y, tt.m, tt.d); got != tt.day {
			t.Errorf("DayFromCivil(%d-%d-%d) = %d, want %d", tt.y, tt.m, tt.d, got, tt.day)
		}
		y, m, d := CivilDate(tt.day)
		if y != tt.y || m != tt.m || d != tt.d {
			t.Errorf("CivilDate(%d) = %d-%d-%d", tt.day, y, m, d)
		}
	}
	if DayOf(-1) != -1 || DayOf(0) != 0 || DayOf(nsPerDay) != 1 {
		t.Error("DayOf around the epoch")
	}
}

// TestApplyAssertsTheChain: Apply trusts Decide, but checks on its side of
// the boundary that a leg starts at the account's balance, moves it by its
// delta, balances the other leg and keeps the account within its limits.
func TestApplyAssertsTheChain(t *testing.T) {
	breaks := map[string]func(e *Event){
		"before":  func(e *Event) { e.Legs[0].Before = AmountFromInt64(1) },
		"after":   func(e *Event) { e.Legs[1].After = AmountFromInt64(1) },
		"balance": func(e *Event) { e.Legs[1].Delta, e.Legs[1].After = AmountFromInt64(999), AmountFromInt64(999) },
		"limit": func(e *Event) {
			e.Legs[0].Delta, e.Legs[0].After = AmountFromInt64(-20000), AmountFromInt64(-10000)
			e.Legs[1].Delta, e.Legs[1].After = AmountFromInt64(20000), AmountFromInt64(20000)
		},
	}
	for name, breakIt := range breaks {
		t.Run(name, func(t *testing.T) {
			q := newTestLedger(t)
			cmd := transfer("t", "alice", "bob", "USD", "1")
			events, rej := Decide(q.s, Envelope{Seq: q.s.Seq + 1, Ts: q.s.Ts + 1}, &cmd)
			if rej != nil {
				t.Fatal(rej)
			}
			breakIt(&events[0])
			defer func() {
				if r := recover(); r == nil || !strings.HasPrefix(r.(string), "BUG:") {
					t.Fatalf("Apply of a broken event: %v", r)
				}
			}()
			Apply(q.s, &events[0])
		})
	}
}
