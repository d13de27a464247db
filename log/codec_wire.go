package log

import (
	"encoding/binary"
	"slices"
	"unsafe"
)

// This file holds the msgpack primitives of the hand-written codecs in
// codec_fast.go: appenders that write exactly what vmihailenco/msgpack
// writes with the canonical settings of encodePayload (compact integers,
// sorted map keys, the shortest length headers), and a reader of that
// canonical form.

// msgpack type codes used by the hand-written codecs.
const (
	wireNil    = 0xc0
	wireBin8   = 0xc4
	wireUint8  = 0xcc
	wireUint16 = 0xcd
	wireUint32 = 0xce
	wireUint64 = 0xcf
	wireInt8   = 0xd0
	wireInt16  = 0xd1
	wireInt32  = 0xd2
	wireInt64  = 0xd3
	wireStr8   = 0xd9
	wireStr16  = 0xda
	wireStr32  = 0xdb
	wireArr16  = 0xdc
	wireArr32  = 0xdd
	wireMap16  = 0xde
	wireMap32  = 0xdf
)

// appendUint appends n as msgpack's Encoder.EncodeUint does: the shortest form.
func appendUint(dst []byte, n uint64) []byte {
	switch {
	case n <= 0x7f:
		return append(dst, byte(n))
	case n <= 0xff:
		return append(dst, wireUint8, byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, wireUint16), uint16(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, wireUint32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, wireUint64), n)
}

// appendInt appends n as msgpack's Encoder.EncodeInt does: non-negative
// numbers as unsigned, negative ones in the shortest signed form.
func appendInt(dst []byte, n int64) []byte {
	switch {
	case n >= 0:
		return appendUint(dst, uint64(n))
	case n >= -32:
		return append(dst, byte(n)) // negative fixint
	case n >= -1<<7:
		return append(dst, wireInt8, byte(n))
	case n >= -1<<15:
		return binary.BigEndian.AppendUint16(append(dst, wireInt16), uint16(n))
	case n >= -1<<31:
		return binary.BigEndian.AppendUint32(append(dst, wireInt32), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, wireInt64), uint64(n))
}

func appendStr(dst []byte, s string) []byte {
	switch n := len(s); {
	case n < 32:
		dst = append(dst, 0xa0|byte(n))
	case n <= 0xff:
		dst = append(dst, wireStr8, byte(n))
	case n <= 0xffff:
		dst = binary.BigEndian.AppendUint16(append(dst, wireStr16), uint16(n))
	default:
		dst = binary.BigEndian.AppendUint32(append(dst, wireStr32), uint32(n))
	}
	return append(dst, s...)
}

func appendMapLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x80|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, wireMap16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, wireMap32), uint32(n))
}

func appendArrayLen(dst []byte, n int) []byte {
	switch {
	case n < 16:
		return append(dst, 0x90|byte(n))
	case n <= 0xffff:
		return binary.BigEndian.AppendUint16(append(dst, wireArr16), uint16(n))
	}
	return binary.BigEndian.AppendUint32(append(dst, wireArr32), uint32(n))
}

// appendBlob appends a BlobID as msgpack writes a [16]byte: bin8 of 16 bytes.
func appendBlob(dst []byte, b BlobID) []byte {
	return append(append(dst, wireBin8, byte(len(b))), b[:]...)
}

// appendStringMap appends m with its keys sorted, nil as msgpack nil.
func appendStringMap(dst []byte, m map[string]string) []byte {
	if m == nil {
		return append(dst, wireNil)
	}
	dst = appendMapLen(dst, len(m))
	var small [8]string
	keys := small[:0]
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		dst = appendStr(appendStr(dst, k), m[k])
	}
	return dst
}

// appendStrings appends ss as msgpack writes a []string: nil as msgpack nil.
func appendStrings(dst []byte, ss []string) []byte {
	if ss == nil {
		return append(dst, wireNil)
	}
	dst = appendArrayLen(dst, len(ss))
	for _, s := range ss {
		dst = appendStr(dst, s)
	}
	return dst
}

// wireReader reads the canonical msgpack written by the appenders above.
// Each method returns ok == false when the next value is not of the kind
// asked for or is cut short; the caller then gives up on the whole payload
// (and Decode falls back to the reflective decoder, which decides). A
// declared length or count is checked against the bytes left before
// anything is allocated, so a lying header cannot make it allocate more
// than the input holds.
//
// The strings of one payload share one allocation, made at the first
// non-empty string with room for every byte left.
type wireReader struct {
	b     []byte
	off   int
	arena []byte // the unused room of the strings' allocation
}

func (r *wireReader) left() int { return len(r.b) - r.off }

// n reads a big-endian unsigned integer of size bytes.
func (r *wireReader) n(size int) (uint64, bool) {
	if r.left() < size {
		return 0, false
	}
	p := r.b[r.off : r.off+size]
	r.off += size
	switch size {
	case 1:
		return uint64(p[0]), true
	case 2:
		return uint64(binary.BigEndian.Uint16(p)), true
	case 4:
		return uint64(binary.BigEndian.Uint32(p)), true
	}
	return binary.BigEndian.Uint64(p), true
}

func (r *wireReader) code() (byte, bool) {
	if r.off >= len(r.b) {
		return 0, false
	}
	c := r.b[r.off]
	r.off++
	return c, true
}

// int64 reads any msgpack integer into an int64 as msgpack's
// Decoder.DecodeInt64 does (a uint64 above MaxInt64 wraps). It refuses nil.
func (r *wireReader) int64() (int64, bool) {
	c, ok := r.code()
	if !ok {
		return 0, false
	}
	if c <= 0x7f || c >= 0xe0 {
		return int64(int8(c)), true
	}
	var v uint64
	switch c {
	case wireUint8, wireInt8:
		v, ok = r.n(1)
		if c == wireInt8 {
			return int64(int8(v)), ok
		}
	case wireUint16, wireInt16:
		v, ok = r.n(2)
		if c == wireInt16 {
			return int64(int16(v)), ok
		}
	case wireUint32, wireInt32:
		v, ok = r.n(4)
		if c == wireInt32 {
			return int64(int32(v)), ok
		}
	case wireUint64, wireInt64:
		v, ok = r.n(8)
	default:
		return 0, false
	}
	return int64(v), ok
}

func (r *wireReader) int() (int, bool) {
	v, ok := r.int64()
	return int(v), ok
}

// strBytes reads a msgpack str (not nil, not bin) and returns its bytes,
// aliasing the input.
func (r *wireReader) strBytes() ([]byte, bool) {
	c, ok := r.code()
	if !ok {
		return nil, false
	}
	var n uint64
	switch {
	case c&0xe0 == 0xa0:
		n = uint64(c & 0x1f)
	case c == wireStr8:
		n, ok = r.n(1)
	case c == wireStr16:
		n, ok = r.n(2)
	case c == wireStr32:
		n, ok = r.n(4)
	default:
		return nil, false
	}
	if !ok || n > uint64(r.left()) {
		return nil, false
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, true
}

func (r *wireReader) str() (string, bool) {
	b, ok := r.strBytes()
	if !ok || len(b) == 0 {
		return "", ok
	}
	if len(r.arena) < len(b) {
		r.arena = make([]byte, len(b)+r.left())
	}
	n := copy(r.arena, b)
	// The bytes are never written again: later strings take the room
	// after them.
	s := unsafe.String(&r.arena[0], n)
	r.arena = r.arena[n:]
	return s, true
}

// key consumes the next value if it is the fixstr name, and reports
// whether it did.
func (r *wireReader) key(name string) bool {
	end := r.off + 1 + len(name)
	if end > len(r.b) || r.b[r.off] != 0xa0|byte(len(name)) || string(r.b[r.off+1:end]) != name {
		return false
	}
	r.off = end
	return true
}

// count reads a map (map == true) or array header that is not nil, and
// checks that the bytes left can hold its entries (at least one byte per
// element).
func (r *wireReader) count(isMap bool) (int, bool) {
	c, ok := r.code()
	if !ok {
		return 0, false
	}
	fix, b16, b32, per := byte(0x90), byte(wireArr16), byte(wireArr32), uint64(1)
	if isMap {
		fix, b16, b32, per = 0x80, wireMap16, wireMap32, 2
	}
	var n uint64
	switch {
	case c&0xf0 == fix:
		n = uint64(c & 0x0f)
	case c == b16:
		n, ok = r.n(2)
	case c == b32:
		n, ok = r.n(4)
	default:
		return 0, false
	}
	if !ok || n*per > uint64(r.left()) {
		return 0, false
	}
	return int(n), true
}

// peekNil consumes a msgpack nil if it comes next and reports whether it did.
func (r *wireReader) peekNil() bool {
	if r.off < len(r.b) && r.b[r.off] == wireNil {
		r.off++
		return true
	}
	return false
}

// blob reads a BlobID written as bin8 of exactly 16 bytes.
func (r *wireReader) blob() (b BlobID, ok bool) {
	if r.left() < 2+len(b) || r.b[r.off] != wireBin8 || r.b[r.off+1] != byte(len(b)) {
		return b, false
	}
	copy(b[:], r.b[r.off+2:])
	r.off += 2 + len(b)
	return b, true
}

// stringMap reads a map[string]string that is not nil, as msgpack decodes
// it into a nil map: a new map, later duplicates winning.
func (r *wireReader) stringMap() (map[string]string, bool) {
	n, ok := r.count(true)
	if !ok {
		return nil, false
	}
	m := make(map[string]string, n)
	for range n {
		k, ok := r.str()
		if !ok {
			return nil, false
		}
		v, ok := r.str()
		if !ok {
			return nil, false
		}
		m[k] = v
	}
	return m, true
}

// strings reads a []string as msgpack decodes it into a nil slice: nil
// stays nil, an empty array becomes an empty slice.
func (r *wireReader) strings() ([]string, bool) {
	if r.peekNil() {
		return nil, true
	}
	n, ok := r.count(false)
	if !ok {
		return nil, false
	}
	ss := make([]string, n)
	for i := range ss {
		if ss[i], ok = r.str(); !ok {
			return nil, false
		}
	}
	return ss, true
}

// fields tracks the keys read from a struct's map, so that optional
// (omitempty) keys are only looked for while the map has keys left.
type fields struct {
	r    *wireReader
	n    int // keys in the map
	seen int
}

// open reads the map header of a struct.
func (r *wireReader) open() (fields, bool) {
	n, ok := r.count(true)
	return fields{r: r, n: n}, ok
}

// need consumes the key name, which must come next.
func (f *fields) need(name string) bool {
	if f.seen < f.n && f.r.key(name) {
		f.seen++
		return true
	}
	return false
}

// opt consumes the key name if it comes next, and reports whether it did.
func (f *fields) opt(name string) bool { return f.need(name) }

// done reports whether every key of the map was read.
func (f *fields) done() bool { return f.seen == f.n }
