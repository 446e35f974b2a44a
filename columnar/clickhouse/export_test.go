package clickhouse

import "context"

// MigrationStatements returns every statement of the migrations of o.Layout, filled in, for tests of
// other packages (the cluster layout's parse test).
func MigrationStatements(o Options) ([]string, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	ms, err := loadMigrations(o)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.statements...)
	}
	return out, nil
}

// DialNative opens a bare native-protocol Conn to o's database, for tests that insert behind a Store.
func DialNative(ctx context.Context, o Options) (Conn, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	return dialNative(ctx, o)
}
