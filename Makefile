# Tape — the two commands: `make demo` runs the main job on the embedded
# default; `make test` runs every test, installing what the tests need.
GO      ?= go
BIN     := bin/tape
DEMO    ?= demo-data
export GOFLAGS := -buildvcs=false -tags=duckdb_arrow
# chDB (ClickHouse in-process) for the ClickHouse store's tests; scripts/integration-deps.sh installs it.
CHDB_LIB_PATH ?= /var/cache/tape/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
export CHDB_LIB_PATH

.PHONY: build demo test vet bench bench-core bench-http bench-restart bench-columnar clean

build:
	$(GO) build -o $(BIN) ./cmd/tape

demo: build
	scripts/demo.sh $(BIN) $(DEMO)

# Every test: formatting and vet, the whole suite with integration tests
# required (ClickHouse 18.16 and chDB installed first when missing), the
# concurrent packages again under the race detector, and the core again on
# 32-bit (same golden state hash).
test: vet
	scripts/integration-deps.sh
	TAPE_REQUIRE_INTEGRATION=1 $(GO) test -count=1 -timeout 20m ./...
	$(GO) test -count=1 -race -short ./internal/...
	GOARCH=386 $(GO) test -count=1 -short ./ledgercore/...

vet:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Benchmarks (figures for the README): see bench/README.md.
bench: bench-core bench-http bench-restart bench-columnar

bench-core:
	$(GO) test -run '^$$' -bench DecideApplyTransfer -benchtime 2000000x -count 5 ./ledgercore/

bench-http:
	bench/transfers.sh

bench-restart:
	$(GO) test -run '^$$' -bench Restart -benchtime 1x -timeout 60m ./internal/tape/

bench-columnar:
	$(GO) test -run '^$$' -bench Project -benchtime 3x ./internal/projector/
	$(GO) test -run '^$$' -bench 'Write(Events|Trades)' -benchtime 8x ./columnar/duckdb/
	$(GO) test -run '^$$' -bench Write -benchtime 10x ./columnar/clickhouse/
	$(GO) test -run '^$$' -bench CSVIntoDuckDB -benchtime 2x ./ingest/
	$(GO) test -run XXX -bench ListenerIncremental -benchtime 300000x ./ingest/fix/
	$(GO) test -run '^$$' -bench PostTicksArrow -benchtime 2x ./internal/server/

clean:
	rm -rf bin $(DEMO)
