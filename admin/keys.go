package admin

import (
	"crypto/rand"
	"fmt"
	"net/http"

	"github.com/prismd/prismd/engine"
)

// Client access keys (for the S3 API):
//
//	GET    /api/keys        → [{"access_key", "buckets", "read_only", "root"}]   (never a secret)
//	POST   /api/keys        ← {"buckets": ["photos"], "read_only": true} → {"access_key", "secret_key", …}  (the secret is shown this once)
//	DELETE /api/keys/{id}   → 204
//
// buckets left out: every bucket. The id and secret are generated.

type keyView struct {
	AccessKey string   `json:"access_key"`
	Buckets   []string `json:"buckets,omitempty"`
	ReadOnly  bool     `json:"read_only"`
	Root      bool     `json:"root"`
}

type keyRequest struct {
	Buckets  []string `json:"buckets"`
	ReadOnly bool     `json:"read_only"`
}

func (s *Server) listKeys(r *http.Request) (any, error) {
	out := []keyView{}
	for _, k := range s.cfg.Engine.AccessKeys() {
		out = append(out, keyView{AccessKey: k.AccessKey, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root})
	}
	return out, nil
}

func (s *Server) createKey(r *http.Request) (any, error) {
	var q keyRequest
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	for _, b := range q.Buckets {
		if !engine.ValidBucketName(b) {
			return nil, fmt.Errorf("buckets: %q is not a bucket name: %w", b, ErrInvalid)
		}
	}
	k := engine.AccessKey{AccessKey: "PK" + randomString(18, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"),
		Secret: randomString(40, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), Buckets: q.Buckets, ReadOnly: q.ReadOnly}
	if err := s.cfg.Engine.CreateAccessKey(r.Context(), k); err != nil {
		return nil, err
	}
	return struct {
		keyView
		SecretKey string `json:"secret_key"`
	}{keyView{AccessKey: k.AccessKey, Buckets: k.Buckets, ReadOnly: k.ReadOnly}, k.Secret}, nil
}

func (s *Server) revokeKey(r *http.Request) (any, error) {
	id := r.PathValue("id")
	for _, k := range s.cfg.Engine.AccessKeys() {
		if k.AccessKey == id && k.Root {
			return nil, fmt.Errorf("access key %q is the root key (it comes from the credentials file): %w", id, ErrConflict)
		}
	}
	return nil, s.cfg.Engine.RevokeAccessKey(r.Context(), id)
}

// randomString returns n characters of alphabet, uniformly.
func randomString(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand: " + err.Error())
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < n {
				out = append(out, alphabet[int(b)%len(alphabet)])
			}
		}
	}
	return string(out)
}
