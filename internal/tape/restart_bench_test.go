package tape

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/tape-ledger/tape/ledgercore"
)

// BenchmarkRestart measures how long Open takes on a tape of
// TAPE_BENCH_EVENTS events (default 10 million), twice: after a clean
// shutdown (snapshot at the end) and after a crash whose newest snapshot is
// up to SnapshotEvery commands behind (the tail is replayed). The tape is
// built with fsync off (it is setup, not the measurement) and synced to disk
// before each timed Open; the page cache is warm, as after a process crash.
func BenchmarkRestart(b *testing.B) {
	events := 10_000_000
	if v := os.Getenv("TAPE_BENCH_EVENTS"); v != "" {
		events, _ = strconv.Atoi(v)
	}
	dir := b.TempDir()
	clock := newClock()
	opts := Options{Dir: dir, NoSync: true, Clock: func() int64 { clock.ns += 1000; return clock.ns }}
	l, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	build(b, l, events)
	tail := l.Seq() - l.lastSnapSeq
	// A crash: no final snapshot; wait for a background one to finish.
	l.skipCloseSnapshot = true
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	syscall.Sync() // measure the restart, not the writeback of the build
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		l, err = Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-after-crash")
		b.ReportMetric(float64(tail), "tail-commands")
		l.skipCloseSnapshot = true
		l.Close()
	}
	b.StopTimer()
	l, _ = Open(opts)
	l.Close() // clean shutdown: snapshot at the end
	syscall.Sync()
	b.StartTimer()
	start := time.Now()
	l, err = Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(time.Since(start).Seconds(), "s-after-clean-stop")
	b.ReportMetric(float64(l.Seq()), "events")
	b.ReportMetric(float64(l.TapeBytes())/(1<<20), "tape-MiB")
	l.Close()
}

// build sequences transfers until the tape holds n events.
func build(b *testing.B, l *Ledger, n int) {
	submitAll := func(cmds []ledgercore.Command) {
		in := make([]Input, len(cmds))
		for i := range cmds {
			in[i] = Input{Cmd: cmds[i]}
		}
		if _, err := l.Submit(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
	const accounts = 1000
	setup := []ledgercore.Command{
		{Kind: ledgercore.CmdDefineAsset, ID: "a", Asset: "USD", Scale: 2},
		{Kind: ledgercore.CmdOpenAccount, ID: "o", Account: "ext", Asset: "USD"},
	}
	for i := range accounts {
		id := "acct-" + strconv.Itoa(i)
		setup = append(setup, ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: "o-" + id, Account: id, Asset: "USD", Flags: ledgercore.FlagDebitsMustNotExceedCredits},
			transferUSD("f-"+id, "ext", id, "1000000000"))
	}
	submitAll(setup)
	batch := make([]ledgercore.Command, 0, 4096)
	for i := 0; int(l.Seq()) < n; i++ {
		d, c := (i*7919)%accounts, (i*104729+1)%accounts
		if d == c {
			c = (c + 1) % accounts
		}
		batch = append(batch, transferUSD("t"+strconv.Itoa(i), "acct-"+strconv.Itoa(d), "acct-"+strconv.Itoa(c), "1.25"))
		if len(batch) == cap(batch) || int(l.Seq())+len(batch) >= n {
			submitAll(batch)
			batch = batch[:0]
		}
	}
}

func transferUSD(id, d, c, amount string) ledgercore.Command {
	return ledgercore.Command{Kind: ledgercore.CmdTransfer, ID: id, Debit: d, Credit: c, Asset: "USD", Amount: amount}
}
