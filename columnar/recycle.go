package columnar

import (
	"sync"
)

// Limits of a builder's recycled buffers: about two batches of the widest
// table.
const (
	recycledBytesMax   = 64 << 20
	recycledBuffersMax = 128
)

// recycler lends a builder's buffers to the batches it hands out and takes
// them back when a batch is released (Arrow calls Free as a buffer's last
// reference goes), so that the next batch writes into warm memory instead of
// fresh pages the runtime must fault in and zero. It is a memory.Allocator
// only for that Free: the buffers it lends are immutable, so Arrow never
// allocates through it.
type recycler struct {
	mu    sync.Mutex
	free  [][]byte
	bytes int
}

// get returns an empty slice with room for size bytes, recycled if one is.
func (r *recycler) get(size int) []byte {
	r.mu.Lock()
	best := -1
	for i, b := range r.free {
		if cap(b) >= size && (best < 0 || cap(b) < cap(r.free[best])) {
			best = i
		}
	}
	if best >= 0 {
		b := r.free[best]
		last := len(r.free) - 1
		r.free[best], r.free[last] = r.free[last], nil
		r.free = r.free[:last]
		r.bytes -= cap(b)
		r.mu.Unlock()
		return b[:0]
	}
	r.mu.Unlock()
	return make([]byte, 0, size)
}

// Free takes back a buffer of a released batch.
func (r *recycler) Free(b []byte) {
	if cap(b) == 0 {
		return
	}
	r.mu.Lock()
	if len(r.free) < recycledBuffersMax && r.bytes+cap(b) <= recycledBytesMax {
		r.free = append(r.free, b[:0])
		r.bytes += cap(b)
	}
	r.mu.Unlock()
}

// Allocate is never called for immutable buffers; it allocates plainly.
func (r *recycler) Allocate(size int) []byte { return make([]byte, size) }

// Reallocate is never called for immutable buffers; it copies plainly.
func (r *recycler) Reallocate(size int, b []byte) []byte {
	out := make([]byte, size)
	copy(out, b)
	return out
}
