// Package progress draws a one-line progress report on a terminal for long
// CLI work (rows, rate, ETA) and stays silent elsewhere.
package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"
)

// redrawEvery bounds how often the line is redrawn.
const redrawEvery = 200 * time.Millisecond

// Bar reports how far a job of total bytes has come.
type Bar struct {
	w      io.Writer
	label  string
	total  int64 // bytes, 0 when unknown
	start  time.Time
	last   time.Time
	active bool
}

// New returns a bar on stderr when it is a terminal; otherwise one that
// draws nothing.
func New(label string, totalBytes int64) *Bar {
	return &Bar{w: os.Stderr, label: label, total: totalBytes, start: time.Now(), active: term.IsTerminal(int(os.Stderr.Fd()))}
}

// Update redraws the line if enough time passed.
func (b *Bar) Update(done int64, doneBytes int64) {
	if !b.active {
		return
	}
	now := time.Now()
	if now.Sub(b.last) < redrawEvery {
		return
	}
	b.last = now
	elapsed := now.Sub(b.start).Seconds()
	rate := float64(done) / max(elapsed, 1e-9)
	line := fmt.Sprintf("%s %d (%.0f/s)", b.label, done, rate)
	if b.total > 0 && doneBytes > 0 {
		frac := float64(doneBytes) / float64(b.total)
		eta := time.Duration(elapsed/frac*(1-frac)) * time.Second
		line += fmt.Sprintf(" %5.1f%% ETA %s", 100*frac, eta.Round(time.Second))
	}
	fmt.Fprintf(b.w, "\r%-78s", line)
}

// Done clears the line.
func (b *Bar) Done() {
	if b.active {
		fmt.Fprintf(b.w, "\r%s\r", strings.Repeat(" ", 78))
	}
}
