package s3

import (
	"bytes"
	"encoding/xml"
	"io"
	"time"
)

// s3NS is the S3 XML namespace.
const s3NS = "http://s3.amazonaws.com/doc/2006-03-01/"

// timeISO formats times as S3 XML does.
func timeISO(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// owner is the Owner (or Initiator) element: an access key's canonical id and name.
type owner struct {
	ID          string `xml:"ID"`
	DisplayName string `xml:"DisplayName"`
}

// --- buckets ---

type listAllMyBucketsResult struct {
	XMLName           xml.Name     `xml:"ListAllMyBucketsResult"`
	Xmlns             string       `xml:"xmlns,attr"`
	Owner             owner        `xml:"Owner"`
	Buckets           []bucketItem `xml:"Buckets>Bucket"`
	ContinuationToken *string      `xml:"ContinuationToken,omitempty"`
	Prefix            *string      `xml:"Prefix,omitempty"`
}

type bucketItem struct {
	Name         string `xml:"Name"`
	CreationDate string `xml:"CreationDate"`
	BucketRegion string `xml:"BucketRegion,omitempty"`
}

type createBucketConfiguration struct {
	XMLName            xml.Name `xml:"CreateBucketConfiguration"`
	LocationConstraint string   `xml:"LocationConstraint"`
}

type locationConstraint struct {
	XMLName xml.Name `xml:"LocationConstraint"`
	Xmlns   string   `xml:"xmlns,attr"`
	Value   string   `xml:",chardata"`
}

type accessControlPolicy struct {
	XMLName xml.Name `xml:"AccessControlPolicy"`
	Xmlns   string   `xml:"xmlns,attr"`
	Owner   owner    `xml:"Owner"`
	Grants  []grant  `xml:"AccessControlList>Grant"`
}

type grant struct {
	Grantee    grantee `xml:"Grantee"`
	Permission string  `xml:"Permission"`
}

type grantee struct {
	XMLNSXSI    string `xml:"xmlns:xsi,attr"`
	XSIType     string `xml:"xsi:type,attr"`
	ID          string `xml:"ID,omitempty"`
	DisplayName string `xml:"DisplayName,omitempty"`
	URI         string `xml:"URI,omitempty"`
}

// --- objects ---

type copyObjectResult struct {
	XMLName      xml.Name `xml:"CopyObjectResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumElements
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type copyPartResult struct {
	XMLName      xml.Name `xml:"CopyPartResult"`
	Xmlns        string   `xml:"xmlns,attr"`
	LastModified string   `xml:"LastModified"`
	ETag         string   `xml:"ETag"`
	checksumElements
}

// deleteRequest is the body of DeleteObjects.
type deleteRequest struct {
	XMLName xml.Name       `xml:"Delete"`
	Quiet   bool           `xml:"Quiet"`
	Objects []deleteObject `xml:"Object"`
}

type deleteObject struct {
	Key       string `xml:"Key"`
	VersionID string `xml:"VersionId,omitempty"`
}

type deleteResult struct {
	XMLName xml.Name       `xml:"DeleteResult"`
	Xmlns   string         `xml:"xmlns,attr"`
	Deleted []deletedEntry `xml:"Deleted"`
	Errors  []deleteError  `xml:"Error"`
}

type deletedEntry struct {
	Key                   xmlText `xml:"Key"`
	VersionID             string  `xml:"VersionId,omitempty"`
	DeleteMarker          bool    `xml:"DeleteMarker,omitempty"`
	DeleteMarkerVersionID string  `xml:"DeleteMarkerVersionId,omitempty"`
}

type deleteError struct {
	Key       xmlText `xml:"Key"`
	VersionID string  `xml:"VersionId,omitempty"`
	Code      string  `xml:"Code"`
	Message   string  `xml:"Message"`
}

// --- listing ---

type listBucketResult struct {
	XMLName               xml.Name       `xml:"ListBucketResult"`
	Xmlns                 string         `xml:"xmlns,attr"`
	Name                  string         `xml:"Name"`
	Prefix                xmlText        `xml:"Prefix"`
	Marker                *xmlText       `xml:"Marker"`
	NextMarker            xmlText        `xml:"NextMarker,omitempty"`
	ContinuationToken     *string        `xml:"ContinuationToken"`
	NextContinuationToken string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            xmlText        `xml:"StartAfter,omitempty"`
	KeyCount              *int           `xml:"KeyCount"`
	MaxKeys               int            `xml:"MaxKeys"`
	Delimiter             xmlText        `xml:"Delimiter,omitempty"`
	EncodingType          string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool           `xml:"IsTruncated"`
	Contents              []objectItem   `xml:"Contents"`
	CommonPrefixes        []commonPrefix `xml:"CommonPrefixes"`
}

type objectItem struct {
	Key               xmlText `xml:"Key"`
	LastModified      string  `xml:"LastModified"`
	ETag              string  `xml:"ETag"`
	ChecksumAlgorithm string  `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string  `xml:"ChecksumType,omitempty"`
	Size              int64   `xml:"Size"`
	Owner             *owner  `xml:"Owner,omitempty"`
	StorageClass      string  `xml:"StorageClass"`
}

type commonPrefix struct {
	Prefix xmlText `xml:"Prefix"`
}

// --- multipart ---

type initiateMultipartUploadResult struct {
	XMLName  xml.Name `xml:"InitiateMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Bucket   string   `xml:"Bucket"`
	Key      xmlText  `xml:"Key"`
	UploadID string   `xml:"UploadId"`
}

// completeMultipartUpload is the body of CompleteMultipartUpload.
type completeMultipartUpload struct {
	XMLName xml.Name       `xml:"CompleteMultipartUpload"`
	Parts   []completePart `xml:"Part"`
}

type completePart struct {
	PartNumber        int    `xml:"PartNumber"`
	ETag              string `xml:"ETag"`
	ChecksumCRC32     string `xml:"ChecksumCRC32,omitempty"`
	ChecksumCRC32C    string `xml:"ChecksumCRC32C,omitempty"`
	ChecksumSHA1      string `xml:"ChecksumSHA1,omitempty"`
	ChecksumSHA256    string `xml:"ChecksumSHA256,omitempty"`
	ChecksumCRC64NVME string `xml:"ChecksumCRC64NVME,omitempty"`
}

type completeMultipartUploadResult struct {
	XMLName  xml.Name `xml:"CompleteMultipartUploadResult"`
	Xmlns    string   `xml:"xmlns,attr"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      xmlText  `xml:"Key"`
	ETag     string   `xml:"ETag"`
	checksumElements
	ChecksumType string `xml:"ChecksumType,omitempty"`
}

type listPartsResult struct {
	XMLName              xml.Name   `xml:"ListPartsResult"`
	Xmlns                string     `xml:"xmlns,attr"`
	Bucket               string     `xml:"Bucket"`
	Key                  xmlText    `xml:"Key"`
	UploadID             string     `xml:"UploadId"`
	Initiator            owner      `xml:"Initiator"`
	Owner                owner      `xml:"Owner"`
	StorageClass         string     `xml:"StorageClass"`
	PartNumberMarker     int        `xml:"PartNumberMarker"`
	NextPartNumberMarker int        `xml:"NextPartNumberMarker"`
	MaxParts             int        `xml:"MaxParts"`
	IsTruncated          bool       `xml:"IsTruncated"`
	ChecksumAlgorithm    string     `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType         string     `xml:"ChecksumType,omitempty"`
	Parts                []partItem `xml:"Part"`
}

type partItem struct {
	PartNumber   int    `xml:"PartNumber"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Size         int64  `xml:"Size"`
	checksumElements
}

type listMultipartUploadsResult struct {
	XMLName            xml.Name       `xml:"ListMultipartUploadsResult"`
	Xmlns              string         `xml:"xmlns,attr"`
	Bucket             string         `xml:"Bucket"`
	KeyMarker          xmlText        `xml:"KeyMarker"`
	UploadIDMarker     string         `xml:"UploadIdMarker"`
	NextKeyMarker      xmlText        `xml:"NextKeyMarker"`
	NextUploadIDMarker string         `xml:"NextUploadIdMarker"`
	Prefix             xmlText        `xml:"Prefix"`
	Delimiter          xmlText        `xml:"Delimiter,omitempty"`
	MaxUploads         int            `xml:"MaxUploads"`
	EncodingType       string         `xml:"EncodingType,omitempty"`
	IsTruncated        bool           `xml:"IsTruncated"`
	Uploads            []uploadItem   `xml:"Upload"`
	CommonPrefixes     []commonPrefix `xml:"CommonPrefixes"`
}

type uploadItem struct {
	Key               xmlText `xml:"Key"`
	UploadID          string  `xml:"UploadId"`
	Initiator         owner   `xml:"Initiator"`
	Owner             owner   `xml:"Owner"`
	StorageClass      string  `xml:"StorageClass"`
	Initiated         string  `xml:"Initiated"`
	ChecksumAlgorithm string  `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string  `xml:"ChecksumType,omitempty"`
}

// decodeXML strictly decodes a request body into v: well-formed, the
// expected root element, nothing but whitespace after it.
func decodeXML(b []byte, v any) error {
	if len(b) == 0 {
		return ErrMalformedXML
	}
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return ErrMalformedXML
	}
	for {
		tok, err := d.Token()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return ErrMalformedXML
		}
		switch t := tok.(type) {
		case xml.CharData:
			for _, c := range t {
				if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
					return ErrMalformedXML
				}
			}
		case xml.Comment, xml.ProcInst:
		default:
			return ErrMalformedXML
		}
	}
}
