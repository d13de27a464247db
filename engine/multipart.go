package engine

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// Multipart limits, as S3 has them.
const (
	MinPartSize = 5 << 20
	MaxParts    = 10000
)

// CreateUpload starts a multipart upload; the metadata applies at
// completion. An UploadChecksum (at most one) names the checksum the object
// gets; it is kept in the UploadCreated event's Meta.Checksums as
// algorithm → type.
func (e *Engine) CreateUpload(ctx context.Context, bucket, key, contentType string, headers, userMeta map[string]string, checksum ...UploadChecksum) (UploadInfo, error) {
	return e.CreateUploadWith(ctx, CreateUploadInput{Bucket: bucket, Key: key, ContentType: contentType, Headers: headers, UserMeta: userMeta, Checksum: checksum})
}

// CreateUploadInput is a CreateMultipartUpload: what CreateUpload takes,
// and the object's tags.
type CreateUploadInput struct {
	Bucket, Key, ContentType string
	Headers, UserMeta        map[string]string
	Checksum                 []UploadChecksum // at most one
	Tags                     map[string]string
	Lock                     ObjectLock   // see PutInput.Lock: an explicit retention is kept in the upload, the bucket's default applies at completion
	Grants                   []plog.Grant // the completed object's ACL (x-amz-acl / x-amz-grant-*), set with the completion
	Owner                    string       // see PutInput.Owner
}

// CreateUploadWith is CreateUpload with every setting of the object to be.
func (e *Engine) CreateUploadWith(ctx context.Context, in CreateUploadInput) (UploadInfo, error) {
	bucket, key, checksum := in.Bucket, in.Key, in.Checksum
	if err := e.checkBucketKey(bucket, key); err != nil {
		return UploadInfo{}, err
	}
	var intent map[string]string
	for _, c := range checksum {
		if c.Type == "" {
			c.Type = DefaultChecksumType(c.Algorithm)
		}
		if len(checksum) > 1 || !ChecksumTypeAllowed(c.Algorithm, c.Type) {
			return UploadInfo{}, fmt.Errorf("checksum %s %s: %w", c.Algorithm, c.Type, ErrInvalidArgument)
		}
		intent = map[string]string{c.Algorithm: c.Type}
	}
	var raw [18]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return UploadInfo{}, fmt.Errorf("upload id: %w", err)
	}
	id := hex.EncodeToString(raw[:])
	now := e.now()
	ev := plog.UploadCreated{Upload: id, Bucket: bucket, Key: key, Created: now.UnixNano(), Grants: in.Grants,
		Meta: plog.ObjectMeta{ContentType: in.ContentType, Headers: nilIfEmpty(in.Headers), UserMeta: nilIfEmpty(in.UserMeta), Checksums: intent, Tags: nilIfEmpty(in.Tags), Owner: in.Owner}}
	if lock := in.Lock; lock.Mode != "" || lock.LegalHold {
		if _, err := e.lockMeta(bucket, lock, now, &ev.Meta); err != nil {
			return UploadInfo{}, err
		}
		if lock.Mode == "" {
			ev.Meta.LockMode, ev.Meta.LockUntil = "", 0 // the default applies at completion
		}
	}
	if _, err := e.append(ctx, ev); err != nil {
		return UploadInfo{}, err
	}
	return uploadInfo(projections.Upload{ID: id, Bucket: bucket, Key: key, Created: now.UnixNano(), Meta: ev.Meta}), nil
}

func (e *Engine) upload(bucket, key, id string) (projections.Upload, error) {
	v := e.view()
	if _, ok := v.Bucket(bucket); !ok {
		return projections.Upload{}, fmt.Errorf("bucket %q: %w", bucket, ErrNoSuchBucket)
	}
	u, ok := v.Upload(id)
	if !ok || u.Bucket != bucket || u.Key != key {
		return projections.Upload{}, fmt.Errorf("upload %q of %s/%s: %w", id, bucket, key, ErrNoSuchUpload)
	}
	return u, nil
}

// UploadPart stores one part as its own blob on the regions.
func (e *Engine) UploadPart(ctx context.Context, uploadID string, number int, in PutInput) (PartInfo, error) {
	if _, err := e.upload(in.Bucket, in.Key, uploadID); err != nil {
		return PartInfo{}, err
	}
	if number < 1 || number > MaxParts {
		return PartInfo{}, fmt.Errorf("part number %d: %w", number, ErrInvalidArgument)
	}
	if in.Size < 0 || in.Size > MaxPutSize {
		return PartInfo{}, fmt.Errorf("part of %d bytes: %w", in.Size, ErrEntityTooLarge)
	}
	sum, release := etagHash(in.Size)
	w, err := e.writeBlob(ctx, in.Bucket, in.Key, uploadID, e.policyFor(in.Bucket), in.Size, in.Body, sum)
	digest := sum.Sum(nil)
	release()
	if err != nil {
		return PartInfo{}, fmt.Errorf("upload part %d: %w", number, err)
	}
	fail := func(err error) (PartInfo, error) {
		w.abort(err)
		return PartInfo{}, fmt.Errorf("upload part %d: %w", number, err)
	}
	if in.ContentMD5 != nil && string(in.ContentMD5) != string(digest) {
		return fail(ErrBadDigest)
	}
	var sums map[string]string
	if in.BeforeCommit != nil {
		if sums, err = in.BeforeCommit(); err != nil {
			return fail(err)
		}
	}
	return e.commitPart(ctx, w, uploadID, number, in.Size, hex.EncodeToString(digest), nilIfEmpty(sums))
}

// commitPart commits a part through the one commit path: applying it is
// refused when the upload is gone (aborted, completed, or its bucket
// deleted meanwhile), and the part's data is then purged.
func (e *Engine) commitPart(ctx context.Context, w *blobWrite, uploadID string, number int, size int64, etag string, sums map[string]string) (PartInfo, error) {
	now := e.now()
	ev := plog.PartCommitted{Upload: uploadID, Number: number, Blob: w.id, Size: size, ETag: etag, Modified: now.UnixNano(), Checksums: sums}
	if _, err := e.commit(ctx, w, ev); err != nil {
		w.abort(err)
		return PartInfo{}, fmt.Errorf("upload part %d: %w", number, err)
	}
	return PartInfo{Number: number, Size: size, ETag: etag, LastModified: now.UTC(), Checksums: sums}, nil
}

// UploadPartCopy stores a range of an existing object as a part.
// The part gets the checksum of the upload's algorithm, computed as it is
// copied. srcVersionID "" copies the source's latest version.
func (e *Engine) UploadPartCopy(ctx context.Context, uploadID string, number int, bucket, key, srcBucket, srcKey, srcVersionID string, srcCond Conditions, rng *Range) (PartInfo, error) {
	u, err := e.upload(bucket, key, uploadID)
	if err != nil {
		return PartInfo{}, err
	}
	if number < 1 || number > MaxParts {
		return PartInfo{}, fmt.Errorf("part number %d: %w", number, ErrInvalidArgument)
	}
	srcVersion, srcVersioned, unpin, err := e.versionPinned(srcBucket, srcKey, srcVersionID)
	if err != nil {
		return PartInfo{}, copySourceError(err)
	}
	defer unpin()
	src := srcVersion.Object
	if err := copyConditions(src.Meta, srcCond); err != nil {
		return PartInfo{}, err
	}
	off, length, err := span(src.Meta, GetOptions{Range: rng})
	if err != nil {
		return PartInfo{}, err
	}
	if rng != nil && rng.Start >= 0 && rng.End >= src.Meta.Size {
		return PartInfo{}, fmt.Errorf("copy range beyond source: %w", ErrInvalidRange)
	}
	rc, err := e.openExtents(ctx, src.Extents, off, length)
	if err != nil {
		return PartInfo{}, err
	}
	defer rc.Close()
	sum := md5.New()
	alg, _ := uploadChecksum(u.Meta)
	ck := NewChecksum(alg)
	w, err := e.writeBlob(ctx, bucket, key, uploadID, e.policyFor(bucket), length, io.TeeReader(rc, ck), sum)
	if err != nil {
		return PartInfo{}, fmt.Errorf("upload part copy %d: %w", number, err)
	}
	sums := map[string]string{alg: base64.StdEncoding.EncodeToString(ck.Sum(nil))}
	part, err := e.commitPart(ctx, w, uploadID, number, length, hex.EncodeToString(sum.Sum(nil)), sums)
	if err == nil && srcVersioned {
		part.SourceVersionID = srcVersion.VersionID
	}
	return part, err
}

// CompleteUpload turns the listed parts, in order, into the object. No data
// is copied: the object references the parts' blobs. Unlisted parts are
// purged. The event names the blob of every part it completes, so that a
// part uploaded again, or an abort, racing the completion makes exactly one
// of them win. A completion retried after it succeeded (an SDK that timed
// out waiting) gets the same answer again for an hour.
func (e *Engine) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []CompletePart, cond Conditions) (ObjectInfo, error) {
	if len(parts) == 0 {
		return ObjectInfo{}, fmt.Errorf("complete with no parts: %w", ErrInvalidPart)
	}
	for i, cp := range parts {
		if i > 0 && cp.Number <= parts[i-1].Number {
			return ObjectInfo{}, fmt.Errorf("part %d after %d: %w", cp.Number, parts[i-1].Number, ErrInvalidPartOrder)
		}
	}
	u, err := e.upload(bucket, key, uploadID)
	if errors.Is(err, ErrNoSuchUpload) {
		if info, ok := e.completedBefore(bucket, key, uploadID, parts); ok {
			return info, nil
		}
	}
	if err != nil {
		return ObjectInfo{}, err
	}
	byNumber := map[int]projections.Part{}
	for _, p := range u.Parts {
		byNumber[p.Number] = p
	}
	meta := u.Meta
	meta.PartSizes = nil
	digests := md5.New()
	completed := make([]plog.CompletedPart, 0, len(parts))
	var partSums []map[string]string
	anySums := false
	for i, cp := range parts {
		p, ok := byNumber[cp.Number]
		if !ok || strings.Trim(cp.ETag, `"`) != p.ETag {
			return ObjectInfo{}, fmt.Errorf("part %d: %w", cp.Number, ErrInvalidPart)
		}
		if i < len(parts)-1 && p.Size < MinPartSize {
			return ObjectInfo{}, fmt.Errorf("part %d has %d bytes: %w", cp.Number, p.Size, ErrEntityTooSmall)
		}
		raw, _ := hex.DecodeString(p.ETag)
		digests.Write(raw)
		completed = append(completed, plog.CompletedPart{Number: p.Number, Blob: p.Blob, Size: p.Size, ETag: p.ETag})
		meta.PartSizes = append(meta.PartSizes, p.Size)
		meta.Size += p.Size
		partSums = append(partSums, p.Checksums)
		anySums = anySums || p.Checksums != nil
	}
	meta.Checksums = nil
	if anySums {
		meta.PartSums = partSums
		if alg, typ := uploadChecksum(u.Meta); alg != "" {
			if sum, ok := MultipartChecksum(alg, typ, partSums, meta.PartSizes); ok {
				meta.Checksums = map[string]string{alg: sum}
			}
		}
	}
	meta.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(digests.Sum(nil)), len(parts))
	meta.ModTime = e.now().UnixNano()
	if u.Meta.LockMode == "" {
		if _, err := e.lockMeta(bucket, ObjectLock{LegalHold: u.Meta.LegalHold}, time.Unix(0, meta.ModTime), &meta); err != nil {
			return ObjectInfo{}, err
		}
	}
	ev := plog.UploadCompleted{Upload: uploadID, Bucket: bucket, Key: key, Parts: completed, Meta: meta, Cond: cond.precondition()}
	idx, err := e.commit(ctx, nil, ev)
	if err != nil {
		// The same completion may have won the race (a retry racing the
		// original request): answer as it did.
		if errors.Is(err, ErrNoSuchUpload) {
			if info, ok := e.completedBefore(bucket, key, uploadID, parts); ok {
				return info, nil
			}
		}
		return ObjectInfo{}, err
	}
	info := objectInfo(bucket, key, meta)
	info.VersionID = e.writtenVersion(bucket, key, idx)
	return info, nil
}

// completedBefore returns the answer of an earlier completion of the same
// upload with the same parts, if the projections still remember it.
func (e *Engine) completedBefore(bucket, key, uploadID string, parts []CompletePart) (ObjectInfo, bool) {
	c, ok := e.view().CompletedUpload(uploadID)
	if !ok || c.Bucket != bucket || c.Key != key {
		return ObjectInfo{}, false
	}
	listed := make([]plog.CompletedPart, len(parts))
	for i, p := range parts {
		listed[i] = plog.CompletedPart{Number: p.Number, ETag: p.ETag}
	}
	if projections.PartsDigest(listed) != c.Parts {
		return ObjectInfo{}, false
	}
	return ObjectInfo{Bucket: bucket, Key: key, ETag: c.ETag, LastModified: time.Unix(0, c.Completed).UTC(), VersionID: c.VersionID}, true
}

// AbortUpload drops an upload; its parts are purged. Aborting an upload
// that is gone (aborted, completed) answers ErrNoSuchUpload.
func (e *Engine) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	if _, err := e.upload(bucket, key, uploadID); err != nil {
		return err
	}
	_, err := e.append(ctx, plog.UploadAborted{Upload: uploadID})
	return err
}

// ListParts returns the parts after marker, at most max (0: 1000).
func (e *Engine) ListParts(ctx context.Context, bucket, key, uploadID string, marker, max int) (ListPartsResult, error) {
	u, err := e.upload(bucket, key, uploadID)
	if err != nil {
		return ListPartsResult{}, err
	}
	if max <= 0 || max > 1000 {
		max = 1000
	}
	res := ListPartsResult{Upload: uploadInfo(u)}
	for _, p := range u.Parts {
		if p.Number <= marker {
			continue
		}
		if len(res.Parts) == max {
			res.Truncated = true
			break
		}
		res.Parts = append(res.Parts, PartInfo{Number: p.Number, Size: p.Size, ETag: p.ETag, LastModified: time.Unix(0, p.Modified).UTC(), Checksums: p.Checksums})
		res.NextPartNumberMarker = p.Number
	}
	return res, nil
}

// ListUploads returns one page of a bucket's in-progress uploads.
func (e *Engine) ListUploads(ctx context.Context, in ListUploadsInput) (ListUploadsResult, error) {
	v := e.view()
	if _, ok := v.Bucket(in.Bucket); !ok {
		return ListUploadsResult{}, fmt.Errorf("bucket %q: %w", in.Bucket, ErrNoSuchBucket)
	}
	max := in.MaxUploads
	if max <= 0 || max > 1000 {
		max = 1000
	}
	page := v.ListUploads(in.Bucket, projections.UploadQuery{Prefix: in.Prefix, Delimiter: in.Delimiter, KeyMarker: in.KeyMarker, UploadIDMarker: in.UploadIDMarker, Max: max})
	res := ListUploadsResult{CommonPrefixes: page.CommonPrefixes, Truncated: page.Truncated, NextKeyMarker: page.NextKeyMarker, NextUploadIDMarker: page.NextUploadIDMarker}
	for _, u := range page.Uploads {
		res.Uploads = append(res.Uploads, uploadInfo(u))
	}
	return res, nil
}

func uploadInfo(u projections.Upload) UploadInfo {
	info := UploadInfo{UploadID: u.ID, Bucket: u.Bucket, Key: u.Key, Initiated: time.Unix(0, u.Created).UTC(), Owner: u.Meta.Owner}
	for alg, typ := range u.Meta.Checksums {
		info.ChecksumAlgorithm, info.ChecksumType = alg, typ
	}
	return info
}

// uploadChecksum returns the checksum an upload's object gets: the one it
// was created with, else the full-object DefaultChecksum.
// PartChecksum returns the checksum algorithm the upload was created with
// (DefaultChecksum when it named none): a part sent without a checksum
// gets one of that algorithm computed, so that the completed object keeps
// its checksum, as on S3. ErrNoSuchUpload when the upload is gone.
func (e *Engine) PartChecksum(bucket, key, uploadID string) (string, error) {
	u, err := e.upload(bucket, key, uploadID)
	if err != nil {
		return "", err
	}
	alg, _ := uploadChecksum(u.Meta)
	return alg, nil
}

func uploadChecksum(m plog.ObjectMeta) (alg, typ string) {
	for alg, typ := range m.Checksums {
		return alg, typ
	}
	return DefaultChecksum, ChecksumFullObject
}
