package engine

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"time"
)

// MaxThroughputSize bounds the object MeasureThroughput moves.
const MaxThroughputSize = 64 << 20

// Throughput is what MeasureThroughput measured: the time to upload and
// to download Bytes random bytes (one request each).
type Throughput struct {
	Bytes int64
	Put   time.Duration
	Get   time.Duration
}

// MeasureThroughput opens a region from spec without using it, and times
// the upload and the download of size random bytes (1 to
// MaxThroughputSize) in a scratch bucket it creates and removes
// (<backend prefix>-probe-<random>; in prefix mode, under the region's
// bucket). The downloaded bytes must be the uploaded ones. It returns an
// error wrapping ErrInvalidArgument for an invalid spec or size, and the
// step that failed otherwise; the scratch bucket is removed either way,
// as far as the region lets it.
func (e *Engine) MeasureThroughput(ctx context.Context, spec RegionSpec, size int64) (Throughput, error) {
	res := Throughput{Bytes: size}
	if err := spec.Validate(); err != nil {
		return res, fmt.Errorf("region %q: %w", spec.Name, err)
	}
	if size < 1 || size > MaxThroughputSize {
		return res, fmt.Errorf("size %d: 1 to %d bytes: %w", size, MaxThroughputSize, ErrInvalidArgument)
	}
	b, err := e.openBackend(spec)
	if err != nil {
		return res, err
	}
	defer closeBackend(b)
	data := make([]byte, size)
	rand.Read(data)
	tag := make([]byte, 4)
	rand.Read(tag)
	bucket, key := e.cfg.BackendPrefix+"-probe-"+hex.EncodeToString(tag), "throughput"
	if err := b.CreateBucket(ctx, bucket); err != nil {
		return res, fmt.Errorf("region %q: create scratch bucket: %w", spec.Name, err)
	}
	defer func() {
		// Cleaned up even when ctx ended, within its own bound.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		b.Delete(cctx, bucket, []string{key})
		if err := b.DeleteBucket(cctx, bucket); err != nil {
			e.logger.Warn("throughput test: scratch bucket left behind", "region", spec.Name, "bucket", bucket, "err", err)
		}
	}()
	start := time.Now()
	if err := b.Put(ctx, bucket, key, bytes.NewReader(data), size); err != nil {
		return res, fmt.Errorf("region %q: upload: %w", spec.Name, err)
	}
	res.Put = time.Since(start)
	start = time.Now()
	rc, err := b.Get(ctx, bucket, key, 0, -1)
	if err != nil {
		return res, fmt.Errorf("region %q: download: %w", spec.Name, err)
	}
	got, err := io.ReadAll(io.LimitReader(rc, size+1))
	rc.Close()
	res.Get = time.Since(start)
	if err != nil {
		return res, fmt.Errorf("region %q: download: %w", spec.Name, err)
	}
	if !bytes.Equal(got, data) {
		return res, fmt.Errorf("region %q: %w", spec.Name, errThroughputMismatch)
	}
	return res, nil
}

var errThroughputMismatch = errors.New("download: the bytes read back are not the bytes written")
