package s3

import (
	"context"

	"github.com/prismd/prismd/engine"
)

// The fake engine's buckets stay unversioned: every object is the null
// version. The real engine's versioning is tested in engine and e2e.

func (f *fakeEngine) DeleteObjectVersion(ctx context.Context, bucket, key, versionID string) (engine.DeleteResult, error) {
	if versionID != "" && versionID != engine.NullVersion {
		if _, err := f.HeadBucket(ctx, bucket); err != nil {
			return engine.DeleteResult{}, err
		}
		return engine.DeleteResult{VersionID: versionID}, nil
	}
	return engine.DeleteResult{VersionID: versionID}, f.DeleteObject(ctx, bucket, key)
}

func (f *fakeEngine) SetBucketVersioning(ctx context.Context, bucket, status string) error {
	_, err := f.HeadBucket(ctx, bucket)
	return err
}

func (f *fakeEngine) BucketVersioning(ctx context.Context, bucket string) (string, error) {
	_, err := f.HeadBucket(ctx, bucket)
	return "", err
}

func (f *fakeEngine) ListObjectVersions(ctx context.Context, in engine.ListVersionsInput) (engine.ListVersionsResult, error) {
	res, err := f.ListObjects(ctx, engine.ListInput{Bucket: in.Bucket, Prefix: in.Prefix, Delimiter: in.Delimiter, After: in.KeyMarker, MaxKeys: in.MaxKeys})
	out := engine.ListVersionsResult{CommonPrefixes: res.CommonPrefixes, Truncated: res.Truncated}
	for _, o := range res.Objects {
		o.VersionID, o.IsLatest = engine.NullVersion, true
		out.Versions = append(out.Versions, o)
	}
	if res.Truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = res.NextAfter, engine.NullVersion
	}
	return out, err
}
