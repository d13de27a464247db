package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/prismd/prismd/backends"
)

// unsignedPayload makes PutObject sign UNSIGNED-PAYLOAD, so the SDK never
// reads the body ahead to hash it (which would need a seekable body).
// The body cannot be rewound, so the SDK must not retry.
func unsignedPayload(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
	o.Retryer = aws.NopRetryer{}
}

// Put implements backends.Backend.
func (b *Backend) Put(ctx context.Context, bucket, key string, r io.Reader, size int64) error {
	sb, sk, err := b.objectLocation(bucket, key)
	if err != nil {
		return fmt.Errorf("s3 %s: put: %w", b.cfg.Name, err)
	}
	target := bucket + "/" + key
	if size < 0 {
		return fmt.Errorf("s3 %s: put %s: negative size: %w", b.cfg.Name, target, backends.ErrShortBody)
	}
	body := newExactBody(r, size)
	if size == 0 {
		// A zero-length body must be one net/http knows is empty.
		if err := body.checkEOF(); err != nil {
			return fmt.Errorf("s3 %s: put %s: %w", b.cfg.Name, target, err)
		}
	}
	if ep := b.lean.endpoint(ctx, b.cfg.Region, sb); !ep.sdk {
		var in *safeBody
		switch {
		case size > 0 && size <= smallBodyBytes:
			// Read first, so the request goes out in one write.
			mem := make([]byte, size)
			if _, err := io.ReadFull(body, mem); err != nil {
				return fmt.Errorf("s3 %s: put %s: %w", b.cfg.Name, target, body.failure(err))
			}
			in = &safeBody{mem: mem, size: size}
		case size > 0:
			in = &safeBody{r: body, size: size}
		}
		_, err = b.lean.do(ctx, b.cfg.Region, opPutObject, ep, sk, unsignedPayloadHash, "", in)
	} else {
		var in io.Reader = body
		if size == 0 {
			in = strings.NewReader("")
		}
		_, err = b.client.PutObject(ctx, &s3.PutObjectInput{
			Bucket:        aws.String(sb),
			Key:           aws.String(sk),
			Body:          in,
			ContentLength: aws.Int64(size),
		}, unsignedPayload)
	}
	if body.err != nil {
		return fmt.Errorf("s3 %s: put %s: %w", b.cfg.Name, target, body.err)
	}
	return b.wrapErr(ctx, "put", target, err)
}

// Get implements backends.Backend.
func (b *Backend) Get(ctx context.Context, bucket, key string, offset, length int64) (io.ReadCloser, error) {
	sb, sk, err := b.objectLocation(bucket, key)
	if err != nil {
		return nil, fmt.Errorf("s3 %s: get: %w", b.cfg.Name, err)
	}
	target := bucket + "/" + key
	if offset < 0 {
		return nil, fmt.Errorf("s3 %s: get %s: offset %d: %w", b.cfg.Name, target, offset, backends.ErrInvalidRange)
	}
	if length == 0 {
		return b.emptyRead(ctx, bucket, key, offset)
	}
	var rng string
	if offset > 0 || length > 0 {
		rng = "bytes=" + strconv.FormatInt(offset, 10) + "-"
		if length > 0 {
			rng += strconv.FormatInt(offset+length-1, 10)
		}
	}
	rc, ranged, size, err := b.getObject(ctx, sb, sk, rng)
	if err != nil {
		err = b.wrapErr(ctx, "get", target, err)
		if errors.Is(err, backends.ErrInvalidRange) {
			// 416 for offset == size (or any range of an empty object)
			// is an empty read in our contract.
			return b.emptyRead(ctx, bucket, key, offset)
		}
		return nil, err
	}
	body := &getBody{ctx: ctx, b: b, rc: rc, r: rc}
	if rng != "" && !ranged {
		// The server ignored the Range header and sent the whole object.
		return b.trimWhole(body, size, offset, length, target)
	}
	return body, nil
}

// getObject sends a GET with the Range header rng (if not empty) and
// returns the body, whether the response has a Content-Range and its
// Content-Length.
func (b *Backend) getObject(ctx context.Context, sb, sk, rng string) (io.ReadCloser, bool, int64, error) {
	if ep := b.lean.endpoint(ctx, b.cfg.Region, sb); !ep.sdk {
		resp, err := b.lean.do(ctx, b.cfg.Region, opGetObject, ep, sk, emptySHA256, rng, nil)
		if err != nil {
			return nil, false, 0, err
		}
		return resp.Body, len(resp.Header.Values("Content-Range")) > 0, contentLength(resp), nil
	}
	in := &s3.GetObjectInput{Bucket: aws.String(sb), Key: aws.String(sk)}
	if rng != "" {
		in.Range = aws.String(rng)
	}
	out, err := b.client.GetObject(ctx, in)
	if err != nil {
		return nil, false, 0, err
	}
	return out.Body, out.ContentRange != nil, aws.ToInt64(out.ContentLength), nil
}

// trimWhole cuts [offset, offset+length) out of a full-object response.
func (b *Backend) trimWhole(body *getBody, size, offset, length int64, target string) (io.ReadCloser, error) {
	if offset > size {
		body.Close()
		return nil, fmt.Errorf("s3 %s: get %s: offset %d, size %d: %w", b.cfg.Name, target, offset, size, backends.ErrInvalidRange)
	}
	if _, err := io.CopyN(io.Discard, body, offset); err != nil {
		body.Close()
		return nil, fmt.Errorf("s3 %s: get %s: %w", b.cfg.Name, target, err)
	}
	n := size - offset
	if length >= 0 && length < n {
		n = length
	}
	body.r = io.LimitReader(body.rc, n)
	return body, nil
}

// emptyRead checks that offset is within bucket/key and returns an empty body.
func (b *Backend) emptyRead(ctx context.Context, bucket, key string, offset int64) (io.ReadCloser, error) {
	info, err := b.Stat(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	if offset > info.Size {
		return nil, fmt.Errorf("s3 %s: get %s/%s: offset %d, size %d: %w", b.cfg.Name, bucket, key, offset, info.Size, backends.ErrInvalidRange)
	}
	return io.NopCloser(strings.NewReader("")), nil
}

// Stat implements backends.Backend.
func (b *Backend) Stat(ctx context.Context, bucket, key string) (backends.ObjectInfo, error) {
	sb, sk, err := b.objectLocation(bucket, key)
	if err != nil {
		return backends.ObjectInfo{}, fmt.Errorf("s3 %s: stat: %w", b.cfg.Name, err)
	}
	cctx, cancel := b.callCtx(ctx)
	defer cancel()
	size, modTime, err := b.headObject(cctx, sb, sk)
	if err != nil {
		err = b.wrapErr(ctx, "stat", bucket+"/"+key, err)
		if errors.Is(err, backends.ErrNotFound) {
			// A HEAD 404 does not say whether the key or the bucket is missing.
			if missing, herr := b.bucketMissing(cctx, sb); herr == nil && missing {
				return backends.ObjectInfo{}, fmt.Errorf("s3 %s: stat %s/%s: %w", b.cfg.Name, bucket, key, backends.ErrNoSuchBucket)
			}
		}
		return backends.ObjectInfo{}, err
	}
	return backends.ObjectInfo{Key: key, Size: size, ModTime: modTime}, nil
}

// headObject sends a HEAD and returns the object's size and modification time.
func (b *Backend) headObject(ctx context.Context, sb, sk string) (int64, time.Time, error) {
	if ep := b.lean.endpoint(ctx, b.cfg.Region, sb); !ep.sdk {
		resp, err := b.lean.do(ctx, b.cfg.Region, opHeadObject, ep, sk, emptySHA256, "", nil)
		if err != nil {
			return 0, time.Time{}, err
		}
		return contentLength(resp), lastModified(resp), nil
	}
	out, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(sb), Key: aws.String(sk)})
	if err != nil {
		return 0, time.Time{}, err
	}
	return aws.ToInt64(out.ContentLength), aws.ToTime(out.LastModified), nil
}

// Delete implements backends.Backend. More than 1000 keys are sent in
// several requests; if the first fails the whole call fails, a later one
// fails its own keys.
func (b *Backend) Delete(ctx context.Context, bucket string, keys []string) ([]error, error) {
	errs := make([]error, len(keys))
	for start := 0; start < len(keys); start += deleteBatch {
		end := min(start+deleteBatch, len(keys))
		err := b.deleteBatch(ctx, bucket, keys[start:end], errs[start:end])
		if err != nil && start == 0 {
			return nil, err
		}
		for i := start; i < end && err != nil; i++ {
			errs[i] = err
		}
	}
	return errs, nil
}

func (b *Backend) deleteBatch(ctx context.Context, bucket string, keys []string, errs []error) error {
	sb, _, err := b.location(bucket, "")
	if err != nil {
		return fmt.Errorf("s3 %s: delete: %w", b.cfg.Name, err)
	}
	objects := make([]types.ObjectIdentifier, 0, len(keys))
	pending := make(map[string][]int, len(keys)) // S3 key -> indexes in keys
	for i, key := range keys {
		_, sk, err := b.objectLocation(bucket, key)
		if err != nil {
			errs[i] = fmt.Errorf("s3 %s: delete: %w", b.cfg.Name, err)
			continue
		}
		if _, dup := pending[sk]; !dup {
			objects = append(objects, types.ObjectIdentifier{Key: aws.String(sk)})
		}
		pending[sk] = append(pending[sk], i)
	}
	if len(objects) == 0 {
		return nil
	}
	cctx, cancel := b.callCtx(ctx)
	defer cancel()
	out, err := b.client.DeleteObjects(cctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(sb),
		Delete: &types.Delete{Objects: objects, Quiet: aws.Bool(false)},
	})
	if err != nil {
		return b.wrapErr(ctx, "delete in", bucket, err)
	}
	for _, d := range out.Deleted {
		delete(pending, aws.ToString(d.Key))
	}
	for _, e := range out.Errors {
		sk := aws.ToString(e.Key)
		idx, ok := pending[sk]
		if !ok {
			continue
		}
		delete(pending, sk)
		code := aws.ToString(e.Code)
		if code == "NoSuchKey" {
			continue // already absent: deleted
		}
		var perr error = fmt.Errorf("%s: %s", code, aws.ToString(e.Message))
		if s, ok := errorCodes[code]; ok {
			perr = fmt.Errorf("%w: %w", s, perr)
		} else if code == "InternalError" || code == "ServiceUnavailable" || code == "SlowDown" {
			perr = fmt.Errorf("%w: %w", backends.ErrUnavailable, perr)
		}
		for _, i := range idx {
			errs[i] = fmt.Errorf("s3 %s: delete %s/%s: %w", b.cfg.Name, bucket, keys[i], perr)
		}
	}
	for _, idx := range pending {
		for _, i := range idx {
			errs[i] = fmt.Errorf("s3 %s: delete %s/%s: not confirmed by the server", b.cfg.Name, bucket, keys[i])
		}
	}
	return nil
}

// List implements backends.Backend.
func (b *Backend) List(ctx context.Context, bucket, prefix string, fn func(backends.ObjectInfo) bool) error {
	sb, sprefix, err := b.location(bucket, prefix)
	if err != nil {
		return fmt.Errorf("s3 %s: list: %w", b.cfg.Name, err)
	}
	strip := len(sprefix) - len(prefix) // "<bucket>/" in prefix mode
	in := &s3.ListObjectsV2Input{Bucket: aws.String(sb)}
	if sprefix != "" {
		in.Prefix = aws.String(sprefix)
	}
	pages := s3.NewListObjectsV2Paginator(b.client, in)
	for pages.HasMorePages() {
		cctx, cancel := b.callCtx(ctx)
		page, err := pages.NextPage(cctx)
		cancel()
		if err != nil {
			return b.wrapErr(ctx, "list", bucket, err)
		}
		for _, obj := range page.Contents {
			info := backends.ObjectInfo{
				Key:     aws.ToString(obj.Key)[strip:],
				Size:    aws.ToInt64(obj.Size),
				ModTime: aws.ToTime(obj.LastModified),
			}
			if !fn(info) {
				return nil
			}
		}
	}
	return nil
}
