package s3

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
)

// Tags, as AWS limits them: at most 10 on an object and 50 on a bucket;
// a key of 1 to 128 and a value of 0 to 256 characters (counted in UTF-16
// code units, as S3 stores them), made of Unicode letters, digits,
// white space and _ . : / = + @ -; keys unique, none starting with aws:.
const (
	maxObjectTags  = 10
	maxBucketTags  = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
	maxTaggingBody = 1 << 20
)

// The refusals of tag input, with AWS's codes and messages.
var (
	errTooManyObjectTags = detail(ErrBadRequest, "Object tags cannot be greater than 10")
	errTooManyBucketTags = detail(ErrBadRequest, "Bucket tag count cannot be greater than 50")
	errTagKeyInvalid     = detail(ErrInvalidTag, "The TagKey you have provided is invalid")
	errTagValueInvalid   = detail(ErrInvalidTag, "The TagValue you have provided is invalid")
	errTagKeyTooLong     = detail(ErrInvalidTag, "The TagKey you have provided is too long, max 128")
	errTagValueTooLong   = detail(ErrInvalidTag, "The TagValue you have provided is too long, max 256")
	errTagKeyDuplicate   = detail(ErrInvalidTag, "Cannot provide multiple Tags with the same key")
	errTagKeyReserved    = detail(ErrInvalidTag, "Your TagKey cannot be prefixed with aws:")
	errBucketTagReserved = detail(ErrInvalidTag, "System tags cannot be added/updated by requester")
	errTaggingHeader     = detail(ErrInvalidArgument, "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
)

// tagKind selects the limits of object or bucket tags.
type tagKind int

const (
	objectTags tagKind = iota
	bucketTags
)

// tagPair is one tag in the order a client sent it.
type tagPair struct{ key, value string }

// validTagText reports whether s holds only the characters a tag allows.
func validTagText(s string) bool {
	for _, r := range s {
		switch {
		case unicode.IsLetter(r), unicode.IsNumber(r), unicode.Is(unicode.Z, r):
		case strings.ContainsRune("_.:/=+@-", r):
		default:
			return false
		}
	}
	return true
}

// utf16Len is the length of s in UTF-16 code units.
func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// validateTags checks a tag set against AWS's limits and returns it as a
// map. dupErr is the error for a key given twice.
func validateTags(pairs []tagPair, kind tagKind, dupErr error) (map[string]string, error) {
	if kind == objectTags && len(pairs) > maxObjectTags {
		return nil, errTooManyObjectTags
	}
	if kind == bucketTags && len(pairs) > maxBucketTags {
		return nil, errTooManyBucketTags
	}
	tags := make(map[string]string, len(pairs))
	for _, p := range pairs {
		switch {
		case utf16Len(p.key) > maxTagKeyLen:
			return nil, errTagKeyTooLong
		case p.key == "" || !validTagText(p.key):
			return nil, errTagKeyInvalid
		case utf16Len(p.value) > maxTagValueLen:
			return nil, errTagValueTooLong
		case !validTagText(p.value):
			return nil, errTagValueInvalid
		case len(p.key) >= 4 && strings.EqualFold(p.key[:4], "aws:"):
			if kind == bucketTags {
				return nil, errBucketTagReserved
			}
			return nil, errTagKeyReserved
		}
		if _, dup := tags[p.key]; dup {
			return nil, dupErr
		}
		tags[p.key] = p.value
	}
	return tags, nil
}

// parseTaggingHeader decodes x-amz-tagging: URL query parameters
// ("k1=v1&k2=v2", '+' a space, a key without '=' has the empty value),
// then checks the tags as PutObjectTagging does. A malformed encoding, a
// pair with a second '=' or a key given twice is InvalidArgument.
func parseTaggingHeader(v string) (map[string]string, error) {
	var pairs []tagPair
	for part := range strings.SplitSeq(v, "&") {
		if part == "" {
			continue
		}
		k, val, _ := strings.Cut(part, "=")
		if strings.Contains(val, "=") {
			return nil, errTaggingHeader
		}
		dk, err1 := url.QueryUnescape(k)
		dv, err2 := url.QueryUnescape(val)
		if err1 != nil || err2 != nil {
			return nil, errTaggingHeader
		}
		pairs = append(pairs, tagPair{dk, dv})
	}
	return validateTags(pairs, objectTags, errTaggingHeader)
}

// requestTags reads the x-amz-tagging header of a PutObject, CopyObject
// or CreateMultipartUpload; nil when there is none.
func requestTags(h http.Header) (map[string]string, error) {
	vals := h.Values("X-Amz-Tagging")
	if len(vals) == 0 {
		return nil, nil
	}
	if len(vals) > 1 {
		return nil, errTaggingHeader
	}
	return parseTaggingHeader(vals[0])
}

// taggingDoc is the Tagging document of Put/GetObjectTagging and
// Put/GetBucketTagging.
type taggingDoc struct {
	XMLName xml.Name `xml:"Tagging"`
	Xmlns   string   `xml:"xmlns,attr,omitempty"`
	TagSet  *struct {
		Tags []tagXML `xml:"Tag"`
	} `xml:"TagSet"`
}

type tagXML struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

// parseTagging decodes and checks a Tagging document: a missing TagSet,
// Tag without a Key or Value, or anything not well-formed is
// MalformedXML; the tags themselves as validateTags says.
func parseTagging(b []byte, kind tagKind) (map[string]string, error) {
	var doc taggingDoc
	if err := decodeXML(b, &doc); err != nil {
		return nil, err
	}
	if doc.XMLName.Local != "Tagging" || doc.TagSet == nil {
		return nil, ErrMalformedXML
	}
	pairs := make([]tagPair, 0, len(doc.TagSet.Tags))
	for _, t := range doc.TagSet.Tags {
		if t.Key == nil || t.Value == nil {
			return nil, ErrMalformedXML
		}
		pairs = append(pairs, tagPair{*t.Key, *t.Value})
	}
	return validateTags(pairs, kind, errTagKeyDuplicate)
}

// taggingXML is the canonical Tagging document of a tag set: S3's
// namespace, tags in key order.
func taggingXML(tags map[string]string) taggingDoc {
	doc := taggingDoc{Xmlns: s3NS, TagSet: &struct {
		Tags []tagXML `xml:"Tag"`
	}{Tags: []tagXML{}}}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := tags[k]
		doc.TagSet.Tags = append(doc.TagSet.Tags, tagXML{Key: &k, Value: &v})
	}
	return doc
}

// marshalTagging is the canonical document of a tag set, as stored for a
// bucket.
func marshalTagging(tags map[string]string) ([]byte, error) {
	var b bytes.Buffer
	if err := xml.NewEncoder(&b).Encode(taggingXML(tags)); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
