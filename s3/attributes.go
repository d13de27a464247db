package s3

import (
	"encoding/xml"
	"net/http"
	"net/url"
	"strings"

	"github.com/prismd/prismd/engine"
)

// objectAttributeNames are the values x-amz-object-attributes may list.
var objectAttributeNames = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

type getObjectAttributesResponse struct {
	XMLName      xml.Name         `xml:"GetObjectAttributesResponse"`
	Xmlns        string           `xml:"xmlns,attr"`
	ETag         string           `xml:"ETag,omitempty"`
	Checksum     *attributesSum   `xml:"Checksum"`
	ObjectParts  *attributesParts `xml:"ObjectParts"`
	StorageClass string           `xml:"StorageClass,omitempty"`
	ObjectSize   *int64           `xml:"ObjectSize"`
}

type attributesSum struct {
	checksumElements
	ChecksumType string `xml:"ChecksumType"`
}

type attributesParts struct {
	PartNumberMarker     int              `xml:"PartNumberMarker"`
	NextPartNumberMarker int              `xml:"NextPartNumberMarker"`
	MaxParts             int              `xml:"MaxParts"`
	IsTruncated          bool             `xml:"IsTruncated"`
	PartsCount           int              `xml:"PartsCount"`
	Parts                []attributesPart `xml:"Part"`
}

type attributesPart struct {
	checksumElements
	PartNumber int   `xml:"PartNumber"`
	Size       int64 `xml:"Size"`
}

// parseObjectAttributes reads x-amz-object-attributes: a comma-separated
// list (possibly in several headers) of objectAttributeNames.
func parseObjectAttributes(h http.Header) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range h.Values("X-Amz-Object-Attributes") {
		for _, name := range strings.Split(v, ",") {
			if name = strings.TrimSpace(name); name == "" {
				continue
			}
			if !objectAttributeNames[name] {
				return nil, detail(ErrInvalidArgument, "Invalid attribute name specified.")
			}
			want[name] = true
		}
	}
	if len(want) == 0 {
		return nil, detail(ErrInvalidArgument, "The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

// handleGetObjectAttributes answers GET ?attributes: the attributes
// x-amz-object-attributes names; ObjectParts only for a multipart object,
// paged by x-amz-max-parts and x-amz-part-number-marker; Checksum only when
// the object has one. The ETag is not quoted, as on AWS.
func handleGetObjectAttributes(s *Server, rq *request) (*response, error) {
	versionID, err := versionIDParam(rq.q)
	if err != nil {
		return nil, err
	}
	want, err := parseObjectAttributes(rq.r.Header)
	if err != nil {
		return nil, err
	}
	hq := url.Values{"max-parts": {rq.r.Header.Get("X-Amz-Max-Parts")}, "part-number-marker": {rq.r.Header.Get("X-Amz-Part-Number-Marker")}}
	max, err := parseCount(hq, "max-parts", "max-parts", maxListParts, maxListParts)
	if err != nil {
		return nil, err
	}
	marker, err := parseCount(hq, "part-number-marker", "part-number-marker", 0, maxParts)
	if err != nil {
		return nil, err
	}
	info, err := s.engine().HeadObject(rq.ctx(), rq.bucket, rq.key, engine.GetOptions{VersionID: versionID})
	if err != nil {
		if info.DeleteMarker {
			return deleteMarkerFailure(info, err)
		}
		return nil, err
	}
	out := getObjectAttributesResponse{Xmlns: s3NS}
	if want["ETag"] {
		out.ETag = strings.Trim(info.ETag, `"`)
	}
	if _, v := objectChecksum(info.Checksums); want["Checksum"] && v != "" {
		out.Checksum = &attributesSum{checksumElements: newChecksumElements(info.Checksums), ChecksumType: engine.ChecksumType(v)}
	}
	if want["ObjectParts"] && len(info.PartSizes) > 0 {
		out.ObjectParts = objectParts(info, marker, max)
	}
	if want["StorageClass"] {
		out.StorageClass = "STANDARD"
	}
	if want["ObjectSize"] {
		out.ObjectSize = &info.Size
	}
	resp := xmlResponse(out)
	resp.header.Set("Last-Modified", info.LastModified.UTC().Format(http.TimeFormat))
	return resp, nil
}

// objectParts is the page of a multipart object's parts after marker.
func objectParts(info engine.ObjectInfo, marker, max int) *attributesParts {
	op := &attributesParts{PartNumberMarker: marker, MaxParts: max, PartsCount: len(info.PartSizes)}
	for i := marker; i < len(info.PartSizes); i++ {
		if len(op.Parts) == max {
			op.IsTruncated = true
			break
		}
		p := attributesPart{PartNumber: i + 1, Size: info.PartSizes[i]}
		if i < len(info.PartSums) {
			p.checksumElements = newChecksumElements(info.PartSums[i])
		}
		op.Parts = append(op.Parts, p)
		op.NextPartNumberMarker = i + 1
	}
	return op
}
