package s3

import (
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/prismd/prismd/access"
	plog "github.com/prismd/prismd/log"
)

func handleGetBucketPolicy(s *Server, rq *request) (*response, error) {
	a, err := s.engine().BucketAccess(rq.bucket)
	if err != nil {
		return nil, err
	}
	if a.Policy == "" {
		return nil, ErrNoSuchBucketPolicy
	}
	resp := newResponse()
	resp.header.Set("Content-Type", "application/json")
	resp.body = io.NopCloser(strings.NewReader(a.Policy))
	resp.length = int64(len(a.Policy))
	return resp, nil
}

func handlePutBucketPolicy(s *Server, rq *request) (*response, error) {
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	if !st.Exists {
		return nil, ErrNoSuchBucket
	}
	doc, err := readSmallBody(rq, access.MaxPolicySize)
	if err != nil {
		return nil, err
	}
	p, err := access.ParsePolicy(doc, rq.bucket)
	if err != nil {
		return nil, err
	}
	if st.Block.BlockPublicPolicy && p.Public() {
		return nil, detail(ErrAccessDenied, "The bucket's public access block forbids a public policy (BlockPublicPolicy).")
	}
	if err := s.engine().SetBucketAccessPolicy(rq.ctx(), rq.bucket, string(doc)); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

func handleDeleteBucketPolicy(s *Server, rq *request) (*response, error) {
	if err := s.engine().SetBucketAccessPolicy(rq.ctx(), rq.bucket, ""); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

type policyStatus struct {
	XMLName  xml.Name `xml:"PolicyStatus"`
	Xmlns    string   `xml:"xmlns,attr"`
	IsPublic bool     `xml:"IsPublic"`
}

func handleGetBucketPolicyStatus(s *Server, rq *request) (*response, error) {
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	if !st.Exists {
		return nil, ErrNoSuchBucket
	}
	if st.Policy == nil {
		return nil, ErrNoSuchBucketPolicy
	}
	return xmlResponse(policyStatus{Xmlns: s3NS, IsPublic: st.Policy.Public()}), nil
}

type publicAccessBlockConfiguration struct {
	XMLName               xml.Name `xml:"PublicAccessBlockConfiguration"`
	Xmlns                 string   `xml:"xmlns,attr,omitempty"`
	BlockPublicAcls       bool     `xml:"BlockPublicAcls"`
	IgnorePublicAcls      bool     `xml:"IgnorePublicAcls"`
	BlockPublicPolicy     bool     `xml:"BlockPublicPolicy"`
	RestrictPublicBuckets bool     `xml:"RestrictPublicBuckets"`
}

func handleGetPublicAccessBlock(s *Server, rq *request) (*response, error) {
	a, err := s.engine().BucketAccess(rq.bucket)
	if err != nil {
		return nil, err
	}
	if a.Block == nil {
		return nil, ErrNoSuchPublicAccessBlock
	}
	b := a.Block
	return xmlResponse(publicAccessBlockConfiguration{Xmlns: s3NS, BlockPublicAcls: b.BlockPublicAcls,
		IgnorePublicAcls: b.IgnorePublicAcls, BlockPublicPolicy: b.BlockPublicPolicy, RestrictPublicBuckets: b.RestrictPublicBuckets}), nil
}

func handlePutPublicAccessBlock(s *Server, rq *request) (*response, error) {
	if _, err := s.engine().HeadBucket(rq.ctx(), rq.bucket); err != nil {
		return nil, err
	}
	body, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	var c publicAccessBlockConfiguration
	if err := decodeXML(body, &c); err != nil {
		return nil, err
	}
	b := &plog.PublicAccessBlock{BlockPublicAcls: c.BlockPublicAcls, IgnorePublicAcls: c.IgnorePublicAcls,
		BlockPublicPolicy: c.BlockPublicPolicy, RestrictPublicBuckets: c.RestrictPublicBuckets}
	if err := s.engine().SetPublicAccessBlock(rq.ctx(), rq.bucket, b); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func handleDeletePublicAccessBlock(s *Server, rq *request) (*response, error) {
	if err := s.engine().SetPublicAccessBlock(rq.ctx(), rq.bucket, nil); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

type ownershipControls struct {
	XMLName xml.Name `xml:"OwnershipControls"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	Rules   []struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	} `xml:"Rule"`
}

func handleGetOwnershipControls(s *Server, rq *request) (*response, error) {
	a, err := s.engine().BucketAccess(rq.bucket)
	if err != nil {
		return nil, err
	}
	if a.Ownership == "" {
		return nil, ErrOwnershipControlsNotFound
	}
	out := ownershipControls{Xmlns: s3NS}
	out.Rules = append(out.Rules, struct {
		ObjectOwnership string `xml:"ObjectOwnership"`
	}{a.Ownership})
	return xmlResponse(out), nil
}

// validOwnership reports whether v is an object ownership setting.
func validOwnership(v string) bool {
	return v == "BucketOwnerEnforced" || v == "BucketOwnerPreferred" || v == "ObjectWriter"
}

func handlePutOwnershipControls(s *Server, rq *request) (*response, error) {
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	if !st.Exists {
		return nil, ErrNoSuchBucket
	}
	body, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	var c ownershipControls
	if err := decodeXML(body, &c); err != nil {
		return nil, err
	}
	if len(c.Rules) != 1 || !validOwnership(c.Rules[0].ObjectOwnership) {
		return nil, ErrMalformedXML
	}
	o := c.Rules[0].ObjectOwnership
	if o == "BucketOwnerEnforced" && !onlyOwnerGrants(st.ACL, st.Owner) {
		return nil, detail(ErrInvalidBucketACLOwnership, "Bucket has an ACL granting access to others: set it to private before enforcing bucket owner ownership.")
	}
	if err := s.engine().SetOwnershipControls(rq.ctx(), rq.bucket, o); err != nil {
		return nil, err
	}
	return newResponse(), nil
}

func handleDeleteOwnershipControls(s *Server, rq *request) (*response, error) {
	if err := s.engine().SetOwnershipControls(rq.ctx(), rq.bucket, ""); err != nil {
		return nil, err
	}
	return statusResponse(http.StatusNoContent), nil
}

// onlyOwnerGrants reports whether grants give nothing to anyone but owner.
func onlyOwnerGrants(grants []plog.Grant, owner string) bool {
	for _, g := range grants {
		if g.Grantee != "id:"+owner {
			return false
		}
	}
	return true
}
