//go:build !duckdb_arrow

package main

import (
	"errors"
	"log/slog"
)

var errNoStore = errors.New("this tape was built without the column store: build it with -tags duckdb_arrow (make build does)")

func project([]string, *slog.Logger) error { return errNoStore }

func sqlCommand([]string) error { return errNoStore }
