package admin

import (
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/prismd/prismd/engine"
)

// The object browser:
//
//	GET /api/buckets/{bucket}/objects?prefix=&after=&delimiter=/   → {"objects": [{"key", "size", "etag", "last_modified"}],
//	                                                                 "prefixes": [...], "truncated", "next"}
//	GET /api/buckets/{bucket}/object?key=K                         → {"key", "size", "etag", "content_type", "last_modified",
//	                                                                 "user_meta", "shards": [{"region", "segment", "shard", "state", "backend_key"}]}
//	GET /api/buckets/{bucket}/download?key=K                       → the object's bytes (Content-Disposition: attachment)
//
// delimiter defaults to "/"; pass delimiter= (empty) for a flat listing.

type objectEntry struct {
	Key          string    `json:"key"`
	Size         int64     `json:"size"`
	ETag         string    `json:"etag"`
	LastModified time.Time `json:"last_modified"`
}

type objectPage struct {
	Objects   []objectEntry `json:"objects"`
	Prefixes  []string      `json:"prefixes"`
	Truncated bool          `json:"truncated"`
	Next      string        `json:"next,omitempty"`
}

func (s *Server) listObjects(r *http.Request) (any, error) {
	q := r.URL.Query()
	in := engine.ListInput{Bucket: r.PathValue("bucket"), Prefix: q.Get("prefix"), After: q.Get("after"), Delimiter: "/", MaxKeys: 200}
	if q.Has("delimiter") {
		in.Delimiter = q.Get("delimiter")
	}
	if v := q.Get("max"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, fmt.Errorf("max %q: want 1..1000: %w", v, ErrInvalid)
		}
		in.MaxKeys = n
	}
	res, err := s.cfg.Engine.ListObjects(r.Context(), in)
	if err != nil {
		return nil, err
	}
	out := objectPage{Objects: []objectEntry{}, Prefixes: res.CommonPrefixes, Truncated: res.Truncated, Next: res.NextAfter}
	if out.Prefixes == nil {
		out.Prefixes = []string{}
	}
	for _, o := range res.Objects {
		out.Objects = append(out.Objects, objectEntry{Key: o.Key, Size: o.Size, ETag: o.ETag, LastModified: o.LastModified})
	}
	return out, nil
}

type shardEntry struct {
	Region     string `json:"region"`
	Segment    int    `json:"segment"`
	Shard      int    `json:"shard"`
	State      string `json:"state"`
	BackendKey string `json:"backend_key"`
}

type objectDetails struct {
	objectEntry
	ContentType string            `json:"content_type,omitempty"`
	UserMeta    map[string]string `json:"user_meta,omitempty"`
	Parts       int               `json:"parts,omitempty"`
	Shards      []shardEntry      `json:"shards"`
}

// objectKey reads the ?key= of an object request.
func objectKey(r *http.Request) (string, error) {
	key := r.URL.Query().Get("key")
	if key == "" {
		return "", fmt.Errorf("key: missing (?key=): %w", ErrInvalid)
	}
	return key, nil
}

func (s *Server) objectDetails(r *http.Request) (any, error) {
	key, err := objectKey(r)
	if err != nil {
		return nil, err
	}
	bucket := r.PathValue("bucket")
	info, err := s.cfg.Engine.HeadObject(r.Context(), bucket, key, engine.GetOptions{})
	if err != nil {
		return nil, err
	}
	locs, err := s.cfg.Engine.Locate(bucket, key)
	if err != nil {
		return nil, err
	}
	out := objectDetails{objectEntry: objectEntry{Key: key, Size: info.Size, ETag: info.ETag, LastModified: info.LastModified},
		ContentType: info.ContentType, UserMeta: info.UserMeta, Parts: info.PartsCount, Shards: []shardEntry{}}
	for _, l := range locs {
		out.Shards = append(out.Shards, shardEntry{Region: l.Region, Segment: l.Segment, Shard: l.Shard, State: l.State, BackendKey: l.Bucket + "/" + l.Key})
	}
	return out, nil
}

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	key, err := objectKey(r)
	if err != nil {
		writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
		return
	}
	obj, err := s.cfg.Engine.GetObject(r.Context(), r.PathValue("bucket"), key, engine.GetOptions{})
	if err != nil {
		writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
		return
	}
	defer obj.Close()
	name := key
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			name = key[i+1:]
			break
		}
	}
	// Never rendered inline: an object is the client's data, not a page of this origin.
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.FormatInt(obj.Length, 10))
	w.Header().Set("ETag", `"`+obj.Info.ETag+`"`)
	io.Copy(w, obj)
}
