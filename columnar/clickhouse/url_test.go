package clickhouse

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	cases := []struct {
		url  string
		want Options
		err  string // empty: valid
	}{
		{"clickhouse://u:p@db.example:9440/tape?layout=cluster&cluster=prod-1&compress=none",
			Options{Addr: "db.example:9440", User: "u", Password: "p", Database: "tape", Layout: LayoutCluster, Cluster: "prod-1"}, ""},
		{"clickhouse://localhost", Options{Addr: "localhost:9000", Database: "default", Layout: LayoutSingle, Compress: true}, ""},
		{"clickhouse://h/x?layout=legacy", Options{Addr: "h:9000", Database: "x", Layout: LayoutLegacy, Compress: true}, ""},
		{"postgres://h/x", Options{}, "scheme"},
		{"clickhouse:///x", Options{}, "no host"},
		{"clickhouse://h/x?layout=cluster", Options{}, "cluster=NAME"},
		{"clickhouse://h/x?cluster=c", Options{}, "only layout=cluster"},
		{"clickhouse://h/x?layout=tiny", Options{}, "want single, cluster or legacy"},
		{"clickhouse://h/x;drop?layout=single", Options{}, "database"},
		{"clickhouse://h/x?compress=zstd", Options{}, "compress"},
		{"clickhouse://h/x?timeout=1", Options{}, "unknown parameter"},
		{"clickhouse://u:secret@h/x?timeout=1", Options{}, "xxxxx"},
	}
	for _, tc := range cases {
		got, err := ParseURL(tc.url)
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.url, err)
		case tc.err == "" && got != tc.want:
			t.Errorf("%s: %+v, want %+v", tc.url, got, tc.want)
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.url, err, tc.err)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%s: error shows the password: %v", tc.url, err)
		}
	}
}

func TestSplitStatements(t *testing.T) {
	got, err := splitStatements("-- a; comment\nCREATE TABLE a (x String DEFAULT ';') ENGINE = Log;\n\nSELECT 'it''s; \\' ok' -- tail;\n;")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"CREATE TABLE a (x String DEFAULT ';') ENGINE = Log", "SELECT 'it''s; \\' ok'"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := splitStatements("SELECT 'open"); err == nil {
		t.Error("unterminated quote accepted")
	}
	for _, layout := range []Layout{LayoutSingle, LayoutCluster, LayoutLegacy} {
		if _, err := loadMigrations(Options{Layout: layout, Cluster: "c", Database: "d"}); err != nil {
			t.Errorf("layout %s: %v", layout, err)
		}
	}
}

func TestBind(t *testing.T) {
	got, err := bind("SELECT ?, '?', `?`, ? -- ?\n, ?", []any{"a'\\\x00b", uint64(1), true})
	if err != nil {
		t.Fatal(err)
	}
	if want := "SELECT 'a\\'\\\\\\x00b', '?', `?`, 1 -- ?\n, 1"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if _, err := bind("SELECT ?", nil); err == nil {
		t.Error("missing argument accepted")
	}
	if _, err := bind("SELECT 1", []any{1}); err == nil {
		t.Error("extra argument accepted")
	}
}
