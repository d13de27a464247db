package projections

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unsafe"

	"github.com/prismd/prismd/log"
)

// Object is a committed object.
type Object struct {
	Bucket  string
	Key     string
	Meta    log.ObjectMeta
	Extents []log.Extent // the blobs holding its data, in order
}

// objRec is one object, kept compact (80 bytes for a single-extent object
// whose ETag is an MD5): the ETag as 16 bytes, the content type as an index
// into an interned table, the rarely set maps in one encoded string.
type objRec struct {
	blob  log.BlobID // the single extent {blob, size}, unless x.multi
	size  int64
	mtime int64
	md5   [16]byte
	parts int32  // ETag is hex(md5) when 0, hex(md5)-parts when > 0, in attrs when < 0
	ctype uint32 // index into tables.ctypes
	attrs string // encoded attributes, see attr tags
	x     *objExtra
	ver   uint64 // version word: sequence and flags (versions.go)
}

// objExtra holds what multipart and copied objects need.
type objExtra struct {
	multi     bool // extents is the object's data, not {blob, size}
	extents   []log.Extent
	partSizes []int64
	partSums  []map[string]string
}

// Attribute tags of objRec.attrs: a sequence of (tag byte, uvarint len,
// name, uvarint len, value), sorted by tag then name.
const (
	attrHeader   byte = 1
	attrUserMeta byte = 2
	attrChecksum byte = 3
	attrETag     byte = 4 // ETag that is not hex MD5 [-N]
	attrCType    byte = 5 // content type not interned
	attrTag      byte = 6 // an object tag: name → value
	attrLock     byte = 7 // object lock: "mode", "until" (unix nanoseconds), "hold" ("ON")
	attrOwner    byte = 8 // the writer's access key when it owns the object
)

const (
	maxCTypes   = 1 << 12
	maxCTypeLen = 128
)

func appendAttr(b []byte, tag byte, name, value string) []byte {
	b = append(b, tag)
	b = binary.AppendUvarint(b, uint64(len(name)))
	b = append(b, name...)
	b = binary.AppendUvarint(b, uint64(len(value)))
	return append(b, value...)
}

func appendAttrMap(b []byte, tag byte, m map[string]string) []byte {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b = appendAttr(b, tag, k, m[k])
	}
	return b
}

// eachAttr decodes attrs; it stops at the first malformed entry.
func eachAttr(attrs string, fn func(tag byte, name, value string)) {
	for len(attrs) > 0 {
		tag := attrs[0]
		attrs = attrs[1:]
		var f [2]string
		for i := range f {
			n, w := binary.Uvarint([]byte(attrs[:min(len(attrs), binary.MaxVarintLen64)]))
			if w <= 0 || n > uint64(len(attrs)-w) {
				return
			}
			f[i] = attrs[w : w+int(n)]
			attrs = attrs[w+int(n):]
		}
		fn(tag, f[0], f[1])
	}
}

// parseETag splits "hex32" or "hex32-N" into its parts.
func parseETag(etag string) (md5 [16]byte, parts int32, ok bool) {
	h, n, multi := strings.Cut(etag, "-")
	if len(h) != 32 || strings.ToLower(h) != h {
		return md5, 0, false
	}
	if _, err := hex.Decode(md5[:], []byte(h)); err != nil {
		return md5, 0, false
	}
	if !multi {
		return md5, 0, true
	}
	p, err := strconv.ParseInt(n, 10, 32)
	if err != nil || p <= 0 || strconv.FormatInt(p, 10) != n {
		return md5, 0, false
	}
	return md5, int32(p), true
}

func (s *State) internCType(ct string) (uint32, bool) {
	if i, ok := s.ctypeIdx[ct]; ok {
		return i, true
	}
	if len(ct) > maxCTypeLen || len(s.t.ctypes) >= maxCTypes {
		return 0, false
	}
	i := uint32(len(s.t.ctypes))
	s.t.ctypes = append(s.t.ctypes, strings.Clone(ct))
	s.ctypeIdx[s.t.ctypes[i]] = i
	return i, true
}

// newObject builds the compact record of an object with meta and extents.
func (s *State) newObject(meta log.ObjectMeta, extents []log.Extent) *objRec {
	o := &objRec{size: meta.Size, mtime: meta.ModTime}
	var attrs []byte
	if md5, parts, ok := parseETag(meta.ETag); ok {
		o.md5, o.parts = md5, parts
	} else {
		o.parts = -1
		attrs = appendAttr(attrs, attrETag, "", meta.ETag)
	}
	attrs = appendAttrMap(attrs, attrHeader, meta.Headers)
	attrs = appendAttrMap(attrs, attrUserMeta, meta.UserMeta)
	attrs = appendAttrMap(attrs, attrChecksum, meta.Checksums)
	attrs = appendAttrMap(attrs, attrTag, meta.Tags)
	if meta.LegalHold {
		attrs = appendAttr(attrs, attrLock, "hold", "ON")
	}
	if meta.LockMode != "" {
		attrs = appendAttr(attrs, attrLock, "mode", meta.LockMode)
	}
	if meta.LockUntil != 0 {
		attrs = appendAttr(attrs, attrLock, "until", strconv.FormatInt(meta.LockUntil, 10))
	}
	if meta.Owner != "" {
		attrs = appendAttr(attrs, attrOwner, "", meta.Owner)
	}
	if i, ok := s.internCType(meta.ContentType); ok {
		o.ctype = i
	} else {
		attrs = appendAttr(attrs, attrCType, "", meta.ContentType)
	}
	if len(attrs) > 0 {
		o.attrs = string(attrs)
	}
	single := len(extents) == 1 && extents[0].Size == meta.Size
	if single {
		o.blob = extents[0].Blob
	}
	if !single || meta.PartSizes != nil || meta.PartSums != nil {
		o.x = &objExtra{partSizes: slices.Clone(meta.PartSizes)}
		if !single {
			o.x.multi = true
			o.x.extents = slices.Clone(extents)
			if o.x.extents == nil {
				o.x.extents = []log.Extent{}
			}
		}
		if meta.PartSums != nil {
			o.x.partSums = make([]map[string]string, len(meta.PartSums))
			for i, m := range meta.PartSums {
				o.x.partSums[i] = maps.Clone(m)
			}
		}
	}
	return o
}

func (o *objRec) extents() []log.Extent {
	if o.x != nil && o.x.multi {
		return o.x.extents
	}
	return []log.Extent{{Blob: o.blob, Size: o.size}}
}

// etag returns the object's ETag without exporting the rest.
func (o *objRec) etag() string {
	if o.parts < 0 {
		etag := ""
		eachAttr(o.attrs, func(tag byte, _, value string) {
			if tag == attrETag {
				etag = value
			}
		})
		return etag
	}
	etag := hex.EncodeToString(o.md5[:])
	if o.parts > 0 {
		etag += "-" + strconv.Itoa(int(o.parts))
	}
	return etag
}

func (t *tables) exportMeta(o *objRec) log.ObjectMeta {
	m := log.ObjectMeta{Size: o.size, ModTime: o.mtime}
	if o.parts >= 0 {
		m.ETag = o.etag()
	}
	if int(o.ctype) < len(t.ctypes) {
		m.ContentType = t.ctypes[o.ctype]
	}
	eachAttr(o.attrs, func(tag byte, name, value string) {
		put := func(mp *map[string]string) {
			if *mp == nil {
				*mp = map[string]string{}
			}
			(*mp)[name] = value
		}
		switch tag {
		case attrHeader:
			put(&m.Headers)
		case attrUserMeta:
			put(&m.UserMeta)
		case attrChecksum:
			put(&m.Checksums)
		case attrETag:
			m.ETag = value
		case attrCType:
			m.ContentType = value
		case attrTag:
			put(&m.Tags)
		case attrLock:
			switch name {
			case "hold":
				m.LegalHold = true
			case "mode":
				m.LockMode = value
			case "until":
				m.LockUntil, _ = strconv.ParseInt(value, 10, 64)
			}
		case attrOwner:
			m.Owner = value
		}
	})
	if o.x != nil {
		m.PartSizes = slices.Clone(o.x.partSizes)
		if o.x.partSums != nil {
			m.PartSums = make([]map[string]string, len(o.x.partSums))
			for i, ps := range o.x.partSums {
				m.PartSums[i] = maps.Clone(ps)
			}
		}
	}
	return m
}

func (t *tables) exportObject(bucket, key string, o *objRec) Object {
	return Object{Bucket: bucket, Key: key, Meta: t.exportMeta(o), Extents: slices.Clone(o.extents())}
}

// putObject stores o at (bucket, key): the new extents gain their references
// before the replaced object's are dropped, so rewriting an object with the
// same blob never queues it for purge.
func (s *State) putObject(bucket, key string, o *objRec) {
	ok := objectKey(bucket, key)
	for _, e := range o.extents() {
		s.incref(e.Blob)
	}
	if !o.x.isMulti() {
		s.shareKey(o.blob, bucket, ok)
	}
	s.dropObjectACL(ok) // a new object (or version) starts without the ACL of the one it replaces
	status := s.t.versioning(bucket)
	o.ver = s.newVersion(status)
	if status != "" {
		s.putVersion(ok, o, status)
		return
	}
	old, replaced := s.t.objects.Set(ok, o)
	if replaced {
		s.dropRefs(old)
	}
}

func (x *objExtra) isMulti() bool { return x != nil && x.multi }

// shareKey points the blob's key at the object key's bytes when they are
// equal, so that the key is stored once.
func (s *State) shareKey(id log.BlobID, bucket, objKey string) {
	r := s.getBlob(id)
	if r == nil || r.bucket != bucket || r.key != objKey[len(bucket)+1:] ||
		unsafeSameData(r.key, objKey[len(bucket)+1:]) {
		return
	}
	r = s.mutBlob(id)
	r.key = objKey[len(bucket)+1:]
}

func (s *State) deleteObject(objKey string) {
	old, ok := s.t.objects.Delete(objKey)
	if !ok {
		return
	}
	s.dropObjectACL(objKey)
	s.dropRefs(old)
}

// checkWrite refuses a write of (bucket, key) when the bucket is gone or
// the write's precondition does not hold for the current object.
func (t *tables) checkWrite(bucket, key string, c *log.Precondition) error {
	if _, ok := t.buckets.Get(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if c == nil {
		return nil
	}
	o, exists := t.objects.Get(objectKey(bucket, key))
	etag := ""
	if exists {
		etag = o.etag()
	}
	if c.IfNoneMatch != "" && exists && (c.IfNoneMatch == "*" || ETagMatches(c.IfNoneMatch, etag)) {
		return fmt.Errorf("%s/%s: if-none-match %s: %w", bucket, key, c.IfNoneMatch, ErrPreconditionFailed)
	}
	if c.IfMatch != "" {
		if !exists {
			return fmt.Errorf("%s/%s: if-match on an absent key: %w", bucket, key, ErrNoSuchKey)
		}
		if c.IfMatch != "*" && !ETagMatches(c.IfMatch, etag) {
			return fmt.Errorf("%s/%s: if-match %s: %w", bucket, key, c.IfMatch, ErrPreconditionFailed)
		}
	}
	return nil
}

// ETagMatches reports whether an If-Match / If-None-Match list (comma
// separated, each quoted or not, weak or not, or "*") names etag.
func ETagMatches(list, etag string) bool {
	for c := range strings.SplitSeq(list, ",") {
		c = strings.TrimSpace(c)
		c = strings.TrimPrefix(c, "W/")
		if c == "*" || strings.Trim(c, `"`) == etag {
			return true
		}
	}
	return false
}

// checkBlobs refuses references to blobs that are no longer known: their
// data was purged. (A blob still queued for purge may be referenced again:
// see incref; the engine keeps purge away from blobs it is copying.)
func (t *tables) checkBlobs(extents []log.Extent) error {
	for _, x := range extents {
		if t.getBlob(x.Blob) == nil {
			return fmt.Errorf("blob %x: %w", x.Blob, ErrBlobGone)
		}
	}
	return nil
}

func (s *State) objectCommitted(e log.ObjectCommitted) error {
	if err := s.t.checkWrite(e.Bucket, e.Key, e.Cond); err != nil {
		return err
	}
	if err := s.t.checkLockMeta(e.Bucket, e.Meta); err != nil {
		return err
	}
	extents := []log.Extent{{Blob: e.Blob, Size: e.Meta.Size}}
	if err := s.t.checkBlobs(extents); err != nil {
		return err
	}
	s.putObject(e.Bucket, e.Key, s.newObject(e.Meta, extents))
	return nil
}

func (s *State) objectDeleted(e log.ObjectDeleted) error {
	if _, ok := s.t.buckets.Get(e.Bucket); !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	if status := s.t.versioning(e.Bucket); status != "" {
		s.deleteMarker(objectKey(e.Bucket, e.Key), status)
		return nil
	}
	s.deleteObject(objectKey(e.Bucket, e.Key))
	return nil
}

func (s *State) objectCopied(e log.ObjectCopied) error {
	if err := s.t.checkWrite(e.Bucket, e.Key, e.Cond); err != nil {
		return err
	}
	if err := s.t.checkLockMeta(e.Bucket, e.Meta); err != nil {
		return err
	}
	if err := s.t.checkBlobs(e.Extents); err != nil {
		return err
	}
	s.putObject(e.Bucket, e.Key, s.newObject(e.Meta, e.Extents))
	return nil
}

// Object returns the object at (bucket, key).
func (v *View) Object(bucket, key string) (Object, bool) {
	o, ok := v.t.objects.Get(objectKey(bucket, key))
	if !ok {
		return Object{}, false
	}
	return v.t.exportObject(bucket, key, o), true
}

// unsafeSameData reports whether a and b share their bytes.
func unsafeSameData(a, b string) bool {
	return len(a) == len(b) && unsafe.StringData(a) == unsafe.StringData(b)
}
