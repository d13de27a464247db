package projections

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/prismd/prismd/log"
	"github.com/vmihailenco/msgpack/v5"
)

// Snapshot format (msgpack, one value after another):
//
//	header   [magic, version, applied, time]
//	buckets  array of snapBucket
//	regions  array of log.Region
//	keys     array of log.AccessKeyCreated
//	shipped  array of snapShipped
//	schemes  array of snapScheme
//	blobs    array of snapBlob (scheme is an index into schemes)
//	objects  array of snapObject
//	uploads  array of snapUpload
//	parts    array of snapPart
//	regionIDs array of snapRegionID   (version 2)
//	completed array of snapCompleted  (version 2)
//	versions  array of snapObject     (version 4: noncurrent versions and delete markers)
//	access    array of snapAccess     (version 4)
//	objACLs   array of snapObjACL     (version 4)
//	admin    snapAdmin                (version 4: the admin password hash and API tokens)
//	configs  array of snapBucketConfig (version 5: the buckets' configuration documents)
//	timeline uint                      (version 5: the log's timeline, 0 for 1)
//
// Version 7 added the block hash of a blob's layout (log.Layout.Hash, in
// snapScheme.Layout); older versions load with HighwayHash-128, the only
// one their gateways wrote, and a gateway that predates it refuses a
// version 7 snapshot rather than verify its blocks with the wrong hash.
// Version 6 added the owner of an object its writer owns
// (log.ObjectMeta.Owner) to snapObject.Attrs, which older versions load
// without: their objects belong to their bucket's owner.
// Version 5 added the buckets' configuration documents (lifecycle, CORS,
// tagging, object lock: log.BucketConfigSet); object tags and object lock
// fields live in snapObject.Attrs, which older versions load without.
// Version 4 added a bucket's versioning status (snapBucket.Versioning), a
// version word to every object (snapObject.Ver: see versions.go), the
// versions section, the buckets' access configuration (owner, ACL, policy,
// public access block, object ownership), the ACLs set on objects and the
// admin section (the management listener's password hash and API tokens);
// older snapshots load with unversioned buckets whose objects are null
// versions, buckets that belong to the root key with nothing set, and no
// admin password.
// Version 3 added the time a blob was queued for purge (snapBlob.Queued).
// Older snapshots still load: version 1 without the last two sections,
// versions 1 and 2 with blobs whose queue time is unknown (0: purged
// without waiting).
// Reference counts, the open/pending/purge sets and usage are not stored:
// LoadSnapshot derives them, so they cannot disagree with the records.
// Encoding is deterministic: equal states give equal bytes.
const (
	snapMagic   = "prismd-projections"
	snapVersion = 7

	maxSnapShards           = 1 << 32 // shards per blob a snapshot may describe
	maxSnapShardsPerSegment = 1 << 12
)

type snapHeader struct {
	_msgpack struct{} `msgpack:",as_array"`
	Magic    string
	Version  int
	Applied  uint64
	Time     int64
}

type snapBucket struct {
	_msgpack   struct{} `msgpack:",as_array"`
	Name       string
	Created    int64
	Location   string
	Policy     *log.Policy
	Ready      []string
	Versioning string // version 4
}

// snapBucketV3 is a bucket in snapshot versions 1 to 3: no versioning.
type snapBucketV3 struct {
	_msgpack struct{} `msgpack:",as_array"`
	Name     string
	Created  int64
	Location string
	Policy   *log.Policy
	Ready    []string
}

type snapAccess struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Bucket    string
	Owner     string
	Ownership string
	Grants    []log.Grant
	Policy    string
	Block     *log.PublicAccessBlock
}

type snapBucketConfig struct {
	_msgpack struct{} `msgpack:",as_array"`
	Bucket   string
	Name     string
	Doc      []byte
}

type snapObjACL struct {
	_msgpack struct{} `msgpack:",as_array"`
	Key      string   // bucket + "\x00" + key
	Blob     []byte
	Grants   []log.Grant
}

type snapShipped struct {
	_msgpack struct{} `msgpack:",as_array"`
	Region   string
	Snapshot uint64
	Segment  uint64
}

type snapRegionID struct {
	_msgpack struct{} `msgpack:",as_array"`
	Region   string
	ID       string
}

type snapCompleted struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	ETag     string
	Parts    []byte
	At       int64
	Version  string // version 5
}

// snapCompletedV4 is a completed upload in snapshot versions 2 to 4: no
// version id.
type snapCompletedV4 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	ETag     string
	Parts    []byte
	At       int64
}

type snapScheme struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Layout    log.Layout
	Placement []string
}

type snapBlob struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       []byte
	Bucket   string
	Key      string
	Upload   string
	Size     int64
	Scheme   uint32
	Flags    uint8
	Shards   []byte  // nil: all stored
	OverIdx  []int64 // shard indexes stored outside placement…
	OverReg  []string
	Regions  []string
	Purged   []string
	Queued   int64 // version 3
}

// snapBlobV2 is a blob in snapshot versions 1 and 2: no queue time.
type snapBlobV2 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       []byte
	Bucket   string
	Key      string
	Upload   string
	Size     int64
	Scheme   uint32
	Flags    uint8
	Shards   []byte
	OverIdx  []int64
	OverReg  []string
	Regions  []string
	Purged   []string
}

func (b snapBlobV2) upgrade() snapBlob {
	return snapBlob{ID: b.ID, Bucket: b.Bucket, Key: b.Key, Upload: b.Upload, Size: b.Size, Scheme: b.Scheme, Flags: b.Flags,
		Shards: b.Shards, OverIdx: b.OverIdx, OverReg: b.OverReg, Regions: b.Regions, Purged: b.Purged}
}

type snapExtent struct {
	_msgpack struct{} `msgpack:",as_array"`
	Blob     []byte
	Size     int64
}

type snapObject struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Key       string   // bucket + "\x00" + key
	Blob      []byte
	Size      int64
	MTime     int64
	MD5       []byte
	Parts     int32
	CType     string
	Attrs     string
	Multi     bool
	Extents   []snapExtent
	PartSizes []int64
	PartSums  []map[string]string
	Ver       uint64 // version 4
}

// snapObjectV3 is an object in snapshot versions 1 to 3: no version word.
type snapObjectV3 struct {
	_msgpack  struct{} `msgpack:",as_array"`
	Key       string
	Blob      []byte
	Size      int64
	MTime     int64
	MD5       []byte
	Parts     int32
	CType     string
	Attrs     string
	Multi     bool
	Extents   []snapExtent
	PartSizes []int64
	PartSums  []map[string]string
}

func (o snapObjectV3) upgrade() snapObject {
	return snapObject{Key: o.Key, Blob: o.Blob, Size: o.Size, MTime: o.MTime, MD5: o.MD5, Parts: o.Parts, CType: o.CType,
		Attrs: o.Attrs, Multi: o.Multi, Extents: o.Extents, PartSizes: o.PartSizes, PartSums: o.PartSums, Ver: verNull}
}

type snapUpload struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	Created  int64
	Meta     log.ObjectMeta
	Grants   []log.Grant // version 5
}

// snapUploadV4 is an upload in snapshot versions 1 to 4: no grants.
type snapUploadV4 struct {
	_msgpack struct{} `msgpack:",as_array"`
	ID       string
	Bucket   string
	Key      string
	Created  int64
	Meta     log.ObjectMeta
}

type snapPart struct {
	_msgpack struct{} `msgpack:",as_array"`
	Upload   string
	Number   int
	Blob     []byte
	Size     int64
	ETag     string
	MTime    int64
	Sums     map[string]string
}

// MarshalSnapshot encodes the whole state and its applied index. Call it
// from the apply goroutine; View.MarshalSnapshot may be called from any.
func (s *State) MarshalSnapshot() ([]byte, error) { return s.t.marshal() }

// MarshalSnapshot encodes the View's state and applied index.
func (v *View) MarshalSnapshot() ([]byte, error) { return v.t.marshal() }

// WriteSnapshot streams the View's state to w, record by record: memory
// does not grow with the state (the View is a copy-on-write picture, so
// the State goes on applying meanwhile).
func (v *View) WriteSnapshot(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	if err := v.t.writeTo(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

func (t *tables) marshal() ([]byte, error) {
	var buf bytes.Buffer
	if err := t.writeTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (t *tables) writeTo(w io.Writer) error {
	enc := msgpack.NewEncoder(w)
	enc.SetSortMapKeys(true)
	var err error
	put := func(v any) {
		if err == nil {
			err = enc.Encode(v)
		}
	}
	section := func(n int) {
		if err == nil {
			err = enc.EncodeArrayLen(n)
		}
	}
	put(snapHeader{Magic: snapMagic, Version: snapVersion, Applied: t.applied, Time: t.time})

	section(t.buckets.Len())
	t.buckets.Scan(func(_ string, b *bucketRec) bool {
		put(snapBucket{Name: b.name, Created: b.created, Location: b.location, Policy: b.policy, Ready: b.ready, Versioning: b.versioning})
		return err == nil
	})
	section(t.regions.Len())
	t.regions.Scan(func(_ string, r log.Region) bool { put(r); return err == nil })
	section(t.keys.Len())
	t.keys.Scan(func(_ string, k log.AccessKeyCreated) bool { put(k); return err == nil })
	section(t.shipped.Len())
	t.shipped.Scan(func(region string, sh shipped) bool {
		put(snapShipped{Region: region, Snapshot: sh.snapshot, Segment: sh.segment})
		return err == nil
	})
	section(len(t.schemes))
	for _, sc := range t.schemes {
		put(snapScheme{Layout: sc.layout, Placement: sc.placement})
	}
	section(t.blobs.Len())
	t.blobs.Scan(func(r *blobRec) bool {
		sb := snapBlob{ID: r.id[:], Bucket: r.bucket, Key: r.key, Size: r.size, Scheme: r.scheme, Flags: r.flags}
		if x := r.x; x != nil {
			sb.Upload, sb.Shards, sb.Regions, sb.Purged, sb.Queued = x.upload, x.shards, x.regions, x.purged, x.queued
			for _, idx := range slices.Sorted(maps.Keys(x.over)) {
				sb.OverIdx = append(sb.OverIdx, int64(idx))
				sb.OverReg = append(sb.OverReg, x.over[idx])
			}
		}
		put(sb)
		return err == nil
	})
	section(t.objects.Len())
	t.objects.Scan(func(k string, o *objRec) bool {
		put(t.snapObject(k, o))
		return err == nil
	})
	section(t.uploads.Len())
	t.uploads.Scan(func(_ string, u *uploadRec) bool {
		put(snapUpload{ID: u.id, Bucket: u.bucket, Key: u.key, Created: u.created, Meta: u.meta, Grants: u.grants})
		return err == nil
	})
	section(t.parts.Len())
	t.parts.Scan(func(p *partRec) bool {
		put(snapPart{Upload: p.upload, Number: p.number, Blob: p.blob[:], Size: p.size, ETag: p.etag, MTime: p.mtime, Sums: p.sums})
		return err == nil
	})
	section(t.regionIDs.Len())
	t.regionIDs.Scan(func(region, id string) bool {
		put(snapRegionID{Region: region, ID: id})
		return err == nil
	})
	section(t.completed.Len())
	t.completed.Scan(func(_ string, c completedUpload) bool {
		put(snapCompleted{ID: c.id, Bucket: c.bucket, Key: c.key, ETag: c.etag, Parts: c.parts[:], At: c.at, Version: c.version})
		return err == nil
	})
	section(t.versions.Len())
	t.versions.Scan(func(e verEntry) bool {
		put(t.snapObject(e.key, e.o))
		return err == nil
	})
	n := 0
	t.buckets.Scan(func(_ string, b *bucketRec) bool {
		if b.access != nil {
			n++
		}
		return true
	})
	section(n)
	t.buckets.Scan(func(_ string, b *bucketRec) bool {
		if a := b.access; a != nil {
			put(snapAccess{Bucket: b.name, Owner: a.Owner, Ownership: a.Ownership, Grants: a.Grants, Policy: a.Policy, Block: a.Block})
		}
		return err == nil
	})
	section(t.objACLs.Len())
	t.objACLs.Scan(func(k string, a objACL) bool {
		put(snapObjACL{Key: k, Blob: a.blob[:], Grants: a.grants})
		return err == nil
	})
	put(t.snapAdmin())
	n = 0
	t.buckets.Scan(func(_ string, b *bucketRec) bool {
		n += len(b.configs)
		return true
	})
	section(n)
	t.buckets.Scan(func(_ string, b *bucketRec) bool {
		for _, name := range slices.Sorted(maps.Keys(b.configs)) {
			put(snapBucketConfig{Bucket: b.name, Name: name, Doc: b.configs[name]})
		}
		return err == nil
	})
	put(t.timeline)
	if err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

func (t *tables) snapObject(k string, o *objRec) snapObject {
	so := snapObject{Key: k, Blob: o.blob[:], Size: o.size, MTime: o.mtime, MD5: o.md5[:], Parts: o.parts, Attrs: o.attrs, Ver: o.ver}
	if int(o.ctype) < len(t.ctypes) {
		so.CType = t.ctypes[o.ctype]
	}
	if o.x != nil {
		so.Multi, so.PartSizes, so.PartSums = o.x.multi, o.x.partSizes, o.x.partSums
		for _, e := range o.x.extents {
			so.Extents = append(so.Extents, snapExtent{Blob: e.Blob[:], Size: e.Size})
		}
	}
	return so
}

func blobID(b []byte) (log.BlobID, error) {
	var id log.BlobID
	if len(b) != len(id) {
		return id, fmt.Errorf("%w: blob id of %d bytes", ErrBadSnapshot, len(b))
	}
	copy(id[:], b)
	return id, nil
}

func (b snapBucketV3) upgrade() snapBucket {
	return snapBucket{Name: b.Name, Created: b.Created, Location: b.Location, Policy: b.Policy, Ready: b.Ready}
}

func (u snapUploadV4) upgrade() snapUpload {
	return snapUpload{ID: u.ID, Bucket: u.Bucket, Key: u.Key, Created: u.Created, Meta: u.Meta}
}

func (c snapCompletedV4) upgrade() snapCompleted {
	return snapCompleted{ID: c.ID, Bucket: c.Bucket, Key: c.Key, ETag: c.ETag, Parts: c.Parts, At: c.At}
}

// eachFunc reads one section: item gives the value each entry decodes
// into, fn takes it.
type eachFunc = func(name string, item func() any, fn func() error) error

// eachItem reads a section of New entries; old says the snapshot predates
// New's layout, so they are decoded as Old and upgraded.
func eachItem[Old interface{ upgrade() New }, New any](each eachFunc, name string, old bool, fn func(*New) error) error {
	var o Old
	var n New
	return each(name, func() any {
		if old {
			o = *new(Old)
			return &o
		}
		n = *new(New)
		return &n
	}, func() error {
		if old {
			n = o.upgrade()
		}
		return fn(&n)
	})
}

// LoadSnapshot decodes a snapshot made by MarshalSnapshot into a new State
// whose Applied is the snapshot's index, with a published View. It returns
// an error wrapping ErrBadSnapshot if data is not a consistent snapshot.
func LoadSnapshot(data []byte) (*State, error) { return LoadSnapshotFrom(bytes.NewReader(data)) }

// LoadSnapshotFrom is LoadSnapshot reading from r, as it streams: r must
// end right after the snapshot (trailing bytes are ErrBadSnapshot), and an
// error of r (a checksum that fails at its end) fails the load.
func LoadSnapshotFrom(r io.Reader) (*State, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	s, err := loadSnapshot(br)
	if err != nil {
		return nil, err
	}
	switch _, err := br.ReadByte(); {
	case err == nil:
		return nil, fmt.Errorf("%w: bytes after the last section", ErrBadSnapshot)
	case err != io.EOF:
		return nil, fmt.Errorf("%w: %w", ErrBadSnapshot, err)
	}
	s.Publish()
	return s, nil
}

func loadSnapshot(r *bufio.Reader) (*State, error) {
	s := New()
	dec := msgpack.NewDecoder(r)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, args...)...)
	}
	// each decodes one section, calling fn for each item.
	each := func(name string, item func() any, fn func() error) error {
		n, err := dec.DecodeArrayLen()
		if err != nil {
			return bad("%s: %v", name, err)
		}
		for i := 0; i < n; i++ {
			v := item()
			if err := dec.Decode(v); err != nil {
				return bad("%s %d: %v", name, i, err)
			}
			if err := fn(); err != nil {
				return err
			}
		}
		return nil
	}

	var h snapHeader
	if err := dec.Decode(&h); err != nil {
		return nil, bad("header: %v", err)
	}
	if h.Magic != snapMagic || h.Version < 1 || h.Version > snapVersion {
		return nil, bad("not a projections snapshot of version 1 to %d", snapVersion)
	}
	s.t.applied, s.t.time = h.Applied, h.Time

	if err := eachItem[snapBucketV3](each, "bucket", h.Version < 4, func(sb *snapBucket) error {
		if !slices.IsSorted(sb.Ready) {
			return bad("bucket %q: ready regions not sorted", sb.Name)
		}
		switch sb.Versioning {
		case "", log.VersioningEnabled, log.VersioningSuspended:
		default:
			return bad("bucket %q: versioning %q", sb.Name, sb.Versioning)
		}
		s.t.buckets.Set(sb.Name, &bucketRec{name: sb.Name, created: sb.Created, location: sb.Location, policy: sb.Policy, ready: sb.Ready, versioning: sb.Versioning})
		return nil
	}); err != nil {
		return nil, err
	}
	var reg log.Region
	if err := each("region", func() any { reg = log.Region{}; return &reg }, func() error {
		s.t.regions.Set(reg.Name, reg)
		return nil
	}); err != nil {
		return nil, err
	}
	var key log.AccessKeyCreated
	if err := each("access key", func() any { key = log.AccessKeyCreated{}; return &key }, func() error {
		s.t.keys.Set(key.AccessKey, key)
		return nil
	}); err != nil {
		return nil, err
	}
	var ss snapShipped
	if err := each("shipped", func() any { ss = snapShipped{}; return &ss }, func() error {
		s.t.shipped.Set(ss.Region, shipped{snapshot: ss.Snapshot, segment: ss.Segment})
		return nil
	}); err != nil {
		return nil, err
	}
	var sc snapScheme
	if err := each("scheme", func() any { sc = snapScheme{}; return &sc }, func() error {
		if n := newScheme(sc.Layout, sc.Placement).n; n > maxSnapShardsPerSegment {
			return bad("scheme with %d shards per segment", n)
		}
		k := schemeKey(sc.Layout, sc.Placement)
		if _, dup := s.schemeIdx[k]; dup {
			return bad("duplicate scheme")
		}
		s.schemeIdx[k] = uint32(len(s.t.schemes))
		s.t.schemes = append(s.t.schemes, newScheme(sc.Layout, sc.Placement))
		return nil
	}); err != nil {
		return nil, err
	}
	if err := eachItem[snapBlobV2](each, "blob", h.Version < 3, s.loadBlob); err != nil {
		return nil, err
	}
	if err := eachItem[snapObjectV3](each, "object", h.Version < 4, func(so *snapObject) error {
		if so.Ver&verMarker != 0 {
			return bad("object %q: a delete marker is never current", so.Key)
		}
		return s.loadObject(so, false)
	}); err != nil {
		return nil, err
	}
	if err := eachItem[snapUploadV4](each, "upload", h.Version < 5, func(su *snapUpload) error {
		if _, dup := s.t.uploads.Get(su.ID); dup {
			return bad("duplicate upload %q", su.ID)
		}
		u := &uploadRec{id: su.ID, bucket: su.Bucket, key: su.Key, created: su.Created, meta: su.Meta, grants: su.Grants}
		s.t.uploads.Set(u.id, u)
		s.t.byKey.Set(u)
		return nil
	}); err != nil {
		return nil, err
	}
	var sp snapPart
	if err := each("part", func() any { sp = snapPart{}; return &sp }, func() error {
		id, err := blobID(sp.Blob)
		if err != nil {
			return err
		}
		if _, ok := s.t.uploads.Get(sp.Upload); !ok {
			return bad("part of unknown upload %q", sp.Upload)
		}
		p := &partRec{upload: sp.Upload, number: sp.Number, blob: id, size: sp.Size, etag: sp.ETag, mtime: sp.MTime, sums: sp.Sums}
		if _, dup := s.t.parts.Set(p); dup {
			return bad("duplicate part %d of %q", sp.Number, sp.Upload)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	if h.Version >= 2 {
		if err := s.loadV2Sections(h.Version, each, bad); err != nil {
			return nil, err
		}
	}
	if h.Version >= 4 {
		var so snapObject
		if err := each("version", func() any { so = snapObject{}; return &so }, func() error {
			return s.loadObject(&so, true)
		}); err != nil {
			return nil, err
		}
		if err := s.loadAccessSections(each, bad); err != nil {
			return nil, err
		}
		var a snapAdmin
		if err := dec.Decode(&a); err != nil {
			return nil, bad("admin: %v", err)
		}
		s.loadAdmin(a)
	}
	if h.Version >= 5 {
		var sc snapBucketConfig
		if err := each("bucket config", func() any { sc = snapBucketConfig{}; return &sc }, func() error {
			b, ok := s.t.buckets.Get(sc.Bucket)
			if !ok || sc.Name == "" || len(sc.Doc) == 0 {
				return bad("config %q of unknown bucket %q, or empty", sc.Name, sc.Bucket)
			}
			if _, dup := b.configs[sc.Name]; dup {
				return bad("bucket %q: config %q twice", sc.Bucket, sc.Name)
			}
			if b.configs == nil {
				b.configs = map[string][]byte{}
			}
			b.configs[sc.Name] = sc.Doc
			return nil
		}); err != nil {
			return nil, err
		}
		if err := dec.Decode(&s.t.timeline); err != nil {
			return nil, bad("timeline: %v", err)
		}
	}
	if err := s.derive(); err != nil {
		return nil, err
	}
	return s, nil
}

// loadV2Sections reads the sections version 2 added: region identities
// and recently completed uploads.
func (s *State) loadV2Sections(version int, each eachFunc, bad func(string, ...any) error) error {
	var ri snapRegionID
	if err := each("region id", func() any { ri = snapRegionID{}; return &ri }, func() error {
		s.t.regionIDs.Set(ri.Region, ri.ID)
		return nil
	}); err != nil {
		return err
	}
	return eachItem[snapCompletedV4](each, "completed upload", version < 5, func(sc *snapCompleted) error {
		c := completedUpload{id: sc.ID, bucket: sc.Bucket, key: sc.Key, etag: sc.ETag, at: sc.At, version: sc.Version}
		if len(sc.Parts) != len(c.parts) {
			return bad("completed upload %q: parts digest of %d bytes", sc.ID, len(sc.Parts))
		}
		copy(c.parts[:], sc.Parts)
		if _, dup := s.t.completed.Set(c.id, c); dup {
			return bad("duplicate completed upload %q", c.id)
		}
		s.t.doneByAge.Set(completedAge{c.at, c.id})
		return nil
	})
}

// loadAccessSections reads the sections version 4 added: the buckets'
// access configuration and the ACLs set on objects.
func (s *State) loadAccessSections(each eachFunc, bad func(string, ...any) error) error {
	var sa snapAccess
	if err := each("bucket access", func() any { sa = snapAccess{}; return &sa }, func() error {
		b, ok := s.t.buckets.Get(sa.Bucket)
		if !ok || b.access != nil {
			return bad("access of unknown or repeated bucket %q", sa.Bucket)
		}
		b.access = &Access{Owner: sa.Owner, Ownership: sa.Ownership, Grants: sa.Grants, Policy: sa.Policy, Block: sa.Block}
		return nil
	}); err != nil {
		return err
	}
	var so snapObjACL
	return each("object acl", func() any { so = snapObjACL{}; return &so }, func() error {
		id, err := blobID(so.Blob)
		if err != nil {
			return err
		}
		if _, ok := s.t.objects.Get(so.Key); !ok {
			return bad("acl of unknown object %q", so.Key)
		}
		s.t.objACLs.Set(so.Key, objACL{blob: id, grants: so.Grants})
		return nil
	})
}

func (s *State) loadBlob(b *snapBlob) error {
	id, err := blobID(b.ID)
	if err != nil {
		return err
	}
	if int(b.Scheme) >= len(s.t.schemes) || b.Scheme != uint32(int(b.Scheme)) {
		return fmt.Errorf("%w: blob %x: scheme %d out of range", ErrBadSnapshot, id, b.Scheme)
	}
	if b.Flags&^(blobCommitted|blobPurging) != 0 {
		return fmt.Errorf("%w: blob %x: bad flags %#x", ErrBadSnapshot, id, b.Flags)
	}
	sc := s.t.schemes[b.Scheme]
	segs := segmentCount(b.Size, sc.layout)
	if sc.n > 0 && segs > maxSnapShards/int64(sc.n) {
		return fmt.Errorf("%w: blob %x: too many shards", ErrBadSnapshot, id)
	}
	total := int(segs) * sc.n
	r := &blobRec{id: id, bucket: b.Bucket, key: b.Key, size: b.Size, scheme: b.Scheme, flags: b.Flags, gen: s.gen}
	if bk, ok := s.t.buckets.Get(b.Bucket); ok {
		r.bucket = bk.name
	}
	x := &blobExtra{gen: s.gen, upload: b.Upload, regions: b.Regions, purged: b.Purged, queued: b.Queued}
	if b.Shards != nil {
		if len(b.Shards) != total {
			return fmt.Errorf("%w: blob %x: %d shard states, want %d", ErrBadSnapshot, id, len(b.Shards), total)
		}
		x.shards = b.Shards
		for _, st := range x.shards {
			if st >= numShardStates {
				return fmt.Errorf("%w: blob %x: bad shard state %d", ErrBadSnapshot, id, st)
			}
			if pendingState(st) {
				x.pending++
			}
		}
	}
	if len(b.OverIdx) != len(b.OverReg) {
		return fmt.Errorf("%w: blob %x: overrides", ErrBadSnapshot, id)
	}
	for i, idx := range b.OverIdx {
		if idx < 0 || idx >= int64(total) {
			return fmt.Errorf("%w: blob %x: override of shard %d", ErrBadSnapshot, id, idx)
		}
		if x.over == nil {
			x.over = map[int]string{}
		}
		x.over[int(idx)] = b.OverReg[i]
	}
	if !slices.IsSorted(x.regions) || !slices.IsSorted(x.purged) {
		return fmt.Errorf("%w: blob %x: region lists not sorted", ErrBadSnapshot, id)
	}
	if !x.empty() {
		r.x = x
	}
	if _, dup := s.t.blobs.Set(r); dup {
		return fmt.Errorf("%w: duplicate blob %x", ErrBadSnapshot, id)
	}
	return nil
}

// loadObject loads a current object, or a noncurrent version or delete
// marker into the versions tree.
func (s *State) loadObject(so *snapObject, noncurrent bool) error {
	bucket, _, ok := strings.Cut(so.Key, "\x00")
	if !ok {
		return fmt.Errorf("%w: object key %q has no bucket", ErrBadSnapshot, so.Key)
	}
	o := &objRec{size: so.Size, mtime: so.MTime, parts: so.Parts, attrs: so.Attrs, ver: so.Ver}
	if len(so.MD5) != len(o.md5) {
		return fmt.Errorf("%w: object %q: md5 of %d bytes", ErrBadSnapshot, so.Key, len(so.MD5))
	}
	copy(o.md5[:], so.MD5)
	var err error
	if o.blob, err = blobID(so.Blob); err != nil {
		return err
	}
	if i, interned := s.internCType(so.CType); interned {
		o.ctype = i
	} else if so.CType != "" {
		o.attrs += string(appendAttr(nil, attrCType, "", so.CType))
	}
	if so.Multi || so.PartSizes != nil || so.PartSums != nil {
		o.x = &objExtra{multi: so.Multi, partSizes: so.PartSizes, partSums: so.PartSums}
		if so.Multi {
			o.x.extents = make([]log.Extent, 0, len(so.Extents))
			for _, e := range so.Extents {
				id, err := blobID(e.Blob)
				if err != nil {
					return err
				}
				o.x.extents = append(o.x.extents, log.Extent{Blob: id, Size: e.Size})
			}
		}
	}
	if noncurrent {
		if o.marker() && (o.x != nil || o.size != 0) {
			return fmt.Errorf("%w: delete marker %q with data", ErrBadSnapshot, so.Key)
		}
		if _, dup := s.t.versions.Set(verEntry{key: so.Key, seq: o.seq(), o: o}); dup {
			return fmt.Errorf("%w: duplicate version %q %d", ErrBadSnapshot, so.Key, o.seq())
		}
		return nil
	}
	if _, dup := s.t.objects.Set(so.Key, o); dup {
		return fmt.Errorf("%w: duplicate object %q", ErrBadSnapshot, so.Key)
	}
	if !o.x.isMulti() {
		s.shareKey(o.blob, bucket, so.Key)
	}
	return nil
}

// derive rebuilds reference counts, the open, pending and purge sets and
// usage from the records, and checks they agree with the blobs' flags.
func (s *State) derive() error {
	refs := map[log.BlobID]int32{}
	s.t.objects.Scan(func(_ string, o *objRec) bool {
		for _, e := range o.extents() {
			refs[e.Blob]++
		}
		return true
	})
	s.t.versions.Scan(func(e verEntry) bool {
		if !e.o.marker() {
			for _, x := range e.o.extents() {
				refs[x.Blob]++
			}
		}
		return true
	})
	s.t.parts.Scan(func(p *partRec) bool {
		refs[p.blob]++
		return true
	})
	var err error
	s.t.blobs.Scan(func(r *blobRec) bool {
		r.refs = refs[r.id]
		purging := r.flags&blobPurging != 0
		switch {
		case r.refs > 0 && purging:
			err = fmt.Errorf("%w: blob %x is referenced and queued for purge", ErrBadSnapshot, r.id)
		case r.refs > 0 && r.flags&blobCommitted == 0:
			err = fmt.Errorf("%w: blob %x is referenced but not committed", ErrBadSnapshot, r.id)
		case r.refs == 0 && !purging && r.flags&blobCommitted != 0:
			err = fmt.Errorf("%w: blob %x lost its references but is not queued", ErrBadSnapshot, r.id)
		}
		if err != nil {
			return false
		}
		switch {
		case purging:
			s.t.purge.Set(r.id)
		case r.refs == 0:
			s.t.open.Set(r.id)
		case r.pendingCount() > 0:
			s.t.pending.Set(r.id)
		}
		s.addBlobUsage(r)
		return true
	})
	return err
}

// addBlobUsage adds r's stored and (if referenced) pending shards to usage.
func (s *State) addBlobUsage(r *blobRec) {
	sc := s.t.schemes[r.scheme]
	if r.x != nil && r.x.shards != nil {
		for i, st := range r.x.shards {
			switch {
			case st == shardStored:
				s.addUsage(r.region(sc, i), 1, shardBytes(r.size, sc.layout, int64(i/sc.n)), 0)
			case pendingState(st) && r.live():
				s.addUsage(r.region(sc, i), 0, 0, 1)
				s.t.pendingN++
			}
		}
		return
	}
	// Every shard stored: per shard position, all segments at once.
	segs := segmentCount(r.size, sc.layout)
	full, last := shardBytes(r.size, sc.layout, 0), shardBytes(r.size, sc.layout, segs-1)
	column := (segs-1)*full + last
	for i := 0; i < sc.n; i++ {
		s.addUsage(sc.place(i), segs, column, 0)
	}
	if r.x != nil {
		for idx, reg := range r.x.over {
			b := shardBytes(r.size, sc.layout, int64(idx/sc.n))
			s.addUsage(sc.place(idx%sc.n), -1, -b, 0)
			s.addUsage(reg, 1, b, 0)
		}
	}
}
