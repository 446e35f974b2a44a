package clickhouse

import (
	"context"
	"errors"
	"time"
)

// Retry policy for lost connections: attemptsMax tries in all, the waits doubling from backoffMin up to
// backoffMax (about 15 s of waiting at most).
const (
	attemptsMax = 10
	backoffMin  = 50 * time.Millisecond
	backoffMax  = 3 * time.Second
)

// retry runs op until it succeeds, fails with an error the Conn does not call retryable, runs out of
// attempts or ctx ends; it waits with exponential backoff between attempts.
func (s *Store) retry(ctx context.Context, what string, op func() error) error {
	wait := backoffMin
	for attempt := 1; ; attempt++ {
		err := op()
		if err == nil || attempt == attemptsMax || !s.conn.Retryable(err) || ctx.Err() != nil {
			return err
		}
		s.retries.Add(1)
		if s.opts.Logger != nil {
			s.opts.Logger.Warn("clickhouse: retrying", "op", what, "attempt", attempt, "wait", wait, "err", err)
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		wait = min(2*wait, backoffMax)
	}
}
