// Command tape is Tape's one binary: the ledger server and its tools.
package main

import (
	"fmt"
	"log/slog"
	"os"
)

const usage = `tape — a deterministic, event-sourced ledger

Usage:
  tape serve   --data DIR [--listen 127.0.0.1:7070] [--store URL]
                                                          run the HTTP API, projecting into the store
  tape apply   --data DIR FILE|-                          load NDJSON commands (keeps their ts)
  tape replay  --data DIR [--until-seq N | --until-ts T]  the time machine: state at an instant
  tape verify  --data DIR                                 re-execute and replay the whole tape
  tape project --data DIR [--store URL]                   write the tape's events into the column store
  tape sql     [--store URL] [--format table|csv|json|arrow] "SELECT ..."
  tape ingest  [--store URL] --kind trades|quotes [--map px=price,...] [--time rfc3339|s|ms|us|ns]
               [--skip-bad-rows] FILE...                  load tick files (csv, ndjson, parquet, arrow; .gz, .zst)
  tape gen commands --seed S --n N [--days D]             write a deterministic NDJSON workload
  tape gen ticks --seed S [--symbols N] [--days D] [--rate R]
               [--format csv|ndjson|parquet|arrow|store|http|fix] [--out PREFIX]
                                                          deterministic trades and quotes: files, the
                                                          store, or a running server (HTTP or FIX)

Stores (--store): duckdb:///path/file.duckdb (default: DIR/tape.duckdb) or
clickhouse://[user:password@]host:9000/db[?layout=single|cluster&cluster=NAME].

Run 'tape COMMAND -h' for a command's flags.
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel()}))
	slog.SetDefault(log)
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = serve(args, log)
	case "apply":
		err = apply(args, log)
	case "replay":
		err = replay(args, log)
	case "verify":
		err = verify(args, log)
	case "gen":
		err = gen(args)
	case "project":
		err = project(args, log)
	case "sql":
		err = sqlCommand(args)
	case "ingest":
		err = ingestCommand(args)
	case "-h", "--help", "help":
		fmt.Print(usage)
		return
	default:
		fmt.Fprintf(os.Stderr, "tape: unknown command %q\n\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tape:", err)
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		os.Exit(1)
	}
}

// exitCode is an error that only sets the exit status (its message was
// printed already).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// logLevel reads TAPE_LOG_LEVEL (debug, info, warn, error; default info).
func logLevel() slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(os.Getenv("TAPE_LOG_LEVEL"))); err != nil {
		return slog.LevelInfo
	}
	return l
}
