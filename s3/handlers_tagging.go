package s3

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
)

// Object tagging (Put/Get/DeleteObjectTagging, with versionId), bucket
// tagging (Put/Get/DeleteBucketTagging: the canonical Tagging document
// stored as the bucket's engine.ConfigTagging), and the tags a write
// carries (x-amz-tagging, x-amz-tagging-directive).

func handleGetObjectTagging(s *Server, rq *request) (*response, error) {
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	info, err := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, engine.GetOptions{VersionID: id})
	if err != nil {
		if info.DeleteMarker {
			return deleteMarkerFailure(info, err)
		}
		return nil, err
	}
	resp := xmlResponse(taggingXML(info.Tags))
	setVersionHeaders(resp.header, engine.ObjectInfo{VersionID: info.VersionID})
	return resp, nil
}

func handlePutObjectTagging(s *Server, rq *request) (*response, error) {
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, maxTaggingBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseTagging(b, objectTags)
	if err != nil {
		return nil, err
	}
	return s.setObjectTags(rq, id, tags, http.StatusOK)
}

func handleDeleteObjectTagging(s *Server, rq *request) (*response, error) {
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	return s.setObjectTags(rq, id, nil, http.StatusNoContent)
}

// setObjectTags replaces a version's tags and answers with its version id.
func (s *Server) setObjectTags(rq *request, id string, tags map[string]string, status int) (*response, error) {
	info, err := s.engine().SetObjectTags(rq.ctx(), rq.bucket, rq.key, id, tags)
	if err != nil {
		if info.DeleteMarker {
			return deleteMarkerFailure(info, err)
		}
		return nil, err
	}
	resp := statusResponse(status)
	setVersionHeaders(resp.header, engine.ObjectInfo{VersionID: info.VersionID})
	return resp, nil
}

func handleGetBucketTagging(s *Server, rq *request) (*response, error) {
	doc, found, err := s.engine().BucketConfig(rq.bucket, engine.ConfigTagging)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, ErrNoSuchTagSet
	}
	tags, err := parseTagging(doc, bucketTags)
	if err != nil {
		return nil, err
	}
	return xmlResponse(taggingXML(tags)), nil
}

// handlePutBucketTagging stores the bucket's tags; as on AWS the request
// must carry Content-MD5 or an x-amz-checksum-* (verified against the
// body). An empty TagSet removes the tags.
func handlePutBucketTagging(s *Server, rq *request) (*response, error) {
	if err := requireIntegrity(rq.r.Header); err != nil {
		return nil, err
	}
	b, err := readSmallBody(rq, maxTaggingBody)
	if err != nil {
		return nil, err
	}
	tags, err := parseTagging(b, bucketTags)
	if err != nil {
		return nil, err
	}
	var doc []byte
	if len(tags) > 0 {
		if doc, err = marshalTagging(tags); err != nil {
			return nil, err
		}
	}
	if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigTagging, doc); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

func handleDeleteBucketTagging(s *Server, rq *request) (*response, error) {
	if err := s.engine().SetBucketConfig(rq.ctx(), rq.bucket, engine.ConfigTagging, nil); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

// newObjectTags reads the tags of a PutObject or CreateMultipartUpload
// (x-amz-tagging); setting them needs s3:PutObjectTagging besides the
// write itself, as on AWS.
func (s *Server) newObjectTags(rq *request) (map[string]string, error) {
	tags, err := requestTags(rq.r.Header)
	if err != nil || tags == nil {
		return tags, err
	}
	if ok, err := s.allowed(rq, "s3:PutObjectTagging", true, rq.bucket, rq.key); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, ErrAccessDenied
	}
	return tags, nil
}

// copyTags sets the tags of a CopyObject: the source's (COPY, the
// default) or x-amz-tagging's (REPLACE; none when the header is absent).
func (s *Server) copyTags(rq *request, in *engine.CopyInput) error {
	switch d := strings.ToUpper(rq.r.Header.Get("X-Amz-Tagging-Directive")); d {
	case "", "COPY":
		return s.mayReadSourceTags(rq, in)
	case "REPLACE":
		tags, err := s.newObjectTags(rq)
		if err != nil {
			return err
		}
		in.ReplaceTags, in.Tags = true, tags
		return nil
	default:
		return detail(ErrInvalidArgument, "Unknown tagging directive.")
	}
}

// mayReadSourceTags: a copy that keeps its source's tags reads them, so
// the caller needs s3:GetObjectTagging (of the version, when it names one)
// on a source that has tags, as on AWS.
func (s *Server) mayReadSourceTags(rq *request, in *engine.CopyInput) error {
	if !rq.auth.Anonymous && rq.auth.Key.Root {
		return nil
	}
	info, err := s.engine().HeadObject(rq.ctx(), in.SrcBucket, in.SrcKey, engine.GetOptions{VersionID: in.SrcVersionID})
	if err != nil || len(info.Tags) == 0 {
		return nil // the copy itself answers a missing source
	}
	action := "s3:GetObjectTagging"
	if in.SrcVersionID != "" {
		action = "s3:GetObjectVersionTagging"
	}
	if ok, err := s.allowed(rq, action, false, in.SrcBucket, in.SrcKey); err != nil || !ok {
		return ErrAccessDenied
	}
	return nil
}

// setTaggingCount adds x-amz-tagging-count to a GET or HEAD of an object
// that has tags.
func setTaggingCount(h http.Header, info engine.ObjectInfo) {
	if len(info.Tags) > 0 {
		h.Set("x-amz-tagging-count", strconv.Itoa(len(info.Tags)))
	}
}

// versionTaggingActions are the IAM actions of the tagging operations
// when they name a version (versionId), as AWS authorizes them.
var versionTaggingActions = map[string]string{
	"s3:GetObjectTagging":    "s3:GetObjectVersionTagging",
	"s3:PutObjectTagging":    "s3:PutObjectVersionTagging",
	"s3:DeleteObjectTagging": "s3:DeleteObjectVersionTagging",
}

// requestAction is the IAM action a request is authorized as: the
// route's, or its version variant for a tagging operation on a version.
func requestAction(rq *request) string {
	if v, ok := versionTaggingActions[rq.route.action]; ok && rq.q.Has("versionId") {
		return v
	}
	return rq.route.action
}

// addExistingTags puts the tags of the object a request acts on (see
// Server.namedObject) into its condition values (s3:ExistingObjectTag/<key>).
func addExistingTags(ar *access.Request, tags map[string]string) {
	if ar.Values == nil && len(tags) > 0 {
		ar.Values = map[string]string{}
	}
	for k, v := range tags {
		ar.Values[access.ExistingTagKey+k] = v
	}
}
