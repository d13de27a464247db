package log

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"reflect"
	"sync"

	"github.com/vmihailenco/msgpack/v5"
)

// A record's bytes are a msgpack array [type, version, time, payload]
// followed by the CRC-32C (Castagnoli) of those bytes, little-endian.
const (
	crcSize       = 4
	envelopeArray = 0x94 // msgpack fixarray of 4 elements
	minRecordSize = 1 + 1 + 1 + 1 + 1 + crcSize
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// decodeFunc decodes a payload of one version into the current struct.
type decodeFunc func(*msgpack.Decoder) (Event, error)

// schema describes how one event type is stored. Encode always writes
// version; decoders holds a decoder for every version ever written.
//
// To change a payload incompatibly: bump version, keep the old struct (or a
// function upgrading the old bytes) under its old version in decoders, add a
// golden file for the new version, and keep the old golden file.
type schema struct {
	name     string
	version  uint64
	decoders map[uint64]decodeFunc
	extended bool // every version decodes into the current struct (see extended)
}

// v1 is the schema of a type that has only ever had version 1.
func v1[T Event]() *schema {
	return &schema{
		name:     reflect.TypeFor[T]().Name(),
		version:  1,
		decoders: map[uint64]decodeFunc{1: decodeAs[T]},
	}
}

// extended is the schema of a type whose versions 1..version only ever added
// optional fields: every version decodes into the current struct. The
// version still changes, so that an older binary refuses events whose new
// fields it would silently drop.
func extended[T Event](version uint64) *schema {
	s := v1[T]()
	s.version = version
	for v := uint64(2); v <= version; v++ {
		s.decoders[v] = decodeAs[T]
	}
	s.extended = true
	return s
}

func decodeAs[T Event](dec *msgpack.Decoder) (Event, error) {
	var v T
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// schemas lists every event type. A test checks it against events.go.
var schemas = map[Type]*schema{
	TypeBucketCreated:      extended[BucketCreated](3),
	TypeBucketPolicySet:    v1[BucketPolicySet](),
	TypeBucketDeleted:      v1[BucketDeleted](),
	TypeBackendBucketReady: v1[BackendBucketReady](),
	TypeBackendBucketLost:  v1[BackendBucketLost](),
	TypeBucketConfigSet:    v1[BucketConfigSet](),

	TypePutStarted:      extended[PutStarted](3),
	TypeShardWritten:    v1[ShardWritten](),
	TypeShardFailed:     v1[ShardFailed](),
	TypeObjectCommitted: extended[ObjectCommitted](4),
	TypeObjectDeleted:   v1[ObjectDeleted](),
	TypeObjectCopied:    extended[ObjectCopied](4),

	TypeUploadCreated:   extended[UploadCreated](3),
	TypePartCommitted:   v1[PartCommitted](),
	TypeUploadCompleted: uploadCompletedSchema(),
	TypeUploadAborted:   v1[UploadAborted](),

	TypePurgeQueued:  v1[PurgeQueued](),
	TypeShardsPurged: v1[ShardsPurged](),

	TypeShardCorrupt:  v1[ShardCorrupt](),
	TypeShardMissing:  v1[ShardMissing](),
	TypeShardRepaired: v1[ShardRepaired](),

	TypeRegionAdded:      v1[RegionAdded](),
	TypeRegionUpdated:    v1[RegionUpdated](),
	TypeRegionRemoved:    v1[RegionRemoved](),
	TypeAccessKeyCreated: extended[AccessKeyCreated](2),
	TypeAccessKeyRevoked: v1[AccessKeyRevoked](),
	TypeSnapshotShipped:  v1[SnapshotShipped](),
	TypeSegmentShipped:   v1[SegmentShipped](),
	TypeRegionIdentified: v1[RegionIdentified](),
	TypeTimelineStarted:  v1[TimelineStarted](),

	TypeAdminPasswordSet:      v1[AdminPasswordSet](),
	TypeAdminTokenCreated:     v1[AdminTokenCreated](),
	TypeAdminTokenRevoked:     v1[AdminTokenRevoked](),
	TypeBucketVersioningSet:   v1[BucketVersioningSet](),
	TypeObjectExpired:         v1[ObjectExpired](),
	TypeObjectVersionDeleted:  extended[ObjectVersionDeleted](2),
	TypeObjectRetentionSet:    v1[ObjectRetentionSet](),
	TypeObjectLegalHoldSet:    v1[ObjectLegalHoldSet](),
	TypeBucketACLSet:          v1[BucketACLSet](),
	TypeObjectACLSet:          v1[ObjectACLSet](),
	TypeBucketAccessPolicySet: v1[BucketAccessPolicySet](),
	TypePublicAccessBlockSet:  v1[PublicAccessBlockSet](),
	TypeOwnershipControlsSet:  v1[OwnershipControlsSet](),
	TypeObjectTagsSet:         v1[ObjectTagsSet](),
}

// uploadCompletedSchema: version 1 listed part numbers; version 2 lists
// each part's blob, size and ETag and may carry a precondition. Version 1
// parts decode with a zero Blob, which apply resolves by number. Version
// 3 added the tags and lock fields of Meta, version 4 its Owner.
func uploadCompletedSchema() *schema {
	s := v1[UploadCompleted]()
	s.version = 4
	s.decoders[1] = func(dec *msgpack.Decoder) (Event, error) {
		var old uploadCompletedV1
		if err := dec.Decode(&old); err != nil {
			return nil, err
		}
		ev := UploadCompleted{Upload: old.Upload, Bucket: old.Bucket, Key: old.Key, Meta: old.Meta}
		if old.Parts != nil {
			ev.Parts = make([]CompletedPart, len(old.Parts))
			for i, n := range old.Parts {
				ev.Parts[i] = CompletedPart{Number: n}
			}
		}
		return ev, nil
	}
	s.decoders[2] = decodeAs[UploadCompleted]
	s.decoders[3] = decodeAs[UploadCompleted] // the tags and lock fields of Meta
	s.decoders[4] = decodeAs[UploadCompleted] // Meta.Owner
	return s
}

// String returns the event type's name, e.g. "ObjectCommitted".
func (t Type) String() string {
	if s, ok := schemas[t]; ok {
		return s.name
	}
	return fmt.Sprintf("Type(%d)", uint16(t))
}

// Encode returns the stored bytes of ev written at unixNano: the envelope
// and its checksum. It returns ErrUnknownType if ev is not a registered
// event. Pointers to events are encoded like the events they point to.
func Encode(ev Event, unixNano int64) ([]byte, error) {
	ev, err := normalize(ev)
	if err != nil {
		return nil, err
	}
	t := ev.EventType()
	if _, ok := schemas[t]; !ok {
		return nil, fmt.Errorf("%w: %T has type %d", ErrUnknownType, ev, t)
	}
	rec, err := encodePayload(appendHeader(make([]byte, 0, payloadSizeHint), t, unixNano), ev)
	if err != nil {
		return nil, err
	}
	return appendChecksum(rec, 0), nil
}

// normalize turns a pointer to an event into the event value, so that
// apply hooks and Replay see the same shapes, and rejects nil.
func normalize(ev Event) (Event, error) {
	if ev == nil {
		return nil, fmt.Errorf("%w: nil event", ErrUnknownType)
	}
	v := reflect.ValueOf(ev)
	if v.Kind() != reflect.Pointer {
		return ev, nil
	}
	if v.IsNil() {
		return nil, fmt.Errorf("%w: nil %T", ErrUnknownType, ev)
	}
	e, ok := v.Elem().Interface().(Event)
	if !ok {
		return nil, fmt.Errorf("%w: %T", ErrUnknownType, ev)
	}
	return e, nil
}

// payloadEncoder is a pooled msgpack encoder with the canonical settings:
// sorted map keys (deterministic bytes) and compact integers.
type payloadEncoder struct {
	buf bytes.Buffer
	enc *msgpack.Encoder
}

var payloadEncoders = sync.Pool{New: func() any {
	e := &payloadEncoder{}
	e.enc = msgpack.NewEncoder(&e.buf)
	e.enc.SetSortMapKeys(true)
	e.enc.UseCompactInts(true)
	return e
}}

// encodePayload appends the msgpack encoding of ev's struct to dst.
func encodePayload(dst []byte, ev Event) ([]byte, error) {
	if _, ok := schemas[ev.EventType()]; !ok {
		return nil, fmt.Errorf("%w: %T has type %d", ErrUnknownType, ev, ev.EventType())
	}
	if dst, ok := appendPayloadFast(dst, ev); ok {
		return dst, nil
	}
	return encodePayloadReflect(dst, ev)
}

// encodePayloadReflect is encodePayload with the reflective msgpack encoder,
// for every type: the reference the hand-written codecs are checked against.
func encodePayloadReflect(dst []byte, ev Event) ([]byte, error) {
	e := payloadEncoders.Get().(*payloadEncoder)
	defer payloadEncoders.Put(e)
	e.buf.Reset()
	if err := e.enc.Encode(ev); err != nil {
		return nil, fmt.Errorf("log: encode %s: %w", ev.EventType(), err)
	}
	return append(dst, e.buf.Bytes()...), nil
}

// appendRecord appends the envelope around an encoded payload, and its
// checksum, to dst. t must be registered.
func appendRecord(dst []byte, t Type, unixNano int64, payload []byte) []byte {
	start := len(dst)
	dst = appendHeader(dst, t, unixNano)
	dst = append(dst, payload...)
	return appendChecksum(dst, start)
}

// appendHeader appends the envelope's first three elements and the array
// header before them: what precedes the payload. t must be registered.
func appendHeader(dst []byte, t Type, unixNano int64) []byte {
	dst = append(dst, envelopeArray)
	if t < 0x80 {
		dst = append(dst, byte(t)) // positive fixint
	} else {
		dst = append(dst, 0xcd, byte(t>>8), byte(t)) // uint16
	}
	dst = append(dst, byte(schemas[t].version)) // positive fixint: versions stay below 128
	dst = append(dst, 0xd3)                     // int64, always 8 bytes
	return binary.BigEndian.AppendUint64(dst, uint64(unixNano))
}

// appendChecksum appends the checksum of the record that starts at
// dst[start:].
func appendChecksum(dst []byte, start int) []byte {
	return binary.LittleEndian.AppendUint32(dst, crc32.Checksum(dst[start:], castagnoli))
}

// checksumOK reports whether rec ends with the checksum of what precedes it.
func checksumOK(rec []byte) bool {
	if len(rec) < minRecordSize {
		return false
	}
	body := rec[:len(rec)-crcSize]
	return binary.LittleEndian.Uint32(rec[len(body):]) == crc32.Checksum(body, castagnoli)
}

// payloadDecoder is a pooled msgpack decoder with its reader.
type payloadDecoder struct {
	r   bytes.Reader
	dec *msgpack.Decoder
}

var payloadDecoders = sync.Pool{New: func() any {
	d := &payloadDecoder{}
	d.dec = msgpack.NewDecoder(&d.r)
	return d
}}

// Decode returns the event stored in data and the time it was written. It
// returns ErrCorrupt (wrapped) if the checksum or encoding is wrong, and
// ErrUnknownType if the type or its version is not registered. It never
// panics, whatever data holds, and does not retain data. The strings of
// the event may share one allocation, no larger than data.
func Decode(data []byte) (ev Event, unixNano int64, err error) {
	if !checksumOK(data) {
		return nil, 0, fmt.Errorf("%w: bad checksum (%d bytes)", ErrCorrupt, len(data))
	}
	return decodeEnvelope(data[:len(data)-crcSize])
}

func decodeEnvelope(body []byte) (ev Event, unixNano int64, err error) {
	if ev, unixNano, ok := decodeEnvelopeFast(body); ok {
		return ev, unixNano, nil
	}
	return decodeEnvelopeReflect(body)
}

// decodeEnvelopeFast decodes an envelope written by appendHeader around a
// payload that has a hand-written codec, and reports whether it could.
// When it cannot, the reflective decoder decides what the bytes are.
func decodeEnvelopeFast(body []byte) (ev Event, unixNano int64, ok bool) {
	r := wireReader{b: body}
	if c, _ := r.code(); c != envelopeArray {
		return nil, 0, false
	}
	c, ok := r.code()
	t := uint64(c)
	switch {
	case !ok:
		return nil, 0, false
	case c == wireUint16:
		if t, ok = r.n(2); !ok {
			return nil, 0, false
		}
	case c > 0x7f:
		return nil, 0, false
	}
	version, _ := r.code()
	if c, _ := r.code(); c != wireInt64 || version > 0x7f {
		return nil, 0, false
	}
	time, ok := r.n(8)
	if !ok {
		return nil, 0, false
	}
	if ev, ok = decodePayloadFast(Type(t), uint64(version), body[r.off:]); !ok {
		return nil, 0, false
	}
	return ev, int64(time), true
}

// decodeEnvelopeReflect decodes any envelope with the reflective msgpack
// decoder, after checking the payload's structure.
func decodeEnvelopeReflect(body []byte) (ev Event, unixNano int64, err error) {
	d := payloadDecoders.Get().(*payloadDecoder)
	defer func() {
		// msgpack is not written for hostile input; whatever it trips on
		// is damage, never a crash.
		if p := recover(); p != nil {
			ev, unixNano, err = nil, 0, fmt.Errorf("%w: envelope: %v", ErrCorrupt, p)
		}
		d.r.Reset(nil)
		payloadDecoders.Put(d)
	}()
	d.r.Reset(body)
	d.dec.Reset(&d.r)
	corrupt := func(what string, err error) error {
		return fmt.Errorf("%w: envelope %s: %v", ErrCorrupt, what, err)
	}
	n, err := d.dec.DecodeArrayLen()
	if err != nil || n != 4 {
		return nil, 0, corrupt("header", fmt.Errorf("array of %d, %v", n, err))
	}
	t, err := d.dec.DecodeUint64()
	if err != nil {
		return nil, 0, corrupt("type", err)
	}
	version, err := d.dec.DecodeUint64()
	if err != nil {
		return nil, 0, corrupt("version", err)
	}
	unixNano, err = d.dec.DecodeInt64()
	if err != nil {
		return nil, 0, corrupt("time", err)
	}
	s, ok := schemas[Type(t)]
	if !ok || t > 0xffff {
		return nil, 0, fmt.Errorf("%w: %d", ErrUnknownType, t)
	}
	decode, ok := s.decoders[version]
	if !ok {
		return nil, 0, fmt.Errorf("%w: %s version %d", ErrUnknownType, s.name, version)
	}
	// Walk the payload before decoding it: msgpack preallocates slices
	// from their declared length, so a lying length must be caught by
	// checking that every declared element is really there.
	payload := body[len(body)-d.r.Len():]
	if err := d.dec.Skip(); err != nil {
		return nil, 0, corrupt("payload", err)
	}
	if d.r.Len() != 0 {
		return nil, 0, corrupt("payload", fmt.Errorf("%d trailing bytes", d.r.Len()))
	}
	d.r.Reset(payload)
	d.dec.Reset(&d.r)
	ev, err = decode(d.dec)
	if err != nil {
		return nil, 0, fmt.Errorf("%w: %s payload: %v", ErrCorrupt, s.name, err)
	}
	return ev, unixNano, nil
}
