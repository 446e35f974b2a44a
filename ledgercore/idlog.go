package ledgercore

import (
	"encoding/binary"
	"math/bits"
)

// The ledger remembers every command id forever (idempotency across
// restarts). With millions of ids the index must be cheap for the CPU and
// the garbage collector, so it holds no pointers: ids live as bytes in an
// append-only arena, entries in an append-only chunked log, and the lookup
// map is keyed by a 64-bit hash of the id with a small exact map for the
// rare ids whose hashes collide.

// idChunkLen is how many entries one chunk of the id log holds;
// idArenaChunkBytes is the size of one chunk of id bytes.
const (
	idChunkLen        = 1 << 16
	idArenaChunkBytes = 1 << 20
)

// idEntry remembers a command id: the seq it took and its content digest.
type idEntry struct {
	seq     uint64
	digest  uint64
	off     uint64 // where the id's bytes start in the arena
	n       uint8  // id length (at most CommandIDBytesMax)
	pending bool   // the id is a pending transfer's (for pending_already_resolved)
}

// idLog is the append-only list of every command id in seq order. Growing it
// never copies what is there, so a frozen prefix can be shared with a
// snapshot writer while appends go on.
type idLog struct {
	chunks [][]idEntry
	arena  [][]byte
	n      int
	bytes  uint64
}

func (l *idLog) append(id string, e idEntry) {
	if l.n%idChunkLen == 0 {
		l.chunks = append(l.chunks, make([]idEntry, 0, idChunkLen))
	}
	if len(l.arena) == 0 || len(l.arena[len(l.arena)-1])+len(id) > idArenaChunkBytes {
		l.arena = append(l.arena, make([]byte, 0, idArenaChunkBytes))
		l.bytes = uint64(len(l.arena)-1) * idArenaChunkBytes
	}
	a := &l.arena[len(l.arena)-1]
	e.off, e.n = l.bytes, uint8(len(id))
	*a = append(*a, id...)
	l.bytes += uint64(len(id))
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, e)
	l.n++
}

func (l *idLog) at(i uint64) *idEntry {
	return &l.chunks[i/idChunkLen][i%idChunkLen]
}

// idBytes returns the bytes of an entry's id (shared, do not modify).
func (l *idLog) idBytes(e *idEntry) []byte {
	c := l.arena[e.off/idArenaChunkBytes]
	o := e.off % idArenaChunkBytes
	return c[o : o+uint64(e.n)]
}

// prefix returns a view of the entries so far that later appends do not
// disturb.
func (l *idLog) prefix() idLog {
	p := idLog{n: l.n, bytes: l.bytes, chunks: make([][]idEntry, len(l.chunks)), arena: make([][]byte, len(l.arena))}
	for i, c := range l.chunks {
		p.chunks[i] = c[:len(c):len(c)]
	}
	for i, c := range l.arena {
		p.arena[i] = c[:len(c):len(c)]
	}
	return p
}

// each calls fn for every entry in order.
func (l *idLog) each(fn func(e *idEntry)) {
	for _, c := range l.chunks {
		for i := range c {
			fn(&c[i])
		}
	}
}

// idIndex finds an id's entry in the log: an open-addressing table
// (linear probing) of (hash, log index) slots. A lookup costs about one
// cold cache miss, where the runtime's map, with its directory of tables,
// costs more; ids whose 64-bit hashes collide simply occupy further slots,
// and every hit is confirmed against the id's bytes.
type idIndex struct {
	slots []idSlot // a power of two long; key 0 is an empty slot
	log   idLog
}

type idSlot struct {
	key uint64 // idKey of the id
	idx uint64 // index into the log
}

// idSlotsMin is the table's smallest size; it doubles at 3/4 full.
const idSlotsMin = 1 << 10

func newIDIndex(n int) idIndex {
	size := idSlotsMin
	for size*3/4 < n {
		size *= 2
	}
	return idIndex{slots: make([]idSlot, size)}
}

// home is the first slot to probe for key (the top bits of a Fibonacci
// product).
func (x *idIndex) home(key uint64) uint64 {
	return (key * 0x9e3779b97f4a7c15) >> (64 - bits.TrailingZeros(uint(len(x.slots))))
}

// find returns the slot holding id, or the empty slot where it would go.
func (x *idIndex) find(id string, key uint64) (slot *idSlot, found bool) {
	mask := uint64(len(x.slots) - 1)
	for i := x.home(key); ; i = (i + 1) & mask {
		sl := &x.slots[i]
		switch sl.key {
		case 0:
			return sl, false
		case key:
			if string(x.log.idBytes(x.log.at(sl.idx))) == id {
				return sl, true
			}
		}
	}
}

func (x *idIndex) get(id string) (*idEntry, bool) {
	sl, found := x.find(id, idKey(id))
	if !found {
		return nil, false
	}
	return x.log.at(sl.idx), true
}

// add remembers a new id; it reports false, changing nothing, if the id is
// known already.
func (x *idIndex) add(id string, e idEntry) bool {
	if (x.log.n+1)*4 > len(x.slots)*3 {
		x.grow()
	}
	key := idKey(id)
	sl, found := x.find(id, key)
	if found {
		return false
	}
	*sl = idSlot{key: key, idx: uint64(x.log.n)}
	x.log.append(id, e)
	return true
}

// grow doubles the table. It is a pause proportional to the ids held (tens
// of ms per million); it happens at each power of two.
func (x *idIndex) grow() {
	old := x.slots
	x.slots = make([]idSlot, 2*len(old))
	mask := uint64(len(x.slots) - 1)
	for _, sl := range old {
		if sl.key == 0 {
			continue
		}
		i := x.home(sl.key)
		for x.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = sl
	}
}

// idKey is idHash, with 0 (the empty slot) moved to 1.
func idKey(id string) uint64 {
	return max(idHash(id), 1)
}

// idHash is a fixed, portable 64-bit hash of an id (wyhash-style mixing of
// 8-byte words): the same on every machine, unlike the runtime's map hash.
func idHash(s string) uint64 {
	const (
		k0 = 0xa0761d6478bd642f
		k1 = 0xe7037ed1a0b428db
	)
	h := uint64(len(s)) ^ k0
	for len(s) >= 8 {
		h = mix64(h^binary.LittleEndian.Uint64([]byte(s[:8])), k1)
		s = s[8:]
	}
	var tail uint64
	for i := 0; i < len(s); i++ {
		tail |= uint64(s[i]) << (8 * i)
	}
	return mix64(h^tail, k1^uint64(len(s)))
}

func mix64(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}
