package projections

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"slices"

	"github.com/prismd/prismd/log"
	"github.com/vmihailenco/msgpack/v5"
)

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
