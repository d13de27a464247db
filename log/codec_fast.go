package log

// Hand-written codecs for the events that make up most of the log (those of
// the PUT, DELETE, multipart-part and purge paths). They write exactly the
// bytes the reflective msgpack encoder writes for version 1 of their type,
// and read that canonical form without reflection; anything else (another
// version, a key out of order, an unusual encoding of a value) is left to
// the reflective decoder, so both paths accept the same bytes and decode
// them to the same values. TestFastCodecMatchesReflection checks this on
// random values, and FuzzDecode on arbitrary bytes: a schema change to one
// of these types must change (or drop) its codec here, or those tests fail.

// fastVersionOK reports whether the hand-written codecs handle version v of
// type t: the types they cover have only ever gained optional fields
// (schema.extended) or have one version, so every version decodes into the
// current struct, and encoding writes the current version.
func fastVersionOK(t Type, v uint64) bool {
	s, ok := schemas[t]
	return ok && v >= 1 && v <= s.version && (s.version == 1 || s.extended)
}

// appendPayloadFast appends ev's payload to dst and reports whether ev has
// a hand-written codec.
func appendPayloadFast(dst []byte, ev Event) ([]byte, bool) {
	if t := ev.EventType(); !fastVersionOK(t, schemas[t].version) {
		return dst, false
	}
	switch ev := ev.(type) {
	case ObjectCommitted:
		return appendObjectCommitted(dst, &ev), true
	case PutStarted:
		return appendPutStarted(dst, &ev), true
	case ShardWritten:
		return appendShardWritten(dst, &ev), true
	case ShardFailed:
		return appendShardFailed(dst, &ev), true
	case ObjectDeleted:
		return appendObjectDeleted(dst, &ev), true
	case ShardsPurged:
		return appendShardsPurged(dst, &ev), true
	case PartCommitted:
		return appendPartCommitted(dst, &ev), true
	case PurgeQueued:
		return appendPurgeQueued(dst, &ev), true
	}
	return dst, false
}

// decodePayloadFast decodes a payload of type t and version, and reports
// whether it could: false when the type has no hand-written codec or the
// bytes are not in the canonical form of fastVersion.
func decodePayloadFast(t Type, version uint64, payload []byte) (Event, bool) {
	if !fastVersionOK(t, version) {
		return nil, false
	}
	r := wireReader{b: payload}
	switch t {
	case TypeObjectCommitted:
		if ev, ok := decodeObjectCommitted(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypePutStarted:
		if ev, ok := decodePutStarted(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypeShardWritten:
		if ev, ok := decodeShardWritten(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypeShardFailed:
		if ev, ok := decodeShardFailed(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypeObjectDeleted:
		if ev, ok := decodeObjectDeleted(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypeShardsPurged:
		if ev, ok := decodeShardsPurged(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypePartCommitted:
		if ev, ok := decodePartCommitted(&r); ok && r.left() == 0 {
			return ev, true
		}
	case TypePurgeQueued:
		if ev, ok := decodePurgeQueued(&r); ok && r.left() == 0 {
			return ev, true
		}
	}
	return nil, false
}

// mapLen returns the number of keys of a struct map: required keys plus the
// optional ones that are not empty.
func mapLen(required int, optional ...bool) int {
	n := required
	for _, present := range optional {
		if present {
			n++
		}
	}
	return n
}

func appendObjectMeta(dst []byte, m *ObjectMeta) []byte {
	dst = appendMapLen(dst, mapLen(3, m.ContentType != "", len(m.Headers) > 0, len(m.UserMeta) > 0,
		len(m.Checksums) > 0, len(m.PartSizes) > 0, len(m.PartSums) > 0,
		len(m.Tags) > 0, m.LockMode != "", m.LockUntil != 0, m.LegalHold, m.Owner != ""))
	dst = appendInt(appendStr(dst, "size"), m.Size)
	dst = appendStr(appendStr(dst, "etag"), m.ETag)
	dst = appendInt(appendStr(dst, "mtime"), m.ModTime)
	if m.ContentType != "" {
		dst = appendStr(appendStr(dst, "ctype"), m.ContentType)
	}
	if len(m.Headers) > 0 {
		dst = appendStringMap(appendStr(dst, "hdr"), m.Headers)
	}
	if len(m.UserMeta) > 0 {
		dst = appendStringMap(appendStr(dst, "meta"), m.UserMeta)
	}
	if len(m.Checksums) > 0 {
		dst = appendStringMap(appendStr(dst, "sums"), m.Checksums)
	}
	if len(m.PartSizes) > 0 {
		dst = appendArrayLen(appendStr(dst, "parts"), len(m.PartSizes))
		for _, n := range m.PartSizes {
			dst = appendInt(dst, n)
		}
	}
	if len(m.PartSums) > 0 {
		dst = appendArrayLen(appendStr(dst, "partsums"), len(m.PartSums))
		for _, s := range m.PartSums {
			dst = appendStringMap(dst, s)
		}
	}
	if len(m.Tags) > 0 {
		dst = appendStringMap(appendStr(dst, "tags"), m.Tags)
	}
	if m.LockMode != "" {
		dst = appendStr(appendStr(dst, "lockmode"), m.LockMode)
	}
	if m.LockUntil != 0 {
		dst = appendInt(appendStr(dst, "lockuntil"), m.LockUntil)
	}
	if m.LegalHold {
		dst = append(appendStr(dst, "hold"), 0xc3) // msgpack true
	}
	if m.Owner != "" {
		dst = appendStr(appendStr(dst, "owner"), m.Owner)
	}
	return dst
}

func decodeObjectMeta(r *wireReader) (m ObjectMeta, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("size") {
		return m, false
	}
	if m.Size, ok = r.int64(); !ok || !f.need("etag") {
		return m, false
	}
	if m.ETag, ok = r.str(); !ok || !f.need("mtime") {
		return m, false
	}
	if m.ModTime, ok = r.int64(); !ok {
		return m, false
	}
	if f.opt("ctype") {
		if m.ContentType, ok = r.str(); !ok {
			return m, false
		}
	}
	if f.opt("hdr") {
		if m.Headers, ok = r.stringMap(); !ok {
			return m, false
		}
	}
	if f.opt("meta") {
		if m.UserMeta, ok = r.stringMap(); !ok {
			return m, false
		}
	}
	if f.opt("sums") {
		if m.Checksums, ok = r.stringMap(); !ok {
			return m, false
		}
	}
	if f.opt("parts") {
		n, ok := r.count(false)
		if !ok || n == 0 {
			return m, false
		}
		m.PartSizes = make([]int64, n)
		for i := range m.PartSizes {
			if m.PartSizes[i], ok = r.int64(); !ok {
				return m, false
			}
		}
	}
	if f.opt("partsums") {
		n, ok := r.count(false)
		if !ok || n == 0 {
			return m, false
		}
		m.PartSums = make([]map[string]string, n)
		for i := range m.PartSums {
			if r.peekNil() {
				continue
			}
			if m.PartSums[i], ok = r.stringMap(); !ok {
				return m, false
			}
		}
	}
	if f.opt("tags") {
		if m.Tags, ok = r.stringMap(); !ok || len(m.Tags) == 0 {
			return m, false
		}
	}
	if f.opt("lockmode") {
		if m.LockMode, ok = r.str(); !ok || m.LockMode == "" {
			return m, false
		}
	}
	if f.opt("lockuntil") {
		if m.LockUntil, ok = r.int64(); !ok || m.LockUntil == 0 {
			return m, false
		}
	}
	if f.opt("hold") {
		if c, ok := r.code(); !ok || c != 0xc3 { // only true is written
			return m, false
		}
		m.LegalHold = true
	}
	if f.opt("owner") {
		if m.Owner, ok = r.str(); !ok || m.Owner == "" {
			return m, false
		}
	}
	return m, f.done()
}

func appendObjectCommitted(dst []byte, ev *ObjectCommitted) []byte {
	dst = appendMapLen(dst, mapLen(4, ev.Cond != nil))
	dst = appendStr(appendStr(dst, "bucket"), ev.Bucket)
	dst = appendStr(appendStr(dst, "key"), ev.Key)
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	dst = appendObjectMeta(appendStr(dst, "meta"), &ev.Meta)
	if ev.Cond != nil {
		dst = appendPrecondition(appendStr(dst, "cond"), ev.Cond)
	}
	return dst
}

func appendPrecondition(dst []byte, c *Precondition) []byte {
	dst = appendMapLen(dst, mapLen(0, c.IfMatch != "", c.IfNoneMatch != ""))
	if c.IfMatch != "" {
		dst = appendStr(appendStr(dst, "ifmatch"), c.IfMatch)
	}
	if c.IfNoneMatch != "" {
		dst = appendStr(appendStr(dst, "ifnonematch"), c.IfNoneMatch)
	}
	return dst
}

func decodePrecondition(r *wireReader) (c *Precondition, ok bool) {
	f, ok := r.open()
	if !ok {
		return nil, false
	}
	c = &Precondition{}
	if f.opt("ifmatch") {
		if c.IfMatch, ok = r.str(); !ok {
			return nil, false
		}
	}
	if f.opt("ifnonematch") {
		if c.IfNoneMatch, ok = r.str(); !ok {
			return nil, false
		}
	}
	return c, f.done()
}

func decodeObjectCommitted(r *wireReader) (ev ObjectCommitted, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("bucket") {
		return ev, false
	}
	if ev.Bucket, ok = r.str(); !ok || !f.need("key") {
		return ev, false
	}
	if ev.Key, ok = r.str(); !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("meta") {
		return ev, false
	}
	if ev.Meta, ok = decodeObjectMeta(r); !ok {
		return ev, false
	}
	if f.opt("cond") {
		if ev.Cond, ok = decodePrecondition(r); !ok {
			return ev, false
		}
	}
	return ev, f.done()
}

func appendPutStarted(dst []byte, ev *PutStarted) []byte {
	dst = appendMapLen(dst, mapLen(6, ev.Upload != ""))
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	dst = appendStr(appendStr(dst, "bucket"), ev.Bucket)
	dst = appendStr(appendStr(dst, "key"), ev.Key)
	if ev.Upload != "" {
		dst = appendStr(appendStr(dst, "upload"), ev.Upload)
	}
	dst = appendMapLen(appendStr(dst, "layout"), mapLen(4, ev.Layout.Hash != 0, ev.Layout.Keys != 0))
	dst = appendInt(appendStr(dst, "k"), int64(ev.Layout.K))
	dst = appendInt(appendStr(dst, "m"), int64(ev.Layout.M))
	dst = appendInt(appendStr(dst, "bs"), int64(ev.Layout.BlockSize))
	dst = appendInt(appendStr(dst, "seg"), ev.Layout.SegmentSize)
	if ev.Layout.Hash != 0 {
		dst = appendInt(appendStr(dst, "bh"), int64(ev.Layout.Hash))
	}
	if ev.Layout.Keys != 0 {
		dst = appendInt(appendStr(dst, "kl"), int64(ev.Layout.Keys))
	}
	dst = appendStrings(appendStr(dst, "placement"), ev.Placement)
	return appendInt(appendStr(dst, "size"), ev.Size)
}

func decodePutStarted(r *wireReader) (ev PutStarted, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("bucket") {
		return ev, false
	}
	if ev.Bucket, ok = r.str(); !ok || !f.need("key") {
		return ev, false
	}
	if ev.Key, ok = r.str(); !ok {
		return ev, false
	}
	if f.opt("upload") {
		if ev.Upload, ok = r.str(); !ok {
			return ev, false
		}
	}
	if !f.need("layout") {
		return ev, false
	}
	if ev.Layout, ok = decodeLayout(r); !ok || !f.need("placement") {
		return ev, false
	}
	if ev.Placement, ok = r.strings(); !ok || !f.need("size") {
		return ev, false
	}
	if ev.Size, ok = r.int64(); !ok {
		return ev, false
	}
	return ev, f.done()
}

func decodeLayout(r *wireReader) (l Layout, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("k") {
		return l, false
	}
	if l.K, ok = r.int(); !ok || !f.need("m") {
		return l, false
	}
	if l.M, ok = r.int(); !ok || !f.need("bs") {
		return l, false
	}
	if l.BlockSize, ok = r.int(); !ok || !f.need("seg") {
		return l, false
	}
	if l.SegmentSize, ok = r.int64(); !ok {
		return l, false
	}
	if f.opt("bh") {
		h, ok := r.int()
		if !ok {
			return l, false
		}
		l.Hash = BlockHash(h)
	}
	if f.opt("kl") {
		k, ok := r.int()
		if !ok {
			return l, false
		}
		l.Keys = KeyLayout(k)
	}
	return l, f.done()
}

func appendShardWritten(dst []byte, ev *ShardWritten) []byte {
	dst = appendMapLen(dst, 4)
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	dst = appendInt(appendStr(dst, "seg"), int64(ev.Segment))
	dst = appendInt(appendStr(dst, "shard"), int64(ev.Shard))
	return appendStr(appendStr(dst, "region"), ev.Region)
}

func decodeShardWritten(r *wireReader) (ev ShardWritten, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("seg") {
		return ev, false
	}
	if ev.Segment, ok = r.int(); !ok || !f.need("shard") {
		return ev, false
	}
	if ev.Shard, ok = r.int(); !ok || !f.need("region") {
		return ev, false
	}
	if ev.Region, ok = r.str(); !ok {
		return ev, false
	}
	return ev, f.done()
}

func appendShardFailed(dst []byte, ev *ShardFailed) []byte {
	dst = appendMapLen(dst, 5)
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	dst = appendInt(appendStr(dst, "seg"), int64(ev.Segment))
	dst = appendInt(appendStr(dst, "shard"), int64(ev.Shard))
	dst = appendStr(appendStr(dst, "region"), ev.Region)
	return appendStr(appendStr(dst, "err"), ev.Error)
}

func decodeShardFailed(r *wireReader) (ev ShardFailed, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("seg") {
		return ev, false
	}
	if ev.Segment, ok = r.int(); !ok || !f.need("shard") {
		return ev, false
	}
	if ev.Shard, ok = r.int(); !ok || !f.need("region") {
		return ev, false
	}
	if ev.Region, ok = r.str(); !ok || !f.need("err") {
		return ev, false
	}
	if ev.Error, ok = r.str(); !ok {
		return ev, false
	}
	return ev, f.done()
}

func appendObjectDeleted(dst []byte, ev *ObjectDeleted) []byte {
	dst = appendMapLen(dst, 2)
	dst = appendStr(appendStr(dst, "bucket"), ev.Bucket)
	return appendStr(appendStr(dst, "key"), ev.Key)
}

func decodeObjectDeleted(r *wireReader) (ev ObjectDeleted, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("bucket") {
		return ev, false
	}
	if ev.Bucket, ok = r.str(); !ok || !f.need("key") {
		return ev, false
	}
	if ev.Key, ok = r.str(); !ok {
		return ev, false
	}
	return ev, f.done()
}

func appendShardsPurged(dst []byte, ev *ShardsPurged) []byte {
	dst = appendMapLen(dst, 2)
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	return appendStr(appendStr(dst, "region"), ev.Region)
}

func decodeShardsPurged(r *wireReader) (ev ShardsPurged, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("region") {
		return ev, false
	}
	if ev.Region, ok = r.str(); !ok {
		return ev, false
	}
	return ev, f.done()
}

func appendPartCommitted(dst []byte, ev *PartCommitted) []byte {
	dst = appendMapLen(dst, mapLen(6, len(ev.Checksums) > 0))
	dst = appendStr(appendStr(dst, "upload"), ev.Upload)
	dst = appendInt(appendStr(dst, "n"), int64(ev.Number))
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	dst = appendInt(appendStr(dst, "size"), ev.Size)
	dst = appendStr(appendStr(dst, "etag"), ev.ETag)
	dst = appendInt(appendStr(dst, "mtime"), ev.Modified)
	if len(ev.Checksums) > 0 {
		dst = appendStringMap(appendStr(dst, "sums"), ev.Checksums)
	}
	return dst
}

func decodePartCommitted(r *wireReader) (ev PartCommitted, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("upload") {
		return ev, false
	}
	if ev.Upload, ok = r.str(); !ok || !f.need("n") {
		return ev, false
	}
	if ev.Number, ok = r.int(); !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok || !f.need("size") {
		return ev, false
	}
	if ev.Size, ok = r.int64(); !ok || !f.need("etag") {
		return ev, false
	}
	if ev.ETag, ok = r.str(); !ok || !f.need("mtime") {
		return ev, false
	}
	if ev.Modified, ok = r.int64(); !ok {
		return ev, false
	}
	if f.opt("sums") {
		if ev.Checksums, ok = r.stringMap(); !ok {
			return ev, false
		}
	}
	return ev, f.done()
}

func appendPurgeQueued(dst []byte, ev *PurgeQueued) []byte {
	dst = appendMapLen(dst, mapLen(1, ev.Reason != ""))
	dst = appendBlob(appendStr(dst, "blob"), ev.Blob)
	if ev.Reason != "" {
		dst = appendStr(appendStr(dst, "reason"), ev.Reason)
	}
	return dst
}

func decodePurgeQueued(r *wireReader) (ev PurgeQueued, ok bool) {
	f, ok := r.open()
	if !ok || !f.need("blob") {
		return ev, false
	}
	if ev.Blob, ok = r.blob(); !ok {
		return ev, false
	}
	if f.opt("reason") {
		if ev.Reason, ok = r.str(); !ok {
			return ev, false
		}
	}
	return ev, f.done()
}
