package server

import (
	"context"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"github.com/tape-ledger/tape/ingest"
	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/query"
)

// postCommands decodes the whole body first (a malformed command fails the
// request before anything is sequenced), then sequences every command and
// answers once they are on disk.
func (s *Server) postCommands(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	inputs, ok := s.decodeCommands(w, r)
	if !ok {
		return
	}
	if ok, wait := s.limiter.take(clientKey(r, s.cfg.Token), float64(len(inputs))); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(max(wait.Seconds(), 1)))))
		writeError(w, http.StatusTooManyRequests, apiError{Error: "rate limit: " + strconv.Itoa(len(inputs)) +
			" commands exceed this client's budget", Code: "rate_limited"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), submitWaitMax)
	defer cancel()
	results, err := s.ledger.Submit(ctx, inputs)
	if err != nil {
		status, code := statusFor(err)
		if status == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "1")
		}
		writeError(w, status, apiError{Error: err.Error(), Code: code})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(appendResults(make([]byte, 0, 512*len(results)), results))
}

func (s *Server) decodeCommands(w http.ResponseWriter, r *http.Request) ([]tape.Input, bool) {
	dec := ingest.NewCommandDecoder(http.MaxBytesReader(w, r.Body, s.cfg.BodyBytesMax))
	inputs := make([]tape.Input, 0, 256)
	for {
		tc, err := dec.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var tooBig *http.MaxBytesError
			var bad *ingest.CommandError
			switch {
			case errors.As(err, &tooBig):
				writeError(w, http.StatusRequestEntityTooLarge, apiError{Error: "body larger than " +
					strconv.FormatInt(s.cfg.BodyBytesMax, 10) + " bytes", Code: "body_too_large"})
			case errors.As(err, &bad):
				writeError(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_command", Line: bad.Line, Field: bad.Field})
			default:
				writeError(w, http.StatusBadRequest, apiError{Error: err.Error(), Code: "bad_command"})
			}
			return nil, false
		}
		if tc.Ts != 0 {
			writeError(w, http.StatusBadRequest, apiError{Error: "line " + strconv.Itoa(tc.Line) +
				": field \"ts\": the sequencer assigns ts; load recorded timestamps with tape apply", Code: "bad_command", Line: tc.Line, Field: "ts"})
			return nil, false
		}
		if len(inputs) == s.cfg.CommandsPerRequestMax {
			writeError(w, http.StatusRequestEntityTooLarge, apiError{Error: "more than " +
				strconv.Itoa(s.cfg.CommandsPerRequestMax) + " commands in one request", Code: "too_many_commands"})
			return nil, false
		}
		inputs = append(inputs, tape.Input{Cmd: tc.Cmd})
	}
	if len(inputs) == 0 {
		writeError(w, http.StatusBadRequest, apiError{Error: "the body holds no commands", Code: "bad_command"})
		return nil, false
	}
	return inputs, true
}

// appendResults writes the answer: one object per command, in order.
func appendResults(b []byte, results []tape.Result) []byte {
	b = append(b, '[')
	for i := range results {
		if i > 0 {
			b = append(b, ',')
		}
		b = AppendResultJSON(b, &results[i])
	}
	return append(b, "]\n"...)
}

// AppendResultJSON appends {id, status, seq, code, detail, events}.
func AppendResultJSON(b []byte, r *tape.Result) []byte {
	b = append(b, `{"id":`...)
	b = query.AppendJSONString(b, r.ID)
	b = append(b, `,"status":"`...)
	b = append(b, r.Status.String()...)
	b = append(b, `","seq":`...)
	if r.Seq == 0 {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendUint(b, r.Seq, 10)
	}
	if r.Code != "" {
		b = append(b, `,"code":`...)
		b = query.AppendJSONString(b, r.Code)
	}
	if r.Detail != "" {
		b = append(b, `,"detail":`...)
		b = query.AppendJSONString(b, r.Detail)
	}
	b = append(b, `,"events":[`...)
	for k := range r.Events {
		if k > 0 {
			b = append(b, ',')
		}
		b = query.AppendEventJSON(b, &r.Events[k])
	}
	return append(b, "]}"...)
}
