package projections

import (
	"crypto/sha256"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prismd/prismd/log"
)

// Upload is a multipart upload in progress.
type Upload struct {
	ID      string
	Bucket  string
	Key     string
	Created int64          // unix nanoseconds
	Meta    log.ObjectMeta // to apply at completion
	Grants  []log.Grant    // the ACL the completed object gets
	Parts   []Part         // sorted by number
}

// Part is one committed part of an upload.
type Part struct {
	Number    int
	Blob      log.BlobID
	Size      int64
	ETag      string
	Modified  int64
	Checksums map[string]string
}

type uploadRec struct {
	id      string
	bucket  string
	key     string
	created int64
	meta    log.ObjectMeta
	grants  []log.Grant // the ACL the completed object gets (nil: none)
}

func lessUpload(a, b *uploadRec) bool {
	if a.bucket != b.bucket {
		return a.bucket < b.bucket
	}
	if a.key != b.key {
		return a.key < b.key
	}
	if a.created != b.created {
		return a.created < b.created
	}
	return a.id < b.id
}

type partRec struct {
	upload string
	number int
	blob   log.BlobID
	size   int64
	etag   string
	mtime  int64
	sums   map[string]string
}

func lessPart(a, b *partRec) bool {
	if a.upload != b.upload {
		return a.upload < b.upload
	}
	return a.number < b.number
}

func cloneMeta(m log.ObjectMeta) log.ObjectMeta {
	m.Headers = maps.Clone(m.Headers)
	m.UserMeta = maps.Clone(m.UserMeta)
	m.Checksums = maps.Clone(m.Checksums)
	m.PartSizes = slices.Clone(m.PartSizes)
	if m.PartSums != nil {
		ps := make([]map[string]string, len(m.PartSums))
		for i, p := range m.PartSums {
			ps[i] = maps.Clone(p)
		}
		m.PartSums = ps
	}
	return m
}

func (s *State) uploadCreated(e log.UploadCreated) error {
	if _, ok := s.t.buckets.Get(e.Bucket); !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	if _, ok := s.t.uploads.Get(e.Upload); ok {
		return nil
	}
	if err := s.t.checkLockMeta(e.Bucket, e.Meta); err != nil {
		return err
	}
	u := &uploadRec{id: e.Upload, bucket: e.Bucket, key: e.Key, created: e.Created, meta: cloneMeta(e.Meta), grants: slices.Clone(e.Grants)}
	s.t.uploads.Set(u.id, u)
	s.t.byKey.Set(u)
	return nil
}

// partCommitted stores a part; a part committed again replaces the earlier
// blob, which loses the upload's reference. A part of an upload that is gone
// (aborted, completed, its bucket deleted) is refused: its blob stays open
// until the engine queues it for purge.
func (s *State) partCommitted(e log.PartCommitted) error {
	u, ok := s.t.uploads.Get(e.Upload)
	if !ok {
		return fmt.Errorf("part %d of upload %q: %w", e.Number, e.Upload, ErrNoSuchUpload)
	}
	if err := s.t.checkBlobs([]log.Extent{{Blob: e.Blob}}); err != nil {
		return fmt.Errorf("part %d of upload %q: %w", e.Number, e.Upload, err)
	}
	p := &partRec{upload: u.id, number: e.Number, blob: e.Blob, size: e.Size, etag: e.ETag, mtime: e.Modified, sums: maps.Clone(e.Checksums)}
	s.incref(e.Blob)
	if old, replaced := s.t.parts.Set(p); replaced {
		s.decref(old.blob)
	}
	return nil
}

func (s *State) uploadParts(id string) []*partRec {
	return uploadPartsIn(&s.t, id)
}

func uploadPartsIn(t *tables, id string) []*partRec {
	var out []*partRec
	t.parts.Ascend(&partRec{upload: id, number: -1 << 62}, func(p *partRec) bool {
		if p.upload != id {
			return false
		}
		out = append(out, p)
		return true
	})
	return out
}

// uploadCompleted makes the object from the listed parts, in order, then
// drops the upload: parts not listed lose their only reference and are
// queued for purge. It is refused when the upload is gone or belongs to
// another key, when a listed part is not (or no longer) the blob the event
// names, or when the precondition fails. Parts of version 1 events carry no
// blob: they are resolved by number, and numbers that name no part are
// skipped (the engine refused such requests before logging them).
func (s *State) uploadCompleted(e log.UploadCompleted, unixNano int64) error {
	u, ok := s.t.uploads.Get(e.Upload)
	if !ok || u.bucket != e.Bucket || u.key != e.Key {
		return fmt.Errorf("complete upload %q of %s/%s: %w", e.Upload, e.Bucket, e.Key, ErrNoSuchUpload)
	}
	if err := s.t.checkWrite(e.Bucket, e.Key, e.Cond); err != nil {
		return err
	}
	if err := s.t.checkLockMeta(e.Bucket, e.Meta); err != nil {
		return err
	}
	parts := s.uploadParts(u.id)
	extents := make([]log.Extent, 0, len(e.Parts))
	for _, cp := range e.Parts {
		i, found := slices.BinarySearchFunc(parts, cp.Number, func(p *partRec, n int) int { return p.number - n })
		switch {
		case cp.Blob == (log.BlobID{}) && found: // version 1
			extents = append(extents, log.Extent{Blob: parts[i].blob, Size: parts[i].size})
		case cp.Blob == (log.BlobID{}):
		case !found || parts[i].blob != cp.Blob || parts[i].size != cp.Size:
			return fmt.Errorf("complete upload %q: part %d: %w", e.Upload, cp.Number, ErrPartMismatch)
		default:
			extents = append(extents, log.Extent{Blob: cp.Blob, Size: cp.Size})
		}
	}
	o := s.newObject(e.Meta, extents)
	s.putObject(e.Bucket, e.Key, o)
	if len(u.grants) > 0 {
		s.t.objACLs.Set(objectKey(e.Bucket, e.Key), objACL{blob: o.identity(), grants: u.grants})
	}
	s.dropUpload(u.id)
	version := ""
	if s.t.versioning(e.Bucket) != "" {
		version = o.versionID()
	}
	s.rememberCompleted(completedUpload{id: e.Upload, bucket: e.Bucket, key: e.Key, etag: e.Meta.ETag,
		parts: PartsDigest(e.Parts), at: unixNano, version: version})
	return nil
}

// uploadAborted drops an upload; an upload that is gone is refused.
func (s *State) uploadAborted(e log.UploadAborted) error {
	if _, ok := s.t.uploads.Get(e.Upload); !ok {
		return fmt.Errorf("abort upload %q: %w", e.Upload, ErrNoSuchUpload)
	}
	s.dropUpload(e.Upload)
	return nil
}

// dropUpload removes an upload and its parts' references.
func (s *State) dropUpload(id string) {
	u, ok := s.t.uploads.Delete(id)
	if !ok {
		return
	}
	s.t.byKey.Delete(u)
	for _, p := range s.uploadParts(id) {
		s.t.parts.Delete(p)
		s.decref(p.blob)
	}
}

// Completed uploads are remembered for completedKeep of log time (and at
// most completedMax of them), so that a CompleteMultipartUpload retried
// after a timeout gets the answer of the one that succeeded.
const (
	completedKeep = int64(time.Hour)
	completedMax  = 100_000
)

type completedUpload struct {
	id, bucket, key string
	etag            string
	parts           [16]byte // PartsDigest of the completed parts
	at              int64    // unix nanoseconds of the completion event
	version         string   // the version id it wrote; "" in a never-versioned bucket
}

type completedAge struct {
	at int64
	id string
}

func lessCompletedAge(a, b completedAge) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.id < b.id
}

func (s *State) rememberCompleted(c completedUpload) {
	if old, ok := s.t.completed.Set(c.id, c); ok {
		s.t.doneByAge.Delete(completedAge{old.at, old.id})
	}
	s.t.doneByAge.Set(completedAge{c.at, c.id})
	for s.t.doneByAge.Len() > 0 {
		oldest, _ := s.t.doneByAge.Min()
		if oldest.at >= c.at-completedKeep && s.t.doneByAge.Len() <= completedMax {
			break
		}
		s.t.doneByAge.Delete(oldest)
		s.t.completed.Delete(oldest.id)
	}
}

// PartsDigest identifies a completion's list of parts by their numbers and
// ETags, so that a retried completion can be recognized.
func PartsDigest(parts []log.CompletedPart) [16]byte {
	h := sha256.New()
	for _, p := range parts {
		h.Write(strconv.AppendInt(nil, int64(p.Number), 10))
		h.Write([]byte{':'})
		h.Write([]byte(strings.Trim(p.ETag, `"`)))
		h.Write([]byte{','})
	}
	var d [16]byte
	copy(d[:], h.Sum(nil))
	return d
}

// CompletedUpload is an upload completed lately.
type CompletedUpload struct {
	ID, Bucket, Key string
	ETag            string
	Parts           [16]byte // PartsDigest of its parts
	Completed       int64    // unix nanoseconds
	VersionID       string   // the version it wrote; "" in a never-versioned bucket
}

// CompletedUpload returns the upload id if it was completed lately.
func (v *View) CompletedUpload(id string) (CompletedUpload, bool) {
	c, ok := v.t.completed.Get(id)
	if !ok {
		return CompletedUpload{}, false
	}
	return CompletedUpload{ID: c.id, Bucket: c.bucket, Key: c.key, ETag: c.etag, Parts: c.parts, Completed: c.at, VersionID: c.version}, true
}

func (t *tables) exportUpload(u *uploadRec, withParts bool) Upload {
	out := Upload{ID: u.id, Bucket: u.bucket, Key: u.key, Created: u.created, Meta: cloneMeta(u.meta), Grants: slices.Clone(u.grants)}
	if withParts {
		for _, p := range uploadPartsIn(t, u.id) {
			out.Parts = append(out.Parts, Part{Number: p.number, Blob: p.blob, Size: p.size, ETag: p.etag, Modified: p.mtime, Checksums: maps.Clone(p.sums)})
		}
	}
	return out
}

// Upload returns the upload id with its parts.
func (v *View) Upload(id string) (Upload, bool) {
	u, ok := v.t.uploads.Get(id)
	if !ok {
		return Upload{}, false
	}
	return v.t.exportUpload(u, true), true
}

// UploadQuery is a ListMultipartUploads query. Max <= 0 means 1000.
type UploadQuery struct {
	Prefix         string
	Delimiter      string
	KeyMarker      string // list uploads after this key…
	UploadIDMarker string // …or, if set, after this upload of KeyMarker
	Max            int
}

// UploadPage is one page of uploads, ordered by (key, created, id) as S3
// does. Uploads in a page carry no Parts.
type UploadPage struct {
	Uploads            []Upload
	CommonPrefixes     []string
	Truncated          bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListUploads lists the bucket's uploads. Without UploadIDMarker the page
// starts after every upload of KeyMarker (after the whole group when
// KeyMarker is a common prefix); with it, after that upload (after uploads of
// KeyMarker with a greater id when it is gone). The cost is proportional to
// the page: groups under a common prefix are skipped by seeking.
func (v *View) ListUploads(bucket string, q UploadQuery) UploadPage {
	limit := q.Max
	if limit <= 0 {
		limit = 1000
	}
	var page UploadPage
	var marker *uploadRec // start strictly after it
	if q.KeyMarker != "" && q.UploadIDMarker != "" {
		if u, ok := v.t.uploads.Get(q.UploadIDMarker); ok && u.bucket == bucket && u.key == q.KeyMarker {
			marker = u
		}
	}
	startKey := q.Prefix
	if q.KeyMarker != "" {
		mk := q.KeyMarker
		if q.UploadIDMarker == "" {
			mk += "\x00" // strictly after every upload of KeyMarker
		}
		if q.Delimiter != "" && strings.HasPrefix(q.KeyMarker, q.Prefix) && strings.HasSuffix(q.KeyMarker, q.Delimiter) &&
			strings.Index(q.KeyMarker[len(q.Prefix):], q.Delimiter) == len(q.KeyMarker)-len(q.Prefix)-len(q.Delimiter) {
			// KeyMarker is a common prefix of an earlier page: skip its group.
			succ, ok := prefixSuccessor(q.KeyMarker)
			if !ok {
				return page
			}
			mk, marker = succ, nil
		}
		startKey = max(startKey, mk)
	}
	start := &uploadRec{bucket: bucket, key: startKey, created: -1 << 63}
	if marker != nil && marker.key >= q.Prefix {
		start = marker
	}
	for {
		var next *uploadRec
		again := false
		v.t.byKey.Ascend(start, func(u *uploadRec) bool {
			if u == marker {
				return true
			}
			if u.bucket != bucket || !strings.HasPrefix(u.key, q.Prefix) {
				return false
			}
			if marker == nil && q.UploadIDMarker != "" && u.key == q.KeyMarker && u.id <= q.UploadIDMarker {
				return true
			}
			if q.Delimiter != "" {
				if i := strings.Index(u.key[len(q.Prefix):], q.Delimiter); i >= 0 {
					cp := u.key[:len(q.Prefix)+i+len(q.Delimiter)]
					if len(page.Uploads)+len(page.CommonPrefixes) == limit {
						page.Truncated = true
						return false
					}
					page.CommonPrefixes = append(page.CommonPrefixes, cp)
					page.NextKeyMarker, page.NextUploadIDMarker = cp, ""
					succ, ok := prefixSuccessor(cp)
					if ok {
						next = &uploadRec{bucket: bucket, key: succ, created: -1 << 63}
						again = true
					}
					return false
				}
			}
			if len(page.Uploads)+len(page.CommonPrefixes) == limit {
				page.Truncated = true
				return false
			}
			page.Uploads = append(page.Uploads, v.t.exportUpload(u, false))
			page.NextKeyMarker, page.NextUploadIDMarker = u.key, u.id
			return true
		})
		if !again {
			return page
		}
		start = next
	}
}
