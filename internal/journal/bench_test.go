package journal

import (
	"fmt"
	"testing"
)

const (
	benchBatchRecords = 1000
	benchPayloadBytes = 200
)

func benchBatch() [][]byte {
	batch := make([][]byte, benchBatchRecords)
	for i := range batch {
		batch[i] = make([]byte, benchPayloadBytes)
		for j := range batch[i] {
			batch[i][j] = byte(i + j)
		}
	}
	return batch
}

func BenchmarkAppend(b *testing.B) {
	for _, tc := range []struct {
		name   string
		noSync bool
	}{{"nosync", true}, {"fdatasync", false}} {
		b.Run(fmt.Sprintf("%s/batch=%dx%dB", tc.name, benchBatchRecords, benchPayloadBytes), func(b *testing.B) {
			l := openLog(b, b.TempDir(), Options{NoSync: tc.noSync})
			defer closeLog(b, l)
			batch := benchBatch()
			b.SetBytes(int64(benchBatchRecords * (frameHeaderBytes + benchPayloadBytes)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Append(batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchLog writes records 200-byte payloads and returns the open log.
func benchLog(b *testing.B, records int) *Log {
	b.Helper()
	l := openLog(b, b.TempDir(), Options{NoSync: true})
	batch := benchBatch()
	for range records / benchBatchRecords {
		if _, err := l.Append(batch); err != nil {
			b.Fatal(err)
		}
	}
	return l
}

func BenchmarkReader(b *testing.B) {
	const records = 500_000 // about 100 MiB of frames
	l := benchLog(b, records)
	defer closeLog(b, l)
	start := Position{Segment: 1, Offset: segmentHeaderBytes}
	b.SetBytes(l.SizeBytes() - segmentHeaderBytes)
	b.ReportAllocs()
	for b.Loop() {
		r, err := l.NewReader(start)
		if err != nil {
			b.Fatal(err)
		}
		n := 0
		for r.Next() {
			n++
		}
		if r.Err() != nil || n != records {
			b.Fatalf("read %d records: %v", n, r.Err())
		}
		if err := r.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkOpen measures restart time: verifying every frame, or only those
// after a trusted position near the end.
func BenchmarkOpen(b *testing.B) {
	const records = 1_000_000 // about 200 MiB of frames
	l := benchLog(b, records)
	dir, end := l.dir, l.End()
	size := l.SizeBytes()
	closeLog(b, l)
	for _, tc := range []struct {
		name       string
		verifyFrom Position
	}{{"verify-all", Position{}}, {"verify-from-end", end}} {
		b.Run(fmt.Sprintf("%s/records=%d", tc.name, records), func(b *testing.B) {
			b.SetBytes(size)
			b.ReportAllocs()
			for b.Loop() {
				l := openLog(b, dir, Options{NoSync: true, VerifyFrom: tc.verifyFrom})
				closeLog(b, l)
			}
		})
	}
}
