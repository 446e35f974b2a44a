package columnar

import (
	"math/rand/v2"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/tape-ledger/tape/ledgercore"
)

// ledger plays the sequencer in tests: it assigns seq and ts, decides and
// applies commands against a real ledgercore state.
type ledger struct {
	tb     testing.TB
	rng    *rand.Rand
	s      *ledgercore.State
	events []ledgercore.Event
	// snapshots holds, per day_closed event, the accounts as they stood.
	snapshots map[uint64][]ledgercore.Account
	ids       uint64              // command ids handed out
	accounts  map[string][]string // account ids by asset
	pendings  []string            // pending ids, resolved or not
}

func newLedger(tb testing.TB, rng *rand.Rand) *ledger {
	return &ledger{tb: tb, rng: rng, s: ledgercore.Genesis(), snapshots: map[uint64][]ledgercore.Account{},
		accounts: map[string][]string{}}
}

// run decides and applies cmd, keeps its events and returns the rejection.
func (l *ledger) run(cmd ledgercore.Command) *ledgercore.Rejection {
	ts := l.s.Ts + 1 + l.rng.Int64N(5_000_000_000)
	if l.s.Seq == 0 {
		// Anywhere in int64, before or after the epoch, far from the ends.
		ts = l.rng.Int64N(1<<62) - 1<<61
	}
	env := ledgercore.Envelope{Seq: l.s.Seq + 1, Ts: ts}
	events, rej := ledgercore.Decide(l.s, env, &cmd)
	for i := range events {
		ledgercore.Apply(l.s, &events[i])
		if events[i].Kind == ledgercore.EvDayClosed {
			l.snapshots[events[i].Seq] = l.s.Accounts()
		}
	}
	l.events = append(l.events, events...)
	return rej
}

// must runs cmd and fails the test if it is rejected.
func (l *ledger) must(cmd ledgercore.Command) {
	l.tb.Helper()
	if rej := l.run(cmd); rej != nil {
		l.tb.Fatalf("command %s %q rejected: %v", cmd.Kind, cmd.ID, rej)
	}
}

// scale returns the scale of an asset the ledger defined.
func (l *ledger) scale(asset string) uint8 {
	a, ok := l.s.Asset(asset)
	if !ok {
		l.tb.Fatalf("asset %s is not defined", asset)
	}
	return a.Scale
}

// runeRanges are where randomText draws runes from: ASCII (with controls and
// NUL), Latin, Greek, CJK, emoji and the last planes.
var runeRanges = [...][2]rune{
	{0x00, 0x7f}, {0xa0, 0x24f}, {0x370, 0x3ff}, {0x4e00, 0x9fff}, {0x1f300, 0x1faff}, {0xe000, 0xf8ff}, {0x10fff0, 0x10ffff},
}

// randomText returns 1..bytesMax bytes of arbitrary valid UTF-8.
func randomText(rng *rand.Rand, bytesMax int) string {
	n := 1 + rng.IntN(bytesMax)
	b := make([]byte, 0, n)
	for {
		r := runeRanges[rng.IntN(len(runeRanges))]
		c := r[0] + rng.Int32N(r[1]-r[0]+1)
		if !utf8.ValidRune(c) {
			continue
		}
		if len(b)+utf8.RuneLen(c) > n {
			if len(b) == 0 {
				continue
			}
			return string(b)
		}
		b = utf8.AppendRune(b, c)
	}
}

// commandID returns a fresh client command id of arbitrary UTF-8.
func (l *ledger) commandID() string {
	for {
		id := randomText(l.rng, ledgercore.CommandIDBytesMax-8)
		l.ids++
		id += "#" + strconv.FormatUint(l.ids, 36) // unique
		if len(id) >= len(ledgercore.ReservedIDPrefix) && id[:len(ledgercore.ReservedIDPrefix)] == ledgercore.ReservedIDPrefix {
			continue
		}
		return id
	}
}

// testAssets are the assets randomLedger defines, one per interesting scale.
var testAssets = []ledgercore.Asset{{Code: "S0", Scale: 0}, {Code: "S2", Scale: 2}, {Code: "S8", Scale: 8}, {Code: "S18", Scale: 18}}

// randomLedger runs n random commands after defining testAssets and opening
// a few accounts in each: transfers, pending transfers and their posts and
// voids, linked batches, day closes and many rejections.
func randomLedger(tb testing.TB, seed uint64, n int) *ledger {
	l := newLedger(tb, rand.New(rand.NewPCG(seed, 0x636f6c756d6e6172)))
	for _, a := range testAssets {
		l.must(ledgercore.Command{Kind: ledgercore.CmdDefineAsset, ID: l.commandID(), Asset: a.Code, Scale: a.Scale})
		for k := range 4 {
			id := a.Code + ":acct-" + strconv.Itoa(k)
			flags := []ledgercore.AccountFlags{0, ledgercore.FlagDebitsMustNotExceedCredits, ledgercore.FlagCreditsMustNotExceedDebits}[k%3]
			l.must(ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: l.commandID(), Account: id, Asset: a.Code, Flags: flags})
			l.accounts[a.Code] = append(l.accounts[a.Code], id)
		}
	}
	for range n {
		l.run(l.randomCommand(true))
	}
	return l
}

// randomCommand returns a random command, often one the ledger rejects.
func (l *ledger) randomCommand(topLevel bool) ledgercore.Command {
	asset := testAssets[l.rng.IntN(len(testAssets))]
	switch k := l.rng.IntN(100); {
	case k < 40:
		return l.transfer(ledgercore.CmdTransfer, asset)
	case k < 60:
		cmd := l.transfer(ledgercore.CmdPendingTransfer, asset)
		l.pendings = append(l.pendings, cmd.ID)
		return cmd
	case k < 80 && len(l.pendings) > 0:
		cmd := ledgercore.Command{Kind: ledgercore.CmdVoidPending, ID: l.commandID(), PendingID: l.pendings[l.rng.IntN(len(l.pendings))]}
		if l.rng.IntN(2) == 0 {
			cmd.Kind = ledgercore.CmdPostPending
			if l.rng.IntN(2) == 0 {
				cmd.Amount = l.amount(asset.Scale) // partial, too much or in the wrong scale
			}
		}
		return cmd
	case k < 85:
		return ledgercore.Command{Kind: ledgercore.CmdOpenAccount, ID: l.commandID(), Account: "dup", Asset: asset.Code}
	case k < 95 && topLevel:
		cmd := ledgercore.Command{Kind: ledgercore.CmdLinked, ID: l.commandID()}
		for range 1 + l.rng.IntN(4) {
			cmd.Commands = append(cmd.Commands, l.randomCommand(false))
		}
		return cmd
	case topLevel:
		day, _ := l.s.LastClosedDay()
		day = max(day, ledgercore.DayOf(l.s.Ts)) + l.rng.Int32N(2)
		return ledgercore.CloseDayCommand(day)
	}
	return l.transfer(ledgercore.CmdTransfer, asset)
}

// transfer returns a transfer between two accounts, most often of asset.
func (l *ledger) transfer(kind ledgercore.CommandKind, asset ledgercore.Asset) ledgercore.Command {
	accts := l.accounts[asset.Code]
	debit, credit := accts[l.rng.IntN(len(accts))], accts[l.rng.IntN(len(accts))]
	if l.rng.IntN(20) == 0 {
		other := testAssets[l.rng.IntN(len(testAssets))].Code
		credit = l.accounts[other][l.rng.IntN(len(l.accounts[other]))]
	}
	return ledgercore.Command{Kind: kind, ID: l.commandID(), Debit: debit, Credit: credit, Asset: asset.Code, Amount: l.amount(asset.Scale)}
}

// amount returns decimal text for an asset of the given scale: small, large,
// at the limit of 20 integer digits, sometimes beyond it or its scale.
func (l *ledger) amount(scale uint8) string {
	intDigits := 1 + l.rng.IntN(3)
	switch l.rng.IntN(10) {
	case 0:
		intDigits = 20
	case 1:
		intDigits = 19 + l.rng.IntN(3)
	case 2, 3:
		intDigits = 1 + l.rng.IntN(20)
	}
	fracDigits := 0
	if scale > 0 {
		fracDigits = l.rng.IntN(int(scale) + 1)
	}
	if l.rng.IntN(50) == 0 {
		fracDigits = int(scale) + 1
	}
	b := make([]byte, 0, intDigits+fracDigits+1)
	if intDigits == 20 && l.rng.IntN(2) == 0 {
		for range intDigits {
			b = append(b, '9')
		}
	} else {
		b = append(b, byte('1'+l.rng.IntN(9)))
		for range intDigits - 1 {
			b = append(b, byte('0'+l.rng.IntN(10)))
		}
	}
	if fracDigits > 0 {
		b = append(b, '.')
		for range fracDigits {
			b = append(b, byte('0'+l.rng.IntN(10)))
		}
	}
	return string(b)
}
