package sql

import (
	"fmt"
	"io/fs"
	"regexp"
	"strconv"
)

// MigrationsMax bounds the migrations of one store (or layout): versions
// are four digits.
const MigrationsMax = 9999

// Migration is one versioned DDL script, NNNN_name.sql.
type Migration struct {
	Version int32
	Name    string // the file name
	SQL     string
}

var migrationName = regexp.MustCompile(`^([0-9]{4})_[a-z0-9_]+\.sql$`)

// Migrations reads the migrations in dir of fsys in version order: every
// file must be NNNN_name.sql, versions numbered 1, 2, 3, ... without gaps.
func Migrations(fsys fs.FS, dir string) ([]Migration, error) {
	entries, err := fs.ReadDir(fsys, dir) // sorted by name, so by version
	if err != nil {
		return nil, err
	}
	if len(entries) > MigrationsMax {
		return nil, fmt.Errorf("%d migrations, more than %d", len(entries), MigrationsMax)
	}
	ms := make([]Migration, 0, len(entries))
	for i, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil || e.IsDir() {
			return nil, fmt.Errorf("%s: want a file named NNNN_name.sql", e.Name())
		}
		version, err := strconv.ParseInt(m[1], 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", e.Name(), err)
		}
		if version != int64(i+1) {
			return nil, fmt.Errorf("%s: version %d, want %d (versions run 1, 2, 3, ... without gaps)",
				e.Name(), version, i+1)
		}
		text, err := fs.ReadFile(fsys, dir+"/"+e.Name())
		if err != nil {
			return nil, err
		}
		ms = append(ms, Migration{Version: int32(version), Name: e.Name(), SQL: string(text)})
	}
	if len(ms) == 0 {
		return nil, fmt.Errorf("no migrations in %s", dir)
	}
	return ms, nil
}
