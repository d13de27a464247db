package cors

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits of a configuration, as S3's.
const (
	MaxRules   = 100
	MaxIDChars = 255
	MaxSize    = 64 << 10 // bytes of a PutBucketCors body
)

// ErrMalformed is a document S3 answers MalformedXML to.
var ErrMalformed = errors.New("cors: malformed CORS configuration")

// InvalidError is a document S3 answers InvalidRequest to; Message is S3's.
type InvalidError struct{ Message string }

func (e *InvalidError) Error() string { return "cors: " + e.Message }

// Methods are the methods a rule may allow.
var Methods = []string{"GET", "PUT", "POST", "DELETE", "HEAD"}

// Rule is one CORSRule.
type Rule struct {
	ID             string
	HasID          bool // an ID element was given (it may be empty)
	AllowedMethods []string
	AllowedOrigins []string
	AllowedHeaders []string
	ExposeHeaders  []string
	MaxAgeSeconds  int // -1 when not given
}

// Config is a parsed CORSConfiguration. It is read-only once made: the
// matcher shares it between requests.
type Config struct {
	Rules []Rule
	// derived, per rule, for matching and answers
	derived []derived
}

// derived is what a match needs of a rule, computed once.
type derived struct {
	anyOrigin bool     // the literal origin "*"
	headers   []string // AllowedHeaders, lowercase
	methods   []string // Access-Control-Allow-Methods
	expose    []string // Access-Control-Expose-Headers, or nil
	maxAge    []string // Access-Control-Max-Age, or nil
}

// Parse decodes and validates a CORSConfiguration document.
func Parse(doc []byte) (*Config, error) {
	doc = bytes.TrimPrefix(doc, []byte("\xef\xbb\xbf"))
	d := xml.NewDecoder(bytes.NewReader(doc))
	var cfg *Config
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrMalformed
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if cfg != nil || t.Name.Local != "CORSConfiguration" {
				return nil, ErrMalformed
			}
			if cfg, err = parseConfig(d); err != nil {
				return nil, err
			}
		case xml.CharData:
			if !blank(t) {
				return nil, ErrMalformed
			}
		case xml.Comment, xml.ProcInst:
		default:
			return nil, ErrMalformed
		}
	}
	if cfg == nil || len(cfg.Rules) == 0 || len(cfg.Rules) > MaxRules {
		return nil, ErrMalformed
	}
	for _, r := range cfg.Rules {
		if len(r.AllowedOrigins) == 0 || len(r.AllowedMethods) == 0 || utf8.RuneCountInString(r.ID) > MaxIDChars {
			return nil, ErrMalformed
		}
	}
	for _, r := range cfg.Rules {
		if err := r.validate(); err != nil {
			return nil, err
		}
	}
	cfg.derive()
	return cfg, nil
}

func blank(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t\r\n")) == 0
}

// parseConfig reads the children of CORSConfiguration up to its end.
func parseConfig(d *xml.Decoder) (*Config, error) {
	cfg := &Config{}
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, ErrMalformed
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name.Local != "CORSRule" || len(cfg.Rules) == MaxRules {
				return nil, ErrMalformed
			}
			r, err := parseRule(d)
			if err != nil {
				return nil, err
			}
			cfg.Rules = append(cfg.Rules, r)
		case xml.EndElement:
			return cfg, nil
		case xml.CharData:
			if !blank(t) {
				return nil, ErrMalformed
			}
		case xml.Comment:
		default:
			return nil, ErrMalformed
		}
	}
}

// parseRule reads the children of a CORSRule up to its end.
func parseRule(d *xml.Decoder) (Rule, error) {
	r := Rule{MaxAgeSeconds: -1}
	for {
		tok, err := d.Token()
		if err != nil {
			return r, ErrMalformed
		}
		switch t := tok.(type) {
		case xml.StartElement:
			v, err := text(d)
			if err != nil {
				return r, err
			}
			switch t.Name.Local {
			case "ID":
				if r.HasID {
					return r, ErrMalformed
				}
				r.ID, r.HasID = v, true
			case "AllowedMethod":
				r.AllowedMethods = append(r.AllowedMethods, v)
			case "AllowedOrigin":
				r.AllowedOrigins = append(r.AllowedOrigins, v)
			case "AllowedHeader":
				r.AllowedHeaders = append(r.AllowedHeaders, v)
			case "ExposeHeader":
				r.ExposeHeaders = append(r.ExposeHeaders, v)
			case "MaxAgeSeconds":
				n, ok := maxAge(v)
				if !ok || r.MaxAgeSeconds >= 0 {
					return r, ErrMalformed
				}
				r.MaxAgeSeconds = n
			default:
				return r, ErrMalformed
			}
		case xml.EndElement:
			return r, nil
		case xml.CharData:
			if !blank(t) {
				return r, ErrMalformed
			}
		case xml.Comment:
		default:
			return r, ErrMalformed
		}
	}
}

// text reads the text of a leaf element up to its end.
func text(d *xml.Decoder) (string, error) {
	var b []byte
	for {
		tok, err := d.Token()
		if err != nil {
			return "", ErrMalformed
		}
		switch t := tok.(type) {
		case xml.CharData:
			b = append(b, t...)
		case xml.Comment:
		case xml.EndElement:
			return string(b), nil
		default:
			return "", ErrMalformed
		}
	}
}

// maxAge parses a MaxAgeSeconds: decimal digits, at most 2^31-1.
func maxAge(v string) (int, bool) {
	if v == "" {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 32)
	return int(n), err == nil
}

// validate makes the InvalidRequest checks of one rule, in S3's order.
func (r Rule) validate() error {
	for _, m := range r.AllowedMethods {
		if !validMethod(m) {
			return &InvalidError{"Found unsupported HTTP method in CORS config. Unsupported method is " + m}
		}
	}
	for _, o := range r.AllowedOrigins {
		if strings.Count(o, "*") > 1 {
			return &InvalidError{fmt.Sprintf("AllowedOrigin %q can not have more than one wildcard.", o)}
		}
	}
	for _, h := range r.AllowedHeaders {
		if strings.Count(h, "*") > 1 {
			return &InvalidError{fmt.Sprintf("AllowedHeader %q can not have more than one wildcard.", h)}
		}
	}
	for _, h := range r.ExposeHeaders {
		if strings.Contains(h, "*") {
			return &InvalidError{fmt.Sprintf("ExposeHeader %q contains wildcard. We currently do not support wildcard for ExposeHeader.", h)}
		}
	}
	return nil
}

// validMethod reports whether m is one of Methods.
func validMethod(m string) bool {
	switch m {
	case "GET", "PUT", "POST", "DELETE", "HEAD":
		return true
	}
	return false
}

// derive computes what matching needs of each rule.
func (c *Config) derive() {
	c.derived = make([]derived, len(c.Rules))
	for i, r := range c.Rules {
		dv := &c.derived[i]
		for _, o := range r.AllowedOrigins {
			if o == "*" {
				dv.anyOrigin = true
			}
		}
		for _, h := range r.AllowedHeaders {
			dv.headers = append(dv.headers, strings.ToLower(h))
		}
		dv.methods = []string{strings.Join(r.AllowedMethods, ", ")}
		if len(r.ExposeHeaders) > 0 {
			dv.expose = []string{strings.Join(r.ExposeHeaders, ", ")}
		}
		if r.MaxAgeSeconds >= 0 {
			dv.maxAge = []string{strconv.Itoa(r.MaxAgeSeconds)}
		}
	}
}

// Marshal returns the canonical document, as GetBucketCors answers it.
func (c *Config) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<CORSConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">`)
	for _, r := range c.Rules {
		b.WriteString("<CORSRule>")
		if r.HasID {
			element(&b, "ID", r.ID)
		}
		for _, v := range r.AllowedMethods {
			element(&b, "AllowedMethod", v)
		}
		for _, v := range r.AllowedOrigins {
			element(&b, "AllowedOrigin", v)
		}
		for _, v := range r.AllowedHeaders {
			element(&b, "AllowedHeader", v)
		}
		if r.MaxAgeSeconds >= 0 {
			element(&b, "MaxAgeSeconds", strconv.Itoa(r.MaxAgeSeconds))
		}
		for _, v := range r.ExposeHeaders {
			element(&b, "ExposeHeader", v)
		}
		b.WriteString("</CORSRule>")
	}
	b.WriteString("</CORSConfiguration>")
	return b.Bytes()
}

func element(b *bytes.Buffer, name, v string) {
	b.WriteString("<" + name + ">")
	xml.EscapeText(b, []byte(v))
	b.WriteString("</" + name + ">")
}
