package tape

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/tape-ledger/tape/internal/journal"
	"github.com/tape-ledger/tape/ledgercore"
)

// A snapshot file holds what restart needs besides the state: where on the
// tape the state ends, the record chain's last hash, and the sparse seq
// index of the records before it. Layout: header, index, the core's
// snapshot (which has its own checksum), and a CRC32C of the tape part.
const (
	snapMagic   = "TAPETSNP"
	snapVersion = 1
	snapDir     = "snapshots"
	snapSuffix  = ".snap"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// snapMeta describes a snapshot without loading its state.
type snapMeta struct {
	Path     string
	Seq      uint64
	Ts       int64
	End      journal.Position // where the first record after the snapshot starts
	LastHash [32]byte         // hash of the last record in the snapshot
	DayClose bool             // taken right after a day close: kept for the time machine
	Index    []indexEntry
	coreAt   int64 // offset of the core snapshot in the file
}

func snapPath(dir string, seq uint64) string {
	return filepath.Join(dir, snapDir, fmt.Sprintf("%020d%s", seq, snapSuffix))
}

// writeSnapshot writes a snapshot atomically (temp file, fsync, rename,
// fsync of the directory).
func writeSnapshot(dir string, m *snapMeta, f *ledgercore.Frozen, sync bool) error {
	path := snapPath(dir, m.Seq)
	tmp := path + ".tmp"
	file, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer os.Remove(tmp) // no-op after the rename
	w := bufio.NewWriterSize(file, 1<<20)
	head := appendSnapHeader(nil, m)
	if _, err := w.Write(head); err != nil {
		file.Close()
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		file.Close()
		return err
	}
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], crc32.Checksum(head, castagnoli))
	if _, err := w.Write(crc[:]); err != nil {
		file.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		file.Close()
		return err
	}
	if sync {
		if err := file.Sync(); err != nil {
			file.Close()
			return err
		}
	}
	if err := file.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if sync {
		return syncDir(filepath.Dir(path))
	}
	return nil
}

func boolByte(b bool) byte {
	if b {
		return 1
	}
	return 0
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func appendSnapHeader(b []byte, m *snapMeta) []byte {
	b = append(b, snapMagic...)
	b = binary.LittleEndian.AppendUint32(b, snapVersion)
	b = binary.LittleEndian.AppendUint64(b, m.Seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Ts))
	b = binary.LittleEndian.AppendUint64(b, m.End.Segment)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.End.Offset))
	b = append(b, m.LastHash[:]...)
	b = append(b, boolByte(m.DayClose))
	b = binary.LittleEndian.AppendUint64(b, uint64(len(m.Index)))
	for _, e := range m.Index {
		b = binary.LittleEndian.AppendUint64(b, e.Seq)
		b = binary.LittleEndian.AppendUint64(b, e.Pos.Segment)
		b = binary.LittleEndian.AppendUint64(b, uint64(e.Pos.Offset))
	}
	return b
}

// snapIndexMax bounds the index entries a header may claim.
const snapIndexMax = 1 << 28

// snapHeadBytes is the fixed part of a snapshot header, before the index.
const snapHeadBytes = 8 + 4 + 8*4 + 32 + 1 + 8

// readSnapMeta reads the fixed part of a snapshot's header: enough to list
// and choose snapshots without reading their indexes or states.
// loadSnapshotState reads the rest and checks the header's checksum.
func readSnapMeta(path string) (*snapMeta, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	head := make([]byte, snapHeadBytes)
	if _, err := io.ReadFull(f, head); err != nil {
		return nil, fmt.Errorf("snapshot %s: header: %w", path, err)
	}
	if string(head[:8]) != snapMagic || binary.LittleEndian.Uint32(head[8:]) != snapVersion {
		return nil, fmt.Errorf("snapshot %s: not a version %d tape snapshot", path, snapVersion)
	}
	m := &snapMeta{Path: path}
	m.Seq = binary.LittleEndian.Uint64(head[12:])
	m.Ts = int64(binary.LittleEndian.Uint64(head[20:]))
	m.End.Segment = binary.LittleEndian.Uint64(head[28:])
	m.End.Offset = int64(binary.LittleEndian.Uint64(head[36:]))
	copy(m.LastHash[:], head[44:76])
	m.DayClose = head[76] == 1
	n := binary.LittleEndian.Uint64(head[77:])
	if n > snapIndexMax || int64(n)*24+snapHeadBytes+4 > st.Size() {
		return nil, fmt.Errorf("snapshot %s: index of %d entries does not fit the file", path, n)
	}
	m.coreAt = snapHeadBytes + int64(n)*24
	return m, nil
}

// loadSnapshotState reads a whole snapshot: it checks the header's checksum,
// fills m.Index, and decodes the state, checking that it is the state the
// header names.
func loadSnapshotState(m *snapMeta) (*ledgercore.State, error) {
	b, err := os.ReadFile(m.Path)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) < m.coreAt+4 {
		return nil, fmt.Errorf("snapshot %s: truncated", m.Path)
	}
	if crc32.Checksum(b[:m.coreAt], castagnoli) != binary.LittleEndian.Uint32(b[len(b)-4:]) {
		return nil, fmt.Errorf("snapshot %s: header checksum mismatch", m.Path)
	}
	idx := b[snapHeadBytes:m.coreAt]
	m.Index = make([]indexEntry, len(idx)/24)
	for i := range m.Index {
		e := idx[i*24:]
		m.Index[i] = indexEntry{Seq: binary.LittleEndian.Uint64(e), Pos: journal.Position{
			Segment: binary.LittleEndian.Uint64(e[8:]), Offset: int64(binary.LittleEndian.Uint64(e[16:]))}}
	}
	s, err := ledgercore.DecodeSnapshot(b[m.coreAt : len(b)-4])
	if err != nil {
		return nil, fmt.Errorf("snapshot %s: %w", m.Path, err)
	}
	if s.Seq != m.Seq || s.Ts != m.Ts {
		return nil, fmt.Errorf("snapshot %s: state is at seq %d, header says %d", m.Path, s.Seq, m.Seq)
	}
	return s, nil
}

// listSnapshots returns the readable snapshots of a data dir, oldest first,
// and the paths of the ones whose headers do not read.
func listSnapshots(dir string) (good []*snapMeta, bad []error, err error) {
	entries, err := os.ReadDir(filepath.Join(dir, snapDir))
	if os.IsNotExist(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, snapSuffix) {
			continue
		}
		if _, err := strconv.ParseUint(strings.TrimSuffix(name, snapSuffix), 10, 64); err != nil {
			continue
		}
		m, err := readSnapMeta(filepath.Join(dir, snapDir, name))
		if err != nil {
			bad = append(bad, err)
			continue
		}
		good = append(good, m)
	}
	slices.SortFunc(good, func(a, b *snapMeta) int { return cmpU64(a.Seq, b.Seq) })
	return good, bad, nil
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// snapJob is a snapshot to write in the background.
type snapJob struct {
	meta   snapMeta
	frozen *ledgercore.Frozen
}

// maybeSnapshot queues a periodic snapshot when SnapshotEvery commands
// passed since the last one. l.mu is held. A snapshot still being written
// makes it skip: a later group tries again.
func (l *Ledger) maybeSnapshot() {
	s := l.state
	if s.Seq-l.lastSnapSeq < l.opts.SnapshotEvery {
		return
	}
	job := snapJob{meta: l.snapMetaNow(false), frozen: s.Freeze()}
	select {
	case l.snapQ <- job:
		l.lastSnapSeq = s.Seq
	default:
	}
}

// snapshotDayClose queues the snapshot of the state right after a day
// close, which the time machine and day-end verification rely on: it is
// never skipped. l.mu is held; the close's record is on disk.
func (l *Ledger) snapshotDayClose(c *dayClose, end journal.Position, recordHash [32]byte) {
	n := sort.Search(len(l.index), func(i int) bool { return l.index[i].Seq > c.frozen.Seq })
	meta := snapMeta{Seq: c.frozen.Seq, Ts: c.frozen.Ts, End: end, LastHash: recordHash, DayClose: true,
		Index: slices.Clone(l.index[:n])}
	l.snapQ <- snapJob{meta: meta, frozen: c.frozen}
	l.lastSnapSeq = max(l.lastSnapSeq, c.frozen.Seq)
}

func (l *Ledger) snapMetaNow(dayClose bool) snapMeta {
	return snapMeta{Seq: l.state.Seq, Ts: l.state.Ts, End: l.j.End(), LastHash: l.lastRecordHash,
		DayClose: dayClose, Index: slices.Clone(l.index)}
}

// snapshotNow writes a snapshot of the current state synchronously. l.mu
// is held.
func (l *Ledger) snapshotNow() error {
	m := l.snapMetaNow(false)
	if err := writeSnapshot(l.opts.Dir, &m, l.state.Freeze(), !l.opts.NoSync); err != nil {
		return fmt.Errorf("snapshot at seq %d: %w", m.Seq, err)
	}
	l.lastSnapSeq = m.Seq
	return nil
}

// snapshotter writes queued snapshots and prunes old periodic ones.
func (l *Ledger) snapshotter() {
	defer close(l.snapDone)
	for job := range l.snapQ {
		start := time.Now()
		if err := writeSnapshot(l.opts.Dir, &job.meta, job.frozen, !l.opts.NoSync); err != nil {
			l.log.Error("snapshot failed", "seq", job.meta.Seq, "err", err)
			continue
		}
		l.log.Info("snapshot written", "seq", job.meta.Seq, "day_close", job.meta.DayClose, "ms", time.Since(start).Milliseconds())
		l.pruneSnapshots()
	}
}

// pruneSnapshots keeps every day-close snapshot and the newest
// snapshotsKept periodic ones.
func (l *Ledger) pruneSnapshots() {
	snaps, _, err := listSnapshots(l.opts.Dir)
	if err != nil {
		l.log.Warn("listing snapshots", "err", err)
		return
	}
	periodic := 0
	for i := len(snaps) - 1; i >= 0; i-- {
		if snaps[i].DayClose {
			continue
		}
		if periodic++; periodic > snapshotsKept {
			if err := os.Remove(snaps[i].Path); err != nil {
				l.log.Warn("removing old snapshot", "err", err)
			}
		}
	}
}
