package columnar

import (
	"math"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The builders append to plain Go slices, one per column, and hand those
// slices to Arrow as the buffers of the batch (no copy); the next batch gets
// slices sized like the last one, recycled from released batches. That is
// several times faster than Arrow's generic builders, which check capacity
// and write a validity bit for every value.
//
// A builder is not safe for concurrent use; the batches it returns may be
// used and released on any goroutine.

// BatchRowsMax is the most rows a builder holds before its caller must flush
// it with NewRecord: two of DuckDB's 122,880-row groups, so a batch goes
// into the database file as whole row groups, one per thread, rather than
// through the WAL (about 65 MB for the widest table, the events).
const BatchRowsMax = 2 * 122_880

// eventRowsMax is the most rows one event adds to the events table.
const eventRowsMax = 2

// textBytesMax is the most bytes of text one column of a batch holds: the
// limit of Arrow utf8's int32 offsets. A builder is Full once a column holds
// textBytesFull, so that values of up to textBytesMax-textBytesFull bytes
// each always fit.
const (
	textBytesMax  = math.MaxInt32
	textBytesFull = 1 << 30
)

// column is one column of a batch being built.
type column interface {
	// reserve makes room for rows values (and, for text, the bytes of the
	// last batch) before the first append of a batch.
	reserve(r *recycler, rows int)
	// finish hands the values to Arrow as a column of type dt, with buffers
	// that return to r when released, and starts the column empty.
	finish(r *recycler, dt arrow.DataType) arrow.ArrayData
}

// batch is the part every builder shares: the columns of one schema, bounded
// to BatchRowsMax rows.
type batch struct {
	schema   *arrow.Schema
	cols     []column
	texts    []*textCol // the text columns among cols
	pool     *recycler
	n        int // rows appended since the last NewRecord
	rowsLast int // rows of the last batch: the next one is sized like it
}

func newBatch(schema *arrow.Schema, cols ...column) batch {
	if len(cols) != schema.NumFields() {
		panic("BUG: columnar: " + strconv.Itoa(len(cols)) + " columns for a schema of " + strconv.Itoa(schema.NumFields()))
	}
	b := batch{schema: schema, cols: cols, pool: &recycler{}, rowsLast: 1024}
	for _, c := range cols {
		if t, ok := c.(*textCol); ok {
			b.texts = append(b.texts, t)
		}
	}
	return b
}

// full reports whether rows more rows might not fit.
func (b *batch) full(rows int) bool {
	if b.n+rows > BatchRowsMax {
		return true
	}
	for _, t := range b.texts {
		if len(t.data) >= textBytesFull {
			return true
		}
	}
	return false
}

// Len returns the number of rows in the batch being built.
func (b *batch) Len() int { return b.n }

// NewRecord returns the rows appended so far as one record batch, which the
// caller must Release, and starts a new batch. Its buffers return to the
// builder for reuse when it is released: like any Arrow batch, it must not
// be used after.
func (b *batch) NewRecord() arrow.RecordBatch {
	arrs := make([]arrow.Array, len(b.cols))
	for i, c := range b.cols {
		d := c.finish(b.pool, b.schema.Field(i).Type)
		arrs[i] = array.MakeFromData(d)
		d.Release()
		if arrs[i].Len() != b.n {
			panic("BUG: columnar: column " + b.schema.Field(i).Name + " has " + strconv.Itoa(arrs[i].Len()) +
				" values in a batch of " + strconv.Itoa(b.n))
		}
	}
	rec := array.NewRecordBatch(b.schema, arrs, int64(b.n))
	for _, a := range arrs {
		a.Release()
	}
	b.rowsLast, b.n = max(b.n, 1), 0
	return rec
}

// Release drops the rows not yet flushed. The builder must not be used after.
func (b *batch) Release() {
	for i, c := range b.cols {
		c.finish(b.pool, b.schema.Field(i).Type).Release()
	}
	b.cols, b.n = nil, 0
}

// grow accounts for rows about to be appended; exceeding BatchRowsMax means
// the caller did not flush on Full, a bug.
func (b *batch) grow(rows int) {
	if b.n+rows > BatchRowsMax {
		panic("BUG: columnar: batch over BatchRowsMax rows: flush when Full")
	}
	if b.n == 0 {
		if b.cols == nil {
			panic("BUG: columnar: builder used after Release")
		}
		for _, c := range b.cols {
			c.reserve(b.pool, b.rowsLast)
		}
	}
	b.n += rows
}

// validity records a column's null rows; the bitmap is built when the
// batch is finished, so a value costs nothing and a null one append.
type validity struct {
	nullRows []int32
}

// null records that row i is null.
func (v *validity) null(i int) { v.nullRows = append(v.nullRows, int32(i)) }

// take returns the validity bitmap of n rows (nil without nulls) and the null
// count, and starts empty.
func (v *validity) take(r *recycler, n int) (*memory.Buffer, int) {
	nulls := len(v.nullRows)
	if nulls == 0 {
		return nil, 0
	}
	bits := r.get((n + 7) / 8)[:(n+7)/8]
	if nulls == n {
		clear(bits)
	} else {
		for k := range bits {
			bits[k] = 0xff
		}
		if n%8 != 0 {
			bits[len(bits)-1] = byte(1)<<(n%8) - 1 // padding bits clear
		}
		for _, i := range v.nullRows {
			bits[i/8] &^= 1 << (i % 8)
		}
	}
	v.nullRows = v.nullRows[:0]
	return memory.NewBufferWithAllocator(bits, r), nulls
}

// newData returns the data of a column of n values of type dt, taking over
// the buffers' references.
func newData(dt arrow.DataType, n, nulls int, bufs ...*memory.Buffer) arrow.ArrayData {
	d := array.NewData(dt, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	return d
}

// slice returns an empty []T with room for n values, from r.
func slice[T arrow.FixedWidthType](r *recycler, n int) []T {
	var zero [1]T
	b := r.get(n * len(arrow.GetBytes(zero[:])))
	return arrow.GetData[T](b[:cap(b)])[:0]
}

// fixedCol is a column of fixed-width values.
type fixedCol[T arrow.FixedWidthType] struct {
	vals []T
	validity
}

func (c *fixedCol[T]) append(v T) {
	c.vals = append(c.vals, v)
}

// append2 appends v twice: both rows of a two-leg event.
func (c *fixedCol[T]) append2(v, w T) { c.vals = append(c.vals, v, w) }

func (c *fixedCol[T]) appendNull() {
	c.null(len(c.vals))
	var zero T
	c.vals = append(c.vals, zero)
}

func (c *fixedCol[T]) appendNull2() {
	c.null(len(c.vals))
	c.null(len(c.vals) + 1)
	var zero T
	c.vals = append(c.vals, zero, zero)
}

func (c *fixedCol[T]) reserve(r *recycler, rows int) {
	if c.vals == nil {
		c.vals = slice[T](r, rows)
	}
}

func (c *fixedCol[T]) finish(r *recycler, dt arrow.DataType) arrow.ArrayData {
	vals := c.vals
	c.vals = nil
	valid, nulls := c.take(r, len(vals))
	if fw, ok := dt.(arrow.FixedWidthDataType); ok && fw.BitWidth() != 8*len(arrow.GetBytes(make([]T, 1))) {
		panic("BUG: columnar: column of " + dt.String() + " built from values of another width")
	}
	return newData(dt, len(vals), nulls, valid, memory.NewBufferWithAllocator(arrow.GetBytes(vals), r))
}

// boolCol is a column of booleans, bit-packed. It has no nulls.
type boolCol struct {
	bits []byte
	n    int
}

func (c *boolCol) append(v bool) {
	if c.n%8 == 0 {
		c.bits = append(c.bits, 0)
	}
	if v {
		c.bits[c.n/8] |= 1 << (c.n % 8)
	}
	c.n++
}

func (c *boolCol) reserve(r *recycler, rows int) {
	if c.bits == nil {
		c.bits = r.get(rows/8 + 1)
	}
}

func (c *boolCol) finish(r *recycler, dt arrow.DataType) arrow.ArrayData {
	bits, n := c.bits, c.n
	c.bits, c.n = nil, 0
	return newData(dt, n, 0, nil, memory.NewBufferWithAllocator(bits, r))
}

// hashCol is a column of fixed_size_binary(32).
type hashCol struct {
	data []byte
	n    int
	validity
}

func (c *hashCol) append(h *[32]byte) {
	c.data = append(c.data, h[:]...)
	c.n++
}

func (c *hashCol) append2(h *[32]byte) {
	c.data = append(append(c.data, h[:]...), h[:]...)
	c.n += 2
}

func (c *hashCol) appendNull() {
	c.null(c.n)
	var zero [32]byte
	c.data = append(c.data, zero[:]...)
	c.n++
}

func (c *hashCol) appendNull2() {
	c.null(c.n)
	c.null(c.n + 1)
	var zero [64]byte
	c.data = append(c.data, zero[:]...)
	c.n += 2
}

func (c *hashCol) reserve(r *recycler, rows int) {
	if c.data == nil {
		c.data = r.get(32 * rows)
	}
}

func (c *hashCol) finish(r *recycler, dt arrow.DataType) arrow.ArrayData {
	data, n := c.data, c.n
	c.data, c.n = nil, 0
	valid, nulls := c.take(r, n)
	return newData(dt, n, nulls, valid, memory.NewBufferWithAllocator(data, r))
}

// textCol is a utf8 column: int32 offsets into the bytes of every value.
type textCol struct {
	offsets   []int32 // offsets[i] is where value i starts; one more than values
	data      []byte
	bytesLast int // bytes of the last batch: the next one is sized like it
	validity
}

func (c *textCol) append(s string) {
	if len(c.data)+len(s) > textBytesMax {
		panic("BUG: columnar: over 2 GiB of text in one column of a batch: flush when Full")
	}
	c.data = append(c.data, s...)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

// append2 appends s twice.
func (c *textCol) append2(s string) {
	if len(c.data)+2*len(s) > textBytesMax {
		panic("BUG: columnar: over 2 GiB of text in one column of a batch: flush when Full")
	}
	c.data = append(append(c.data, s...), s...)
	c.offsets = append(c.offsets, int32(len(c.data)-len(s)), int32(len(c.data)))
}

func (c *textCol) appendNull() {
	c.null(len(c.offsets) - 1)
	c.offsets = append(c.offsets, int32(len(c.data)))
}

func (c *textCol) appendNull2() {
	c.null(len(c.offsets) - 1)
	c.null(len(c.offsets))
	end := int32(len(c.data))
	c.offsets = append(c.offsets, end, end)
}

// appendOptional2 appends s twice, or two nulls for "".
func (c *textCol) appendOptional2(s string) {
	if s == "" {
		c.appendNull2()
		return
	}
	c.append2(s)
}

// appendOptional appends s, or null for "" (ids and codes are never empty).
func (c *textCol) appendOptional(s string) {
	if s == "" {
		c.appendNull()
		return
	}
	c.append(s)
}

func (c *textCol) reserve(r *recycler, rows int) {
	if c.offsets == nil {
		c.offsets = append(slice[int32](r, rows+1), 0)
		c.data = r.get(c.bytesLast)
	}
}

func (c *textCol) finish(r *recycler, dt arrow.DataType) arrow.ArrayData {
	offsets, data := c.offsets, c.data
	if len(offsets) == 0 {
		offsets = []int32{0}
	}
	c.offsets, c.data, c.bytesLast = nil, nil, max(len(data), 64)
	valid, nulls := c.take(r, len(offsets)-1)
	return newData(dt, len(offsets)-1, nulls,
		valid, memory.NewBufferWithAllocator(arrow.GetBytes(offsets), r), memory.NewBufferWithAllocator(data, r))
}
