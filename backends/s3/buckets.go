package s3

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/prismd/prismd/backends"
)

// CreateBucket implements backends.Backend. In prefix mode it only makes
// sure Config.Bucket exists.
func (b *Backend) CreateBucket(ctx context.Context, bucket string) error {
	if _, _, err := b.location(bucket, ""); err != nil {
		return fmt.Errorf("s3 %s: create bucket: %w", b.cfg.Name, err)
	}
	if b.cfg.Bucket == "" {
		return b.createBucket(ctx, bucket)
	}
	b.ensureMu.Lock()
	defer b.ensureMu.Unlock()
	if b.ensured {
		return nil
	}
	if err := b.createBucket(ctx, b.cfg.Bucket); err != nil {
		return err
	}
	b.ensured = true
	return nil
}

// createBucket creates the S3 bucket name; one we already own is success.
func (b *Backend) createBucket(ctx context.Context, name string) error {
	cctx, cancel := b.callCtx(ctx)
	defer cancel()
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if b.cfg.Region != defaultRegion {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{
			LocationConstraint: types.BucketLocationConstraint(b.cfg.Region),
		}
	}
	_, err := b.client.CreateBucket(cctx, in)
	var apiErr smithy.APIError
	if err != nil && errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "BucketAlreadyOwnedByYou":
			return nil
		case "BucketAlreadyExists":
			// Ours if we can use it (some servers say this to the owner).
			if missing, herr := b.bucketMissing(cctx, name); herr == nil && !missing {
				return nil
			}
		}
	}
	return b.wrapErr(ctx, "create bucket", name, err)
}

// DeleteBucket implements backends.Backend. In prefix mode it deletes
// nothing and only checks that no key remains under "<bucket>/".
func (b *Backend) DeleteBucket(ctx context.Context, bucket string) error {
	sb, sprefix, err := b.location(bucket, "")
	if err != nil {
		return fmt.Errorf("s3 %s: delete bucket: %w", b.cfg.Name, err)
	}
	cctx, cancel := b.callCtx(ctx)
	defer cancel()
	if b.cfg.Bucket == "" {
		_, err := b.client.DeleteBucket(cctx, &s3.DeleteBucketInput{Bucket: aws.String(sb)})
		return b.wrapErr(ctx, "delete bucket", bucket, err)
	}
	out, err := b.client.ListObjectsV2(cctx, &s3.ListObjectsV2Input{
		Bucket: aws.String(sb), Prefix: aws.String(sprefix), MaxKeys: aws.Int32(1),
	})
	if err != nil {
		return b.wrapErr(ctx, "delete bucket", bucket, err)
	}
	if len(out.Contents) > 0 {
		return fmt.Errorf("s3 %s: delete bucket %s: %w", b.cfg.Name, bucket, backends.ErrBucketNotEmpty)
	}
	return nil
}

// bucketMissing reports whether the S3 bucket name does not exist.
func (b *Backend) bucketMissing(ctx context.Context, name string) (bool, error) {
	_, err := b.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(name)})
	if err == nil {
		return false, nil
	}
	err = b.wrapErr(ctx, "head bucket", name, err)
	if errors.Is(err, backends.ErrNotFound) || errors.Is(err, backends.ErrNoSuchBucket) {
		return true, nil
	}
	return false, err
}
