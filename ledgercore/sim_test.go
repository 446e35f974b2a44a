package ledgercore

import (
	"flag"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

var (
	simSeed     = flag.Uint64("sim.seed", 0, "seed of TestSimulation (0: a new one each run)")
	simCommands = flag.Int("sim.commands", 2_000_000, "commands TestSimulation runs (a tenth with -short)")
)

// TestSimulation drives the core with random commands, many of them invalid,
// and checks every outcome against refLedger, a naive model written
// independently on math/big. After every command it checks the balance
// chain of each leg; every few thousand commands, every invariant and every
// balance. On failure it prints the seed that reproduces the run.
func TestSimulation(t *testing.T) {
	seed := *simSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("simulation seed %d: rerun with go test ./ledgercore -run TestSimulation -sim.seed=%d", seed, seed)
		}
	})
	n := *simCommands
	if testing.Short() {
		n /= 10
	}
	sim := newSimulation(seed)
	q := &sequence{s: Genesis(), tb: t}
	lastAfter := map[string]Amount{}
	accepted, rejected := 0, 0
	for i := 0; i < n; i++ {
		cmd := sim.next(q.s)
		want := sim.ref.decide(&cmd)
		events, rej := q.run(cmd)
		got := CodeNone
		if rej != nil {
			got = rej.Code
		}
		if got != want.code {
			t.Fatalf("command %d %+v: core says %v, reference says %v (%s)", i, cmd, rej, want.code, want.detail)
		}
		if want.code == CodeDuplicateCommand && rej.Seq != want.seq {
			t.Fatalf("command %d: duplicate of seq %d, reference says %d", i, rej.Seq, want.seq)
		}
		if len(events) > 0 {
			sim.ref.commit(&cmd, want, events[0].Seq)
		}
		if rej == nil {
			accepted++
		} else {
			rejected++
		}
		for k := range events {
			for _, l := range events[k].LegsSlice() {
				if after, ok := l.Before.Add(l.Delta); !ok || after != l.After {
					t.Fatalf("seq %d: leg %s: before %s + delta %s != after %s", events[k].Seq, l.Account, l.Before, l.Delta, l.After)
				}
				if prev := lastAfter[l.Account]; prev != l.Before {
					t.Fatalf("seq %d: leg %s starts at %s, previous leg ended at %s", events[k].Seq, l.Account, l.Before, prev)
				}
				lastAfter[l.Account] = l.After
			}
		}
		if i%5000 == 0 || i == n-1 {
			if err := CheckInvariants(q.s); err != nil {
				t.Fatalf("after command %d: %v", i, err)
			}
			sim.ref.compare(t, q.s)
		}
	}
	if accepted < n/3 || rejected < n/50 {
		t.Fatalf("workload too one-sided: %d accepted, %d rejected", accepted, rejected)
	}
	t.Logf("seed %d: %d commands, %d accepted, %d rejected, %d accounts", seed, n, accepted, rejected, len(q.s.accounts))
}

// simulation makes random commands from a seeded generator.
type simulation struct {
	rng      *rand.Rand
	ref      *refLedger
	assets   []string
	accounts []string
	pendings []string
	ids      []string
	n        int
	day      int32
}

func newSimulation(seed uint64) *simulation {
	return &simulation{rng: rand.New(rand.NewPCG(seed, 0x7a9e)), ref: newRefLedger(), day: DayFromCivil(2026, 1, 5)}
}

var simAssets = []struct {
	code  string
	scale uint8
}{{"USD", 2}, {"JPY", 0}, {"BTC", 8}, {"ETH", 18}}

func (m *simulation) id() string {
	m.n++
	id := "c" + strconv.Itoa(m.n)
	m.ids = append(m.ids, id)
	return id
}

func (m *simulation) pick(xs []string, fallback string) string {
	if len(xs) == 0 || m.rng.IntN(40) == 0 {
		return fallback
	}
	return xs[m.rng.IntN(len(xs))]
}

func (m *simulation) amount(scale uint8) string {
	r := m.rng.IntN(100)
	switch {
	case r < 2:
		return "0"
	case r < 3:
		return "-5"
	case r < 4:
		// Near and past the asset's limit of 20 digits before the point.
		text := strings.Repeat("9", 19+m.rng.IntN(3))
		if frac := m.rng.IntN(int(scale) + 1); frac > 0 {
			text += "." + strings.Repeat("9", frac)
		}
		return text
	case r < 5:
		return "1." + strings.Repeat("1", int(scale)+1) // one digit too many
	case r < 6:
		return "1e3"
	}
	units := m.rng.Int64N(1_000_000)
	if r < 30 {
		units = m.rng.Int64N(100)
	}
	s := strconv.FormatInt(units, 10)
	if scale > 0 && m.rng.IntN(2) == 0 {
		frac := m.rng.IntN(int(scale) + 1)
		s += "." + strings.Repeat("7", frac)
		if frac == 0 {
			s = s[:len(s)-1]
		}
	}
	return s
}

func (m *simulation) next(s *State) Command {
	if m.n < len(simAssets) {
		a := simAssets[m.n]
		m.assets = append(m.assets, a.code)
		return Command{Kind: CmdDefineAsset, ID: m.id(), Asset: a.code, Scale: a.scale}
	}
	if m.n < 2*len(simAssets) {
		a := simAssets[m.n-len(simAssets)]
		return Command{Kind: CmdOpenAccount, ID: m.id(), Account: "ext-" + a.code, Asset: a.code}
	}
	r := m.rng.IntN(1000)
	switch {
	case r < 30 || len(m.accounts) < 8:
		return m.open()
	case r < 35:
		// A retry of an earlier command, exactly as it was sent.
		if c, ok := m.ref.sent[m.pick(m.ids, "c1")]; ok {
			return c
		}
		return m.open()
	case r < 37:
		return Command{Kind: CmdDefineAsset, ID: m.id(), Asset: m.pick([]string{"USD", "EUR", "bad code", "X" + strconv.Itoa(m.n)}, "GBP"), Scale: uint8(m.rng.IntN(21))}
	case r < 38:
		m.day += int32(1 + m.rng.IntN(2))
		day := m.day
		if m.rng.IntN(5) == 0 {
			day -= 3 // an old day: rejected
		}
		return CloseDayCommand(day)
	case r < 110:
		return m.pendingTransfer(m.id())
	case r < 230:
		kind := CmdPostPending
		if m.rng.IntN(3) == 0 {
			kind = CmdVoidPending
		}
		c := Command{Kind: kind, ID: m.id(), PendingID: m.pick(m.recentPendings(), "nope")}
		if kind == CmdPostPending && m.rng.IntN(2) == 0 {
			c.Amount = m.amount(2)
		}
		return c
	case r < 300:
		l := Command{Kind: CmdLinked, ID: m.id()}
		for k := range 1 + m.rng.IntN(4) {
			var c Command
			switch m.rng.IntN(5) {
			case 0:
				c = m.pendingTransfer(l.ID + "." + strconv.Itoa(k))
			case 1:
				c = m.open()
				c.ID = l.ID + "." + strconv.Itoa(k)
			default:
				c = m.transfer(l.ID + "." + strconv.Itoa(k))
			}
			l.Commands = append(l.Commands, c)
		}
		return l
	}
	return m.transfer(m.id())
}

// recentPendings are the pending ids a resolution picks from: mostly recent
// ones, so that open pending transfers do not pile up.
func (m *simulation) recentPendings() []string {
	if len(m.pendings) > 200 && m.rng.IntN(10) != 0 {
		return m.pendings[len(m.pendings)-200:]
	}
	return m.pendings
}

func (m *simulation) open() Command {
	acct := "acct-" + strconv.Itoa(m.rng.IntN(60))
	if m.rng.IntN(50) == 0 {
		acct = "bad id!"
	}
	m.accounts = append(m.accounts, acct)
	flags := AccountFlags(0)
	switch m.rng.IntN(10) {
	case 0, 1, 2, 3, 4, 5:
		flags = FlagDebitsMustNotExceedCredits
	case 6:
		flags = FlagCreditsMustNotExceedDebits
	case 7:
		flags = flagsAll
	}
	return Command{Kind: CmdOpenAccount, ID: m.id(), Account: acct, Asset: m.pick(m.assets, "NOPE"), Flags: flags}
}

func (m *simulation) transfer(id string) Command {
	d, c := m.pick(m.accounts, "ghost"), m.pick(m.accounts, "ghost")
	asset := m.ref.assetOf(d)
	if m.rng.IntN(4) == 0 {
		d = "ext-" + asset // deposits keep the customers funded
	}
	for range 8 { // mostly a credit account of the same asset
		if m.ref.assetOf(c) == asset {
			break
		}
		c = m.pick(m.accounts, "ghost")
	}
	if m.rng.IntN(30) == 0 {
		asset = m.pick(m.assets, "NOPE")
	}
	scale := m.ref.assets[asset]
	return Command{Kind: CmdTransfer, ID: id, Debit: d, Credit: c, Asset: asset, Amount: m.amount(scale)}
}

func (m *simulation) pendingTransfer(id string) Command {
	c := m.transfer(id)
	c.Kind = CmdPendingTransfer
	m.pendings = append(m.pendings, id)
	return c
}

// refLedger is the reference model: the same rules, written plainly on
// math/big, with no shared code beyond the command type.
type refLedger struct {
	assets   map[string]uint8
	accounts map[string]*refAccount
	pendings map[string]*refPending
	wasPend  map[string]bool
	ids      map[string]refID
	sent     map[string]Command
	closed   int32
	undo     []func()
}

type refAccount struct {
	asset       string
	flags       AccountFlags
	bal, dp, cp *big.Int
}

type refPending struct {
	debit, credit, asset string
	amount               *big.Int
}

type refID struct {
	seq     uint64
	content string
}

type refOutcome struct {
	code   Code
	detail string
	seq    uint64
}

func newRefLedger() *refLedger {
	return &refLedger{assets: map[string]uint8{}, accounts: map[string]*refAccount{}, pendings: map[string]*refPending{},
		wasPend: map[string]bool{}, ids: map[string]refID{}, sent: map[string]Command{}, closed: -1 << 31}
}

func (r *refLedger) assetOf(acct string) string {
	if a, ok := r.accounts[acct]; ok {
		return a.asset
	}
	return "USD"
}

var (
	// refMax(s) = 10^(20+s) - 1: an asset's amounts have at most 20 digits
	// before the point.
	refDecimal  = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	refAccount_ = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	refAsset    = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)
)

func refMax(scale uint8) *big.Int {
	return new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(20+int64(scale)), nil), big.NewInt(1))
}

func content(c *Command) string { return string(AppendCommand(nil, c)) }

// decide returns what the reference expects for cmd; for accepted and
// recorded outcomes it also applies the command's effects.
func (r *refLedger) decide(c *Command) refOutcome {
	if len(c.ID) == 0 || len(c.ID) > 128 || strings.HasPrefix(c.ID, "tape:") != (c.Kind == CmdCloseDay) {
		return refOutcome{code: CodeInvalidCommandID}
	}
	if prev, ok := r.ids[c.ID]; ok {
		if prev.content != content(c) {
			return refOutcome{code: CodeIDReusedWithDifferentCommand}
		}
		return refOutcome{code: CodeDuplicateCommand, seq: prev.seq}
	}
	if c.Kind != CmdLinked {
		return refOutcome{code: r.apply(c)}
	}
	seen := map[string]bool{c.ID: true}
	for _, k := range c.Commands {
		if _, used := r.ids[k.ID]; used || seen[k.ID] {
			return refOutcome{code: CodeIDReusedWithDifferentCommand}
		}
		seen[k.ID] = true
	}
	r.undo = r.undo[:0]
	for i := range c.Commands {
		if code := r.apply(&c.Commands[i]); code != CodeNone {
			r.undoTo(0)
			return refOutcome{code: code}
		}
	}
	r.undo = r.undo[:0]
	return refOutcome{}
}

// commit remembers the ids of a recorded command.
func (r *refLedger) commit(c *Command, out refOutcome, seq uint64) {
	r.ids[c.ID] = refID{seq: seq, content: content(c)}
	r.sent[c.ID] = *c
	for i, k := range c.Commands {
		r.ids[k.ID] = refID{seq: seq + uint64(i), content: content(&c.Commands[i])}
		if k.Kind == CmdPendingTransfer && out.code == CodeNone {
			r.wasPend[k.ID] = true
		}
	}
	if c.Kind == CmdPendingTransfer && out.code == CodeNone {
		r.wasPend[c.ID] = true
	}
}

// undoLog lets a failed linked batch take back what its commands did.
func (r *refLedger) undoTo(mark int) {
	for len(r.undo) > mark {
		r.undo[len(r.undo)-1]()
		r.undo = r.undo[:len(r.undo)-1]
	}
}

func (r *refLedger) touch(a *refAccount) {
	bal, dp, cp := a.bal, a.dp, a.cp
	r.undo = append(r.undo, func() { a.bal, a.dp, a.cp = bal, dp, cp })
}

func (r *refLedger) parse(text string, scale uint8) (*big.Int, Code) {
	if len(text) > AmountBytesMax {
		return nil, CodeAmountOverflow
	}
	if !refDecimal.MatchString(text) {
		return nil, CodeInvalidAmount
	}
	if i := strings.IndexByte(text, '.'); i >= 0 && len(text)-i-1 > int(scale) {
		return nil, CodeScaleExceeded
	}
	v, _ := new(big.Rat).SetString(text)
	v.Mul(v, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
	n := v.Num()
	if n.CmpAbs(refMax(scale)) > 0 {
		return nil, CodeAmountOverflow
	}
	if n.Sign() <= 0 {
		return nil, CodeInvalidAmount
	}
	return n, CodeNone
}

func (r *refLedger) apply(c *Command) Code {
	switch c.Kind {
	case CmdDefineAsset:
		switch {
		case !refAsset.MatchString(c.Asset):
			return CodeInvalidAssetCode
		case c.Scale > 18:
			return CodeInvalidScale
		case r.assets[c.Asset] != 0 || r.hasAsset(c.Asset):
			return CodeDuplicateAsset
		}
		r.assets[c.Asset] = c.Scale
		r.undo = append(r.undo, func() { delete(r.assets, c.Asset) })
	case CmdOpenAccount:
		switch {
		case !refAccount_.MatchString(c.Account):
			return CodeInvalidAccountID
		case c.Flags == flagsAll:
			return CodeInvalidCommand
		case !r.hasAsset(c.Asset):
			return CodeAssetNotFound
		case r.accounts[c.Account] != nil:
			return CodeDuplicateAccount
		}
		r.accounts[c.Account] = &refAccount{c.Asset, c.Flags, new(big.Int), new(big.Int), new(big.Int)}
		r.undo = append(r.undo, func() { delete(r.accounts, c.Account) })
	case CmdTransfer, CmdPendingTransfer:
		d, cr := r.accounts[c.Debit], r.accounts[c.Credit]
		switch {
		case c.Debit == c.Credit:
			return CodeSameAccount
		case d == nil || cr == nil:
			return CodeAccountNotFound
		case !r.hasAsset(c.Asset):
			return CodeAssetNotFound
		case d.asset != c.Asset || cr.asset != c.Asset:
			return CodeAssetMismatch
		}
		amt, code := r.parse(c.Amount, r.assets[c.Asset])
		if code != CodeNone {
			return code
		}
		posted, held := amt, new(big.Int)
		if c.Kind == CmdPendingTransfer {
			posted, held = new(big.Int), amt
		}
		if code := r.move(d, cr, posted, held, held, refMax(r.assets[c.Asset])); code != CodeNone {
			return code
		}
		if c.Kind == CmdPendingTransfer {
			r.pendings[c.ID] = &refPending{c.Debit, c.Credit, c.Asset, amt}
			r.undo = append(r.undo, func() { delete(r.pendings, c.ID) })
		}
	case CmdPostPending, CmdVoidPending:
		p := r.pendings[c.PendingID]
		if p == nil {
			if r.wasPend[c.PendingID] {
				return CodePendingAlreadyResolved
			}
			return CodePendingNotFound
		}
		posted := new(big.Int)
		if c.Kind == CmdPostPending {
			posted = p.amount
			if c.Amount != "" {
				amt, code := r.parse(c.Amount, r.assets[p.asset])
				if code != CodeNone {
					return code
				}
				if amt.Cmp(p.amount) > 0 {
					return CodePendingAmountExceeded
				}
				posted = amt
			}
		}
		release := new(big.Int).Neg(p.amount)
		if code := r.move(r.accounts[p.debit], r.accounts[p.credit], posted, release, release, refMax(r.assets[p.asset])); code != CodeNone {
			return code
		}
		delete(r.pendings, c.PendingID)
		r.undo = append(r.undo, func() { r.pendings[c.PendingID] = p })
	case CmdCloseDay:
		if c.Day <= r.closed {
			return CodeDayAlreadyClosed
		}
		r.closed = c.Day
	}
	return CodeNone
}

func (r *refLedger) hasAsset(code string) bool {
	_, ok := r.assets[code]
	return ok
}

func (r *refLedger) move(d, c *refAccount, posted, heldD, heldC, limit *big.Int) Code {
	dBal := new(big.Int).Sub(d.bal, posted)
	cBal := new(big.Int).Add(c.bal, posted)
	dp := new(big.Int).Add(d.dp, heldD)
	cp := new(big.Int).Add(c.cp, heldC)
	// The debit side is checked first, then the credit side.
	if dBal.CmpAbs(limit) > 0 || dp.CmpAbs(limit) > 0 {
		return CodeAmountOverflow
	}
	if d.flags&FlagDebitsMustNotExceedCredits != 0 && new(big.Int).Sub(dBal, dp).Sign() < 0 {
		return CodeInsufficientFunds
	}
	if cBal.CmpAbs(limit) > 0 || cp.CmpAbs(limit) > 0 {
		return CodeAmountOverflow
	}
	if c.flags&FlagCreditsMustNotExceedDebits != 0 && new(big.Int).Sub(new(big.Int).Neg(cBal), cp).Sign() < 0 {
		return CodeCreditsExceedDebits
	}
	r.touch(d)
	r.touch(c)
	d.bal, c.bal, d.dp, c.cp = dBal, cBal, dp, cp
	return CodeNone
}

func (r *refLedger) compare(t *testing.T, s *State) {
	t.Helper()
	if len(r.accounts) != len(s.accounts) || len(r.pendings) != len(s.pendings) {
		t.Fatalf("reference has %d accounts, %d pendings; core %d, %d", len(r.accounts), len(r.pendings), len(s.accounts), len(s.pendings))
	}
	for id, ra := range r.accounts {
		a, ok := s.Account(id)
		if !ok || bigOf(a.Balance).Cmp(ra.bal) != 0 || bigOf(a.DebitsPending).Cmp(ra.dp) != 0 || bigOf(a.CreditsPending).Cmp(ra.cp) != 0 {
			t.Fatalf("account %s: core %+v, reference bal %s dp %s cp %s", id, a, ra.bal, ra.dp, ra.cp)
		}
	}
}
