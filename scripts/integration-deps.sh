#!/bin/sh
# Installs what the ClickHouse integration tests need, idempotently (run as root):
#   - Debian's clickhouse-server and clickhouse-client (18.16) when /usr/sbin/clickhouse-server is missing;
#   - chDB's libchdb.so (ClickHouse 26.7 as a library) from npm into /var/cache/tape/chdb when missing.
# It prints the CHDB_LIB_PATH export the tests need, e.g.
#   eval "$(scripts/integration-deps.sh | grep '^export ')"
set -eu

CHDB_PKG="@chdb/lib-linux-x64-gnu@26.7.3-stable.1"
CHDB_DIR="${TAPE_CHDB_DIR:-/var/cache/tape/chdb}"
CHDB_LIB="$CHDB_DIR/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

say() { echo "integration-deps: $*" >&2; }

if [ -x /usr/sbin/clickhouse-server ]; then
	say "clickhouse-server present: $(dpkg-query -W -f='${Version}' clickhouse-server 2>/dev/null || echo /usr/sbin/clickhouse-server)"
else
	say "installing clickhouse-server and clickhouse-client (apt)"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client >&2
	# The package starts a service on the default ports; the tests run their own servers.
	if command -v service >/dev/null 2>&1; then service clickhouse-server stop >/dev/null 2>&1 || true; fi
fi

if [ -f "$CHDB_LIB" ]; then
	say "libchdb.so present: $CHDB_LIB"
else
	say "installing $CHDB_PKG into $CHDB_DIR (npm, ~180 MB download)"
	mkdir -p "$CHDB_DIR"
	(cd "$CHDB_DIR" && npm install --no-save --no-audit --no-fund "$CHDB_PKG" >&2)
	[ -f "$CHDB_LIB" ] || { say "npm did not install $CHDB_LIB"; exit 1; }
fi

echo "export CHDB_LIB_PATH=$CHDB_LIB"
