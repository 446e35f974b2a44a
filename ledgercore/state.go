package ledgercore

// Asset is a unit of account with a fixed number of decimal places.
type Asset struct {
	Code  string
	Scale uint8
}

// Account holds one asset. Balance = credits posted - debits posted; the
// pending amounts are held by transfers that are neither posted nor voided.
type Account struct {
	ID             string
	Asset          string
	Flags          AccountFlags
	Balance        Amount
	DebitsPending  Amount
	CreditsPending Amount
}

// Pending is a two-phase transfer waiting to be posted or voided.
type Pending struct {
	ID     string
	Debit  string
	Credit string
	Asset  string
	Amount Amount
	Seq    uint64
}

// State is the ledger at one seq. It changes only through Apply. Decide only
// reads it.
type State struct {
	Seq       uint64
	Ts        int64
	LastHash  [32]byte
	ClosedDay int32 // last closed day (days since epoch); noDay before the first close

	assets   map[string]*Asset
	accounts map[string]*Account
	pendings map[string]*Pending
	ids      idIndex
}

// noDay is ClosedDay before any day was closed.
const noDay = int32(-1 << 31)

// Genesis returns the empty ledger.
func Genesis() *State {
	return &State{
		ClosedDay: noDay,
		assets:    make(map[string]*Asset),
		accounts:  make(map[string]*Account),
		pendings:  make(map[string]*Pending),
		ids:       newIDIndex(0),
	}
}

// Account returns a copy of the account with the given id.
func (s *State) Account(id string) (Account, bool) {
	a, ok := s.accounts[id]
	if !ok {
		return Account{}, false
	}
	return *a, true
}

// Asset returns the asset with the given code.
func (s *State) Asset(code string) (Asset, bool) {
	a, ok := s.assets[code]
	if !ok {
		return Asset{}, false
	}
	return *a, true
}

// CommandSeq returns the seq of the command with the given id, if any.
func (s *State) CommandSeq(id string) (uint64, bool) {
	e, ok := s.ids.get(id)
	if !ok {
		return 0, false
	}
	return e.seq, true
}

// Accounts returns every account sorted by id.
func (s *State) Accounts() []Account {
	out := make([]Account, 0, len(s.accounts))
	for _, id := range sortedKeys(s.accounts) {
		out = append(out, *s.accounts[id])
	}
	return out
}

// Assets returns every asset sorted by code.
func (s *State) Assets() []Asset {
	out := make([]Asset, 0, len(s.assets))
	for _, code := range sortedKeys(s.assets) {
		out = append(out, *s.assets[code])
	}
	return out
}

// Pendings returns every open pending transfer sorted by id.
func (s *State) Pendings() []Pending {
	out := make([]Pending, 0, len(s.pendings))
	for _, id := range sortedKeys(s.pendings) {
		out = append(out, *s.pendings[id])
	}
	return out
}

// LastClosedDay returns the last closed day, if any day was closed.
func (s *State) LastClosedDay() (int32, bool) { return s.ClosedDay, s.ClosedDay != noDay }

// CommandCount returns how many command ids the ledger remembers.
func (s *State) CommandCount() int { return s.ids.log.n }

// Apply folds one event into the state. Events passed validation in Decide,
// so applying one cannot fail: a mismatch is a bug and panics.
func Apply(s *State, e *Event) {
	if e.Seq != s.Seq+1 {
		panic("BUG: apply seq " + u64s(e.Seq) + " after " + u64s(s.Seq))
	}
	if e.Ts <= s.Ts && s.Seq > 0 {
		panic("BUG: apply ts going backwards at seq " + u64s(e.Seq))
	}
	s.Seq, s.Ts, s.LastHash = e.Seq, e.Ts, e.Hash
	s.remember(e.CommandID, e.Seq, e.Digest, e.Kind == EvPendingCreated)
	if e.LinkID != "" {
		s.remember(e.LinkID, e.Seq, e.LinkDigest, false)
	}
	switch e.Kind {
	case EvAssetDefined:
		s.assets[e.Asset] = &Asset{Code: e.Asset, Scale: e.Scale}
	case EvAccountOpened:
		s.accounts[e.Account] = &Account{ID: e.Account, Asset: e.Asset, Flags: e.Flags}
	case EvTransferPosted:
		s.applyLegs(e)
	case EvPendingCreated:
		s.applyLegs(e)
		s.pendings[e.PendingID] = &Pending{
			ID: e.PendingID, Debit: e.Legs[0].Account, Credit: e.Legs[1].Account,
			Asset: e.Asset, Amount: e.Amount, Seq: e.Seq,
		}
	case EvPendingPosted, EvPendingVoided:
		s.applyLegs(e)
		delete(s.pendings, e.PendingID)
	case EvDayClosed:
		s.ClosedDay = e.Day
	case EvCommandRejected:
	default:
		panic("BUG: apply unknown event kind " + u64s(uint64(e.Kind)))
	}
}

func (s *State) remember(id string, seq, digest uint64, pending bool) {
	if !s.ids.add(id, idEntry{seq: seq, digest: digest, pending: pending}) {
		panic("BUG: command id " + id + " applied twice")
	}
}

func (s *State) applyLegs(e *Event) {
	var deltas, held Amount
	for i := range e.NLegs {
		l := &e.Legs[i]
		a := s.accounts[l.Account]
		if a == nil {
			panic("BUG: apply leg on missing account " + l.Account)
		}
		// The chain: a leg starts where the account stands, and moves it
		// by exactly its delta.
		if a.Balance != l.Before {
			panic("BUG: leg before-balance does not match account " + l.Account)
		}
		if after, ok := l.Before.Add(l.Delta); !ok || after != l.After {
			panic("BUG: leg of " + l.Account + " at seq " + u64s(e.Seq) + ": after != before + delta")
		}
		a.Balance = l.After
		pendingDelta, _ := l.PendingAfter.Sub(l.PendingBefore)
		if l.Side == Debit {
			a.DebitsPending = l.PendingAfter
			held, _ = held.Add(pendingDelta)
		} else {
			a.CreditsPending = l.PendingAfter
			held, _ = held.Sub(pendingDelta)
		}
		deltas, _ = deltas.Add(l.Delta)
		assertLimits(a, e.Seq)
	}
	// Double entry: what leaves one account enters the other, so every
	// asset's balances keep summing to zero, and so do its pending amounts.
	if !deltas.IsZero() || !held.IsZero() {
		panic("BUG: legs of seq " + u64s(e.Seq) + " do not balance")
	}
}

// assertLimits panics if an account crossed the limit its flags set: Decide
// must have rejected the event that would do it.
func assertLimits(a *Account, seq uint64) {
	if a.Flags&FlagDebitsMustNotExceedCredits != 0 {
		if v, ok := a.Balance.Sub(a.DebitsPending); !ok || v.Sign() < 0 {
			panic("BUG: debits exceed credits on " + a.ID + " at seq " + u64s(seq))
		}
	}
	if a.Flags&FlagCreditsMustNotExceedDebits != 0 {
		if v, ok := a.Balance.Neg().Sub(a.CreditsPending); !ok || v.Sign() < 0 {
			panic("BUG: credits exceed debits on " + a.ID + " at seq " + u64s(seq))
		}
	}
}
