package ledgercore

import (
	"strconv"
	"testing"
)

// benchLedger returns a ledger with n funded USD accounts.
func benchLedger(tb testing.TB, n int) (*State, *sequence) {
	s := Genesis()
	q := &sequence{s: s, tb: tb}
	q.must(Command{Kind: CmdDefineAsset, ID: "asset:USD", Asset: "USD", Scale: 2})
	q.must(Command{Kind: CmdOpenAccount, ID: "open:ext", Account: "ext:USD", Asset: "USD"})
	for i := range n {
		id := "acct-" + strconv.Itoa(i)
		q.must(Command{Kind: CmdOpenAccount, ID: "open:" + id, Account: id, Asset: "USD", Flags: FlagDebitsMustNotExceedCredits})
		q.must(Command{Kind: CmdTransfer, ID: "fund:" + id, Debit: "ext:USD", Credit: id, Asset: "USD", Amount: "1000000000.00"})
	}
	return s, q
}

// BenchmarkDecideApplyTransfer measures the core on its own: Decide and
// Apply of one transfer, event hashing included, one goroutine.
func BenchmarkDecideApplyTransfer(b *testing.B) {
	const accounts = 1000
	s, _ := benchLedger(b, accounts)
	cmds := make([]Command, 1<<16)
	for i := range cmds {
		d, c := (i*7919)%accounts, (i*104729+1)%accounts
		if d == c {
			c = (c + 1) % accounts
		}
		cmds[i] = Command{Kind: CmdTransfer, Debit: "acct-" + strconv.Itoa(d), Credit: "acct-" + strconv.Itoa(c), Asset: "USD", Amount: "1.25"}
	}
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = "t" + strconv.Itoa(i)
	}
	buf := make([]Event, 0, 4)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		cmd := &cmds[i&(len(cmds)-1)]
		cmd.ID = ids[i]
		var rej *Rejection
		buf, rej = DecideAppend(buf[:0], s, Envelope{Seq: s.Seq + 1, Ts: s.Ts + 1}, cmd)
		if rej != nil {
			b.Fatal(rej)
		}
		Apply(s, &buf[0])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "transfers/s")
}
