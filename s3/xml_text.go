package s3

import (
	"encoding/xml"
	"fmt"
	"strings"
	"unicode/utf8"
)

// xmlText is an XML element's text that may hold characters XML 1.0
// cannot carry — a key, a prefix, a marker, a delimiter: S3 keys may hold
// any character but NUL. encoding/xml would turn those into U+FFFD, so the
// key a client lists would not be the key stored. AWS writes them as
// numeric character references instead ("a\x01" is <Key>a&#x1;</Key>:
// riak_cs#1255, aws/aws-sdk-php#169 and aws/aws-sdk-java-v2#1172 show
// &#x1;, &#x1b; and &#x8; in AWS listings without encoding-type), and so
// does prismd: the bytes are AWS's, and a client never gets a key other
// than the stored one. Such a reference is not well-formed XML 1.0, so
// strict parsers refuse the document, AWS's as well as prismd's: Go's
// encoding/xml, and with it aws-sdk-go-v2, fails with "illegal character
// code U+0001", as do expat (botocore) and libxml2 (PHP). Such clients
// must ask for encoding-type=url, as the S3 documentation tells them to.
type xmlText string

// MarshalXML writes s as the element's text, escaped by escapeXMLText.
func (s xmlText) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	return e.EncodeElement(struct {
		Text string `xml:",innerxml"`
	}{escapeXMLText(string(s))}, start)
}

// escapeXMLText escapes s exactly as encoding/xml does, except that a
// character outside XML 1.0's Char production becomes a lower-case
// hexadecimal character reference (&#x1f;) instead of U+FFFD. Bytes that
// are not UTF-8 still become U+FFFD.
func escapeXMLText(s string) string {
	var b strings.Builder
	start := 0
	for i, r := range s {
		if isXMLChar(r) || r == utf8.RuneError {
			continue
		}
		xml.EscapeText(&b, []byte(s[start:i]))
		fmt.Fprintf(&b, "&#x%x;", r)
		start = i + utf8.RuneLen(r)
	}
	xml.EscapeText(&b, []byte(s[start:]))
	return b.String()
}

// isXMLChar reports whether XML 1.0 can hold r (its Char production).
func isXMLChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
