//go:build duckdb_arrow

package duckdb

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tape-ledger/tape/columnar/columnartest"
)

func TestOpenNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(context.Background(), path)
	if !errors.Is(err, ErrNotDatabase) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want ErrNotDatabase naming %s", err, path)
	}
	t.Log(err)
	// The failed open released the path.
	if _, err := Open(context.Background(), path); !errors.Is(err, ErrNotDatabase) {
		t.Fatalf("second open: %v, want ErrNotDatabase", err)
	}
}

func TestOpenBadPath(t *testing.T) {
	for _, path := range []string{"", "a.db?access_mode=read_only", filepath.Join(t.TempDir(), "no", "such", "dir.db")} {
		if s, err := Open(context.Background(), path); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", path)
		} else {
			t.Log(err)
		}
	}
}

func TestOpenLockedInProcess(t *testing.T) {
	path := tempDB(t)
	openTest(t, path)
	// Another spelling of the same file.
	other := filepath.Join(filepath.Dir(path), ".", filepath.Base(path))
	_, err := Open(context.Background(), other)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), other) {
		t.Fatalf("error %v, want ErrLocked naming the file", err)
	}
	t.Log(err)
}

const holdEnv = "TAPE_DUCKDB_TEST_HOLD"

// TestHelperHold is not a test: TestOpenLockedByProcess runs the test binary with it to hold a database
// open in another process until its stdin closes.
func TestHelperHold(t *testing.T) {
	path := os.Getenv(holdEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	os.Stdout.WriteString("ready\n")
	io.Copy(io.Discard, os.Stdin)
}

func TestOpenLockedByProcess(t *testing.T) {
	path := tempDB(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperHold$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			t.Errorf("helper: %v", err)
		}
	}()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("helper said %q (%v)", line, err)
	}
	_, err = Open(context.Background(), path)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), path) {
		t.Fatalf("error %v, want ErrLocked naming %s", err, path)
	}
	t.Log(err)
}

// The buffer pool is bounded by default and by Options; a bad limit is an error naming it.
func TestMemoryLimit(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ limit, want string }{{"", "488.2 MiB"}, {"2GB", "1.8 GiB"}} {
		s, err := OpenWith(ctx, filepath.Join(t.TempDir(), "m.duckdb"), Options{MemoryLimit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		_, rows := columnartest.QueryAll(t, s, `SELECT current_setting('memory_limit')`)
		if rows[0][0] != tc.want {
			t.Errorf("memory_limit %q: %v, want %s", tc.limit, rows[0][0], tc.want)
		}
		s.Close()
	}
	if _, err := OpenWith(ctx, filepath.Join(t.TempDir(), "m.duckdb"), Options{MemoryLimit: "lots"}); err == nil || !strings.Contains(err.Error(), `memory_limit "lots"`) {
		t.Errorf("bad limit: %v", err)
	}
}
