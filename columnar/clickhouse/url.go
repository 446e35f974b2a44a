package clickhouse

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Layout is the shape of the tables a Store creates: the folder of sql/clickhouse its migrations come from.
type Layout string

// The layouts.
const (
	// LayoutSingle is MergeTree tables on one ClickHouse server (23.8 or newer); the default.
	LayoutSingle Layout = "single"
	// LayoutCluster is ReplicatedMergeTree tables on every server of a cluster behind Distributed tables
	// (ClickHouse 23.8 or newer); it needs Options.Cluster.
	LayoutCluster Layout = "cluster"
	// LayoutLegacy is the single layout in the types ClickHouse 18.16 has (no DateTime64, Date32, Bool):
	// for testing the driver path against Debian's clickhouse-server only.
	LayoutLegacy Layout = "legacy"
)

// DefaultPort is ClickHouse's native-protocol port.
const DefaultPort = "9000"

// Options say where a Store lives and how its tables are laid out.
type Options struct {
	Addr     string // host:port of a server speaking the native protocol
	User     string // "" is ClickHouse's "default"
	Password string
	Database string // created if missing; "default" if empty
	Layout   Layout // LayoutSingle if empty
	Cluster  string // the cluster of ON CLUSTER and Distributed; LayoutCluster only
	Compress bool   // LZ4 on the wire
	// Logger, if not nil, receives a line per retried operation.
	Logger *slog.Logger
}

var (
	identifier  = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)
	clusterName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// ParseURL reads clickhouse://user:password@host:port/database?layout=single|cluster|legacy&cluster=NAME&compress=lz4|none.
// The port defaults to 9000, the database to "default", the layout to single and compression to lz4.
func ParseURL(raw string) (Options, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return Options{}, fmt.Errorf("clickhouse: store URL: %w", err)
	}
	if u.Scheme != "clickhouse" {
		return Options{}, fmt.Errorf("clickhouse: store URL %s: scheme %q, want clickhouse", u.Redacted(), u.Scheme)
	}
	if u.Hostname() == "" {
		return Options{}, fmt.Errorf("clickhouse: store URL %s: no host", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = DefaultPort
	}
	o := Options{
		Addr:     net.JoinHostPort(u.Hostname(), port),
		User:     u.User.Username(),
		Database: strings.TrimPrefix(u.Path, "/"),
		Compress: true,
	}
	o.Password, _ = u.User.Password()
	for key, values := range u.Query() {
		if len(values) != 1 {
			return Options{}, fmt.Errorf("clickhouse: store URL %s: %s given %d times", u.Redacted(), key, len(values))
		}
		switch v := values[0]; key {
		case "layout":
			o.Layout = Layout(v)
		case "cluster":
			o.Cluster = v
		case "compress":
			switch v {
			case "lz4":
				o.Compress = true
			case "none":
				o.Compress = false
			default:
				return Options{}, fmt.Errorf("clickhouse: store URL %s: compress=%q, want lz4 or none", u.Redacted(), v)
			}
		default:
			return Options{}, fmt.Errorf("clickhouse: store URL %s: unknown parameter %q (want layout, cluster, compress)",
				u.Redacted(), key)
		}
	}
	if err := o.check(); err != nil {
		return Options{}, fmt.Errorf("clickhouse: store URL %s: %w", u.Redacted(), err)
	}
	return o, nil
}

// check fills in defaults and validates the names that end up in DDL.
func (o *Options) check() error {
	if o.Database == "" {
		o.Database = "default"
	}
	if o.Layout == "" {
		o.Layout = LayoutSingle
	}
	if !identifier.MatchString(o.Database) {
		return fmt.Errorf("database %q: want letters, digits and _ (not first a digit)", o.Database)
	}
	switch o.Layout {
	case LayoutSingle, LayoutLegacy:
		if o.Cluster != "" {
			return fmt.Errorf("cluster %q given with layout %s (only layout=cluster takes one)", o.Cluster, o.Layout)
		}
	case LayoutCluster:
		if !clusterName.MatchString(o.Cluster) {
			return fmt.Errorf("layout cluster needs cluster=NAME (letters, digits, _ . -), got %q", o.Cluster)
		}
	default:
		return fmt.Errorf("layout %q: want single, cluster or legacy", o.Layout)
	}
	return nil
}
