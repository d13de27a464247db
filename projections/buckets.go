package projections

import (
	"fmt"
	"maps"
	"slices"

	"github.com/prismd/prismd/log"
)

// Bucket is a client bucket.
type Bucket struct {
	Name     string
	Created  int64 // unix nanoseconds
	Location string
	Policy   *log.Policy // nil: the global default policy
	Ready    []string    // regions holding the backend bucket, sorted
	// Versioning is "" (never set), log.VersioningEnabled or log.VersioningSuspended.
	Versioning string
	Access     Access
}

// ReadyOn reports whether region holds the bucket's backend bucket (or prefix).
func (b Bucket) ReadyOn(region string) bool {
	_, ok := slices.BinarySearch(b.Ready, region)
	return ok
}

type bucketRec struct {
	name       string
	created    int64
	location   string
	policy     *log.Policy
	ready      []string // sorted
	versioning string
	access     *Access           // nil: owned by the root key, nothing set
	configs    map[string][]byte // configuration documents by name (log.BucketConfigSet); never changed in place
}

func (r *bucketRec) export() Bucket {
	b := Bucket{Name: r.name, Created: r.created, Location: r.location, Ready: slices.Clone(r.ready), Versioning: r.versioning}
	if r.access != nil {
		b.Access = *r.access.clone()
	}
	if r.policy != nil {
		p := *r.policy
		b.Policy = &p
	}
	return b
}

func (s *State) bucketCreated(e log.BucketCreated) error {
	if _, ok := s.t.buckets.Get(e.Bucket); ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrBucketExists)
	}
	r := &bucketRec{name: e.Bucket, created: e.Created, location: e.Location}
	if e.Owner != "" || e.Ownership != "" || len(e.Grants) > 0 {
		r.access = &Access{Owner: e.Owner, Ownership: e.Ownership, Grants: slices.Clone(e.Grants)}
	}
	if e.Policy != nil {
		p := *e.Policy
		r.policy = &p
	}
	if e.ObjectLock {
		r.versioning = log.VersioningEnabled
		r.configs = map[string][]byte{log.ConfigObjectLock: slices.Clone(log.ObjectLockEnabledDoc)}
	}
	s.t.buckets.Set(e.Bucket, r)
	return nil
}

// bucketConfigSet applies BucketConfigSet: the bucket's document Name is
// set, or removed when Doc is empty.
func (s *State) bucketConfigSet(e log.BucketConfigSet) error {
	old, ok := s.t.buckets.Get(e.Bucket)
	if !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	if e.Name == "" {
		return fmt.Errorf("bucket %q: config without a name: %w", e.Bucket, ErrBadConfig)
	}
	if err := checkLockConfig(old, e); err != nil {
		return err
	}
	r := *old
	r.configs = maps.Clone(old.configs)
	if len(e.Doc) == 0 {
		delete(r.configs, e.Name)
	} else {
		if r.configs == nil {
			r.configs = map[string][]byte{}
		}
		r.configs[e.Name] = slices.Clone(e.Doc)
	}
	if len(r.configs) == 0 {
		r.configs = nil
	}
	s.t.buckets.Set(e.Bucket, &r)
	return nil
}

// BucketConfig returns the bucket's configuration document name (see
// log.BucketConfigSet), and false when the bucket does not exist or has
// none. The caller must not change the bytes.
func (v *View) BucketConfig(bucket, name string) ([]byte, bool) {
	b, ok := v.t.buckets.Get(bucket)
	if !ok {
		return nil, false
	}
	doc, ok := b.configs[name]
	return doc, ok
}

func (s *State) bucketPolicySet(e log.BucketPolicySet) error {
	old, ok := s.t.buckets.Get(e.Bucket)
	if !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	r := *old
	p := e.Policy
	r.policy = &p
	s.t.buckets.Set(e.Bucket, &r)
	return nil
}

func (s *State) backendBucketReady(e log.BackendBucketReady) {
	old, ok := s.t.buckets.Get(e.Bucket)
	if !ok {
		return
	}
	i, found := slices.BinarySearch(old.ready, e.Region)
	if found {
		return
	}
	r := *old
	r.ready = slices.Insert(slices.Clip(slices.Clone(old.ready)), i, e.Region)
	s.t.buckets.Set(e.Bucket, &r)
}

// backendBucketLost applies BackendBucketLost: the region no longer holds
// the bucket's backend bucket, so every shard of the bucket's blobs stored
// there is missing (and must be written again once the backend bucket is
// created again), and what was queued for purge there is gone already.
func (s *State) backendBucketLost(e log.BackendBucketLost) {
	old, ok := s.t.buckets.Get(e.Bucket)
	if ok {
		if i, found := slices.BinarySearch(old.ready, e.Region); found {
			r := *old
			r.ready = slices.Delete(slices.Clone(old.ready), i, i+1)
			s.t.buckets.Set(e.Bucket, &r)
		}
	}
	s.loseRegion(e.Region, func(r *blobRec) bool { return r.bucket == e.Bucket })
}

// bucketDeleted removes an empty bucket and aborts its uploads. It refuses
// a bucket that does not exist or still holds objects.
func (s *State) bucketDeleted(e log.BucketDeleted) error {
	if _, ok := s.t.buckets.Get(e.Bucket); !ok {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrNoSuchBucket)
	}
	if !s.t.bucketIsEmpty(e.Bucket) {
		return fmt.Errorf("bucket %q: %w", e.Bucket, ErrBucketNotEmpty)
	}
	s.t.buckets.Delete(e.Bucket)
	var uploads []string
	s.t.byKey.Ascend(&uploadRec{bucket: e.Bucket}, func(u *uploadRec) bool {
		if u.bucket != e.Bucket {
			return false
		}
		uploads = append(uploads, u.id)
		return true
	})
	for _, id := range uploads {
		s.dropUpload(id)
	}
	return nil
}

// Bucket returns the named bucket.
func (v *View) Bucket(name string) (Bucket, bool) {
	r, ok := v.t.buckets.Get(name)
	if !ok {
		return Bucket{}, false
	}
	return r.export(), true
}

// Buckets returns every bucket, sorted by name.
func (v *View) Buckets() []Bucket {
	out := make([]Bucket, 0, v.t.buckets.Len())
	v.t.buckets.Scan(func(_ string, r *bucketRec) bool {
		out = append(out, r.export())
		return true
	})
	return out
}

// BucketIsEmpty reports whether the bucket holds no objects (uploads in
// progress do not count). It costs one seek.
func (v *View) BucketIsEmpty(name string) bool { return v.t.bucketIsEmpty(name) }

func (t *tables) bucketIsEmpty(name string) bool {
	base := name + "\x00"
	if t.hasVersions(name) {
		return false
	}
	empty := true
	t.objects.Ascend(base, func(k string, _ *objRec) bool {
		empty = len(k) < len(base) || k[:len(base)] != base
		return false
	})
	return empty
}
