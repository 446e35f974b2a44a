package server

import (
	"net/http"
	"strconv"
	"time"

	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/ledgercore"
	"github.com/tape-ledger/tape/query"
)

// accountJSON is an account's balances as the API shows them.
type accountJSON struct {
	Account        string   `json:"account"`
	Asset          string   `json:"asset"`
	Scale          uint8    `json:"scale"`
	Flags          []string `json:"flags"`
	Balance        string   `json:"balance"`
	DebitsPending  string   `json:"debits_pending"`
	CreditsPending string   `json:"credits_pending"`
}

func accountView(s *ledgercore.State, a ledgercore.Account) accountJSON {
	asset, _ := s.Asset(a.Asset)
	flags := []string{}
	for i, name := range ledgercore.FlagNames {
		if a.Flags&(1<<i) != 0 {
			flags = append(flags, name)
		}
	}
	return accountJSON{Account: a.ID, Asset: a.Asset, Scale: asset.Scale, Flags: flags,
		Balance: a.Balance.Decimal(asset.Scale), DebitsPending: a.DebitsPending.Decimal(asset.Scale),
		CreditsPending: a.CreditsPending.Decimal(asset.Scale)}
}

// instantJSON says which state an answer was read from.
type instantJSON struct {
	Seq  uint64 `json:"seq"`
	Ts   string `json:"ts"`
	TsNs int64  `json:"ts_ns"`
}

func instant(s *ledgercore.State) instantJSON {
	return instantJSON{Seq: s.Seq, Ts: time.Unix(0, s.Ts).UTC().Format(time.RFC3339Nano), TsNs: s.Ts}
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body any
	s.ledger.View(func(st *ledgercore.State) {
		if a, ok := st.Account(id); ok {
			body = struct {
				accountJSON
				instantJSON
			}{accountView(st, a), instant(st)}
		}
	})
	if body == nil {
		writeError(w, http.StatusNotFound, apiError{Error: "account " + strconv.Quote(id) + " does not exist", Code: "account_not_found"})
		return
	}
	writeJSON(w, body)
}

// parseAsOf reads ?as_of=T, T being RFC 3339 or ns since the epoch.
func parseAsOf(w http.ResponseWriter, r *http.Request) (ts int64, given, ok bool) {
	v := r.URL.Query().Get("as_of")
	if v == "" {
		return 0, false, true
	}
	ts, err := query.ParseInstant(v)
	if err != nil {
		writeError(w, http.StatusBadRequest, apiError{Error: "as_of: " + err.Error(), Code: "bad_request", Field: "as_of"})
		return 0, false, false
	}
	return ts, true, true
}

// stateAt serves fn from the current state, or from the time machine when
// as_of is given.
func (s *Server) stateAt(w http.ResponseWriter, r *http.Request, fn func(st *ledgercore.State)) {
	ts, given, ok := parseAsOf(w, r)
	if !ok {
		return
	}
	if !given {
		s.ledger.View(fn)
		return
	}
	st, err := s.ledger.StateAt(tape.AsOf{Ts: ts})
	if err != nil {
		writeError(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "internal"})
		return
	}
	fn(st)
}

func (s *Server) getBalance(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var body any
	s.stateAt(w, r, func(st *ledgercore.State) {
		a, ok := st.Account(id)
		if !ok {
			writeError(w, http.StatusNotFound, apiError{Error: "account " + strconv.Quote(id) + " did not exist at that instant", Code: "account_not_found"})
			return
		}
		body = struct {
			accountJSON
			instantJSON
		}{accountView(st, a), instant(st)}
	})
	if body != nil {
		writeJSON(w, body)
	}
}

func (s *Server) getState(w http.ResponseWriter, r *http.Request) {
	var body any
	s.stateAt(w, r, func(st *ledgercore.State) {
		accounts := st.Accounts()
		views := make([]accountJSON, len(accounts))
		for i, a := range accounts {
			views[i] = accountView(st, a)
		}
		h := ledgercore.StateHash(st)
		closed := ""
		if day, ok := st.LastClosedDay(); ok {
			closed = ledgercore.FormatDay(day)
		}
		body = struct {
			instantJSON
			StateHash string        `json:"state_hash"`
			ClosedDay string        `json:"closed_day,omitempty"`
			Accounts  []accountJSON `json:"accounts"`
		}{instant(st), hexString(h[:]), closed, views}
	})
	if body != nil {
		writeJSON(w, body)
	}
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}

func (s *Server) getEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	from, limit := uint64(1), 100
	if v := q.Get("from_seq"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil || n == 0 {
			writeError(w, http.StatusBadRequest, apiError{Error: "from_seq must be a seq (1 or more)", Code: "bad_request", Field: "from_seq"})
			return
		}
		from = n
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > tape.EventsMax {
			writeError(w, http.StatusBadRequest, apiError{Error: "limit must be 1.." + strconv.Itoa(tape.EventsMax), Code: "bad_request", Field: "limit"})
			return
		}
		limit = n
	}
	events, err := s.ledger.Events(from, limit)
	if err != nil {
		writeError(w, http.StatusInternalServerError, apiError{Error: err.Error(), Code: "internal"})
		return
	}
	next := from
	if len(events) > 0 {
		next = events[len(events)-1].Seq + 1
	}
	b := append(make([]byte, 0, 512*len(events)), `{"events":[`...)
	for i := range events {
		if i > 0 {
			b = append(b, ',')
		}
		b = query.AppendEventJSON(b, &events[i])
	}
	b = append(b, `],"next_seq":`...)
	b = strconv.AppendUint(b, next, 10)
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(b, "}\n"...))
}
