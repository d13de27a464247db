package s3

import (
	"encoding/base64"
	"net/url"

	"github.com/prismd/prismd/engine"
)

const maxListKeys = 1000

// listEncoder applies encoding-type=url to names in listings: every byte
// but A-Z a-z 0-9 - _ . ~ and '/' is %XX, as AWS encodes them (a space is
// %20, a '+' is %2B).
type listEncoder bool

func parseEncodingType(q url.Values) (listEncoder, error) {
	switch q.Get("encoding-type") {
	case "":
		return false, nil
	case "url":
		return true, nil
	}
	return false, detail(ErrInvalidArgument, "Invalid Encoding Method specified in Request.")
}

func (e listEncoder) enc(s string) xmlText {
	if !e {
		return xmlText(s)
	}
	return xmlText(awsURIEncode(s, true))
}

func (e listEncoder) name() string {
	if e {
		return "url"
	}
	return ""
}

// encodeToken makes the opaque continuation token of ListObjectsV2.
func encodeToken(after string) string { return base64.RawURLEncoding.EncodeToString([]byte(after)) }

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || tok == "" {
		return "", detail(ErrInvalidArgument, "The continuation token provided is incorrect.")
	}
	return string(b), nil
}

func handleListObjects(s *Server, rq *request) (*response, error) {
	q := rq.q
	v2 := false
	if q.Has("list-type") {
		if q.Get("list-type") != "2" {
			return nil, detail(ErrInvalidArgument, "Invalid list type.")
		}
		v2 = true
	}
	if q.Has("versions") {
		return nil, ErrNotImplemented
	}
	maxKeys, err := parseCount(q, "max-keys", "maxKeys", maxListKeys, maxListKeys)
	if err != nil {
		return nil, err
	}
	enc, err := parseEncodingType(q)
	if err != nil {
		return nil, err
	}
	in := engine.ListInput{Bucket: rq.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"), MaxKeys: maxKeys}
	out := listBucketResult{
		Xmlns: s3NS, Name: rq.bucket, Prefix: enc.enc(in.Prefix), Delimiter: enc.enc(in.Delimiter),
		MaxKeys: maxKeys, EncodingType: enc.name(),
	}
	withOwner := !v2 || q.Get("fetch-owner") == "true"
	if v2 {
		in.After = q.Get("start-after")
		out.StartAfter = enc.enc(in.After)
		if q.Has("continuation-token") {
			// An empty token is a first page that echoes it, as on AWS.
			tok := q.Get("continuation-token")
			if tok != "" {
				after, err := decodeToken(tok)
				if err != nil {
					return nil, err
				}
				in.After = after
			}
			out.ContinuationToken = &tok
		}
	} else {
		in.After = q.Get("marker")
		m := enc.enc(in.After)
		out.Marker = &m
	}
	var res engine.ListResult
	if maxKeys == 0 {
		_, err = s.engine().HeadBucket(rq.ctx(), rq.bucket)
	} else {
		res, err = s.engine().ListObjects(rq.ctx(), in)
	}
	if err != nil {
		return nil, err
	}
	var st bucketState
	if withOwner {
		if st, err = s.bucketState(rq.bucket); err != nil {
			return nil, err
		}
	}
	for _, o := range res.Objects {
		item := objectItem{Key: enc.enc(o.Key), LastModified: timeISO(o.LastModified), ETag: quoteETag(o.ETag), Size: o.Size, StorageClass: "STANDARD"}
		if alg, v := objectChecksum(o.Checksums); alg != "" {
			item.ChecksumAlgorithm, item.ChecksumType = alg, engine.ChecksumType(v)
		}
		if withOwner {
			ow := ownerOf(st.ownerKeyOf(o.Owner))
			item.Owner = &ow
		}
		out.Contents = append(out.Contents, item)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	out.IsTruncated = res.Truncated
	if v2 {
		n := len(out.Contents) + len(out.CommonPrefixes)
		out.KeyCount = &n
		if res.Truncated {
			out.NextContinuationToken = encodeToken(res.NextAfter)
		}
	} else if res.Truncated && in.Delimiter != "" {
		out.NextMarker = enc.enc(res.NextAfter)
	}
	return xmlResponse(out), nil
}
