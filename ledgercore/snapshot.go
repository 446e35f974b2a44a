package ledgercore

import (
	"crypto/sha256"
	"encoding/binary"
	"hash/crc32"
	"io"
	"slices"
	"strconv"
)

// Frozen is a consistent, immutable view of a State at one seq, cheap to
// take (it copies accounts and pending transfers, and shares the append-only
// id log), so that a snapshot can be written while the ledger moves on.
type Frozen struct {
	Seq       uint64
	Ts        int64
	LastHash  [32]byte
	ClosedDay int32
	assets    []Asset
	accounts  []Account
	pendings  []Pending
	idLog     idLog
	idSlots   []idSlot // a copy of the id table, so that restore need not rebuild it
}

// Freeze returns a frozen view of s. It copies the id table (16 bytes per
// slot, a memory copy of tens of ms for millions of ids) so that a restore
// reads it back instead of rebuilding it with a cache miss per id.
func (s *State) Freeze() *Frozen {
	f := s.freezeBalances()
	f.idLog = s.ids.log.prefix()
	f.idSlots = slices.Clone(s.ids.slots)
	return f
}

// freezeBalances is what the state hash covers: no id table.
func (s *State) freezeBalances() *Frozen {
	return &Frozen{
		Seq: s.Seq, Ts: s.Ts, LastHash: s.LastHash, ClosedDay: s.ClosedDay,
		assets:   s.Assets(),
		accounts: s.Accounts(),
		pendings: s.Pendings(),
		idLog:    idLog{n: s.ids.log.n},
	}
}

// StateHash is the canonical hash of the ledger state: it covers the seq,
// ts, last event hash (and with it every command id ever seen), closed day,
// assets, every account's balances and every open pending transfer, each in
// sorted order, so it does not depend on map iteration or on history that
// led to the same state differently.
func StateHash(s *State) [32]byte { return s.freezeBalances().Hash() }

// Hash returns the state hash of the frozen state.
func (f *Frozen) Hash() [32]byte {
	h := sha256.New()
	b := f.appendHeader(make([]byte, 0, 256))
	b = binary.AppendUvarint(b, uint64(f.idLog.n))
	for i := range f.assets {
		b = appendAssetRecord(b, &f.assets[i])
	}
	for i := range f.accounts {
		b = appendAccountRecord(b, &f.accounts[i])
		if len(b) > 1<<16 {
			h.Write(b)
			b = b[:0]
		}
	}
	for i := range f.pendings {
		b = appendPendingRecord(b, &f.pendings[i])
		if len(b) > 1<<16 {
			h.Write(b)
			b = b[:0]
		}
	}
	h.Write(b)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// snapshotMagic starts every snapshot; snapshotVersion is its format.
const (
	snapshotMagic   = "TAPESNAP"
	snapshotVersion = 1
)

func (f *Frozen) appendHeader(b []byte) []byte {
	b = append(b, snapshotMagic...)
	b = binary.LittleEndian.AppendUint32(b, snapshotVersion)
	b = binary.LittleEndian.AppendUint64(b, f.Seq)
	b = binary.LittleEndian.AppendUint64(b, uint64(f.Ts))
	b = append(b, f.LastHash[:]...)
	b = binary.LittleEndian.AppendUint32(b, uint32(f.ClosedDay))
	b = binary.AppendUvarint(b, uint64(len(f.assets)))
	b = binary.AppendUvarint(b, uint64(len(f.accounts)))
	b = binary.AppendUvarint(b, uint64(len(f.pendings)))
	return b
}

func appendAssetRecord(b []byte, a *Asset) []byte {
	b = appendString(b, a.Code)
	return append(b, a.Scale)
}

func appendAccountRecord(b []byte, a *Account) []byte {
	b = appendString(b, a.ID)
	b = appendString(b, a.Asset)
	b = append(b, byte(a.Flags))
	b = appendAmount(b, a.Balance)
	b = appendAmount(b, a.DebitsPending)
	return appendAmount(b, a.CreditsPending)
}

func appendPendingRecord(b []byte, p *Pending) []byte {
	b = appendString(b, p.ID)
	b = appendString(b, p.Debit)
	b = appendString(b, p.Credit)
	b = appendString(b, p.Asset)
	b = appendAmount(b, p.Amount)
	return binary.LittleEndian.AppendUint64(b, p.Seq)
}

// snapshotWriter buffers, checksums and writes a snapshot in chunks.
type snapshotWriter struct {
	w   io.Writer
	b   []byte
	crc uint32
	n   int64
	err error
}

const snapshotChunkBytes = 1 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (sw *snapshotWriter) maybeFlush(force bool) {
	if sw.err != nil || (!force && len(sw.b) < snapshotChunkBytes) {
		return
	}
	sw.crc = crc32.Update(sw.crc, castagnoli, sw.b)
	var n int
	n, sw.err = sw.w.Write(sw.b)
	sw.n += int64(n)
	sw.b = sw.b[:0]
}

// WriteTo writes the snapshot's canonical encoding to w: header, assets,
// accounts and pending transfers in sorted order, the id log in seq order
// (lengths and fixed fields first, then all id bytes as one blob so that
// decoding allocates once), the state hash, and a CRC32C of all of it.
func (f *Frozen) WriteTo(w io.Writer) (int64, error) {
	sw := &snapshotWriter{w: w, b: make([]byte, 0, snapshotChunkBytes+4096)}
	sw.b = f.appendHeader(sw.b)
	for i := range f.assets {
		sw.b = appendAssetRecord(sw.b, &f.assets[i])
	}
	for i := range f.accounts {
		sw.b = appendAccountRecord(sw.b, &f.accounts[i])
		sw.maybeFlush(false)
	}
	for i := range f.pendings {
		sw.b = appendPendingRecord(sw.b, &f.pendings[i])
		sw.maybeFlush(false)
	}
	sw.b = binary.AppendUvarint(sw.b, uint64(f.idLog.n))
	var blob uint64
	f.idLog.each(func(e *idEntry) {
		flag := byte(0)
		if e.pending {
			flag = 1
		}
		sw.b = binary.AppendUvarint(sw.b, uint64(e.n))
		sw.b = binary.LittleEndian.AppendUint64(sw.b, e.seq)
		sw.b = binary.LittleEndian.AppendUint64(sw.b, e.digest)
		sw.b = append(sw.b, flag)
		blob += uint64(e.n)
		sw.maybeFlush(false)
	})
	sw.b = binary.AppendUvarint(sw.b, blob)
	f.idLog.each(func(e *idEntry) {
		sw.b = append(sw.b, f.idLog.idBytes(e)...)
		sw.maybeFlush(false)
	})
	sw.b = binary.AppendUvarint(sw.b, uint64(len(f.idSlots)))
	for _, sl := range f.idSlots {
		sw.b = binary.LittleEndian.AppendUint64(sw.b, sl.key)
		sw.b = binary.LittleEndian.AppendUint64(sw.b, sl.idx)
		sw.maybeFlush(false)
	}
	h := f.Hash()
	sw.b = append(sw.b, h[:]...)
	sw.maybeFlush(true)
	if sw.err != nil {
		return sw.n, sw.err
	}
	var crc [4]byte
	binary.LittleEndian.PutUint32(crc[:], sw.crc)
	n, err := w.Write(crc[:])
	return sw.n + int64(n), err
}

// snapshotIDsMax bounds the id count a snapshot may claim, so a corrupt
// count cannot make the decoder allocate without limit.
const snapshotIDsMax = 1 << 34

// DecodeSnapshot restores a State from WriteTo's bytes. It checks the
// checksum, the format, and that the decoded state hashes to the recorded
// state hash.
func DecodeSnapshot(b []byte) (*State, error) {
	if len(b) < len(snapshotMagic)+4+4 || string(b[:len(snapshotMagic)]) != snapshotMagic {
		return nil, &DecodeError{Offset: 0, Reason: "not a snapshot (bad magic)"}
	}
	body, sum := b[:len(b)-4], binary.LittleEndian.Uint32(b[len(b)-4:])
	if crc32.Checksum(body, castagnoli) != sum {
		return nil, &DecodeError{Offset: len(b) - 4, Reason: "snapshot checksum mismatch"}
	}
	d := decoder{b: body, off: len(snapshotMagic)}
	if v := binary.LittleEndian.Uint32(d.fixed(4)); v != snapshotVersion {
		return nil, &DecodeError{Offset: d.off - 4, Reason: "snapshot version " + strconv.Itoa(int(v)) + " is not supported"}
	}
	s := Genesis()
	s.Seq = d.u64()
	s.Ts = int64(d.u64())
	s.LastHash = d.hash()
	s.ClosedDay = int32(binary.LittleEndian.Uint32(d.fixed(4)))
	nAssets, nAccounts, nPendings := d.uvarint(), d.uvarint(), d.uvarint()
	for i := uint64(0); i < nAssets && d.err == nil; i++ {
		a := &Asset{Code: d.str(), Scale: d.byte1()}
		s.assets[a.Code] = a
	}
	for i := uint64(0); i < nAccounts && d.err == nil; i++ {
		a := &Account{ID: d.str(), Asset: d.str(), Flags: AccountFlags(d.byte1())}
		a.Balance, a.DebitsPending, a.CreditsPending = d.amount(), d.amount(), d.amount()
		s.accounts[a.ID] = a
	}
	for i := uint64(0); i < nPendings && d.err == nil; i++ {
		p := &Pending{ID: d.str(), Debit: d.str(), Credit: d.str(), Asset: d.str()}
		p.Amount, p.Seq = d.amount(), d.u64()
		s.pendings[p.ID] = p
	}
	decodeIDs(&d, s)
	want := d.hash()
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(body) {
		return nil, &DecodeError{Offset: d.off, Reason: "trailing bytes after snapshot"}
	}
	if got := StateHash(s); got != want {
		return nil, &DecodeError{Offset: d.off - 32, Reason: "restored state does not match the snapshot's state hash"}
	}
	return s, nil
}

func decodeIDs(d *decoder, s *State) {
	n := d.uvarint()
	if n > snapshotIDsMax || n > uint64(len(d.b)) {
		d.fail("snapshot claims " + u64s(n) + " ids")
		return
	}
	entries := make([]idEntry, n)
	for i := range entries {
		e := &entries[i]
		l := d.uvarint()
		if l == 0 || l > CommandIDBytesMax {
			d.fail("id length " + u64s(l) + " out of range")
			return
		}
		e.n = uint8(l)
		e.seq = d.u64()
		e.digest = d.u64()
		e.pending = d.byte1() == 1
		if d.err != nil {
			return
		}
	}
	blobLen := d.uvarint()
	blob := d.fixed(int(min(blobLen, uint64(len(d.b)))))
	if d.err != nil || uint64(len(blob)) != blobLen {
		d.fail("id blob truncated")
		return
	}
	s.ids = idIndex{}
	keys := make([]uint64, n) // idKey of each id, in log order
	for i := range entries {
		e := &entries[i]
		if uint64(e.n) > uint64(len(blob)) {
			d.fail("id lengths exceed the id blob")
			return
		}
		id := string(blob[:e.n])
		blob = blob[e.n:]
		keys[i] = idKey(id)
		s.ids.log.append(id, *e)
	}
	if len(blob) != 0 {
		d.fail("id blob longer than its ids")
		return
	}
	decodeIDTable(d, &s.ids, keys)
}

// decodeIDTable reads the id table written with the snapshot and checks
// that it indexes exactly the ids of the log, each reachable from its home
// slot, so that no lookup can miss an id it holds (a missed id would let a
// duplicate command through). The checks read sequentially; rebuilding the
// table instead would cost a cache miss per id.
func decodeIDTable(d *decoder, x *idIndex, keys []uint64) {
	m, n := d.uvarint(), uint64(len(keys))
	if m < idSlotsMin || m&(m-1) != 0 || n*4 > m*3 || m > uint64(len(d.b)-d.off)/16 {
		d.fail("id table of " + u64s(m) + " slots for " + u64s(n) + " ids")
		return
	}
	raw := d.fixed(int(m * 16))
	if raw == nil {
		return
	}
	x.slots = make([]idSlot, m)
	seen := make([]uint64, (n+63)/64)
	firstEmpty, held := -1, uint64(0)
	for i := range x.slots {
		sl := idSlot{key: binary.LittleEndian.Uint64(raw[16*i:]), idx: binary.LittleEndian.Uint64(raw[16*i+8:])}
		x.slots[i] = sl
		if sl.key == 0 {
			if firstEmpty < 0 {
				firstEmpty = i
			}
			continue
		}
		if sl.idx >= n || keys[sl.idx] != sl.key || seen[sl.idx/64]&(1<<(sl.idx%64)) != 0 {
			d.fail("id table slot " + strconv.Itoa(i) + " does not match the id log")
			return
		}
		seen[sl.idx/64] |= 1 << (sl.idx % 64)
		held++
	}
	if held != n { // each index at most once and n of them: every id is held
		d.fail("id table holds " + u64s(held) + " of " + u64s(n) + " ids")
		return
	}
	// Every key sits in the run of occupied slots that starts at or after
	// its home: walk the table once from an empty slot.
	mask := m - 1
	run := uint64(firstEmpty) // the empty slot before the current run
	for step := uint64(1); step <= m; step++ {
		i := (uint64(firstEmpty) + step) & mask
		key := x.slots[i].key
		if key == 0 {
			run = i
			continue
		}
		h := x.home(key)
		if dh, di := (h-run)&mask, (i-run)&mask; dh == 0 || dh > di {
			d.fail("id table slot " + u64s(i) + " is not reachable from its home slot")
			return
		}
	}
}
