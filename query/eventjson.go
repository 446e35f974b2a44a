// Package query serves reads of the ledger to the HTTP API and the CLI.
package query

import (
	"encoding/hex"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/tape-ledger/tape/ledgercore"
)

// AppendEventJSON appends e as one JSON object:
//
//	{"seq":N,"ts":"<RFC 3339, UTC>","ts_ns":N,"type":"transfer_posted",
//	 "command_id":"...","hash":"<hex>"[,"link_id":"..."], ...}
//
// followed by the fields of its kind (see ledgercore.Event). Amounts are
// decimal strings at the event's scale.
func AppendEventJSON(dst []byte, e *ledgercore.Event) []byte {
	dst = append(dst, `{"seq":`...)
	dst = strconv.AppendUint(dst, e.Seq, 10)
	dst = append(dst, `,"ts":"`...)
	dst = time.Unix(0, e.Ts).UTC().AppendFormat(dst, time.RFC3339Nano)
	dst = append(dst, `","ts_ns":`...)
	dst = strconv.AppendInt(dst, e.Ts, 10)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, e.Kind.String()...)
	dst = append(dst, `","command_id":`...)
	dst = AppendJSONString(dst, e.CommandID)
	dst = append(dst, `,"hash":"`...)
	dst = hex.AppendEncode(dst, e.Hash[:])
	dst = append(dst, '"')
	if e.LinkID != "" {
		dst = append(dst, `,"link_id":`...)
		dst = AppendJSONString(dst, e.LinkID)
	}
	switch e.Kind {
	case ledgercore.EvAssetDefined:
		dst = appendAsset(dst, e)
	case ledgercore.EvAccountOpened:
		dst = append(dst, `,"account":`...)
		dst = AppendJSONString(dst, e.Account)
		dst = append(dst, `,"asset":`...)
		dst = AppendJSONString(dst, e.Asset)
		dst = appendFlags(dst, e.Flags)
	case ledgercore.EvTransferPosted, ledgercore.EvPendingCreated, ledgercore.EvPendingPosted, ledgercore.EvPendingVoided:
		dst = appendMovement(dst, e)
	case ledgercore.EvDayClosed:
		dst = append(dst, `,"day":"`...)
		dst = appendDay(dst, e.Day)
		dst = append(dst, `","state_hash":"`...)
		dst = hex.AppendEncode(dst, e.StateHash[:])
		dst = append(dst, '"')
	case ledgercore.EvCommandRejected:
		dst = append(dst, `,"code":`...)
		dst = AppendJSONString(dst, e.Code.String())
		dst = append(dst, `,"detail":`...)
		dst = AppendJSONString(dst, e.Detail)
		dst = append(dst, `,"command_type":`...)
		dst = AppendJSONString(dst, e.CommandKind.String())
	}
	return append(dst, '}')
}

func appendAsset(dst []byte, e *ledgercore.Event) []byte {
	dst = append(dst, `,"asset":`...)
	dst = AppendJSONString(dst, e.Asset)
	dst = append(dst, `,"scale":`...)
	return strconv.AppendUint(dst, uint64(e.Scale), 10)
}

func appendFlags(dst []byte, flags ledgercore.AccountFlags) []byte {
	dst = append(dst, `,"flags":[`...)
	sep := false
	for i, name := range ledgercore.FlagNames {
		if flags&(1<<i) == 0 {
			continue
		}
		if sep {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, name...)
		dst = append(dst, '"')
		sep = true
	}
	return append(dst, ']')
}

// appendMovement appends the fields of an event that moves an amount:
// asset, scale, amount, pending_id (pending kinds) and legs.
func appendMovement(dst []byte, e *ledgercore.Event) []byte {
	dst = appendAsset(dst, e)
	dst = append(dst, `,"amount":"`...)
	dst = e.Amount.AppendDecimal(dst, e.Scale)
	dst = append(dst, '"')
	if e.Kind != ledgercore.EvTransferPosted {
		dst = append(dst, `,"pending_id":`...)
		dst = AppendJSONString(dst, e.PendingID)
	}
	dst = append(dst, `,"legs":[`...)
	for i, leg := range e.LegsSlice() {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendLeg(dst, &leg, e.Scale)
	}
	return append(dst, ']')
}

func appendLeg(dst []byte, l *ledgercore.Leg, scale uint8) []byte {
	dst = append(dst, `{"account":`...)
	dst = AppendJSONString(dst, l.Account)
	dst = append(dst, `,"side":"`...)
	dst = append(dst, l.Side.String()...)
	dst = append(dst, `","delta":"`...)
	dst = l.Delta.AppendDecimal(dst, scale)
	dst = append(dst, `","balance_before":"`...)
	dst = l.Before.AppendDecimal(dst, scale)
	dst = append(dst, `","balance_after":"`...)
	dst = l.After.AppendDecimal(dst, scale)
	dst = append(dst, `","pending_before":"`...)
	dst = l.PendingBefore.AppendDecimal(dst, scale)
	dst = append(dst, `","pending_after":"`...)
	dst = l.PendingAfter.AppendDecimal(dst, scale)
	return append(dst, `"}`...)
}

// appendDay appends day as YYYY-MM-DD, like ledgercore.FormatDay.
func appendDay(dst []byte, day int32) []byte {
	y, m, d := ledgercore.CivilDate(day)
	dst = strconv.AppendInt(dst, int64(y), 10)
	return append(dst, '-', byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
}

// safeByte marks the bytes a JSON string may hold as they are.
var safeByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// AppendJSONString appends s as a JSON string. Invalid UTF-8 bytes become
// U+FFFD (as encoding/json does); U+2028 and U+2029 are escaped so the
// output is also valid JavaScript.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if safeByte[c] {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			invalid := r == utf8.RuneError && n == 1
			if !invalid && r != '\u2028' && r != '\u2029' {
				i += n
				continue
			}
			dst = append(dst, s[start:i]...)
			if invalid {
				dst = append(dst, `\ufffd`...)
			} else {
				dst = append(dst, `\u202`...)
				dst = append(dst, "89"[r-'\u2028'])
			}
			i += n
			start = i
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendEscape(dst, c)
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendEscape appends the escape of an ASCII control, '"' or '\'.
func appendEscape(dst []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(dst, '\\', c)
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	const hexDigits = "0123456789abcdef"
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
}
