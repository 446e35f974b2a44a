package fix

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// soh turns the readable form of messages, | for SOH, into bytes.
func soh(s string) []byte { return []byte(strings.ReplaceAll(s, "|", "\x01")) }

// bar turns bytes back into the readable form.
func bar(b []byte) string { return strings.ReplaceAll(string(b), "\x01", "|") }

// framed frames a readable body "35=...|...|" as a message with the right
// BodyLength and CheckSum, in readable form.
func framed(body string) string {
	head := "8=FIX.4.4|9=" + strconv.Itoa(len(body)) + "|"
	return head + body + "10=" + pad3(checksum(soh(head+body))) + "|"
}

// sessionMessages reads testdata/session.fix: the venue's messages, each
// with the bytes it was sent as.
func sessionMessages(t testing.TB) [][]byte {
	t.Helper()
	f, err := os.Open("testdata/session.fix")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var msgs [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			msgs = append(msgs, soh(line))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// sessionStream is the session's messages as one stream.
func sessionStream(t testing.TB) []byte {
	var b []byte
	for _, m := range sessionMessages(t) {
		b = append(b, m...)
	}
	return b
}
