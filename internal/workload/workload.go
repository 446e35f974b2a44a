// Package workload generates deterministic NDJSON command workloads for Tape:
// asset definitions, account openings, then a realistic stream of deposits,
// transfers, linked batches and pending transfers, with a share of commands
// that are invalid on purpose so that every rejection path gets exercised.
//
// The same Options always produce the same bytes: the only source of
// randomness is a PCG seeded from Options.Seed, amounts are integers, and
// nothing depends on map order or the wall clock.
package workload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
)

// Defaults applied by Generate to zero-valued Options fields.
const (
	DaysDefault         = 3
	StartDefault        = int64(1767571200) * 1e9 // 2026-01-05T00:00:00Z, a Monday
	InvalidShareDefault = 0.03
)

// Limits enforced on Options.
const (
	daysMax          = 10_000
	linesPerDayMax   = tradingWindowNs     // one nanosecond per line at the very least
	yearSecondsMax   = 253402300799        // 9999-12-31T23:59:59Z: RFC 3339 has four year digits
	pcgStream        = 0x7461_7065_776b_6c // "tapewkl": fixed second word of the PCG state
	writerBufferSize = 64 << 10
)

// ErrOptions is wrapped by every error about bad Options.
var ErrOptions = errors.New("workload: invalid options")

// Options configures Generate.
type Options struct {
	Seed int64
	// N is the number of top-level command lines to write (> 0).
	N int
	// Days is the number of business days (Monday to Friday) the timestamps
	// are spread over; 0 means DaysDefault.
	Days int
	// Start is the ts (ns since the Unix epoch, UTC) of the first business
	// day's 00:00; 0 means StartDefault. It must be a UTC midnight; if it falls
	// on a weekend the first business day is the following Monday.
	Start int64
	// InvalidShare is the share of commands, after the setup lines, that are
	// invalid on purpose; 0 means InvalidShareDefault, a negative value none.
	InvalidShare float64
}

// CommandType is the "type" of a top-level command line.
type CommandType uint8

// Command types, in the order of Stats.ByType.
const (
	DefineAsset CommandType = iota
	OpenAccount
	Transfer
	PendingTransfer
	PostPending
	VoidPending
	Linked
	CommandTypeCount
)

var commandTypeNames = [CommandTypeCount]string{
	"define_asset", "open_account", "transfer", "pending_transfer",
	"post_pending", "void_pending", "linked",
}

// String returns the command's "type" field.
func (t CommandType) String() string {
	if t >= CommandTypeCount {
		return fmt.Sprintf("CommandType(%d)", uint8(t))
	}
	return commandTypeNames[t]
}

// InvalidKind is the way a command was made invalid on purpose.
type InvalidKind uint8

// Invalid kinds, in the order of Stats.ByInvalid.
const (
	InsufficientFunds       InvalidKind = iota // debit overdraws a debits_must_not_exceed_credits account
	LinkedInsufficientFunds                    // one leg of a linked batch overdraws: the whole batch fails
	AccountNotFound                            // debit or credit account was never opened
	AssetMismatch                              // an account's asset differs from the "asset" field
	ScaleExceeded                              // amount has more decimals than the asset's scale
	AmountOverflow                             // amount of 40 digits
	DuplicateAccount                           // re-open of an existing account under a new command id
	PendingNotFound                            // post or void of an id that was never a pending transfer
	PendingAlreadyResolved                     // post or void of a pending already posted or voided
	SameAccount                                // debit == credit
	InvalidAmount                              // amount zero or negative
	DuplicateCommand                           // byte-identical re-send of an earlier accepted line
	InvalidKindCount
)

var invalidKindNames = [InvalidKindCount]string{
	"insufficient_funds", "linked_insufficient_funds", "account_not_found",
	"asset_mismatch", "scale_exceeded", "amount_overflow", "duplicate_account",
	"pending_not_found", "pending_already_resolved", "same_account",
	"invalid_amount", "duplicate_command",
}

// String returns the kind's name.
func (k InvalidKind) String() string {
	if k >= InvalidKindCount {
		return fmt.Sprintf("InvalidKind(%d)", uint8(k))
	}
	return invalidKindNames[k]
}

// Code returns the rejection code the ledger is expected to answer with.
// The names follow the brief's vocabulary; the ledger core owns them.
func (k InvalidKind) Code() string {
	if k == LinkedInsufficientFunds {
		return InsufficientFunds.String()
	}
	return k.String()
}

// Stats counts what Generate wrote.
type Stats struct {
	Lines      int64                   // top-level lines written
	ByType     [CommandTypeCount]int64 // lines per "type"; sums to Lines
	LinkedLegs int64                   // transfers inside linked lines
	Invalid    int64                   // lines invalid on purpose
	ByInvalid  [InvalidKindCount]int64 // sums to Invalid
}

// Generate writes opts.N command lines of NDJSON to w. Memory stays constant
// apart from the accounts and the open pending transfers.
func Generate(w io.Writer, opts Options) (Stats, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return Stats{}, err
	}
	bw := bufio.NewWriterSize(w, writerBufferSize)
	g := newGen(bw, opts)
	g.run()
	if g.err == nil {
		g.err = bw.Flush()
	}
	if g.err != nil {
		return g.stats, fmt.Errorf("workload: write: %w", g.err)
	}
	return g.stats, nil
}

func withDefaults(o Options) (Options, error) {
	if o.N <= 0 {
		return o, fmt.Errorf("%w: N = %d, want > 0", ErrOptions, o.N)
	}
	if o.Days == 0 {
		o.Days = DaysDefault
	}
	if o.Days < 0 || o.Days > daysMax {
		return o, fmt.Errorf("%w: Days = %d, want 1..%d", ErrOptions, o.Days, daysMax)
	}
	if int64(o.N)/int64(o.Days) >= linesPerDayMax {
		return o, fmt.Errorf("%w: N = %d is too many lines for %d days", ErrOptions, o.N, o.Days)
	}
	if o.Start == 0 {
		o.Start = StartDefault
	}
	if err := checkCalendar(o.Start, o.Days); err != nil {
		return o, err
	}
	if o.InvalidShare == 0 {
		o.InvalidShare = InvalidShareDefault
	}
	if o.InvalidShare < 0 {
		o.InvalidShare = 0
	}
	if !(o.InvalidShare <= 1) { // also catches NaN
		return o, fmt.Errorf("%w: InvalidShare = %v, want at most 1", ErrOptions, o.InvalidShare)
	}
	return o, nil
}

// checkCalendar checks a Start (after its default) and a Days in 1..daysMax.
func checkCalendar(start int64, days int) error {
	if start < 0 || start%dayNs != 0 {
		return fmt.Errorf("%w: Start = %d, want a UTC midnight at or after the epoch", ErrOptions, start)
	}
	// Weekends and Days business days add at most 2*Days+2 calendar days.
	if start/1e9+int64(2*days+3)*(dayNs/1e9) > yearSecondsMax {
		return fmt.Errorf("%w: Start = %d with Days = %d goes past year 9999", ErrOptions, start, days)
	}
	return nil
}

func newRand(seed int64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), pcgStream))
}
