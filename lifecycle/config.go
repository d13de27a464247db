package lifecycle

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Limits AWS sets on a configuration.
const (
	MaxRules                   = 1000
	MaxIDLength                = 255
	MaxNewerNoncurrentVersions = 100
)

// S3 error codes a configuration can be refused with.
const (
	CodeMalformedXML    = "MalformedXML"
	CodeInvalidArgument = "InvalidArgument"
	CodeInvalidRequest  = "InvalidRequest"
	CodeNotImplemented  = "NotImplemented"
)

// Error is why a configuration is refused: the S3 error code and the
// message AWS gives.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func fail(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

var errMalformed = &Error{Code: CodeMalformedXML,
	Message: "The XML you provided was not well-formed or did not validate against our published schema"}

// Configuration is a validated lifecycle configuration.
type Configuration struct {
	Rules []Rule
	doc   xmlConfig // the canonical form
}

// Rule is one validated rule.
type Rule struct {
	ID      string
	Enabled bool
	Filter  Filter
	// Expiration of current versions: after Days, or at Date (zero when
	// neither); ExpiredObjectDeleteMarker removes a delete marker that is
	// a key's only version.
	Days                      int
	Date                      time.Time
	ExpiredObjectDeleteMarker bool
	// NoncurrentDays > 0 expires noncurrent versions that many days after
	// they became noncurrent, keeping the NewerNoncurrentVersions newest.
	NoncurrentDays          int
	NewerNoncurrentVersions int
	// AbortDays > 0 aborts multipart uploads that many days after they
	// were initiated.
	AbortDays int
}

// Filter selects the objects a rule applies to. A size bound of -1 is
// absent.
type Filter struct {
	Prefix      string
	Tags        map[string]string
	GreaterThan int64 // the size must be > GreaterThan
	LessThan    int64 // the size must be < LessThan
}

// The wire form. Fields are pointers where AWS tells "absent" from "empty".
type xmlConfig struct {
	XMLName xml.Name  `xml:"LifecycleConfiguration"`
	Xmlns   string    `xml:"xmlns,attr,omitempty"`
	Rules   []xmlRule `xml:"Rule"`
}

type xmlRule struct {
	ID                             string            `xml:"ID,omitempty"`
	Prefix                         *string           `xml:"Prefix"`
	Filter                         *xmlFilter        `xml:"Filter"`
	Status                         string            `xml:"Status"`
	Expiration                     *xmlExpiration    `xml:"Expiration"`
	NoncurrentVersionExpiration    *xmlNoncurrent    `xml:"NoncurrentVersionExpiration"`
	AbortIncompleteMultipartUpload *xmlAbort         `xml:"AbortIncompleteMultipartUpload"`
	Transition                     []xmlIgnored      `xml:"Transition"`
	NoncurrentVersionTransition    []xmlIgnored      `xml:"NoncurrentVersionTransition"`
	Unknown                        []xmlUnknownField `xml:",any"`
}

type xmlFilter struct {
	Prefix      *string           `xml:"Prefix"`
	Tag         *xmlTag           `xml:"Tag"`
	GreaterThan *int64            `xml:"ObjectSizeGreaterThan"`
	LessThan    *int64            `xml:"ObjectSizeLessThan"`
	And         *xmlAnd           `xml:"And"`
	Unknown     []xmlUnknownField `xml:",any"`
}

type xmlAnd struct {
	Prefix      *string           `xml:"Prefix"`
	Tags        []xmlTag          `xml:"Tag"`
	GreaterThan *int64            `xml:"ObjectSizeGreaterThan"`
	LessThan    *int64            `xml:"ObjectSizeLessThan"`
	Unknown     []xmlUnknownField `xml:",any"`
}

type xmlTag struct {
	Key   *string `xml:"Key"`
	Value *string `xml:"Value"`
}

type xmlExpiration struct {
	Date                      *string           `xml:"Date"`
	Days                      *int              `xml:"Days"`
	ExpiredObjectDeleteMarker *bool             `xml:"ExpiredObjectDeleteMarker"`
	Unknown                   []xmlUnknownField `xml:",any"`
}

type xmlNoncurrent struct {
	NoncurrentDays          *int              `xml:"NoncurrentDays"`
	NewerNoncurrentVersions *int              `xml:"NewerNoncurrentVersions"`
	Unknown                 []xmlUnknownField `xml:",any"`
}

type xmlAbort struct {
	DaysAfterInitiation *int              `xml:"DaysAfterInitiation"`
	Unknown             []xmlUnknownField `xml:",any"`
}

type xmlIgnored struct{}

type xmlUnknownField struct {
	XMLName xml.Name
}

const dateLayout = "2006-01-02T15:04:05.000Z"

// Parse validates a PutBucketLifecycleConfiguration body. The error is
// always an *Error.
func Parse(body []byte) (*Configuration, error) {
	var doc xmlConfig
	if err := decodeStrict(body, &doc); err != nil {
		return nil, err
	}
	if len(doc.Rules) == 0 {
		return nil, errMalformed
	}
	if len(doc.Rules) > MaxRules {
		return nil, fail(CodeInvalidRequest, "Lifecycle configuration is limited to %d rules", MaxRules)
	}
	cfg := &Configuration{Rules: make([]Rule, len(doc.Rules))}
	ids := make(map[string]bool, len(doc.Rules))
	for i := range doc.Rules {
		x := &doc.Rules[i]
		r, err := parseRule(x)
		if err != nil {
			return nil, err
		}
		if r.ID != "" && ids[r.ID] {
			return nil, fail(CodeInvalidArgument, "Rule ID must be unique. Found same ID for more than one rule")
		}
		ids[r.ID] = r.ID != ""
		cfg.Rules[i] = r
	}
	for i := range doc.Rules {
		x := &doc.Rules[i]
		if x.ID == "" {
			x.ID = newID(ids)
			cfg.Rules[i].ID = x.ID
		}
	}
	doc.Xmlns = "http://s3.amazonaws.com/doc/2006-03-01/"
	cfg.doc = doc
	return cfg, nil
}

// decodeStrict decodes one LifecycleConfiguration element and nothing
// after it but white space.
func decodeStrict(body []byte, doc *xmlConfig) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errMalformed
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	if err := d.Decode(doc); err != nil {
		return errMalformed
	}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return errMalformed
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) > 0 {
				return errMalformed
			}
		case xml.Comment, xml.ProcInst:
		default:
			return errMalformed
		}
	}
}

func parseRule(x *xmlRule) (Rule, error) {
	if len(x.Unknown) > 0 {
		return Rule{}, errMalformed
	}
	x.ID = strings.TrimSpace(x.ID)
	if len(x.ID) > MaxIDLength {
		return Rule{}, fail(CodeInvalidArgument, "ID length should not exceed allowed limit of %d", MaxIDLength)
	}
	r := Rule{ID: x.ID}
	switch x.Status {
	case "Enabled":
		r.Enabled = true
	case "Disabled":
	default:
		return Rule{}, errMalformed
	}
	if len(x.Transition) > 0 || len(x.NoncurrentVersionTransition) > 0 {
		return Rule{}, fail(CodeNotImplemented, "Lifecycle transitions are not implemented: prismd has one storage class.")
	}
	f, err := parseFilter(x)
	if err != nil {
		return Rule{}, err
	}
	r.Filter = f
	if x.Expiration == nil && x.NoncurrentVersionExpiration == nil && x.AbortIncompleteMultipartUpload == nil {
		return Rule{}, fail(CodeInvalidRequest, "At least one action needs to be specified in a rule")
	}
	if ex := x.Expiration; ex != nil {
		if err := parseExpiration(ex, &r); err != nil {
			return Rule{}, err
		}
	}
	if nc := x.NoncurrentVersionExpiration; nc != nil {
		if len(nc.Unknown) > 0 || nc.NoncurrentDays == nil {
			return Rule{}, errMalformed
		}
		if *nc.NoncurrentDays <= 0 {
			return Rule{}, fail(CodeInvalidArgument, "'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer")
		}
		r.NoncurrentDays = *nc.NoncurrentDays
		if n := nc.NewerNoncurrentVersions; n != nil {
			if *n <= 0 || *n > MaxNewerNoncurrentVersions {
				return Rule{}, fail(CodeInvalidArgument, "'NewerNoncurrentVersions' for NoncurrentVersionExpiration action must be a positive integer up to %d", MaxNewerNoncurrentVersions)
			}
			r.NewerNoncurrentVersions = *n
		}
	}
	if ab := x.AbortIncompleteMultipartUpload; ab != nil {
		if len(ab.Unknown) > 0 || ab.DaysAfterInitiation == nil {
			return Rule{}, errMalformed
		}
		if *ab.DaysAfterInitiation <= 0 {
			return Rule{}, fail(CodeInvalidArgument, "'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer")
		}
		if len(r.Filter.Tags) > 0 {
			return Rule{}, fail(CodeInvalidRequest, "AbortIncompleteMultipartUpload cannot be specified with Tags.")
		}
		r.AbortDays = *ab.DaysAfterInitiation
	}
	return r, nil
}

func parseExpiration(ex *xmlExpiration, r *Rule) error {
	if len(ex.Unknown) > 0 {
		return errMalformed
	}
	n := 0
	for _, set := range []bool{ex.Days != nil, ex.Date != nil, ex.ExpiredObjectDeleteMarker != nil} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return errMalformed
	case ex.ExpiredObjectDeleteMarker != nil && n > 1:
		return fail(CodeInvalidArgument, "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy")
	case n > 1:
		return errMalformed
	}
	switch {
	case ex.Days != nil:
		if *ex.Days <= 0 {
			return fail(CodeInvalidArgument, "'Days' for Expiration action must be a positive integer")
		}
		r.Days = *ex.Days
	case ex.Date != nil:
		t, err := parseDate(strings.TrimSpace(*ex.Date))
		if err != nil {
			return err
		}
		r.Date = t
		s := t.Format(dateLayout)
		ex.Date = &s
	default:
		r.ExpiredObjectDeleteMarker = *ex.ExpiredObjectDeleteMarker
		if r.ExpiredObjectDeleteMarker && len(r.Filter.Tags) > 0 {
			return fail(CodeInvalidRequest, "ExpiredObjectDeleteMarker cannot be specified with Tags.")
		}
	}
	return nil
}

// parseDate accepts an ISO 8601 date or date-time; it must be midnight UTC.
func parseDate(s string) (time.Time, error) {
	var t time.Time
	var err error
	if len(s) == len("2006-01-02") {
		t, err = time.Parse("2006-01-02", s)
	} else {
		t, err = time.Parse(time.RFC3339Nano, s)
	}
	if err != nil {
		return time.Time{}, fail(CodeInvalidArgument, "Error parsing the Date: %q is not a valid ISO 8601 date", s)
	}
	t = t.UTC()
	if !t.Equal(t.Truncate(24 * time.Hour)) {
		return time.Time{}, fail(CodeInvalidArgument, "'Date' must be at midnight GMT")
	}
	return t, nil
}

func parseFilter(x *xmlRule) (Filter, error) {
	f := Filter{GreaterThan: -1, LessThan: -1}
	switch {
	case x.Prefix != nil && x.Filter != nil:
		return f, errMalformed
	case x.Prefix != nil:
		f.Prefix = *x.Prefix
		return f, nil
	case x.Filter == nil:
		return f, errMalformed
	}
	fx := x.Filter
	if len(fx.Unknown) > 0 {
		return f, errMalformed
	}
	n := 0
	for _, set := range []bool{fx.Prefix != nil, fx.Tag != nil, fx.GreaterThan != nil, fx.LessThan != nil, fx.And != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return f, errMalformed
	}
	var tags []xmlTag
	var gt, lt *int64
	switch {
	case fx.Prefix != nil:
		f.Prefix = *fx.Prefix
	case fx.Tag != nil:
		tags = []xmlTag{*fx.Tag}
	case fx.And != nil:
		a := fx.And
		if len(a.Unknown) > 0 {
			return f, errMalformed
		}
		if a.Prefix != nil {
			f.Prefix = *a.Prefix
		}
		tags, gt, lt = a.Tags, a.GreaterThan, a.LessThan
	default:
		gt, lt = fx.GreaterThan, fx.LessThan
	}
	if len(tags) > 0 {
		f.Tags = make(map[string]string, len(tags))
		for _, t := range tags {
			if t.Key == nil || t.Value == nil {
				return f, errMalformed
			}
			if *t.Key == "" || len(*t.Key) > 128 || len(*t.Value) > 256 {
				return f, fail(CodeInvalidArgument, "The TagKey you have provided is invalid")
			}
			if _, dup := f.Tags[*t.Key]; dup {
				return f, fail(CodeInvalidArgument, "Duplicate Tag Keys are not allowed.")
			}
			f.Tags[*t.Key] = *t.Value
		}
	}
	if gt != nil {
		if *gt < 0 {
			return f, fail(CodeInvalidArgument, "'ObjectSizeGreaterThan' must be a non-negative integer")
		}
		f.GreaterThan = *gt
	}
	if lt != nil {
		if *lt <= 0 {
			return f, fail(CodeInvalidArgument, "'ObjectSizeLessThan' must be a positive integer")
		}
		f.LessThan = *lt
	}
	if gt != nil && lt != nil && *gt >= *lt {
		return f, fail(CodeInvalidArgument, "ObjectSizeGreaterThan must be less than ObjectSizeLessThan")
	}
	return f, nil
}

// newID returns a rule id not in taken, like the ones AWS gives rules
// without one, and adds it to taken.
func newID(taken map[string]bool) string {
	for {
		var b [30]byte
		rand.Read(b[:])
		id := base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:])
		if !taken[id] {
			taken[id] = true
			return id
		}
	}
}

// Canonical returns the configuration as GetBucketLifecycleConfiguration
// answers it: the rules as given (ids filled in, dates normalised), with
// the S3 namespace.
func (c *Configuration) Canonical() []byte {
	out, err := xml.Marshal(c.doc)
	if err != nil {
		panic(fmt.Sprintf("lifecycle: marshal a validated configuration: %v", err)) // only plain fields
	}
	return append([]byte(xml.Header), out...)
}
