package projections

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/prismd/prismd/log"
	"github.com/vmihailenco/msgpack/v5"
)

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
