package sql

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestMigrations(t *testing.T) {
	file := &fstest.MapFile{Data: []byte("SELECT 1;")}
	cases := []struct {
		name  string
		files []string
		err   string // empty: valid
	}{
		{"one", []string{"0001_init.sql"}, ""},
		{"two", []string{"0001_init.sql", "0002_more_things.sql"}, ""},
		{"gap", []string{"0001_init.sql", "0003_x.sql"}, "want 2"},
		{"starts at 2", []string{"0002_x.sql"}, "want 1"},
		{"bad name", []string{"0001_Init.sql"}, "NNNN_name.sql"},
		{"not sql", []string{"0001_init.txt"}, "NNNN_name.sql"},
		{"empty", nil, "no migrations"},
	}
	for _, tc := range cases {
		fsys := fstest.MapFS{"m": &fstest.MapFile{Mode: fs.ModeDir}}
		for _, f := range tc.files {
			fsys["m/"+f] = file
		}
		ms, err := Migrations(fsys, "m")
		switch {
		case tc.err == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err == "" && len(ms) != len(tc.files):
			t.Errorf("%s: %d migrations, want %d", tc.name, len(ms), len(tc.files))
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("%s: error %v, want one containing %q", tc.name, err, tc.err)
		}
	}
	for _, dir := range []string{"duckdb", "clickhouse/single", "clickhouse/cluster", "clickhouse/legacy"} {
		fsys := fs.FS(DuckDB)
		if dir != "duckdb" {
			fsys = ClickHouse
		}
		if _, err := Migrations(fsys, dir); err != nil {
			t.Errorf("embedded %s: %v", dir, err)
		}
	}
}
