module github.com/tape-ledger/tape

go 1.26.0

require (
	github.com/prometheus/client_golang v1.23.2 // indirect
	github.com/shopspring/decimal v1.4.0 // indirect
	golang.org/x/sys v0.50.0 // indirect
	golang.org/x/term v0.48.0 // indirect
)
