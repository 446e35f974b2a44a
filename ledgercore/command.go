package ledgercore

// CommandKind says what a command asks for. Commands are imperative; the
// events they produce are in the past tense (CmdTransfer -> EvTransferPosted).
type CommandKind uint8

// Command kinds. The numbers are persisted on the tape: only append.
const (
	CmdDefineAsset CommandKind = iota + 1
	CmdOpenAccount
	CmdTransfer
	CmdPendingTransfer
	CmdPostPending
	CmdVoidPending
	CmdLinked
	CmdCloseDay
	cmdEnd
)

var commandNames = [...]string{
	CmdDefineAsset:     "define_asset",
	CmdOpenAccount:     "open_account",
	CmdTransfer:        "transfer",
	CmdPendingTransfer: "pending_transfer",
	CmdPostPending:     "post_pending",
	CmdVoidPending:     "void_pending",
	CmdLinked:          "linked",
	CmdCloseDay:        "close_day",
}

func (k CommandKind) String() string {
	if k > 0 && k < cmdEnd {
		return commandNames[k]
	}
	return "unknown"
}

// CommandKindByName returns the kind whose JSON name is s.
func CommandKindByName(s string) (CommandKind, bool) {
	for k := CmdDefineAsset; k < cmdEnd; k++ {
		if commandNames[k] == s {
			return k, true
		}
	}
	return 0, false
}

// AccountFlags limit how an account's balance may move (TigerBeetle's names).
type AccountFlags uint8

// Account flags.
const (
	// FlagDebitsMustNotExceedCredits keeps balance - pending debits >= 0.
	FlagDebitsMustNotExceedCredits AccountFlags = 1 << iota
	// FlagCreditsMustNotExceedDebits keeps -balance - pending credits >= 0.
	FlagCreditsMustNotExceedDebits
	flagsAll = FlagDebitsMustNotExceedCredits | FlagCreditsMustNotExceedDebits
)

// FlagNames lists the flags' JSON names in bit order.
var FlagNames = [...]string{"debits_must_not_exceed_credits", "credits_must_not_exceed_debits"}

// Limits on commands, enforced by Decide and by every decoder at the edge.
const (
	CommandIDBytesMax = 128
	AccountIDBytesMax = 64
	AssetCodeBytesMax = 12
	LinkedCommandsMax = 64
	AmountBytesMax    = 64
)

// Command is one request to the ledger. Which fields matter depends on Kind:
//
//	define_asset:     Asset, Scale
//	open_account:     Account, Asset, Flags
//	transfer:         Debit, Credit, Asset, Amount
//	pending_transfer: Debit, Credit, Asset, Amount (the pending id is ID)
//	post_pending:     PendingID, Amount (empty Amount posts the full amount)
//	void_pending:     PendingID
//	linked:           Commands (all apply or none; each gets its own seq)
//	close_day:        Day (issued by the sequencer only)
//
// Amount stays decimal text until Decide parses it with the asset's scale.
type Command struct {
	Kind      CommandKind
	ID        string
	Asset     string
	Scale     uint8
	Account   string
	Flags     AccountFlags
	Debit     string
	Credit    string
	Amount    string
	PendingID string
	Day       int32 // days since 1970-01-01 (UTC)
	Commands  []Command
}

// SeqCount is the number of seqs the command consumes: one, or one per
// command of a linked batch.
func (c *Command) SeqCount() uint64 {
	if c.Kind == CmdLinked && len(c.Commands) > 0 {
		return uint64(len(c.Commands))
	}
	return 1
}

// Envelope is what the sequencer adds to a command: its position on the tape
// and its time. The core reads time only from here.
type Envelope struct {
	Seq uint64
	Ts  int64 // ns since the Unix epoch, UTC
}

// digest is a 64-bit hash of the command's content, so that a repeated id
// with different content can be told apart from a retry. It is persisted
// (in events and snapshots): changing it changes every hash.
func (c *Command) digest() uint64 {
	h := uint64(c.Kind)<<56 ^ uint64(c.Scale)<<48 ^ uint64(c.Flags)<<40 ^ uint64(uint32(c.Day))
	for _, s := range [...]string{c.ID, c.Asset, c.Account, c.Debit, c.Credit, c.Amount, c.PendingID} {
		h = mix64(h^idHash(s), digestMul)
	}
	for i := range c.Commands {
		h = mix64(h^c.Commands[i].digest(), digestMul)
	}
	return h
}

const digestMul = 0x9e3779b97f4a7c15
