package ledgercore

import (
	"errors"
	"math/big"
)

// CheckInvariants verifies what must hold after every event: per asset the
// balances sum to zero and pending debits equal pending credits and the open
// pending transfers; no flagged account crosses its limit. It returns the
// first violation found. Sums use math/big: partial sums of many large
// balances may leave the 38-digit range even when the total is zero.
func CheckInvariants(s *State) error {
	type sums struct{ balance, debitsPending, creditsPending, held big.Int }
	perAsset := make(map[string]*sums, len(s.assets))
	for code := range s.assets {
		perAsset[code] = &sums{}
	}
	for _, id := range sortedKeys(s.accounts) {
		a := s.accounts[id]
		sm := perAsset[a.Asset]
		if sm == nil {
			return errors.New("invariant: account " + id + " in undefined asset " + a.Asset)
		}
		if a.DebitsPending.Sign() < 0 || a.CreditsPending.Sign() < 0 {
			return errors.New("invariant: negative pending amount on " + id)
		}
		if a.Flags&FlagDebitsMustNotExceedCredits != 0 {
			if v, _ := a.Balance.Sub(a.DebitsPending); v.Sign() < 0 {
				return errors.New("invariant: debits exceed credits on " + id)
			}
		}
		if a.Flags&FlagCreditsMustNotExceedDebits != 0 {
			if v, _ := a.Balance.Neg().Sub(a.CreditsPending); v.Sign() < 0 {
				return errors.New("invariant: credits exceed debits on " + id)
			}
		}
		sm.balance.Add(&sm.balance, a.Balance.big())
		sm.debitsPending.Add(&sm.debitsPending, a.DebitsPending.big())
		sm.creditsPending.Add(&sm.creditsPending, a.CreditsPending.big())
	}
	for _, id := range sortedKeys(s.pendings) {
		p := s.pendings[id]
		sm := perAsset[p.Asset]
		sm.held.Add(&sm.held, p.Amount.big())
	}
	for _, code := range sortedKeys(perAsset) {
		sm := perAsset[code]
		switch {
		case sm.balance.Sign() != 0:
			return errors.New("invariant: balances of " + code + " sum to " + sm.balance.String() + ", not zero")
		case sm.debitsPending.Cmp(&sm.creditsPending) != 0:
			return errors.New("invariant: pending debits and credits of " + code + " differ")
		case sm.debitsPending.Cmp(&sm.held) != 0:
			return errors.New("invariant: pending amounts of " + code + " do not match open pending transfers")
		}
	}
	return nil
}

// big returns a as a math/big integer.
func (a Amount) big() *big.Int {
	hi, lo := a.abs()
	v := new(big.Int).SetUint64(hi)
	v.Lsh(v, 64)
	v.Or(v, new(big.Int).SetUint64(lo))
	if a.hi < 0 {
		v.Neg(v)
	}
	return v
}
