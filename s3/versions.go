package s3

import (
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"

	"github.com/prismd/prismd/engine"
)

// versionIDParam returns the versionId query parameter: "" when absent.
// An empty or malformed one is 400 InvalidArgument, as on AWS.
func versionIDParam(q url.Values) (string, error) {
	if !q.Has("versionId") {
		return "", nil
	}
	id := q.Get("versionId")
	if id == "" {
		return "", detail(ErrInvalidArgument, "Version id cannot be the empty string")
	}
	if !engine.ValidVersionID(id) {
		return "", ErrInvalidVersionID
	}
	return id, nil
}

// setVersionHeaders adds x-amz-version-id (when the bucket is versioned)
// and x-amz-delete-marker (when the answer is about a marker).
func setVersionHeaders(h http.Header, info engine.ObjectInfo) {
	if info.VersionID != "" {
		h.Set("x-amz-version-id", info.VersionID)
	}
	if info.DeleteMarker {
		h.Set("x-amz-delete-marker", "true")
	}
}

// deleteMarkerFailure is the answer to a GET or HEAD that met a delete
// marker: 404 NoSuchKey when it is the key's latest version, 405
// MethodNotAllowed when the request named it, with the marker's headers.
func deleteMarkerFailure(info engine.ObjectInfo, err error) (*response, error) {
	resp := newResponse()
	setVersionHeaders(resp.header, info)
	if errors.Is(err, engine.ErrDeleteMarker) {
		resp.header.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
		resp.header.Set("Allow", "DELETE")
	}
	return resp, err
}

func handleDeleteObject(s *Server, rq *request) (*response, error) {
	id, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	res, err := s.deleteVersion(rq, rq.key, id)
	if err != nil {
		return nil, err
	}
	resp := statusResponse(http.StatusNoContent)
	setVersionHeaders(resp.header, engine.ObjectInfo{VersionID: res.VersionID, DeleteMarker: res.DeleteMarker})
	return resp, nil
}

// deleteOne is one object of DeleteObjects, as DeleteObject does it.
func (s *Server) deleteOne(rq *request, o deleteObject) (deletedEntry, error) {
	if err := validateKey(o.Key); err != nil {
		return deletedEntry{}, err
	}
	if o.VersionID != "" && !engine.ValidVersionID(o.VersionID) {
		return deletedEntry{}, ErrNoSuchVersion
	}
	res, err := s.deleteVersion(rq, o.Key, o.VersionID)
	if err != nil {
		return deletedEntry{}, err
	}
	d := deletedEntry{Key: xmlText(o.Key), VersionID: o.VersionID}
	switch {
	case o.VersionID == "" && res.DeleteMarker:
		d.DeleteMarker, d.DeleteMarkerVersionID = true, res.VersionID
	case o.VersionID != "" && res.DeleteMarker:
		d.DeleteMarker, d.DeleteMarkerVersionID = true, o.VersionID
	}
	return d, nil
}

// listVersionsResult is the body of ListObjectVersions.
type listVersionsResult struct {
	XMLName             xml.Name       `xml:"ListVersionsResult"`
	Xmlns               string         `xml:"xmlns,attr"`
	Name                string         `xml:"Name"`
	Prefix              xmlText        `xml:"Prefix"`
	KeyMarker           xmlText        `xml:"KeyMarker"`
	VersionIDMarker     string         `xml:"VersionIdMarker"`
	NextKeyMarker       xmlText        `xml:"NextKeyMarker,omitempty"`
	NextVersionIDMarker string         `xml:"NextVersionIdMarker,omitempty"`
	MaxKeys             int            `xml:"MaxKeys"`
	Delimiter           xmlText        `xml:"Delimiter,omitempty"`
	EncodingType        string         `xml:"EncodingType,omitempty"`
	IsTruncated         bool           `xml:"IsTruncated"`
	Entries             []versionEntry // Version and DeleteMarker elements, in order
	CommonPrefixes      []commonPrefix `xml:"CommonPrefixes"`
}

// versionEntry is a Version (with ETag, Size, StorageClass) or a
// DeleteMarker (XMLName says which).
type versionEntry struct {
	XMLName      xml.Name
	Key          xmlText `xml:"Key"`
	VersionID    string  `xml:"VersionId"`
	IsLatest     bool    `xml:"IsLatest"`
	LastModified string  `xml:"LastModified"`
	ETag         string  `xml:"ETag,omitempty"`
	Size         *int64  `xml:"Size"`
	StorageClass string  `xml:"StorageClass,omitempty"`
	Owner        owner   `xml:"Owner"`
}

func handleListObjectVersions(s *Server, rq *request) (*response, error) {
	q := rq.q
	maxKeys, err := parseCount(q, "max-keys", "maxKeys", maxListKeys, maxListKeys)
	if err != nil {
		return nil, err
	}
	enc, err := parseEncodingType(q)
	if err != nil {
		return nil, err
	}
	in := engine.ListVersionsInput{Bucket: rq.bucket, Prefix: q.Get("prefix"), Delimiter: q.Get("delimiter"),
		KeyMarker: q.Get("key-marker"), VersionIDMarker: q.Get("version-id-marker"), MaxKeys: maxKeys}
	if in.VersionIDMarker != "" && in.KeyMarker == "" {
		return nil, badArgument("version-id-marker", in.VersionIDMarker, "A version-id marker cannot be specified without a key marker.")
	}
	if in.VersionIDMarker != "" && !engine.ValidVersionID(in.VersionIDMarker) {
		return nil, badArgument("version-id-marker", in.VersionIDMarker, "Invalid version id specified")
	}
	out := listVersionsResult{Xmlns: s3NS, Name: rq.bucket, Prefix: enc.enc(in.Prefix), KeyMarker: enc.enc(in.KeyMarker),
		VersionIDMarker: in.VersionIDMarker, MaxKeys: maxKeys, Delimiter: enc.enc(in.Delimiter), EncodingType: enc.name()}
	var res engine.ListVersionsResult
	if maxKeys == 0 {
		_, err = s.engine().HeadBucket(rq.ctx(), rq.bucket)
	} else {
		res, err = s.engine().ListObjectVersions(rq.ctx(), in)
	}
	if err != nil {
		return nil, err
	}
	st, err := s.bucketState(rq.bucket)
	if err != nil {
		return nil, err
	}
	for _, v := range res.Versions {
		e := versionEntry{XMLName: xml.Name{Local: "Version"}, Key: enc.enc(v.Key), VersionID: v.VersionID, IsLatest: v.IsLatest,
			LastModified: timeISO(v.LastModified), Owner: ownerOf(st.ownerKeyOf(v.Owner))}
		if v.DeleteMarker {
			e.XMLName.Local = "DeleteMarker"
		} else {
			size := v.Size
			e.ETag, e.Size, e.StorageClass = quoteETag(v.ETag), &size, "STANDARD"
		}
		out.Entries = append(out.Entries, e)
	}
	for _, p := range res.CommonPrefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, commonPrefix{Prefix: enc.enc(p)})
	}
	out.IsTruncated = res.Truncated
	if res.Truncated {
		out.NextKeyMarker, out.NextVersionIDMarker = enc.enc(res.NextKeyMarker), res.NextVersionIDMarker
	}
	return xmlResponse(out), nil
}
