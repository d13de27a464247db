package engine

import (
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"

	plog "github.com/prismd/prismd/log"
)

// RegionSpec says where a region stores and how to reach it. The bootstrap
// config and the management API both build one and call Validate (and
// ValidateRegionSpecs for a set): there is one set of rules.
type RegionSpec struct {
	Name string // 1 to 63 of a-z 0-9 - _, starting with a letter or digit; recorded in the log, never renamed
	Type string // "fs" or "s3"

	Path string // fs: the region's directory (absolute)

	Endpoint      string // s3: http(s)://host[:port]
	SigningRegion string // s3: the region requests are signed for; "" means us-east-1
	AccessKey     string // s3
	SecretKey     string // s3: in clear here; sealed before it reaches the log
	PathStyle     bool   // s3: path-style addressing
	Bucket        string // s3: keep everything under a prefix of this one bucket
	Insecure      bool   // s3: do not verify the endpoint's TLS certificate
}

// RegionError is one invalid field of a RegionSpec. Field is the name the
// config file and the API use ("path", "endpoint", "access_key", …);
// ValidateRegionSpecs sets Region to "region[i]" to say which spec.
type RegionError struct {
	Region  string
	Field   string
	Problem string
}

func (e *RegionError) Error() string {
	if e.Region != "" {
		return e.Region + "." + e.Field + ": " + e.Problem
	}
	return e.Field + ": " + e.Problem
}

// Unwrap makes every RegionError an ErrInvalidArgument.
func (e *RegionError) Unwrap() error { return ErrInvalidArgument }

var (
	regionNameRE    = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	backendBucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
)

// Validate checks the spec's fields; the error joins one *RegionError per
// problem. Type "" describes a region known only by its name (an in-memory
// backend in tests): only the name is checked.
func (s RegionSpec) Validate() error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, &RegionError{Field: field, Problem: fmt.Sprintf(format, args...)})
	}
	switch {
	case s.Name == "":
		bad("name", "missing")
	case !regionNameRE.MatchString(s.Name):
		bad("name", "%q: use 1 to 63 of a-z 0-9 - _, starting with a letter or digit", s.Name)
	}
	s3Only := map[string]bool{"endpoint": s.Endpoint != "", "region": s.SigningRegion != "", "access_key": s.AccessKey != "",
		"secret_key": s.SecretKey != "", "path_style": s.PathStyle, "bucket": s.Bucket != "", "insecure_skip_verify": s.Insecure}
	switch s.Type {
	case "":
	case "fs":
		if s.Path == "" {
			bad("path", "missing (an fs region needs a directory)")
		} else if !filepath.IsAbs(s.Path) {
			bad("path", "%q is not an absolute path", s.Path)
		}
		for _, field := range []string{"endpoint", "region", "access_key", "secret_key", "path_style", "bucket", "insecure_skip_verify"} {
			if s3Only[field] {
				bad(field, "only for type \"s3\" regions")
			}
		}
	case "s3":
		if s.Path != "" {
			bad("path", "only for type \"fs\" regions")
		}
		if s.Endpoint == "" {
			bad("endpoint", "missing (an s3 region needs an http:// or https:// URL)")
		} else if u, err := url.Parse(s.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
			bad("endpoint", "%q is not an http:// or https:// URL of a host", s.Endpoint)
		}
		if s.AccessKey == "" {
			bad("access_key", "missing")
		}
		if s.SecretKey == "" {
			bad("secret_key", "missing")
		}
		if s.Bucket != "" && !backendBucketRE.MatchString(s.Bucket) {
			bad("bucket", "%q is not a valid S3 bucket name", s.Bucket)
		}
	default:
		bad("type", "%q is not one of fs, s3", s.Type)
	}
	return errors.Join(errs...)
}

// storage names where a region keeps its data: two regions with the same
// storage (or fs regions nested in each other) would overwrite each
// other's shards.
func (s RegionSpec) storage() string {
	switch s.Type {
	case "fs":
		return "fs:" + filepath.Clean(s.Path) + string(filepath.Separator)
	case "s3":
		u, err := url.Parse(s.Endpoint)
		if err != nil {
			return "s3:" + s.Endpoint + "|" + s.Bucket
		}
		return "s3:" + strings.ToLower(u.Scheme+"://"+u.Host) + "|" + s.Bucket
	}
	return ""
}

// overlaps reports whether two regions would share storage.
func (s RegionSpec) overlaps(o RegionSpec) bool {
	a, b := s.storage(), o.storage()
	if a == "" || b == "" {
		return false
	}
	if s.Type == "fs" && o.Type == "fs" {
		return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
	}
	return a == b
}

// ValidateRegionSpecs validates each spec and the set: names are unique,
// and no two regions share storage. Every error is a *RegionError naming
// the spec as "region[i]" (the config file's name for it).
func ValidateRegionSpecs(specs []RegionSpec) error {
	var errs []error
	add := func(i int, err error) {
		for _, re := range RegionErrors(err) {
			re.Region = fmt.Sprintf("region[%d]", i)
			errs = append(errs, re)
		}
	}
	for i, s := range specs {
		add(i, s.Validate())
		for j, o := range specs[:i] {
			switch {
			case s.Name != "" && s.Name == o.Name:
				add(i, &RegionError{Field: "name", Problem: fmt.Sprintf("%q is also the name of region[%d]", s.Name, j)})
			case s.overlaps(o):
				add(i, &RegionError{Field: storageField(s), Problem: fmt.Sprintf("region[%d] %q already stores there", j, o.Name)})
			}
		}
	}
	return errors.Join(errs...)
}

// RegionErrors returns the *RegionError values err holds (joined or wrapped).
func RegionErrors(err error) []*RegionError {
	if err == nil {
		return nil
	}
	if re, ok := err.(*RegionError); ok {
		return []*RegionError{re}
	}
	var out []*RegionError
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, RegionErrors(e)...)
		}
	case interface{ Unwrap() error }:
		out = RegionErrors(u.Unwrap())
	}
	return out
}

func storageField(s RegionSpec) string {
	if s.Type == "fs" {
		return "path"
	}
	return "endpoint"
}

// record is the spec as the log keeps it: the secret sealed.
func (s RegionSpec) record(sealed []byte) plog.Region {
	return plog.Region{Name: s.Name, Type: s.Type, Path: s.Path, Endpoint: s.Endpoint, SigningRegion: s.SigningRegion,
		AccessKey: s.AccessKey, SealedSecret: sealed, PathStyle: s.PathStyle, Bucket: s.Bucket, Insecure: s.Insecure}
}

// specOf turns a logged region back into a spec, with its secret unsealed.
func specOf(r plog.Region, secret string) RegionSpec {
	return RegionSpec{Name: r.Name, Type: r.Type, Path: r.Path, Endpoint: r.Endpoint, SigningRegion: r.SigningRegion,
		AccessKey: r.AccessKey, SecretKey: secret, PathStyle: r.PathStyle, Bucket: r.Bucket, Insecure: r.Insecure}
}
