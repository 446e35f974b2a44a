package ledgercore

// EventKind says what happened. Events are facts that passed validation:
// applying one cannot fail.
type EventKind uint8

// Event kinds. The numbers are persisted on the tape and in the stores: only
// append.
const (
	EvAssetDefined EventKind = iota + 1
	EvAccountOpened
	EvTransferPosted
	EvPendingCreated
	EvPendingPosted
	EvPendingVoided
	EvDayClosed
	EvCommandRejected
	evEnd
)

var eventNames = [...]string{
	EvAssetDefined:    "asset_defined",
	EvAccountOpened:   "account_opened",
	EvTransferPosted:  "transfer_posted",
	EvPendingCreated:  "pending_created",
	EvPendingPosted:   "pending_posted",
	EvPendingVoided:   "pending_voided",
	EvDayClosed:       "day_closed",
	EvCommandRejected: "command_rejected",
}

func (k EventKind) String() string {
	if k > 0 && k < evEnd {
		return eventNames[k]
	}
	return "unknown"
}

// Side is which side of a transfer a leg is on.
type Side uint8

// Sides. A debit lowers an account's balance, a credit raises it
// (balance = credits - debits).
const (
	Debit  Side = 1
	Credit Side = 2
)

func (s Side) String() string {
	if s == Debit {
		return "debit"
	}
	return "credit"
}

// Leg is one account's change within an event: the merged-storage record
// that makes every historical balance an as-of lookup. For every leg
// After == Before + Delta, and PendingAfter is the account's pending amount
// on the leg's side (debits pending for a debit leg, credits pending for a
// credit leg) after the event.
type Leg struct {
	Account       string
	Side          Side
	Delta         Amount
	Before        Amount
	After         Amount
	PendingBefore Amount
	PendingAfter  Amount
}

// Event is one fact on the tape. Which payload fields are set depends on
// Kind:
//
//	asset_defined:    Asset, Scale
//	account_opened:   Account, Asset, Flags
//	transfer_posted:  Asset, Amount, Legs (debit leg first)
//	pending_created:  Asset, Amount, PendingID (= CommandID), Legs
//	pending_posted:   Asset, Amount (posted), PendingID, Legs
//	pending_voided:   Asset, Amount (released), PendingID, Legs
//	day_closed:       Day, StateHash (of the state before this event)
//	command_rejected: Code, Detail, CommandKind
//
// Every seq has exactly one event, so a linked batch of n commands yields n
// events; the first carries the batch's own id in LinkID. Digest is the
// content digest of the command that produced the event (idempotency).
// Hash chains every event to the one before it: Hash = SHA-256(previous
// Hash || canonical encoding of this event without its Hash).
type Event struct {
	Kind      EventKind
	Seq       uint64
	Ts        int64
	CommandID string
	Hash      [32]byte

	Asset     string
	Scale     uint8
	Account   string
	Flags     AccountFlags
	Amount    Amount
	PendingID string
	Legs      [2]Leg
	NLegs     uint8
	Day       int32
	StateHash [32]byte

	Code        Code
	Detail      string
	CommandKind CommandKind

	Digest     uint64
	LinkID     string
	LinkDigest uint64
}

// LegsSlice returns the event's legs.
func (e *Event) LegsSlice() []Leg { return e.Legs[:e.NLegs] }
