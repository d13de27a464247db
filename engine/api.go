package engine

import (
	"io"
	"time"
)

// BucketInfo describes a client bucket.
type BucketInfo struct {
	Name     string
	Created  time.Time
	Location string
	Owner    string // access key id of the owner; "" the root key
}

// ObjectInfo describes a committed object (or a part, for UploadPart).
type ObjectInfo struct {
	Bucket       string
	Key          string
	Size         int64
	ETag         string // without quotes; "<hex>-N" for multipart
	LastModified time.Time
	ContentType  string
	Headers      map[string]string // Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires (canonical header names)
	UserMeta     map[string]string // x-amz-meta-* without the prefix, lower-case names
	Checksums    map[string]string // "CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME" → base64 ("<base64>-N" for a COMPOSITE one)
	PartsCount   int               // 0 for a single PUT
	PartSizes    []int64           // multipart: the size of each part, in order
	PartSums     []map[string]string
	// VersionID is the version's id; "" in a bucket that was never versioned.
	VersionID string
	// DeleteMarker: this is a delete marker (no data), or the error answered
	// is about one (the latest version of the key, or the version named).
	DeleteMarker bool
	IsLatest     bool // in version listings
	// LockMode ("" none), LockUntil and LegalHold are the version's object lock.
	LockMode  string
	LockUntil time.Time
	LegalHold bool
	// SourceVersionID is, for a copy, the id of the source version copied;
	// "" when the source bucket was never versioned.
	SourceVersionID string
	// Tags are the version's object tags (nil: none).
	Tags map[string]string
	// Owner is the access key of the writer that owns the version; "" the
	// bucket's owner (see PutInput.Owner).
	Owner string
}

// Conditions are the If-* preconditions of a request. Zero values are absent.
type Conditions struct {
	IfMatch           string // ETag or "*"
	IfNoneMatch       string // ETag or "*"
	IfModifiedSince   time.Time
	IfUnmodifiedSince time.Time
}

// PutInput is a single-part PUT (or one UploadPart).
type PutInput struct {
	Bucket      string
	Key         string
	Size        int64     // exact body length; the body must yield exactly this many bytes
	Body        io.Reader // read once, streamed
	ContentType string
	Headers     map[string]string
	UserMeta    map[string]string
	ContentMD5  []byte // optional: expected MD5 of the body (ErrBadDigest on mismatch)
	// BeforeCommit, when set, is called after the whole body was read and
	// before the commit event is appended. It returns the checksums to store
	// (e.g. x-amz-checksum-* computed while the body streamed), or an error
	// that aborts the PUT (nothing is committed).
	BeforeCommit func() (map[string]string, error)
	// Cond is checked atomically with the commit (If-Match / If-None-Match: *).
	Cond Conditions
	// Lock is the object lock the new version gets; without a retention,
	// it gets the bucket's default retention (see lockMeta).
	Lock ObjectLock
	// Tags are the new object's tags (x-amz-tagging), validated by the
	// caller; ignored by UploadPart.
	Tags map[string]string
	// Owner is the access key that owns the new version when it is not
	// the bucket's owner (a writer under ObjectWriter ownership); "" the
	// bucket's owner.
	Owner string
}

// Range is a byte range request; exactly one form is used.
// Start >= 0, End >= Start: bytes Start..End inclusive (End is clipped to size).
// Start >= 0, End < 0: from Start to the end.
// Start < 0: the last -Start bytes (suffix).
type Range struct {
	Start, End int64
}

// GetOptions select what GetObject returns.
type GetOptions struct {
	Range      *Range
	PartNumber int // 1-based; 0 means whole object
	Cond       Conditions
	VersionID  string // "" means the latest version
}

// ObjectReader streams an object's bytes. Info describes the whole object;
// Offset/Length what this reader yields.
type ObjectReader struct {
	io.ReadCloser
	Info   ObjectInfo
	Offset int64
	Length int64
}

// CopyInput copies SrcBucket/SrcKey to Bucket/Key.
type CopyInput struct {
	SrcBucket, SrcKey string
	SrcVersionID      string // "" means the source's latest version
	Bucket, Key       string
	SrcCond           Conditions // x-amz-copy-source-if-*
	ReplaceMeta       bool       // MetadataDirective REPLACE
	ContentType       string
	Headers           map[string]string
	UserMeta          map[string]string
	Cond              Conditions // conditions on the destination
	Lock              ObjectLock // as PutInput.Lock: the source's lock is not copied
	ReplaceTags       bool       // TaggingDirective REPLACE: Tags instead of the source's
	Tags              map[string]string
	Owner             string // as PutInput.Owner: the source's owner is not copied
}

// ListInput is a ListObjects(V2) query. After is exclusive (start-after, marker or a continuation).
type ListInput struct {
	Bucket    string
	Prefix    string
	Delimiter string
	After     string
	MaxKeys   int // 0 means 1000; capped at 1000
}

// ListResult is one page. NextAfter is the value to pass as After for the next page when Truncated.
type ListResult struct {
	Objects        []ObjectInfo
	CommonPrefixes []string
	Truncated      bool
	NextAfter      string
}

// UploadInfo describes an in-progress multipart upload.
type UploadInfo struct {
	UploadID  string
	Bucket    string
	Key       string
	Initiated time.Time
	// ChecksumAlgorithm and ChecksumType are what CreateUpload was asked
	// for ("" when nothing: the object then gets the full-object
	// DefaultChecksum when every part has it).
	ChecksumAlgorithm string
	ChecksumType      string
	// Owner is the access key that will own the object when it is not the
	// bucket's owner (see PutInput.Owner).
	Owner string
}

// UploadChecksum is the checksum a multipart upload is created with: an
// algorithm of ChecksumAlgorithms and ChecksumComposite or
// ChecksumFullObject ("" takes DefaultChecksumType).
type UploadChecksum struct {
	Algorithm string
	Type      string
}

// PartInfo describes one uploaded part.
type PartInfo struct {
	Number       int
	Size         int64
	ETag         string
	LastModified time.Time
	Checksums    map[string]string
	// SourceVersionID is, for UploadPartCopy, the id of the source
	// version copied; "" when the source bucket was never versioned.
	SourceVersionID string
}

// CompletePart is one entry of CompleteMultipartUpload.
type CompletePart struct {
	Number int
	ETag   string // with or without quotes
}

// ListUploadsInput is a ListMultipartUploads query.
type ListUploadsInput struct {
	Bucket         string
	Prefix         string
	Delimiter      string
	KeyMarker      string
	UploadIDMarker string
	MaxUploads     int
}

// ListUploadsResult is one page of uploads.
type ListUploadsResult struct {
	Uploads            []UploadInfo
	CommonPrefixes     []string
	Truncated          bool
	NextKeyMarker      string
	NextUploadIDMarker string
}

// ListPartsResult is one page of parts.
type ListPartsResult struct {
	Upload               UploadInfo
	Parts                []PartInfo
	Truncated            bool
	NextPartNumberMarker int
}

// AccessKey is a client credential as the S3 layer needs it to verify signatures.
type AccessKey struct {
	AccessKey string
	Secret    string   // unsealed, in memory only
	Buckets   []string // the buckets the key may use whoever owns them; empty: none listed
	ReadOnly  bool
	Root      bool
	// BypassGovernance lets the key send x-amz-bypass-governance-retention
	// (the root key always may).
	BypassGovernance bool
}

// WriteTo streams the object to w without an intermediate buffer where the
// reader allows it (io.Copy uses it).
func (r *ObjectReader) WriteTo(w io.Writer) (int64, error) {
	if wt, ok := r.ReadCloser.(io.WriterTo); ok {
		return wt.WriteTo(w)
	}
	return io.Copy(w, r.ReadCloser)
}
