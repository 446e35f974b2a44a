package query

import (
	"fmt"
	"strconv"
	"time"
)

// ParseInstant reads an instant as the API and CLI take it: RFC 3339 with
// any fractional precision (2026-01-05T17:00:00Z) or ns since the epoch.
func ParseInstant(v string) (int64, error) {
	if ns, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ns, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return 0, fmt.Errorf("instant %q is neither RFC 3339 (2026-01-05T17:00:00Z) nor ns since the epoch", v)
	}
	return t.UnixNano(), nil
}
