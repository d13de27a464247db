package s3

import (
	"encoding/xml"
	"strings"
)

// versioningConfiguration is the body of Get/PutBucketVersioning. A bucket
// that was never versioned answers it without a Status.
type versioningConfiguration struct {
	XMLName   xml.Name `xml:"VersioningConfiguration"`
	Xmlns     string   `xml:"xmlns,attr"`
	Status    string   `xml:"Status,omitempty"`
	MfaDelete string   `xml:"MfaDelete,omitempty"`
}

func handleGetBucketVersioning(s *Server, rq *request) (*response, error) {
	status, err := s.engine().BucketVersioning(rq.ctx(), rq.bucket)
	if err != nil {
		return nil, err
	}
	return xmlResponse(versioningConfiguration{Xmlns: s3NS, Status: status}), nil
}

// parseVersioningConfiguration returns the status a PutBucketVersioning
// body asks for: "Enabled" or "Suspended".
func parseVersioningConfiguration(b []byte) (string, error) {
	var cfg versioningConfiguration
	if err := decodeXML(b, &cfg); err != nil {
		return "", err
	}
	switch strings.TrimSpace(cfg.MfaDelete) {
	case "", "Disabled":
	case "Enabled":
		return "", detail(ErrNotImplemented, "MFA delete is not implemented.")
	default:
		return "", ErrMalformedXML
	}
	status := strings.TrimSpace(cfg.Status)
	if status != "Enabled" && status != "Suspended" {
		return "", ErrMalformedXML
	}
	return status, nil
}

// handlePutBucketVersioning sets Enabled or Suspended. MFA delete is not
// implemented: asking for it is NotImplemented, never silently dropped.
func handlePutBucketVersioning(s *Server, rq *request) (*response, error) {
	b, err := readSmallBody(rq, 64<<10)
	if err != nil {
		return nil, err
	}
	status, err := parseVersioningConfiguration(b)
	if err != nil {
		return nil, err
	}
	if err := s.engine().SetBucketVersioning(rq.ctx(), rq.bucket, status); err != nil {
		return nil, err
	}
	return newResponse(), nil
}
