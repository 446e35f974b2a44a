package fix

import (
	"bufio"
	"bytes"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// FuzzListener feeds a Listener one connection's bytes, a Logon followed by
// the fuzzer's messages (each framed with a right BodyLength and CheckSum,
// so that mutations reach the session and mapping rules), and checks that
// nothing panics and that every batch passes the store's exactly-once rules
// (memStore fails the Listener's write otherwise).
func FuzzListener(f *testing.F) {
	for _, name := range []string{"basic", "gap", "reject", "reconnect"} {
		file, err := os.Open("testdata/sessions/" + name + ".fix")
		if err != nil {
			f.Fatal(err)
		}
		var bodies []string
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			if body, ok := strings.CutPrefix(sc.Text(), "> "); ok && !strings.HasPrefix(body, "35=A|") {
				bodies = append(bodies, body)
			}
		}
		file.Close()
		f.Add(strings.Join(bodies, "\n"))
	}
	f.Fuzz(func(t *testing.T, bodies string) {
		in := soh(framed("35=A|49=VENUE|56=TAPE|34=1|52=20250314-13:30:00.000|98=0|108=0|"))
		for _, body := range strings.Split(bodies, "\n") {
			if body != "" && strings.HasPrefix(body, "35=") {
				in = append(in, soh(framed(body))...)
			}
		}
		store := newMemStore()
		l, err := NewListener(store, Config{CompID: "TAPE"})
		if err != nil {
			t.Fatal(err)
		}
		conn := &memConn{Reader: bytes.NewReader(in), closed: make(chan struct{})}
		ln := &oneConn{conns: make(chan net.Conn, 1), done: make(chan struct{})}
		ln.conns <- conn
		served := make(chan error, 1)
		go func() { served <- l.Serve(t.Context(), ln) }()
		<-conn.closed // the session read it all, or ended
		l.Close()
		if err := <-served; err != nil {
			t.Fatal(err)
		}
		if st := l.Stats(); st.WriteErrors > 0 {
			t.Fatalf("a write failed: %s", st.LastWriteError)
		}
	})
}

// oneConn is a net.Listener that hands out the connections queued in conns,
// then waits for Close.
type oneConn struct {
	conns chan net.Conn
	done  chan struct{}
}

func (o *oneConn) Accept() (net.Conn, error) {
	select {
	case c := <-o.conns:
		return c, nil
	case <-o.done:
		return nil, net.ErrClosed
	}
}

func (o *oneConn) Close() error {
	select {
	case <-o.done:
	default:
		close(o.done)
	}
	return nil
}

func (o *oneConn) Addr() net.Addr { return &net.TCPAddr{} }

// memConn is a connection that reads from a Reader, to its end, and
// drops what is written to it.
type memConn struct {
	*bytes.Reader
	once   sync.Once
	closed chan struct{}
}

func (c *memConn) Write(b []byte) (int, error) { return len(b), nil }
func (c *memConn) Close() error {
	c.once.Do(func() { close(c.closed) })
	return nil
}
func (c *memConn) LocalAddr() net.Addr              { return &net.TCPAddr{} }
func (c *memConn) RemoteAddr() net.Addr             { return &net.TCPAddr{} }
func (c *memConn) SetDeadline(time.Time) error      { return nil }
func (c *memConn) SetReadDeadline(time.Time) error  { return nil }
func (c *memConn) SetWriteDeadline(time.Time) error { return nil }
