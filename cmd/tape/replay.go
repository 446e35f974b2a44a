package main

import (
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tape-ledger/tape/internal/tape"
	"github.com/tape-ledger/tape/ledgercore"
	"github.com/tape-ledger/tape/query"
)

func replay(args []string, log *slog.Logger) error {
	fs := flag.NewFlagSet("replay", flag.ExitOnError)
	data := fs.String("data", "data", "data directory")
	untilSeq := fs.Uint64("until-seq", 0, "stop after the record holding this seq")
	untilTs := fs.String("until-ts", "", "stop at this instant (RFC 3339 or ns since the epoch)")
	accounts := fs.String("accounts", "", "comma-separated accounts whose balances to print")
	events := fs.Bool("events", false, "print the events replayed, as NDJSON")
	fromSeq := fs.Uint64("from-seq", 1, "with --events: the first seq to print")
	fs.Parse(args)
	at := tape.AsOf{Seq: *untilSeq}
	if *untilTs != "" {
		ts, err := query.ParseInstant(*untilTs)
		if err != nil {
			return err
		}
		at.Ts = ts
	}
	l, err := tape.Open(tape.Options{Dir: *data, Logger: log, ReadOnly: true})
	if err != nil {
		return err
	}
	defer l.Close()
	s, err := l.StateAt(at)
	if err != nil {
		return err
	}
	if *events {
		var b []byte
		err := l.Records(*fromSeq, func(rec *tape.Record) bool {
			if rec.LastSeq() > s.Seq {
				return false
			}
			for i := range rec.Events {
				if rec.Events[i].Seq >= *fromSeq {
					b = append(query.AppendEventJSON(b[:0], &rec.Events[i]), '\n')
					os.Stdout.Write(b)
				}
			}
			return true
		})
		if err != nil {
			return err
		}
	}
	h := ledgercore.StateHash(s)
	fmt.Printf("seq %d\nts %s\nstate hash %s\naccounts %d\n", s.Seq,
		time.Unix(0, s.Ts).UTC().Format(time.RFC3339Nano), hex.EncodeToString(h[:]), len(s.Accounts()))
	if *accounts != "" {
		return printBalances(s, strings.Split(*accounts, ","))
	}
	return nil
}

func printBalances(s *ledgercore.State, ids []string) error {
	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "account\tasset\tbalance\tdebits pending\tcredits pending\t")
	var missing []string
	for _, id := range ids {
		a, ok := s.Account(id)
		if !ok {
			missing = append(missing, id)
			continue
		}
		asset, _ := s.Asset(a.Asset)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t\n", a.ID, a.Asset, a.Balance.Decimal(asset.Scale),
			a.DebitsPending.Decimal(asset.Scale), a.CreditsPending.Decimal(asset.Scale))
	}
	tw.Flush()
	if len(missing) > 0 {
		return errors.New("no such account at that instant: " + strings.Join(missing, ", "))
	}
	return nil
}
