package ledgercore

import "strconv"

// Code is the stable reason a command was rejected. Its text is part of the
// API (returned verbatim) and of the tape (stored as the number): never
// renumber or rename a code, only add new ones at the end.
type Code uint8

// Rejection codes.
const (
	CodeNone Code = iota
	CodeInsufficientFunds
	CodeAccountNotFound
	CodeAssetMismatch
	CodeScaleExceeded
	CodeAmountOverflow
	CodeDuplicateAccount
	CodePendingNotFound
	CodePendingAlreadyResolved
	CodeDuplicateCommand
	CodeInvalidAmount
	CodeSameAccount
	CodeAssetNotFound
	CodeDuplicateAsset
	CodeInvalidScale
	CodeInvalidAssetCode
	CodeInvalidAccountID
	CodeInvalidCommandID
	CodeCreditsExceedDebits
	CodePendingAmountExceeded
	CodeInvalidCommand
	CodeLinkedBatchEmpty
	CodeLinkedBatchTooLong
	CodeLinkedBatchNested
	CodeIDReusedWithDifferentCommand
	CodeDayAlreadyClosed
	codeEnd
)

var codeNames = [...]string{
	CodeNone:                         "ok",
	CodeInsufficientFunds:            "insufficient_funds",
	CodeAccountNotFound:              "account_not_found",
	CodeAssetMismatch:                "asset_mismatch",
	CodeScaleExceeded:                "scale_exceeded",
	CodeAmountOverflow:               "amount_overflow",
	CodeDuplicateAccount:             "duplicate_account",
	CodePendingNotFound:              "pending_not_found",
	CodePendingAlreadyResolved:       "pending_already_resolved",
	CodeDuplicateCommand:             "duplicate_command",
	CodeInvalidAmount:                "invalid_amount",
	CodeSameAccount:                  "same_account",
	CodeAssetNotFound:                "asset_not_found",
	CodeDuplicateAsset:               "duplicate_asset",
	CodeInvalidScale:                 "invalid_scale",
	CodeInvalidAssetCode:             "invalid_asset_code",
	CodeInvalidAccountID:             "invalid_account_id",
	CodeInvalidCommandID:             "invalid_command_id",
	CodeCreditsExceedDebits:          "credits_exceed_debits",
	CodePendingAmountExceeded:        "pending_amount_exceeded",
	CodeInvalidCommand:               "invalid_command",
	CodeLinkedBatchEmpty:             "linked_batch_empty",
	CodeLinkedBatchTooLong:           "linked_batch_too_long",
	CodeLinkedBatchNested:            "linked_batch_nested",
	CodeIDReusedWithDifferentCommand: "id_reused_with_different_command",
	CodeDayAlreadyClosed:             "day_already_closed",
}

// String returns the code's stable name, e.g. "insufficient_funds".
func (c Code) String() string {
	if c < codeEnd {
		return codeNames[c]
	}
	return "code_" + strconv.Itoa(int(c))
}

// Codes lists every rejection code (without CodeNone), in numeric order.
func Codes() []Code {
	out := make([]Code, 0, codeEnd-1)
	for c := CodeNone + 1; c < codeEnd; c++ {
		out = append(out, c)
	}
	return out
}

// Rejection is the error Decide returns for a command that must not take
// effect. Seq names the original command when Code is CodeDuplicateCommand.
type Rejection struct {
	Code   Code
	Detail string
	Seq    uint64
}

func (r *Rejection) Error() string {
	if r.Detail == "" {
		return r.Code.String()
	}
	return r.Code.String() + ": " + r.Detail
}

func reject(code Code, detail string) *Rejection {
	return &Rejection{Code: code, Detail: detail}
}
