// Package fix is the network-free core of Tape's FIX 4.4 market-data
// intake: the tag=value codec (Parse, Scanner, Append), the mapping of
// MarketDataSnapshotFullRefresh (35=W) and MarketDataIncrementalRefresh
// (35=X) to entries (AppendEntries), and the inbound sequence-number rules
// of a FIX session (Session). It reads no clock and does no I/O beyond the
// io.Reader a Scanner is given.
//
// A message on the wire is
//
//	8=FIX.4.4<SOH>9=<BodyLength><SOH>35=<MsgType><SOH>...<SOH>10=<CheckSum><SOH>
//
// where BodyLength counts the bytes after the SOH that ends the 9= field up
// to and including the SOH before 10=, and CheckSum is the sum of every byte
// before 10= modulo 256, written as three digits.
//
// Values are bytes: any byte but SOH, UTF-8 or not. Length-prefixed data
// fields (RawData 96, XmlData 213, ...), whose values may hold SOH, are not
// supported: market data does not use them, and the bytes after an SOH in
// such a value are read as the next field.
package fix

// SOH ends every field.
const SOH = 0x01

// beginString is the first field of every message this package accepts.
const beginString = "8=FIX.4.4\x01"

// Limits of the codec, enforced with errors wrapping ErrTooLarge.
const (
	// MessageBytesMax is the most bytes one message may hold, from 8= to the
	// SOH after the checksum. A Scanner buffers at most this much.
	MessageBytesMax = 64 << 10
	// FieldsMax is the most fields one message may hold, 8=, 9= and 10=
	// included: about 680 market-data entries of six fields.
	FieldsMax = 4096
	// TagMax is the largest tag number: FIX reserves tags up to 49999 and
	// venues use a few above, so five digits.
	TagMax = 99999
	// SeqNumMax is the largest MsgSeqNum (and NewSeqNo, BeginSeqNo): FIX
	// engines keep them in 32-bit signed integers.
	SeqNumMax = 1<<31 - 1

	tagDigitsMax        = 5  // digits of TagMax
	bodyLengthDigitsMax = 5  // digits of MessageBytesMax
	intDigitsMax        = 18 // digits an int value may hold without overflow
	checksumFieldBytes  = len("10=000\x01")
	bodyBytesMin        = len("35=0\x01")
)

// Tags this package reads or writes.
const (
	TagBeginSeqNo           = 7
	TagBeginString          = 8
	TagBodyLength           = 9
	TagCheckSum             = 10
	TagEndSeqNo             = 16
	TagLastMkt              = 30
	TagMsgSeqNum            = 34
	TagMsgType              = 35
	TagNewSeqNo             = 36
	TagPossDupFlag          = 43
	TagRefSeqNum            = 45
	TagSenderCompID         = 49
	TagSendingTime          = 52
	TagSide                 = 54
	TagSymbol               = 55
	TagTargetCompID         = 56
	TagText                 = 58
	TagEncryptMethod        = 98
	TagHeartBtInt           = 108
	TagTestReqID            = 112
	TagOrigSendingTime      = 122
	TagGapFillFlag          = 123
	TagResetSeqNumFlag      = 141
	TagMDReqID              = 262
	TagNoMDEntries          = 268
	TagMDEntryType          = 269
	TagMDEntryPx            = 270
	TagMDEntrySize          = 271
	TagMDEntryDate          = 272
	TagMDEntryTime          = 273
	TagMDMkt                = 275
	TagMDUpdateAction       = 279
	TagRefTagID             = 371
	TagRefMsgType           = 372
	TagSessionRejectReason  = 373
	TagBusinessRejectReason = 380
	TagTradeID              = 1003
)

// MsgType values of the session and market-data messages.
const (
	MsgTypeHeartbeat             = "0"
	MsgTypeTestRequest           = "1"
	MsgTypeResendRequest         = "2"
	MsgTypeReject                = "3"
	MsgTypeSequenceReset         = "4"
	MsgTypeLogout                = "5"
	MsgTypeLogon                 = "A"
	MsgTypeMarketDataRequest     = "V"
	MsgTypeMarketDataSnapshot    = "W"
	MsgTypeMarketDataIncremental = "X"
	MsgTypeBusinessMessageReject = "j"
)

// tagName names the tags this package knows, for errors; "" for others.
func tagName(tag int) string {
	switch tag {
	case TagBeginSeqNo:
		return "BeginSeqNo"
	case TagBeginString:
		return "BeginString"
	case TagBodyLength:
		return "BodyLength"
	case TagCheckSum:
		return "CheckSum"
	case TagEndSeqNo:
		return "EndSeqNo"
	case TagLastMkt:
		return "LastMkt"
	case TagMsgSeqNum:
		return "MsgSeqNum"
	case TagMsgType:
		return "MsgType"
	case TagNewSeqNo:
		return "NewSeqNo"
	case TagPossDupFlag:
		return "PossDupFlag"
	case TagSenderCompID:
		return "SenderCompID"
	case TagSendingTime:
		return "SendingTime"
	case TagSide:
		return "Side"
	case TagSymbol:
		return "Symbol"
	case TagTargetCompID:
		return "TargetCompID"
	case TagOrigSendingTime:
		return "OrigSendingTime"
	case TagGapFillFlag:
		return "GapFillFlag"
	case TagNoMDEntries:
		return "NoMDEntries"
	case TagMDEntryType:
		return "MDEntryType"
	case TagMDEntryPx:
		return "MDEntryPx"
	case TagMDEntrySize:
		return "MDEntrySize"
	case TagMDEntryDate:
		return "MDEntryDate"
	case TagMDEntryTime:
		return "MDEntryTime"
	case TagMDMkt:
		return "MDMkt"
	case TagMDUpdateAction:
		return "MDUpdateAction"
	case TagTradeID:
		return "TradeID"
	}
	return ""
}

// Field is one tag=value pair to encode.
type Field struct {
	Tag   int
	Value string
}
