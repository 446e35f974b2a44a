package lockfile

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// helperEnv makes the test binary, re-executed, hold the lock of the named
// directory until its stdin closes.
const helperEnv = "TAPE_LOCKFILE_HELPER_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(helperEnv); dir != "" {
		os.Exit(holdLock(dir))
	}
	os.Exit(m.Run())
}

func holdLock(dir string) int {
	l, err := Acquire(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("locked")
	// Hold until the parent closes stdin (or kills this process).
	if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	if err := l.Release(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

func TestAcquireRelease(t *testing.T) {
	dir := t.TempDir()
	for round := range 3 {
		l, err := Acquire(dir)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := l.Release(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
}

func TestHeldInThisProcess(t *testing.T) {
	dir := t.TempDir()
	l, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := l.Release(); err != nil {
			t.Error(err)
		}
	})
	_, err = Acquire(dir)
	var inUse *InUseError
	if !errors.As(err, &inUse) || inUse.PID != os.Getpid() {
		t.Fatalf("second Acquire = %v, want InUseError naming pid %d", err, os.Getpid())
	}
}

func TestHeldByAnotherProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+dir)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "locked\n" {
		cmd.Process.Kill()
		t.Fatalf("helper said %q, %v", line, err)
	}

	_, err = Acquire(dir)
	var inUse *InUseError
	if !errors.As(err, &inUse) {
		cmd.Process.Kill()
		t.Fatalf("Acquire while held = %v, want *InUseError", err)
	}
	want := fmt.Sprintf("data dir %s is in use by process %d (%s -test.run=^$); stop it first", dir, cmd.Process.Pid, os.Args[0])
	if err.Error() != want || !strings.Contains(inUse.Cmdline, "-test.run") {
		t.Errorf("error = %q\nwant    %q", err, want)
	}

	// SIGKILL gives the helper no chance to release: the kernel must.
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err == nil {
		t.Fatal("killed helper exited cleanly")
	}
	l, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after the holder died: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
}
