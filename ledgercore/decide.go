package ledgercore

import (
	"crypto/sha256"
	"strconv"
	"unicode/utf8"
)

// ReservedIDPrefix starts the ids of commands the sequencer issues itself
// (close_day). Clients may not use it.
const ReservedIDPrefix = "tape:"

// Decide returns the events a command produces, without changing s. It
// never fails for bad input: it returns a *Rejection instead.
//
//   - Accepted: one event per seq the command consumes, rej == nil.
//   - Rejected and recorded: one command_rejected event per seq, and rej
//     says why. The events go on the tape so that a retry of the same id
//     gets the same answer.
//   - Rejected and not recorded (no events): the command changes nothing
//     and takes no seq: a repeated id (CodeDuplicateCommand with rej.Seq the
//     original seq), an id reused for different content, or a malformed id.
//
// env.Seq must be s.Seq+1 and env.Ts greater than s.Ts; a linked batch's
// n commands take seqs env.Seq..env.Seq+n-1 and ts env.Ts..env.Ts+n-1.
func Decide(s *State, env Envelope, cmd *Command) ([]Event, *Rejection) {
	return DecideAppend(nil, s, env, cmd)
}

// DecideAppend is Decide appending the events to dst, for callers that reuse
// a buffer.
func DecideAppend(dst []Event, s *State, env Envelope, cmd *Command) ([]Event, *Rejection) {
	if env.Seq != s.Seq+1 || (s.Seq > 0 && env.Ts <= s.Ts) {
		panic("BUG: decide with envelope seq " + u64s(env.Seq) + " ts " +
			strconv.FormatInt(env.Ts, 10) + " after seq " + u64s(s.Seq) + " ts " +
			strconv.FormatInt(s.Ts, 10))
	}
	if rej := checkIdentity(s, cmd); rej != nil {
		return dst, rej
	}
	start := len(dst)
	v := view{s: s}
	var rej *Rejection
	if cmd.Kind == CmdLinked {
		dst, rej = decideLinked(dst, &v, env, cmd)
	} else {
		var e Event
		e, rej = decideOne(&v, cmd)
		if rej != nil {
			e = rejected(cmd, rej)
		}
		e.Seq, e.Ts = env.Seq, env.Ts
		dst = append(dst, e)
	}
	chainHashes(dst[start:], s.LastHash)
	return dst, rej
}

// checkIdentity rejects, without recording, what must not take a seq: bad or
// reused ids and malformed linked batches.
func checkIdentity(s *State, cmd *Command) *Rejection {
	if rej := checkID(cmd, cmd.Kind == CmdCloseDay); rej != nil {
		return rej
	}
	if ent, ok := s.ids.get(cmd.ID); ok {
		if ent.digest != cmd.digest() {
			return reject(CodeIDReusedWithDifferentCommand, "id "+cmd.ID+" was used by seq "+u64s(ent.seq))
		}
		return &Rejection{Code: CodeDuplicateCommand, Detail: "id " + cmd.ID + " is seq " + u64s(ent.seq), Seq: ent.seq}
	}
	if cmd.Kind != CmdLinked {
		return nil
	}
	switch {
	case len(cmd.Commands) == 0:
		return reject(CodeLinkedBatchEmpty, "linked batch "+cmd.ID+" has no commands")
	case len(cmd.Commands) > LinkedCommandsMax:
		return reject(CodeLinkedBatchTooLong, "linked batch has "+strconv.Itoa(len(cmd.Commands))+
			" commands, at most "+strconv.Itoa(LinkedCommandsMax)+" allowed")
	}
	for i := range cmd.Commands {
		c := &cmd.Commands[i]
		if c.Kind == CmdLinked || c.Kind == CmdCloseDay {
			return reject(CodeLinkedBatchNested, "command "+strconv.Itoa(i)+" of linked batch is "+c.Kind.String())
		}
		if rej := checkID(c, false); rej != nil {
			return rej
		}
		if _, ok := s.ids.get(c.ID); ok || c.ID == cmd.ID {
			return reject(CodeIDReusedWithDifferentCommand, "linked command id "+c.ID+" is already used")
		}
		for j := range i {
			if cmd.Commands[j].ID == c.ID {
				return reject(CodeIDReusedWithDifferentCommand, "linked command id "+c.ID+" appears twice")
			}
		}
	}
	return nil
}

func checkID(cmd *Command, sequencer bool) *Rejection {
	id := cmd.ID
	if len(id) == 0 || len(id) > CommandIDBytesMax || !utf8.ValidString(id) {
		return reject(CodeInvalidCommandID, "command id must be 1.."+strconv.Itoa(CommandIDBytesMax)+" bytes of UTF-8")
	}
	reserved := len(id) >= len(ReservedIDPrefix) && id[:len(ReservedIDPrefix)] == ReservedIDPrefix
	if reserved != sequencer {
		return reject(CodeInvalidCommandID, "command ids starting with "+ReservedIDPrefix+" are the sequencer's")
	}
	return nil
}

func decideLinked(dst []Event, v *view, env Envelope, cmd *Command) ([]Event, *Rejection) {
	start := len(dst)
	for i := range cmd.Commands {
		c := &cmd.Commands[i]
		e, rej := decideOne(v, c)
		if rej != nil {
			// One code for the whole batch: every command is rejected.
			rej = &Rejection{Code: rej.Code, Detail: "linked command " + strconv.Itoa(i) + " (" + c.ID + "): " + rej.Error()}
			dst = dst[:start]
			for j := range cmd.Commands {
				e := rejected(&cmd.Commands[j], rej)
				e.Seq, e.Ts = env.Seq+uint64(j), env.Ts+int64(j)
				dst = append(dst, e)
			}
			dst[start].LinkID, dst[start].LinkDigest = cmd.ID, cmd.digest()
			return dst, rej
		}
		e.Seq, e.Ts = env.Seq+uint64(i), env.Ts+int64(i)
		v.stage(&e)
		dst = append(dst, e)
	}
	dst[start].LinkID, dst[start].LinkDigest = cmd.ID, cmd.digest()
	return dst, nil
}

func rejected(cmd *Command, rej *Rejection) Event {
	return Event{
		Kind: EvCommandRejected, CommandID: cmd.ID, Digest: cmd.digest(),
		Code: rej.Code, Detail: rej.Detail, CommandKind: cmd.Kind,
	}
}

// decideOne decides one non-linked command against the view. The event it
// returns has no seq, ts or hash yet.
func decideOne(v *view, cmd *Command) (Event, *Rejection) {
	switch cmd.Kind {
	case CmdDefineAsset:
		return decideDefineAsset(v, cmd)
	case CmdOpenAccount:
		return decideOpenAccount(v, cmd)
	case CmdTransfer, CmdPendingTransfer:
		return decideTransfer(v, cmd)
	case CmdPostPending, CmdVoidPending:
		return decideResolve(v, cmd)
	case CmdCloseDay:
		return decideCloseDay(v, cmd)
	}
	return Event{}, reject(CodeInvalidCommand, "unknown command kind "+strconv.Itoa(int(cmd.Kind)))
}

func decideDefineAsset(v *view, cmd *Command) (Event, *Rejection) {
	if !validAssetCode(cmd.Asset) {
		return Event{}, reject(CodeInvalidAssetCode, "asset code "+strconv.Quote(cmd.Asset)+" must be 1-12 of [A-Z0-9]")
	}
	if cmd.Scale > ScaleMax {
		return Event{}, reject(CodeInvalidScale, "scale "+strconv.Itoa(int(cmd.Scale))+" is above 18")
	}
	if v.asset(cmd.Asset) != nil {
		return Event{}, reject(CodeDuplicateAsset, "asset "+cmd.Asset+" is already defined")
	}
	return Event{Kind: EvAssetDefined, CommandID: cmd.ID, Digest: cmd.digest(), Asset: cmd.Asset, Scale: cmd.Scale}, nil
}

func decideOpenAccount(v *view, cmd *Command) (Event, *Rejection) {
	if !ValidAccountID(cmd.Account) {
		return Event{}, reject(CodeInvalidAccountID, "account id "+strconv.Quote(cmd.Account)+" must be 1-64 bytes of [A-Za-z0-9._:-]")
	}
	if cmd.Flags&^flagsAll != 0 || cmd.Flags == flagsAll {
		return Event{}, reject(CodeInvalidCommand, "account flags are invalid or mutually exclusive")
	}
	if v.asset(cmd.Asset) == nil {
		return Event{}, reject(CodeAssetNotFound, "asset "+cmd.Asset+" is not defined")
	}
	if v.account(cmd.Account) != nil {
		return Event{}, reject(CodeDuplicateAccount, "account "+cmd.Account+" already exists")
	}
	return Event{Kind: EvAccountOpened, CommandID: cmd.ID, Digest: cmd.digest(), Account: cmd.Account, Asset: cmd.Asset, Flags: cmd.Flags}, nil
}

func decideTransfer(v *view, cmd *Command) (Event, *Rejection) {
	if cmd.Debit == cmd.Credit {
		return Event{}, reject(CodeSameAccount, "debit and credit are both "+cmd.Debit)
	}
	dr, cr := v.account(cmd.Debit), v.account(cmd.Credit)
	if dr == nil {
		return Event{}, reject(CodeAccountNotFound, "debit account "+cmd.Debit+" does not exist")
	}
	if cr == nil {
		return Event{}, reject(CodeAccountNotFound, "credit account "+cmd.Credit+" does not exist")
	}
	asset := v.asset(cmd.Asset)
	if asset == nil {
		return Event{}, reject(CodeAssetNotFound, "asset "+cmd.Asset+" is not defined")
	}
	if dr.Asset != cmd.Asset || cr.Asset != cmd.Asset {
		return Event{}, reject(CodeAssetMismatch, "transfer in "+cmd.Asset+" between "+dr.Asset+" account "+
			dr.ID+" and "+cr.Asset+" account "+cr.ID)
	}
	amount, rej := positiveAmount(cmd.Amount, asset.Scale)
	if rej != nil {
		return Event{}, rej
	}
	e := Event{Kind: EvTransferPosted, CommandID: cmd.ID, Digest: cmd.digest(), Asset: cmd.Asset, Scale: asset.Scale, Amount: amount, NLegs: 2}
	var posted, held Amount
	if cmd.Kind == CmdPendingTransfer {
		e.Kind, e.PendingID, held = EvPendingCreated, cmd.ID, amount
	} else {
		posted = amount
	}
	limit := AmountMaxFor(asset.Scale)
	if rej := move(&e.Legs[0], dr, Debit, posted, held, limit); rej != nil {
		return Event{}, rej
	}
	if rej := move(&e.Legs[1], cr, Credit, posted, held, limit); rej != nil {
		return Event{}, rej
	}
	return e, nil
}

func decideResolve(v *view, cmd *Command) (Event, *Rejection) {
	p := v.pending(cmd.PendingID)
	if p == nil {
		if e, ok := v.s.ids.get(cmd.PendingID); ok && e.pending {
			return Event{}, reject(CodePendingAlreadyResolved, "pending transfer "+cmd.PendingID+" was already posted or voided")
		}
		return Event{}, reject(CodePendingNotFound, "no pending transfer "+strconv.Quote(cmd.PendingID))
	}
	asset := v.asset(p.Asset)
	if asset == nil {
		panic("BUG: pending transfer " + p.ID + " in undefined asset " + p.Asset)
	}
	e := Event{Kind: EvPendingVoided, CommandID: cmd.ID, Digest: cmd.digest(), Asset: p.Asset, Scale: asset.Scale, PendingID: p.ID, Amount: p.Amount, NLegs: 2}
	var posted Amount
	if cmd.Kind == CmdPostPending {
		e.Kind, posted = EvPendingPosted, p.Amount
		if cmd.Amount != "" {
			var rej *Rejection
			if posted, rej = positiveAmount(cmd.Amount, asset.Scale); rej != nil {
				return Event{}, rej
			}
			if posted.Cmp(p.Amount) > 0 {
				return Event{}, reject(CodePendingAmountExceeded, "post of "+cmd.Amount+" exceeds pending "+p.Amount.Decimal(asset.Scale))
			}
		}
		e.Amount = posted
	}
	release, limit := p.Amount.Neg(), AmountMaxFor(asset.Scale)
	if rej := move(&e.Legs[0], v.account(p.Debit), Debit, posted, release, limit); rej != nil {
		return Event{}, rej
	}
	if rej := move(&e.Legs[1], v.account(p.Credit), Credit, posted, release, limit); rej != nil {
		return Event{}, rej
	}
	return e, nil
}

func decideCloseDay(v *view, cmd *Command) (Event, *Rejection) {
	if cmd.Day <= v.s.ClosedDay {
		return Event{}, reject(CodeDayAlreadyClosed, "day "+FormatDay(cmd.Day)+" is closed already")
	}
	return Event{Kind: EvDayClosed, CommandID: cmd.ID, Digest: cmd.digest(), Day: cmd.Day, StateHash: StateHash(v.s)}, nil
}

func positiveAmount(text string, scale uint8) (Amount, *Rejection) {
	if len(text) > AmountBytesMax {
		return Amount{}, reject(CodeAmountOverflow, "amount text is longer than "+strconv.Itoa(AmountBytesMax)+" bytes")
	}
	a, code := ParseAmount(text, scale)
	if code != CodeNone {
		return Amount{}, reject(code, "amount "+strconv.Quote(text)+" at scale "+strconv.Itoa(int(scale)))
	}
	if a.Sign() <= 0 {
		return Amount{}, reject(CodeInvalidAmount, "amount "+strconv.Quote(text)+" must be greater than zero")
	}
	return a, nil
}

// move fills leg with the effect on account a of posting `posted` and
// holding `held` (negative to release) on the given side, and checks the
// account's flags and the asset's magnitude limit.
func move(leg *Leg, a *Account, side Side, posted, held, limit Amount) *Rejection {
	delta := posted
	pendingBefore := a.CreditsPending
	if side == Debit {
		delta = posted.Neg()
		pendingBefore = a.DebitsPending
	}
	after, ok := a.Balance.Add(delta)
	if !ok || !after.Within(limit) {
		return reject(CodeAmountOverflow, "balance of "+a.ID+" would pass "+strconv.Itoa(IntegerDigitsMax)+" integer digits")
	}
	pendingAfter, ok := pendingBefore.Add(held)
	if !ok || !pendingAfter.Within(limit) {
		return reject(CodeAmountOverflow, "pending amount of "+a.ID+" would pass "+strconv.Itoa(IntegerDigitsMax)+" integer digits")
	}
	if side == Debit && a.Flags&FlagDebitsMustNotExceedCredits != 0 {
		if avail, ok := after.Sub(pendingAfter); !ok || avail.Sign() < 0 {
			return reject(CodeInsufficientFunds, "account "+a.ID+" has insufficient funds")
		}
	}
	if side == Credit && a.Flags&FlagCreditsMustNotExceedDebits != 0 {
		if room, ok := after.Neg().Sub(pendingAfter); !ok || room.Sign() < 0 {
			return reject(CodeCreditsExceedDebits, "credits of "+a.ID+" would exceed its debits")
		}
	}
	*leg = Leg{Account: a.ID, Side: side, Delta: delta, Before: a.Balance, After: after, PendingBefore: pendingBefore, PendingAfter: pendingAfter}
	return nil
}

// chainHashes sets each event's hash, chained from prev.
func chainHashes(events []Event, prev [32]byte) {
	for i := range events {
		events[i].Hash = EventHash(prev, &events[i])
		prev = events[i].Hash
	}
}

// EventHash is SHA-256 of the previous event's hash and e's canonical body.
func EventHash(prev [32]byte, e *Event) [32]byte {
	var buf [512]byte
	b := append(buf[:0], prev[:]...)
	b = appendEventBody(b, e)
	return sha256.Sum256(b)
}

// view is the state as a linked batch sees it: the state plus what earlier
// commands of the same batch did (staged copies), so Decide never writes to
// the state. A single command has an empty overlay.
type view struct {
	s        *State
	accounts []*Account
	assets   []*Asset
	pendings []*Pending
	resolved []string
}

func (v *view) account(id string) *Account {
	for _, a := range v.accounts {
		if a.ID == id {
			return a
		}
	}
	return v.s.accounts[id]
}

func (v *view) asset(code string) *Asset {
	for _, a := range v.assets {
		if a.Code == code {
			return a
		}
	}
	return v.s.assets[code]
}

func (v *view) pending(id string) *Pending {
	for _, r := range v.resolved {
		if r == id {
			return nil
		}
	}
	for _, p := range v.pendings {
		if p.ID == id {
			return p
		}
	}
	return v.s.pendings[id]
}

// stage records an accepted event of a linked batch in the overlay.
func (v *view) stage(e *Event) {
	switch e.Kind {
	case EvAssetDefined:
		v.assets = append(v.assets, &Asset{Code: e.Asset, Scale: e.Scale})
	case EvAccountOpened:
		v.accounts = append(v.accounts, &Account{ID: e.Account, Asset: e.Asset, Flags: e.Flags})
	case EvPendingCreated:
		v.pendings = append(v.pendings, &Pending{ID: e.PendingID, Debit: e.Legs[0].Account, Credit: e.Legs[1].Account, Asset: e.Asset, Amount: e.Amount})
	case EvPendingPosted, EvPendingVoided:
		v.resolved = append(v.resolved, e.PendingID)
	}
	for i := range e.NLegs {
		l := &e.Legs[i]
		a := v.ownAccount(l.Account)
		a.Balance = l.After
		if l.Side == Debit {
			a.DebitsPending = l.PendingAfter
		} else {
			a.CreditsPending = l.PendingAfter
		}
	}
}

// ownAccount returns the overlay's copy of an account, copying it from the
// state first if needed.
func (v *view) ownAccount(id string) *Account {
	for _, a := range v.accounts {
		if a.ID == id {
			return a
		}
	}
	c := *v.s.accounts[id]
	v.accounts = append(v.accounts, &c)
	return &c
}
