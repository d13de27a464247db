package s3

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// fakeEngine is an in-memory Engine for handler tests.
type fakeEngine struct {
	mu      sync.Mutex
	now     time.Time
	buckets map[string]*fakeBucket
	uploads map[string]*fakeUpload
	keys    map[string]engine.AccessKey
	seq     int
}

type fakeBucket struct {
	info    engine.BucketInfo
	objects map[string]*fakeObject
	access  engine.BucketAccess
	acls    map[string][]plog.Grant // object ACLs by key
	configs map[string][]byte       // configuration documents by name
}

type fakeObject struct {
	info engine.ObjectInfo
	data []byte
}

type fakeUpload struct {
	info     engine.UploadInfo
	meta     engine.ObjectInfo
	parts    map[int]*fakeObject
	checksum []engine.UploadChecksum
}

func newFakeEngine() *fakeEngine {
	return &fakeEngine{
		now:     time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		buckets: map[string]*fakeBucket{},
		uploads: map[string]*fakeUpload{},
		keys:    map[string]engine.AccessKey{},
	}
}

// snapshot is a comparable dump of the state, to prove nothing changed.
func (f *fakeEngine) snapshot() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var b strings.Builder
	names := make([]string, 0, len(f.buckets))
	for n := range f.buckets {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "bucket %s %+v %v %q\n", n, f.buckets[n].access, f.buckets[n].acls, f.buckets[n].configs)
		keys := make([]string, 0)
		for k := range f.buckets[n].objects {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			o := f.buckets[n].objects[k]
			fmt.Fprintf(&b, "  %q %s %v %v %v\n", k, o.info.ETag, o.info.UserMeta, o.info.Checksums, o.info.Tags)
		}
	}
	for id, u := range f.uploads {
		fmt.Fprintf(&b, "upload %s %s %d\n", id, u.info.Key, len(u.parts))
	}
	return b.String()
}

// requireUnchanged fails t if the state differs from a snapshot taken before.
func (f *fakeEngine) requireUnchanged(t *testing.T, before string) {
	t.Helper()
	if after := f.snapshot(); after != before {
		t.Fatalf("state changed:\n%s\nwas\n%s", after, before)
	}
}

func (f *fakeEngine) CreateBucket(ctx context.Context, name, location string) error {
	return f.CreateBucketFor(ctx, engine.CreateBucketInput{Name: name, Location: location})
}

func (f *fakeEngine) CreateBucketFor(ctx context.Context, in engine.CreateBucketInput) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[in.Name]; ok {
		return engine.ErrBucketExists
	}
	f.buckets[in.Name] = &fakeBucket{info: engine.BucketInfo{Name: in.Name, Created: f.now, Location: in.Location, Owner: in.Owner},
		objects: map[string]*fakeObject{}, acls: map[string][]plog.Grant{},
		access: engine.BucketAccess{Owner: in.Owner, Ownership: in.Ownership, Grants: in.Grants}}
	return nil
}

func (f *fakeEngine) RootAccessKey() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range f.keys {
		if k.Root {
			return k.AccessKey
		}
	}
	return ""
}

func (f *fakeEngine) BucketAccess(bucket string) (engine.BucketAccess, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return engine.BucketAccess{}, engine.ErrNoSuchBucket
	}
	return b.access, nil
}

// setAccess changes a bucket's access configuration.
func (f *fakeEngine) setAccess(bucket string, change func(a *engine.BucketAccess)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return engine.ErrNoSuchBucket
	}
	change(&b.access)
	return nil
}

func (f *fakeEngine) SetBucketACL(ctx context.Context, bucket string, grants []plog.Grant) error {
	return f.setAccess(bucket, func(a *engine.BucketAccess) { a.Grants = grants })
}

func (f *fakeEngine) SetBucketAccessPolicy(ctx context.Context, bucket, policy string) error {
	if policy != "" {
		if _, err := access.ParsePolicy([]byte(policy), bucket); err != nil {
			return err
		}
	}
	return f.setAccess(bucket, func(a *engine.BucketAccess) { a.Policy = policy })
}

func (f *fakeEngine) SetPublicAccessBlock(ctx context.Context, bucket string, pab *plog.PublicAccessBlock) error {
	return f.setAccess(bucket, func(a *engine.BucketAccess) { a.Block = pab })
}

func (f *fakeEngine) SetOwnershipControls(ctx context.Context, bucket, ownership string) error {
	return f.setAccess(bucket, func(a *engine.BucketAccess) { a.Ownership = ownership })
}

func (f *fakeEngine) BucketConfig(bucket, name string) ([]byte, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return nil, false, engine.ErrNoSuchBucket
	}
	doc, ok := b.configs[name]
	return doc, ok, nil
}

func (f *fakeEngine) SetBucketConfig(ctx context.Context, bucket, name string, doc []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return engine.ErrNoSuchBucket
	}
	if len(doc) == 0 {
		delete(b.configs, name)
		return nil
	}
	if b.configs == nil {
		b.configs = map[string][]byte{}
	}
	b.configs[name] = doc
	return nil
}

func (f *fakeEngine) ObjectACL(bucket, key string) ([]plog.Grant, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return nil, false, engine.ErrNoSuchBucket
	}
	if _, ok := b.objects[key]; !ok {
		return nil, false, engine.ErrNoSuchKey
	}
	g, ok := b.acls[key]
	return g, ok, nil
}

func (f *fakeEngine) SetObjectACL(ctx context.Context, bucket, key string, grants []plog.Grant) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return engine.ErrNoSuchBucket
	}
	if _, ok := b.objects[key]; !ok {
		return engine.ErrNoSuchKey
	}
	b.acls[key] = grants
	return nil
}

func (f *fakeEngine) DeleteBucket(ctx context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		return engine.ErrNoSuchBucket
	}
	if len(b.objects) > 0 {
		return engine.ErrBucketNotEmpty
	}
	delete(f.buckets, name)
	return nil
}

func (f *fakeEngine) HeadBucket(ctx context.Context, name string) (engine.BucketInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[name]
	if !ok {
		return engine.BucketInfo{}, engine.ErrNoSuchBucket
	}
	return b.info, nil
}

func (f *fakeEngine) ListBuckets(ctx context.Context) ([]engine.BucketInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []engine.BucketInfo
	for _, b := range f.buckets {
		out = append(out, b.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// readBody reads exactly in.Size bytes, like the engine, and runs the checks.
func (f *fakeEngine) readBody(in engine.PutInput) ([]byte, map[string]string, error) {
	data := make([]byte, in.Size)
	if _, err := io.ReadFull(in.Body, data); err != nil {
		return nil, nil, fmt.Errorf("read body: %w", engine.ErrIncompleteBody)
	}
	sum := md5.Sum(data)
	if in.ContentMD5 != nil && !bytes.Equal(sum[:], in.ContentMD5) {
		return nil, nil, engine.ErrBadDigest
	}
	var sums map[string]string
	if in.BeforeCommit != nil {
		var err error
		if sums, err = in.BeforeCommit(); err != nil {
			return nil, nil, fmt.Errorf("before commit: %w", err)
		}
	}
	return data, sums, nil
}

func checkCond(c engine.Conditions, o *fakeObject, write bool) error {
	exists := o != nil
	if c.IfMatch != "" {
		if !exists || (c.IfMatch != "*" && strings.Trim(c.IfMatch, `"`) != o.info.ETag) {
			return engine.ErrPreconditionFailed
		}
	} else if !c.IfUnmodifiedSince.IsZero() && exists && o.info.LastModified.After(c.IfUnmodifiedSince) {
		return engine.ErrPreconditionFailed
	}
	if c.IfNoneMatch != "" && exists {
		if c.IfNoneMatch == "*" || strings.Trim(c.IfNoneMatch, `"`) == o.info.ETag {
			if write || c.IfNoneMatch == "*" {
				return engine.ErrPreconditionFailed
			}
			return engine.ErrNotModified
		}
	} else if c.IfNoneMatch == "" && !c.IfModifiedSince.IsZero() && exists && !o.info.LastModified.After(c.IfModifiedSince) {
		return engine.ErrNotModified
	}
	return nil
}

func (f *fakeEngine) PutObject(ctx context.Context, in engine.PutInput) (engine.ObjectInfo, error) {
	if err := validateKey(in.Key); err != nil {
		return engine.ObjectInfo{}, engine.ErrInvalidKey
	}
	data, sums, err := f.readBody(in)
	if err != nil {
		return engine.ObjectInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[in.Bucket]
	if !ok {
		return engine.ObjectInfo{}, engine.ErrNoSuchBucket
	}
	if err := checkCond(in.Cond, b.objects[in.Key], true); err != nil {
		return engine.ObjectInfo{}, err
	}
	sum := md5.Sum(data)
	f.now = f.now.Add(time.Second)
	o := &fakeObject{data: data, info: engine.ObjectInfo{
		Bucket: in.Bucket, Key: in.Key, Size: in.Size, ETag: hex.EncodeToString(sum[:]), LastModified: f.now,
		ContentType: in.ContentType, Headers: maps.Clone(in.Headers), UserMeta: maps.Clone(in.UserMeta), Checksums: sums,
		Tags: maps.Clone(in.Tags), Owner: in.Owner,
	}}
	b.objects[in.Key] = o
	delete(b.acls, in.Key)
	return o.info, nil
}

func (f *fakeEngine) lookup(bucket, key string) (*fakeObject, error) {
	b, ok := f.buckets[bucket]
	if !ok {
		return nil, engine.ErrNoSuchBucket
	}
	o, ok := b.objects[key]
	if !ok {
		return nil, engine.ErrNoSuchKey
	}
	return o, nil
}

func (f *fakeEngine) GetObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (*engine.ObjectReader, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.lookup(bucket, key)
	if err != nil {
		return nil, err
	}
	if err := checkCond(opts.Cond, o, false); err != nil {
		return nil, err
	}
	off, n := int64(0), o.info.Size
	if r := opts.Range; r != nil {
		switch {
		case r.Start < 0:
			n = min(-r.Start, o.info.Size)
			off = o.info.Size - n
		default:
			if r.Start >= o.info.Size {
				return nil, engine.ErrInvalidRange
			}
			off = r.Start
			end := o.info.Size - 1
			if r.End >= 0 && r.End < end {
				end = r.End
			}
			n = end - off + 1
		}
	}
	if opts.PartNumber > 1 {
		return nil, engine.ErrInvalidPartNumber
	}
	return &engine.ObjectReader{ReadCloser: io.NopCloser(bytes.NewReader(o.data[off : off+n])), Info: o.info, Offset: off, Length: n}, nil
}

func (f *fakeEngine) HeadObject(ctx context.Context, bucket, key string, opts engine.GetOptions) (engine.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.lookup(bucket, key)
	if err != nil {
		return engine.ObjectInfo{}, err
	}
	if err := checkCond(opts.Cond, o, false); err != nil {
		return engine.ObjectInfo{}, err
	}
	return o.info, nil
}

func (f *fakeEngine) DeleteObject(ctx context.Context, bucket, key string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[bucket]
	if !ok {
		return engine.ErrNoSuchBucket
	}
	delete(b.objects, key)
	delete(b.acls, key)
	return nil
}

func (f *fakeEngine) CopyObject(ctx context.Context, in engine.CopyInput) (engine.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src, err := f.lookup(in.SrcBucket, in.SrcKey)
	if err != nil {
		return engine.ObjectInfo{}, err
	}
	if err := checkCond(in.SrcCond, src, false); err != nil {
		return engine.ObjectInfo{}, err
	}
	b, ok := f.buckets[in.Bucket]
	if !ok {
		return engine.ObjectInfo{}, engine.ErrNoSuchBucket
	}
	info := src.info
	info.Bucket, info.Key, info.Owner = in.Bucket, in.Key, in.Owner
	if in.ReplaceMeta {
		info.ContentType, info.Headers, info.UserMeta = in.ContentType, in.Headers, in.UserMeta
	}
	if in.ReplaceTags {
		info.Tags = maps.Clone(in.Tags)
	}
	f.now = f.now.Add(time.Second)
	info.LastModified = f.now
	b.objects[in.Key] = &fakeObject{info: info, data: src.data}
	delete(b.acls, in.Key)
	return info, nil
}

func (f *fakeEngine) ListObjects(ctx context.Context, in engine.ListInput) (engine.ListResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.buckets[in.Bucket]
	if !ok {
		return engine.ListResult{}, engine.ErrNoSuchBucket
	}
	max := in.MaxKeys
	if max <= 0 || max > 1000 {
		max = 1000
	}
	keys := make([]string, 0, len(b.objects))
	for k := range b.objects {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var res engine.ListResult
	last := ""
	for _, k := range keys {
		if !strings.HasPrefix(k, in.Prefix) || k <= in.After {
			continue
		}
		if in.After != "" && strings.HasSuffix(in.After, in.Delimiter) && in.Delimiter != "" && strings.HasPrefix(k, in.After) {
			continue
		}
		item := k
		isPrefix := false
		if in.Delimiter != "" {
			if i := strings.Index(k[len(in.Prefix):], in.Delimiter); i >= 0 {
				item = k[:len(in.Prefix)+i+len(in.Delimiter)]
				isPrefix = true
			}
		}
		if isPrefix && item == last {
			continue
		}
		if len(res.Objects)+len(res.CommonPrefixes) == max {
			res.Truncated = true
			res.NextAfter = last
			break
		}
		last = item
		if isPrefix {
			res.CommonPrefixes = append(res.CommonPrefixes, item)
		} else {
			res.Objects = append(res.Objects, b.objects[k].info)
		}
	}
	return res, nil
}

func (f *fakeEngine) CreateUpload(ctx context.Context, bucket, key, contentType string, headers, userMeta map[string]string, checksum ...engine.UploadChecksum) (engine.UploadInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[bucket]; !ok {
		return engine.UploadInfo{}, engine.ErrNoSuchBucket
	}
	f.seq++
	u := &fakeUpload{
		info:     engine.UploadInfo{UploadID: fmt.Sprintf("upload-%d", f.seq), Bucket: bucket, Key: key, Initiated: f.now},
		meta:     engine.ObjectInfo{ContentType: contentType, Headers: headers, UserMeta: userMeta},
		parts:    map[int]*fakeObject{},
		checksum: checksum,
	}
	f.uploads[u.info.UploadID] = u
	return u.info, nil
}

func (f *fakeEngine) PartChecksum(bucket, key, uploadID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return "", engine.ErrNoSuchUpload
	}
	if len(u.checksum) > 0 {
		return u.checksum[0].Algorithm, nil
	}
	return engine.DefaultChecksum, nil
}

func (f *fakeEngine) UploadPart(ctx context.Context, uploadID string, number int, in engine.PutInput) (engine.PartInfo, error) {
	data, sums, err := f.readBody(in)
	if err != nil {
		return engine.PartInfo{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != in.Bucket || u.info.Key != in.Key {
		return engine.PartInfo{}, engine.ErrNoSuchUpload
	}
	sum := md5.Sum(data)
	p := &fakeObject{data: data, info: engine.ObjectInfo{Size: in.Size, ETag: hex.EncodeToString(sum[:]), LastModified: f.now, Checksums: sums}}
	u.parts[number] = p
	return engine.PartInfo{Number: number, Size: in.Size, ETag: p.info.ETag, LastModified: f.now, Checksums: sums}, nil
}

func (f *fakeEngine) UploadPartCopy(ctx context.Context, uploadID string, number int, bucket, key, srcBucket, srcKey, srcVersionID string, srcCond engine.Conditions, rng *engine.Range) (engine.PartInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	src, err := f.lookup(srcBucket, srcKey)
	if err != nil {
		return engine.PartInfo{}, err
	}
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return engine.PartInfo{}, engine.ErrNoSuchUpload
	}
	data := src.data
	if rng != nil {
		if rng.End >= int64(len(data)) {
			return engine.PartInfo{}, engine.ErrInvalidRange
		}
		data = data[rng.Start : rng.End+1]
	}
	sum := md5.Sum(data)
	p := &fakeObject{data: data, info: engine.ObjectInfo{Size: int64(len(data)), ETag: hex.EncodeToString(sum[:]), LastModified: f.now}}
	u.parts[number] = p
	return engine.PartInfo{Number: number, Size: p.info.Size, ETag: p.info.ETag, LastModified: f.now}, nil
}

func (f *fakeEngine) CompleteUpload(ctx context.Context, bucket, key, uploadID string, parts []engine.CompletePart, cond engine.Conditions) (engine.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return engine.ObjectInfo{}, engine.ErrNoSuchUpload
	}
	if _, exists := f.buckets[bucket].objects[key]; exists && cond.IfNoneMatch == "*" {
		return engine.ObjectInfo{}, engine.ErrPreconditionFailed
	}
	var data, md5s []byte
	for i, p := range parts {
		if i > 0 && p.Number <= parts[i-1].Number {
			return engine.ObjectInfo{}, engine.ErrInvalidPartOrder
		}
		part, ok := u.parts[p.Number]
		if !ok || strings.Trim(p.ETag, `"`) != part.info.ETag {
			return engine.ObjectInfo{}, engine.ErrInvalidPart
		}
		data = append(data, part.data...)
		raw, _ := hex.DecodeString(part.info.ETag)
		md5s = append(md5s, raw...)
	}
	sum := md5.Sum(md5s)
	f.now = f.now.Add(time.Second)
	info := u.meta
	info.Bucket, info.Key, info.Size, info.LastModified = bucket, key, int64(len(data)), f.now
	info.ETag = fmt.Sprintf("%s-%d", hex.EncodeToString(sum[:]), len(parts))
	info.PartsCount = len(parts)
	f.buckets[bucket].objects[key] = &fakeObject{info: info, data: data}
	delete(f.uploads, uploadID)
	return info, nil
}

func (f *fakeEngine) AbortUpload(ctx context.Context, bucket, key, uploadID string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return engine.ErrNoSuchUpload
	}
	delete(f.uploads, uploadID)
	return nil
}

func (f *fakeEngine) ListParts(ctx context.Context, bucket, key, uploadID string, marker, max int) (engine.ListPartsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u, ok := f.uploads[uploadID]
	if !ok || u.info.Bucket != bucket || u.info.Key != key {
		return engine.ListPartsResult{}, engine.ErrNoSuchUpload
	}
	nums := []int{}
	for n := range u.parts {
		if n > marker {
			nums = append(nums, n)
		}
	}
	sort.Ints(nums)
	res := engine.ListPartsResult{Upload: u.info}
	for _, n := range nums {
		if len(res.Parts) == max {
			res.Truncated = true
			break
		}
		p := u.parts[n]
		res.Parts = append(res.Parts, engine.PartInfo{Number: n, Size: p.info.Size, ETag: p.info.ETag, LastModified: p.info.LastModified})
		res.NextPartNumberMarker = n
	}
	return res, nil
}

func (f *fakeEngine) ListUploads(ctx context.Context, in engine.ListUploadsInput) (engine.ListUploadsResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.buckets[in.Bucket]; !ok {
		return engine.ListUploadsResult{}, engine.ErrNoSuchBucket
	}
	var res engine.ListUploadsResult
	for _, u := range f.uploads {
		if u.info.Bucket == in.Bucket && strings.HasPrefix(u.info.Key, in.Prefix) {
			res.Uploads = append(res.Uploads, u.info)
		}
	}
	sort.Slice(res.Uploads, func(i, j int) bool { return res.Uploads[i].Key < res.Uploads[j].Key })
	return res, nil
}

func (f *fakeEngine) LookupAccessKey(accessKey string) (engine.AccessKey, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	k, ok := f.keys[accessKey]
	if !ok {
		return engine.AccessKey{}, engine.ErrNoSuchAccessKey
	}
	return k, nil
}

var _ Engine = (*fakeEngine)(nil)
