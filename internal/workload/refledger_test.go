package workload

import (
	"bufio"
	"bytes"
	"encoding/json"
	"maps"
	"math/big"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// refLedger is an independent, slow model of the ledger's rules, written
// from the brief with big integers. It checks that the generator's valid
// commands are accepted and that its invalid ones are rejected for the
// reason it claims.
type refLedger struct {
	scales   map[string]int
	accounts map[string]*refAccount
	ids      map[string]bool
	pendings map[string]*refPending
}

type refAccount struct {
	asset                      string
	debitsLimited, creditsLtd  bool
	dPosted, dPending, cPosted big.Int
	cPending                   big.Int
}

type refPending struct {
	debit, credit *refAccount
	amount        big.Int
	resolved      bool
}

var (
	assetRe    = regexp.MustCompile(`^[A-Z0-9]{1,12}$`)
	accountRe  = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,64}$`)
	amountRe   = regexp.MustCompile(`^(-?)([0-9]+)(?:\.([0-9]+))?$`)
	amountMax  = new(big.Int).Lsh(big.NewInt(1), 128)
	rejectNone = ""
)

func newRefLedger() *refLedger {
	return &refLedger{scales: map[string]int{}, accounts: map[string]*refAccount{},
		ids: map[string]bool{}, pendings: map[string]*refPending{}}
}

// amount parses s in units of 10^-scale.
func refAmount(s string, scale int) (*big.Int, string) {
	m := amountRe.FindStringSubmatch(s)
	if m == nil || m[1] == "-" {
		return nil, "invalid_amount"
	}
	if len(m[3]) > scale {
		return nil, "scale_exceeded"
	}
	v, _ := new(big.Int).SetString(m[2]+m[3]+strings.Repeat("0", scale-len(m[3])), 10)
	if v.Sign() == 0 {
		return nil, "invalid_amount"
	}
	if v.Cmp(amountMax) >= 0 {
		return nil, "amount_overflow"
	}
	return v, rejectNone
}

func (r *refLedger) apply(l *line) string {
	if len(l.ID) == 0 || len(l.ID) > 128 {
		return "invalid_id"
	}
	if r.ids[l.ID] {
		return "duplicate_command"
	}
	r.ids[l.ID] = true
	switch l.Type {
	case "define_asset":
		if !assetRe.MatchString(l.Asset) || l.Scale == nil || *l.Scale < 0 || *l.Scale > 18 {
			return "invalid_asset"
		}
		r.scales[l.Asset] = *l.Scale
	case "open_account":
		return r.open(l)
	case "transfer", "pending_transfer":
		return r.transfer(l, nil)
	case "post_pending", "void_pending":
		return r.resolve(l)
	case "linked":
		return r.linked(l)
	default:
		return "unknown_type"
	}
	return rejectNone
}

func (r *refLedger) open(l *line) string {
	if !accountRe.MatchString(l.Account) {
		return "invalid_account"
	}
	if _, ok := r.scales[l.Asset]; !ok {
		return "asset_not_found"
	}
	if r.accounts[l.Account] != nil {
		return "duplicate_account"
	}
	a := &refAccount{asset: l.Asset}
	for _, f := range l.Flags {
		a.debitsLimited = a.debitsLimited || f == "debits_must_not_exceed_credits"
		a.creditsLtd = a.creditsLtd || f == "credits_must_not_exceed_debits"
	}
	r.accounts[l.Account] = a
	return rejectNone
}

// transfer checks and applies a transfer or pending transfer; legs of a
// linked batch append an undo step.
func (r *refLedger) transfer(l *line, undo *[]func()) string {
	scale, ok := r.scales[l.Asset]
	if !ok {
		return "asset_not_found"
	}
	var s string
	if json.Unmarshal(l.Amount, &s) != nil {
		return "invalid_amount"
	}
	amt, code := refAmount(s, scale)
	if code != rejectNone {
		return code
	}
	if l.Debit == l.Credit {
		return "same_account"
	}
	d, c := r.accounts[l.Debit], r.accounts[l.Credit]
	if d == nil || c == nil {
		return "account_not_found"
	}
	if d.asset != l.Asset || c.asset != l.Asset {
		return "asset_mismatch"
	}
	if code := funds(d, c, amt); code != rejectNone {
		return code
	}
	if l.Type == "pending_transfer" {
		d.dPending.Add(&d.dPending, amt)
		c.cPending.Add(&c.cPending, amt)
		p := &refPending{debit: d, credit: c}
		p.amount.Set(amt)
		r.pendings[l.ID] = p
		return rejectNone
	}
	d.dPosted.Add(&d.dPosted, amt)
	c.cPosted.Add(&c.cPosted, amt)
	if undo != nil {
		*undo = append(*undo, func() {
			d.dPosted.Sub(&d.dPosted, amt)
			c.cPosted.Sub(&c.cPosted, amt)
		})
	}
	return rejectNone
}

func funds(d, c *refAccount, amt *big.Int) string {
	var x big.Int
	if d.debitsLimited {
		x.Sub(&d.cPosted, &d.dPosted)
		x.Sub(&x, &d.dPending)
		if x.Sub(&x, amt).Sign() < 0 {
			return "insufficient_funds"
		}
	}
	if c.creditsLtd {
		x.Sub(&c.dPosted, &c.cPosted)
		x.Sub(&x, &c.cPending)
		if x.Sub(&x, amt).Sign() < 0 {
			return "credits_exceed_debits"
		}
	}
	return rejectNone
}

func (r *refLedger) resolve(l *line) string {
	p := r.pendings[l.PendingID]
	if p == nil {
		return "pending_not_found"
	}
	if p.resolved {
		return "pending_already_resolved"
	}
	amt := &p.amount
	if l.Type == "post_pending" && len(l.Amount) > 0 {
		var s string
		if json.Unmarshal(l.Amount, &s) != nil {
			return "invalid_amount"
		}
		var code string
		if amt, code = refAmount(s, r.scales[p.debit.asset]); code != rejectNone {
			return code
		}
		if amt.Cmp(&p.amount) > 0 {
			return "exceeds_pending_amount"
		}
	}
	p.resolved = true
	p.debit.dPending.Sub(&p.debit.dPending, &p.amount)
	p.credit.cPending.Sub(&p.credit.cPending, &p.amount)
	if l.Type == "post_pending" {
		p.debit.dPosted.Add(&p.debit.dPosted, amt)
		p.credit.cPosted.Add(&p.credit.cPosted, amt)
	}
	return rejectNone
}

func (r *refLedger) linked(l *line) string {
	var undo []func()
	for k := range l.Commands {
		c := &l.Commands[k]
		if c.Type != "transfer" || r.ids[c.ID] {
			return "invalid_linked"
		}
		if code := r.transfer(c, &undo); code != rejectNone {
			for i := len(undo) - 1; i >= 0; i-- {
				undo[i]()
			}
			return code
		}
	}
	for k := range l.Commands {
		r.ids[l.Commands[k].ID] = true
	}
	return rejectNone
}

func TestReferenceLedger(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		data, st := generate(t, Options{Seed: seed, N: testLines})
		want := map[string]int64{}
		for k, v := range st.ByInvalid {
			want[InvalidKind(k).Code()] += v
		}
		got := map[string]int64{}
		ref := newRefLedger()
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatalf("seed %d line %d: %v", seed, n, err)
			}
			if code := ref.apply(&l); code != rejectNone {
				got[code]++
			}
		}
		if !maps.Equal(got, want) {
			t.Errorf("seed %d: rejections by code\n got %v\nwant %v", seed, sorted(got), sorted(want))
		}
	}
}

func sorted(m map[string]int64) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, k+"="+big.NewInt(m[k]).String())
	}
	return out
}
