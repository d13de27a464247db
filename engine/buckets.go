package engine

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	plog "github.com/prismd/prismd/log"
	"github.com/prismd/prismd/projections"
)

// ValidBucketName reports whether name follows the S3 bucket naming rules.
func ValidBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	isAlnum := func(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return false
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	if _, err := netip.ParseAddr(name); err == nil {
		return false
	}
	for _, p := range []string{"xn--", "sthree-", "amzn-s3-demo-"} {
		if strings.HasPrefix(name, p) {
			return false
		}
	}
	for _, s := range []string{"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"} {
		if strings.HasSuffix(name, s) {
			return false
		}
	}
	return true
}

// CreateBucket makes a client bucket. Backend buckets are created on every
// region now where possible, and later on regions that are down.
func (e *Engine) CreateBucket(ctx context.Context, name, location string) error {
	return e.CreateBucketFor(ctx, CreateBucketInput{Name: name, Location: location})
}

// CreateBucketInput describes a new bucket and who owns it.
type CreateBucketInput struct {
	Name, Location string
	Owner          string // access key id; "" the root key
	Ownership      string // object ownership; "" none set
	Grants         []plog.Grant
	ObjectLock     bool // object lock on, and versioning enabled, from the start
}

// CreateBucketFor makes a client bucket owned by in.Owner, as CreateBucket.
func (e *Engine) CreateBucketFor(ctx context.Context, in CreateBucketInput) error {
	name, location := in.Name, in.Location
	if !ValidBucketName(name) {
		return fmt.Errorf("create bucket %q: %w", name, ErrInvalidBucketName)
	}
	if _, ok := e.view().Bucket(name); ok {
		return fmt.Errorf("create bucket %q: %w", name, ErrBucketExists)
	}
	// Two creations racing: applying the second is refused.
	if _, err := e.append(ctx, plog.BucketCreated{Bucket: name, Location: location, Created: e.now().UnixNano(),
		Owner: in.Owner, Ownership: in.Ownership, Grants: in.Grants, ObjectLock: in.ObjectLock}); err != nil {
		return fmt.Errorf("create bucket %q: %w", name, err)
	}
	ectx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	e.ensureBackendBuckets(ectx, name, e.regionNames())
	return nil
}

// SetBucketPolicy sets how a bucket stores new objects.
func (e *Engine) SetBucketPolicy(ctx context.Context, name string, p plog.Policy) error {
	if err := ValidatePolicy(p, len(e.regionNames())); err != nil {
		return fmt.Errorf("bucket %q policy: %w", name, err)
	}
	if _, ok := e.view().Bucket(name); !ok {
		return fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	_, err := e.append(ctx, plog.BucketPolicySet{Bucket: name, Policy: p})
	return err
}

// DeleteBucket removes an empty client bucket; its in-progress uploads are
// aborted. Applying the deletion is refused if an object landed in the
// bucket meanwhile, and a write applied after it is refused: no lock is
// needed to keep objects from outliving their bucket.
func (e *Engine) DeleteBucket(ctx context.Context, name string) error {
	v := e.view()
	if _, ok := v.Bucket(name); !ok {
		return fmt.Errorf("delete bucket %q: %w", name, ErrNoSuchBucket)
	}
	if !v.BucketIsEmpty(name) {
		return fmt.Errorf("delete bucket %q: %w", name, ErrBucketNotEmpty)
	}
	if _, err := e.append(ctx, plog.BucketDeleted{Bucket: name}); err != nil {
		return fmt.Errorf("delete bucket %q: %w", name, err)
	}
	return nil
}

// HeadBucket returns a bucket's description.
func (e *Engine) HeadBucket(ctx context.Context, name string) (BucketInfo, error) {
	b, ok := e.view().Bucket(name)
	if !ok {
		return BucketInfo{}, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	return bucketInfo(b), nil
}

// ListBuckets returns every bucket, sorted by name.
func (e *Engine) ListBuckets(ctx context.Context) ([]BucketInfo, error) {
	var out []BucketInfo
	for _, b := range e.view().Buckets() {
		out = append(out, bucketInfo(b))
	}
	return out, nil
}

func bucketInfo(b projections.Bucket) BucketInfo {
	return BucketInfo{Name: b.Name, Created: time.Unix(0, b.Created).UTC(), Location: b.Location, Owner: b.Access.Owner}
}

func (e *Engine) regionNames() []string {
	e.regionsMu.RLock()
	defer e.regionsMu.RUnlock()
	return append([]string(nil), e.order...)
}

// ensureBackendBuckets creates the backend bucket of a client bucket on the
// given regions where it is not known to exist, concurrently; failures are
// left for the background worker.
func (e *Engine) ensureBackendBuckets(ctx context.Context, bucket string, regions []string) {
	bb := e.backendBucket(bucket)
	b, _ := e.view().Bucket(bucket)
	var wg sync.WaitGroup
	for _, name := range regions {
		r := e.region(name)
		if r == nil || b.ReadyOn(name) || r.isReady(bb) || !r.available() {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.backend.CreateBucket(ctx, bb)
			r.outcome(err)
			if err != nil {
				e.logger.Debug("create backend bucket", "region", name, "bucket", bb, "err", err)
				return
			}
			r.setReady(bb)
			if _, err := e.append(ctx, plog.BackendBucketReady{Bucket: bucket, Region: name}); err != nil {
				e.logger.Warn("record backend bucket", "region", name, "err", err)
			}
		}()
	}
	wg.Wait()
}

func (r *region) isReady(bb string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready[bb]
}

func (r *region) setReady(bb string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ready[bb] = true
}
