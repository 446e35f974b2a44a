package ingest

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/tape-ledger/tape/internal/workload"
)

func FuzzDecodeCommands(f *testing.F) {
	var body bytes.Buffer
	if _, err := workload.Generate(&body, workload.Options{Seed: 1, N: 60}); err != nil {
		f.Fatal(err)
	}
	for _, line := range bytes.Split(body.Bytes(), []byte("\n")) {
		f.Add(line)
	}
	f.Add(body.Bytes()[:2000])
	f.Add([]byte(`[{"type":"void_pending","id":"v","pending_id":"p"},{"type":"linked","id":"l","commands":[{"type":"transfer","id":"t","debit":"a","credit":"b","asset":"X","amount":"1"}]}]`))
	f.Add([]byte(`{"type":"post_pending","id":"\u00e9\ud83d\ude00","ts":"2026-01-05T09:30:00.5+01:00","pending_id":"p","x":[{"]":"}"}]}`))
	f.Add([]byte(`{"type":"open_account","id":"o","account":"a","asset":"X","flags":["credits_must_not_exceed_debits"],"ts":17}`))
	f.Add([]byte(`{"type":"define_asset","id":"a","asset":"X","scale":-0}` + "\n\n[" + "\r\n{"))
	f.Fuzz(checkDecoding)
}

// checkDecoding decodes data and checks what it can of the result.
func checkDecoding(t *testing.T, data []byte) {
	cmds, errs := decodeAll(t, data)
	checkSameDecoding(t, data, cmds, errs)
	for _, tc := range cmds {
		enc := appendCommandJSON(nil, &tc.Cmd, tc.Ts)
		again, errs := decodeAll(t, enc)
		tc.Line = 1
		if len(errs) > 0 || len(again) != 1 || !reflect.DeepEqual(again[0], tc) {
			t.Fatalf("re-encoded %+v as %s: decoded %+v, %v", tc, enc, again, errs)
		}
	}
	if bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
		return
	}
	lines := bytes.Split(data, []byte("\n"))
	for _, tc := range cmds {
		checkAgreesWithEncodingJSON(t, lines[tc.Line-1], tc)
	}
}

// checkSameDecoding decodes data again one byte per read: commands and
// errors must not depend on how the input arrives.
func checkSameDecoding(t *testing.T, data []byte, cmds []TimedCommand, errs []error) {
	cmds2, errs2 := decodeAllFrom(t, iotest.OneByteReader(bytes.NewReader(data)), len(data))
	var texts, texts2 []string
	for _, e := range errs {
		texts = append(texts, e.Error())
	}
	for _, e := range errs2 {
		texts2 = append(texts2, e.Error())
	}
	if !reflect.DeepEqual(cmds, cmds2) || !reflect.DeepEqual(texts, texts2) {
		t.Fatalf("decoding depends on reads:\n%+v %q\n%+v %q", cmds, texts, cmds2, texts2)
	}
}

// checkAgreesWithEncodingJSON checks that an accepted line is valid JSON and
// that encoding/json reads the same values.
func checkAgreesWithEncodingJSON(t *testing.T, line []byte, tc TimedCommand) {
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("accepted %q, which encoding/json rejects: %v", line, err)
	}
	c := &tc.Cmd
	want := map[string]string{"type": c.Kind.String(), "id": c.ID}
	for k, v := range map[string]string{"debit": c.Debit, "credit": c.Credit, "amount": c.Amount,
		"account": c.Account, "asset": c.Asset, "pending_id": c.PendingID} {
		if v != "" {
			want[k] = v
		}
	}
	for k, v := range want {
		if m[k] != v {
			t.Fatalf("%q: field %s is %q, encoding/json reads %q", line, k, v, m[k])
		}
	}
}
