package engine

import (
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// MaxPutSize is the largest single PUT (and part) S3 allows.
const MaxPutSize = 5 << 30

// ValidKey reports whether key is acceptable: 1..1024 bytes of UTF-8, no NUL,
// no ".." path segment.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 || !utf8.ValidString(key) || strings.IndexByte(key, 0) >= 0 {
		return false
	}
	for seg := range strings.SplitSeq(key, "/") {
		if seg == ".." {
			return false
		}
	}
	return true
}

func (e *Engine) checkBucketKey(bucket, key string) error {
	if _, ok := e.view().Bucket(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if !ValidKey(key) {
		return fmt.Errorf("key %q: %w", key, ErrInvalidKey)
	}
	return nil
}

// PutObject streams a body into a new object. It returns once the write
// quorum of every segment has landed and the commit is durable.
func (e *Engine) PutObject(ctx context.Context, in PutInput) (ObjectInfo, error) {
	if err := e.checkBucketKey(in.Bucket, in.Key); err != nil {
		return ObjectInfo{}, err
	}
	if in.Size < 0 || in.Size > MaxPutSize {
		return ObjectInfo{}, fmt.Errorf("put %d bytes: %w", in.Size, ErrEntityTooLarge)
	}
	// Fail early, before any data moves; the commit checks again.
	if err := writeConditions(e.view(), in.Bucket, in.Key, in.Cond); err != nil {
		return ObjectInfo{}, err
	}
	if _, err := e.lockMeta(in.Bucket, in.Lock, e.now(), &plog.ObjectMeta{}); err != nil {
		return ObjectInfo{}, err
	}
	sum, release := etagHash(in.Size)
	w, err := e.writeBlob(ctx, in.Bucket, in.Key, "", e.policyFor(in.Bucket), in.Size, in.Body, sum)
	digest := sum.Sum(nil)
	release()
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("put %s/%s: %w", in.Bucket, in.Key, err)
	}
	now := e.now()
	meta := plog.ObjectMeta{Size: in.Size, ETag: hex.EncodeToString(digest), ModTime: now.UnixNano(), ContentType: in.ContentType, Headers: nilIfEmpty(in.Headers), UserMeta: nilIfEmpty(in.UserMeta), Tags: nilIfEmpty(in.Tags), Owner: in.Owner}
	fail := func(err error) (ObjectInfo, error) {
		w.abort(err)
		return ObjectInfo{}, fmt.Errorf("put %s/%s: %w", in.Bucket, in.Key, err)
	}
	if _, err := e.lockMeta(in.Bucket, in.Lock, now, &meta); err != nil {
		return fail(err)
	}
	if in.ContentMD5 != nil && string(in.ContentMD5) != string(digest) {
		return fail(ErrBadDigest)
	}
	if in.BeforeCommit != nil {
		sums, err := in.BeforeCommit()
		if err != nil {
			return fail(err)
		}
		meta.Checksums = nilIfEmpty(sums)
	}
	ev := plog.ObjectCommitted{Bucket: in.Bucket, Key: in.Key, Blob: w.id, Meta: meta, Cond: in.Cond.precondition()}
	idx, err := e.commit(ctx, w, ev)
	if err != nil {
		return fail(err)
	}
	info := objectInfo(in.Bucket, in.Key, meta)
	info.VersionID = e.writtenVersion(in.Bucket, in.Key, idx)
	return info, nil
}

// commit is the one way a write takes effect: it appends ev — after the
// ShardWritten events w held back, in the same batch (one fsync) — and
// reports whether applying it was refused (the bucket is gone, a
// precondition failed, an upload moved on): the projections decide, from
// the event alone, so no lock is held across the fsync. It returns the
// index of ev.
func (e *Engine) commit(ctx context.Context, w *blobWrite, ev plog.Event) (uint64, error) {
	var evs []plog.Event
	if w != nil {
		evs = w.takeLanded()
	}
	return e.append(ctx, append(evs, ev)...)
}

// precondition returns the If-Match / If-None-Match a commit carries, nil
// when there are none. If-(Un)Modified-Since do not apply to writes.
func (c Conditions) precondition() *plog.Precondition {
	if c.IfMatch == "" && c.IfNoneMatch == "" {
		return nil
	}
	return &plog.Precondition{IfMatch: c.IfMatch, IfNoneMatch: c.IfNoneMatch}
}

// writeConditions checks If-Match / If-None-Match of a write against the
// current object, before the write starts. The commit event carries them
// so that applying it checks them again, atomically.
func writeConditions(v *projections.View, bucket, key string, c Conditions) error {
	if c.IfMatch == "" && c.IfNoneMatch == "" {
		return nil
	}
	o, exists := v.Object(bucket, key)
	if c.IfNoneMatch != "" && exists && (c.IfNoneMatch == "*" || projections.ETagMatches(c.IfNoneMatch, o.Meta.ETag)) {
		return fmt.Errorf("if-none-match %s: %w", c.IfNoneMatch, ErrPreconditionFailed)
	}
	if c.IfMatch != "" {
		if !exists {
			return fmt.Errorf("if-match on absent key: %w", ErrNoSuchKey)
		}
		if c.IfMatch != "*" && !projections.ETagMatches(c.IfMatch, o.Meta.ETag) {
			return fmt.Errorf("if-match %s: %w", c.IfMatch, ErrPreconditionFailed)
		}
	}
	return nil
}

// readConditions applies RFC 7232 precedence to a GET or HEAD.
func readConditions(meta plog.ObjectMeta, c Conditions) error {
	mod := time.Unix(0, meta.ModTime).Truncate(time.Second)
	if c.IfMatch != "" {
		if !projections.ETagMatches(c.IfMatch, meta.ETag) {
			return ErrPreconditionFailed
		}
	} else if !c.IfUnmodifiedSince.IsZero() && mod.After(c.IfUnmodifiedSince) {
		return ErrPreconditionFailed
	}
	if c.IfNoneMatch != "" {
		if projections.ETagMatches(c.IfNoneMatch, meta.ETag) {
			return ErrNotModified
		}
	} else if !c.IfModifiedSince.IsZero() && !mod.After(c.IfModifiedSince) {
		return ErrNotModified
	}
	return nil
}

// copyConditions applies x-amz-copy-source-if-*: every failure is 412.
func copyConditions(meta plog.ObjectMeta, c Conditions) error {
	if err := readConditions(meta, c); err != nil {
		return fmt.Errorf("copy source condition: %w", ErrPreconditionFailed)
	}
	return nil
}

func (e *Engine) lookup(bucket, key string) (projections.Object, error) {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return projections.Object{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	o, ok := v.Object(bucket, key)
	if !ok {
		return o, fmt.Errorf("%s/%s: %w", bucket, key, ErrNoSuchKey)
	}
	return o, nil
}

// HeadObject returns an object's description after checking conditions
// and the part number. When the answer is about a delete marker (the
// key's latest version, or the version named), the info describes it.
func (e *Engine) HeadObject(ctx context.Context, bucket, key string, opts GetOptions) (ObjectInfo, error) {
	x, versioned, err := e.lookupVersion(bucket, key, opts.VersionID)
	if err != nil {
		if x.DeleteMarker {
			return versionInfo(bucket, x, versioned), err
		}
		return ObjectInfo{}, err
	}
	o, info := x.Object, versionInfo(bucket, x, versioned)
	if err := readConditions(o.Meta, opts.Cond); err != nil {
		return info, err
	}
	if _, _, err := span(o.Meta, opts); err != nil {
		return info, err
	}
	return info, nil
}

// GetObject returns a streaming reader of an object (or of a range or part
// of it). The object's data stays pinned until the reader is closed: an
// overwrite or delete meanwhile does not cut the read short. When the
// answer is an error about a delete marker, the reader's Info describes it.
func (e *Engine) GetObject(ctx context.Context, bucket, key string, opts GetOptions) (*ObjectReader, error) {
	x, versioned, unpin, err := e.versionPinned(bucket, key, opts.VersionID)
	if err != nil {
		if x.DeleteMarker {
			return &ObjectReader{Info: versionInfo(bucket, x, versioned)}, err
		}
		return nil, err
	}
	o, info := x.Object, versionInfo(bucket, x, versioned)
	if err := readConditions(o.Meta, opts.Cond); err != nil {
		unpin()
		return &ObjectReader{Info: info}, err
	}
	off, length, err := span(o.Meta, opts)
	if err != nil {
		unpin()
		return &ObjectReader{Info: info}, err
	}
	rc, err := e.openExtents(ctx, o.Extents, off, length)
	if err != nil {
		unpin()
		return nil, err
	}
	rc.release = unpin
	return &ObjectReader{ReadCloser: rc, Info: info, Offset: off, Length: length}, nil
}

// span resolves a range or part number to [offset, offset+length).
func span(meta plog.ObjectMeta, opts GetOptions) (int64, int64, error) {
	size := meta.Size
	if opts.PartNumber > 0 {
		if len(meta.PartSizes) == 0 {
			if opts.PartNumber == 1 {
				return 0, size, nil
			}
			return 0, 0, fmt.Errorf("part %d of a single-part object: %w", opts.PartNumber, ErrInvalidPartNumber)
		}
		if opts.PartNumber > len(meta.PartSizes) {
			return 0, 0, fmt.Errorf("part %d of %d: %w", opts.PartNumber, len(meta.PartSizes), ErrInvalidPartNumber)
		}
		off := int64(0)
		for _, s := range meta.PartSizes[:opts.PartNumber-1] {
			off += s
		}
		return off, meta.PartSizes[opts.PartNumber-1], nil
	}
	r := opts.Range
	if r == nil {
		return 0, size, nil
	}
	switch {
	case r.Start < 0:
		n := min(-r.Start, size)
		if n == 0 {
			return 0, 0, fmt.Errorf("suffix range of empty object: %w", ErrInvalidRange)
		}
		return size - n, n, nil
	case r.Start >= size:
		return 0, 0, fmt.Errorf("range start %d of %d bytes: %w", r.Start, size, ErrInvalidRange)
	case r.End < 0 || r.End >= size:
		return r.Start, size - r.Start, nil
	case r.End < r.Start:
		return 0, 0, fmt.Errorf("range %d-%d: %w", r.Start, r.End, ErrInvalidRange)
	}
	return r.Start, r.End - r.Start + 1, nil
}

// DeleteObject removes an object; deleting an absent key succeeds. The data
// is purged in the background (after the readers of it finish).
func (e *Engine) DeleteObject(ctx context.Context, bucket, key string) error {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	if _, ok := v.Object(bucket, key); !ok {
		return nil
	}
	_, err := e.append(ctx, plog.ObjectDeleted{Bucket: bucket, Key: key})
	return err
}

// CopyObject copies an object. When both buckets share a policy the copy
// only references the source's data; otherwise it is re-encoded. The
// source's data is pinned for the whole copy, so that a delete of the
// source meanwhile cannot purge it.
func (e *Engine) CopyObject(ctx context.Context, in CopyInput) (ObjectInfo, error) {
	if err := e.checkBucketKey(in.Bucket, in.Key); err != nil {
		return ObjectInfo{}, err
	}
	srcVersion, srcVersioned, unpin, err := e.versionPinned(in.SrcBucket, in.SrcKey, in.SrcVersionID)
	if err != nil {
		return ObjectInfo{}, copySourceError(err)
	}
	srcVID := ""
	if srcVersioned {
		srcVID = srcVersion.VersionID
	}
	defer unpin()
	src := srcVersion.Object
	if err := copyConditions(src.Meta, in.SrcCond); err != nil {
		return ObjectInfo{}, err
	}
	if err := writeConditions(e.view(), in.Bucket, in.Key, in.Cond); err != nil {
		return ObjectInfo{}, err
	}
	meta := src.Meta
	meta.ModTime, meta.Owner = e.now().UnixNano(), in.Owner
	if _, err := e.lockMeta(in.Bucket, in.Lock, time.Unix(0, meta.ModTime), &meta); err != nil {
		return ObjectInfo{}, err
	}
	if in.ReplaceMeta {
		meta.ContentType, meta.Headers, meta.UserMeta = in.ContentType, nilIfEmpty(in.Headers), nilIfEmpty(in.UserMeta)
	}
	if in.ReplaceTags {
		meta.Tags = nilIfEmpty(in.Tags)
	}
	if e.policyFor(in.SrcBucket) == e.policyFor(in.Bucket) {
		ev := plog.ObjectCopied{Bucket: in.Bucket, Key: in.Key, SrcBucket: in.SrcBucket, SrcKey: in.SrcKey, Extents: src.Extents, Meta: meta, Cond: in.Cond.precondition()}
		idx, err := e.commit(ctx, nil, ev)
		if err != nil {
			return ObjectInfo{}, err
		}
		return e.copied(in, meta, idx, srcVID), nil
	}
	rc, err := e.openExtents(ctx, src.Extents, 0, src.Meta.Size)
	if err != nil {
		return ObjectInfo{}, err
	}
	defer rc.Close()
	sum := md5.New()
	// The copy is one part: a COMPOSITE checksum (or none) becomes the
	// full-object DefaultChecksum, computed as the data is copied.
	ck := NewChecksum(DefaultChecksum)
	w, err := e.writeBlob(ctx, in.Bucket, in.Key, "", e.policyFor(in.Bucket), src.Meta.Size, io.TeeReader(rc, ck), sum)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("copy %s/%s: %w", in.SrcBucket, in.SrcKey, err)
	}
	meta.ETag = hex.EncodeToString(sum.Sum(nil))
	meta.PartSizes, meta.PartSums = nil, nil
	if full := fullObjectChecksums(meta.Checksums); full != nil {
		meta.Checksums = full
	} else {
		meta.Checksums = map[string]string{DefaultChecksum: base64.StdEncoding.EncodeToString(ck.Sum(nil))}
	}
	idx, err := e.commit(ctx, w, plog.ObjectCommitted{Bucket: in.Bucket, Key: in.Key, Blob: w.id, Meta: meta, Cond: in.Cond.precondition()})
	if err != nil {
		w.abort(err)
		return ObjectInfo{}, err
	}
	return e.copied(in, meta, idx, srcVID), nil
}

// copied is the answer of a copy of source version srcVID committed at
// idx, with the new version's id.
func (e *Engine) copied(in CopyInput, meta plog.ObjectMeta, idx uint64, srcVID string) ObjectInfo {
	info := objectInfo(in.Bucket, in.Key, meta)
	info.VersionID = e.writtenVersion(in.Bucket, in.Key, idx)
	info.SourceVersionID = srcVID
	return info
}

// copySourceError is the answer to a copy whose source version id names
// a delete marker: not ErrDeleteMarker (S3 answers 400, not 405).
func copySourceError(err error) error {
	if errors.Is(err, ErrDeleteMarker) {
		return fmt.Errorf("%w: %v", ErrCopyFromDeleteMarker, err)
	}
	return err
}

// ListObjects returns one page of a bucket's objects.
func (e *Engine) ListObjects(ctx context.Context, in ListInput) (ListResult, error) {
	v := e.view()
	if _, ok := v.Bucket(in.Bucket); !ok {
		return ListResult{}, fmt.Errorf("bucket %q: %w", in.Bucket, ErrNoSuchBucket)
	}
	max := in.MaxKeys
	if max <= 0 || max > 1000 {
		max = 1000
	}
	page := v.List(in.Bucket, projections.ListQuery{Prefix: in.Prefix, Delimiter: in.Delimiter, After: in.After, Max: max})
	res := ListResult{CommonPrefixes: page.CommonPrefixes, Truncated: page.Truncated, NextAfter: page.Next}
	for _, o := range page.Objects {
		res.Objects = append(res.Objects, objectInfo(in.Bucket, o.Key, o.Meta))
	}
	return res, nil
}

func objectInfo(bucket, key string, m plog.ObjectMeta) ObjectInfo {
	return ObjectInfo{Bucket: bucket, Key: key, Size: m.Size, ETag: m.ETag, LastModified: time.Unix(0, m.ModTime).UTC(), ContentType: m.ContentType,
		Headers: m.Headers, UserMeta: m.UserMeta, Checksums: m.Checksums, PartsCount: len(m.PartSizes), PartSizes: m.PartSizes, PartSums: m.PartSums,
		LockMode: m.LockMode, LockUntil: time.Unix(0, m.LockUntil).UTC(), LegalHold: m.LegalHold,
		Tags: m.Tags, Owner: m.Owner}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}
