package s3

import (
	"context"
	"maps"

	"github.com/prismd/prismd/engine"
)

func (f *fakeEngine) CreateUploadWith(ctx context.Context, in engine.CreateUploadInput) (engine.UploadInfo, error) {
	up, err := f.CreateUpload(ctx, in.Bucket, in.Key, in.ContentType, in.Headers, in.UserMeta, in.Checksum...)
	if err != nil {
		return up, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads[up.UploadID].meta.Tags = maps.Clone(in.Tags)
	f.uploads[up.UploadID].meta.Owner = in.Owner
	f.uploads[up.UploadID].info.Owner = in.Owner
	return up, nil
}

func (f *fakeEngine) SetObjectTags(ctx context.Context, bucket, key, versionID string, tags map[string]string) (engine.ObjectInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	o, err := f.lookup(bucket, key)
	if err != nil {
		return engine.ObjectInfo{}, err
	}
	if versionID != "" && versionID != o.info.VersionID && !(versionID == engine.NullVersion && o.info.VersionID == "") {
		return engine.ObjectInfo{}, engine.ErrNoSuchVersion
	}
	o.info.Tags = nil
	if len(tags) > 0 {
		o.info.Tags = maps.Clone(tags)
	}
	return o.info, nil
}
