// Package lockfile keeps two processes from using one data directory: the
// holder takes an exclusive flock on dir/LOCK and records its PID and command
// line there, so that a second process can say who is in the way. The kernel
// drops the lock when the holder exits, even on kill -9; the file itself is
// never removed (removing a flock'ed file lets a third process lock a new
// inode while the old one is still held).
package lockfile

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

const (
	fileName        = "LOCK"
	cmdlineBytesMax = 4096                 // longer command lines are cut
	holderBytesMax  = 32 + cmdlineBytesMax // bytes read back from LOCK
)

// Lock is a held lock on a data directory.
type Lock struct {
	file *os.File
}

// InUseError is returned by Acquire when another process holds the lock.
// PID is 0 and Cmdline empty if the holder has not recorded itself yet.
type InUseError struct {
	Dir     string
	PID     int
	Cmdline string
}

func (e *InUseError) Error() string {
	if e.PID == 0 {
		return fmt.Sprintf("data dir %s is in use by another process; stop it first", e.Dir)
	}
	return fmt.Sprintf("data dir %s is in use by process %d (%s); stop it first", e.Dir, e.PID, e.Cmdline)
}

// Acquire takes the lock on dir without waiting, creating dir/LOCK if
// missing. If another process (or another Acquire in this process) holds
// it, the error is an *InUseError naming the holder.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, fileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lockfile: %w", err)
	}
	if err := flock(f, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		defer f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			pid, cmdline := readHolder(f)
			return nil, &InUseError{Dir: dir, PID: pid, Cmdline: cmdline}
		}
		return nil, fmt.Errorf("lockfile: flock %s: %w", path, err)
	}
	if err := writeHolder(f); err != nil {
		f.Close() // also drops the flock
		return nil, err
	}
	return &Lock{file: f}, nil
}

// Release clears the holder record and drops the lock.
func (l *Lock) Release() error {
	if l.file == nil {
		return errors.New("lockfile: lock already released")
	}
	f := l.file
	l.file = nil
	errTruncate := f.Truncate(0)
	errUnlock := flock(f, unix.LOCK_UN)
	errClose := f.Close()
	if err := errors.Join(errTruncate, errUnlock, errClose); err != nil {
		return fmt.Errorf("lockfile: release %s: %w", f.Name(), err)
	}
	return nil
}

func flock(f *os.File, how int) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var flockErr error
	err = rc.Control(func(fd uintptr) {
		flockErr = unix.Flock(int(fd), how)
	})
	return errors.Join(err, flockErr)
}

// writeHolder records this process as "PID\ncommand line\n".
func writeHolder(f *os.File) error {
	cmdline := strings.Join(os.Args, " ")
	if len(cmdline) > cmdlineBytesMax {
		cmdline = cmdline[:cmdlineBytesMax]
	}
	record := fmt.Sprintf("%d\n%s\n", os.Getpid(), cmdline)
	if err := f.Truncate(0); err != nil {
		return fmt.Errorf("lockfile: %w", err)
	}
	if _, err := f.WriteAt([]byte(record), 0); err != nil {
		return fmt.Errorf("lockfile: %w", err)
	}
	return nil
}

// readHolder parses what writeHolder wrote; zero values if it cannot.
func readHolder(f *os.File) (pid int, cmdline string) {
	buf := make([]byte, holderBytesMax)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0, ""
	}
	pidText, rest, ok := strings.Cut(string(buf[:n]), "\n")
	if !ok {
		return 0, ""
	}
	pid, err = strconv.Atoi(pidText)
	if err != nil || pid <= 0 {
		return 0, ""
	}
	return pid, strings.TrimSuffix(rest, "\n")
}
