package s3

import (
	"bytes"
	"errors"
	"io"
	"net/http"

	"github.com/prismd/prismd/engine"
	"github.com/prismd/prismd/lifecycle"
)

// maxLifecycleBody bounds a PutBucketLifecycleConfiguration body (1000
// rules with filters fit well within it).
const maxLifecycleBody = 2 << 20

// AWS answers Put and GetBucketLifecycleConfiguration with the minimum
// object size transitions apply to; prismd has no transitions and reports
// AWS's default.
const (
	transitionMinSizeHeader = "x-amz-transition-default-minimum-object-size"
	transitionMinSize       = "all_storage_classes_128K"
)

// lifecycleError turns a configuration's refusal into its S3 error.
func lifecycleError(err error) error {
	var le *lifecycle.Error
	if !errors.As(err, &le) {
		return err
	}
	switch le.Code {
	case lifecycle.CodeMalformedXML:
		return ErrMalformedXML
	case lifecycle.CodeInvalidArgument:
		return detail(ErrInvalidArgument, "%s", le.Message)
	case lifecycle.CodeNotImplemented:
		return detail(ErrNotImplemented, "%s", le.Message)
	default:
		return detail(ErrInvalidRequest, "%s", le.Message)
	}
}

// handlePutBucketLifecycle validates the configuration as AWS does and
// stores its canonical form (engine.ConfigLifecycle); the engine's
// lifecycle worker carries it out.
func handlePutBucketLifecycle(s *Server, rq *request) (*response, error) {
	if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	if err := requireIntegrity(rq.r.Header); err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, maxLifecycleBody)
	if err != nil {
		return nil, err
	}
	cfg, err := lifecycle.Parse(b)
	if err != nil {
		return nil, lifecycleError(err)
	}
	if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigLifecycle, cfg.Canonical()); err != nil {
		return nil, err
	}
	resp := newResponse()
	resp.header.Set(transitionMinSizeHeader, transitionMinSize)
	return resp, nil
}

func handleGetBucketLifecycle(s *Server, rq *request) (*response, error) {
	doc, found, err := s.engine().BucketConfig(rq.bucket, engine.ConfigLifecycle)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoSuchLifecycleConfiguration
	}
	resp := newResponse()
	resp.header.Set(transitionMinSizeHeader, transitionMinSize)
	resp.header.Set("Content-Type", "application/xml")
	resp.body = io.NopCloser(bytes.NewReader(doc))
	resp.length = int64(len(doc))
	return resp, nil
}

func handleDeleteBucketLifecycle(s *Server, rq *request) (*response, error) {
	if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigLifecycle, nil); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}
