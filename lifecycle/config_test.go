package lifecycle

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func rule(body string) string {
	return `<LifecycleConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>` + body + `</Rule></LifecycleConfiguration>`
}

func TestParse(t *testing.T) {
	many := strings.Repeat(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, MaxRules+1)
	cases := []struct {
		name, body, code string
	}{
		{"days", rule(`<ID>a</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`), ""},
		{"legacy prefix", rule(`<ID>a</ID><Prefix>logs/</Prefix><Status>Enabled</Status><Expiration><Days>3</Days></Expiration>`), ""},
		{"empty filter", rule(`<Filter></Filter><Status>Disabled</Status><Expiration><Days>3</Days></Expiration>`), ""},
		{"date", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T00:00:00Z</Date></Expiration>`), ""},
		{"date only", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01</Date></Expiration>`), ""},
		{"marker", rule(`<Filter/><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), ""},
		{"noncurrent", rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>`), ""},
		{"abort", rule(`<Filter><Prefix>x</Prefix></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>7</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), ""},
		{"tag", rule(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), ""},
		{"and", rule(`<Filter><And><Prefix>p</Prefix><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>b</Key><Value>2</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan><ObjectSizeLessThan>100</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), ""},
		{"size", rule(`<Filter><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), ""},
		{"1000 rules", `<LifecycleConfiguration>` + strings.Repeat(`<Rule><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, MaxRules) + `</LifecycleConfiguration>`, ""},

		{"empty body", ``, CodeMalformedXML},
		{"not xml", `hello`, CodeMalformedXML},
		{"trailing element", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`) + `<x/>`, CodeMalformedXML},
		{"no rules", `<LifecycleConfiguration></LifecycleConfiguration>`, CodeMalformedXML},
		{"wrong root", `<Lifecycle><Rule/></Lifecycle>`, CodeMalformedXML},
		{"too many rules", `<LifecycleConfiguration>` + many + `</LifecycleConfiguration>`, CodeInvalidRequest},
		{"long id", rule(`<ID>` + strings.Repeat("a", 256) + `</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeInvalidArgument},
		{"duplicate id", `<LifecycleConfiguration>` + strings.Repeat(`<Rule><ID>x</ID><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`, 2) + `</LifecycleConfiguration>`, CodeInvalidArgument},
		{"bad status", rule(`<Filter/><Status>enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"no status", rule(`<Filter/><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"no filter", rule(`<Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"filter and prefix", rule(`<Prefix/><Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"two filter predicates", rule(`<Filter><Prefix>a</Prefix><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"unknown element", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days></Expiration><Bogus/>`), CodeMalformedXML},
		{"no action", rule(`<Filter/><Status>Enabled</Status>`), CodeInvalidRequest},
		{"empty expiration", rule(`<Filter/><Status>Enabled</Status><Expiration></Expiration>`), CodeMalformedXML},
		{"days and date", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><Date>2027-01-01T00:00:00Z</Date></Expiration>`), CodeMalformedXML},
		{"marker and days", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>1</Days><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), CodeInvalidArgument},
		{"zero days", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>0</Days></Expiration>`), CodeInvalidArgument},
		{"negative days", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>-1</Days></Expiration>`), CodeInvalidArgument},
		{"days not a number", rule(`<Filter/><Status>Enabled</Status><Expiration><Days>one</Days></Expiration>`), CodeMalformedXML},
		{"date not midnight", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01T10:00:00Z</Date></Expiration>`), CodeInvalidArgument},
		{"date garbage", rule(`<Filter/><Status>Enabled</Status><Expiration><Date>tomorrow</Date></Expiration>`), CodeInvalidArgument},
		{"noncurrent zero", rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>0</NoncurrentDays></NoncurrentVersionExpiration>`), CodeInvalidArgument},
		{"noncurrent no days", rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NewerNoncurrentVersions>1</NewerNoncurrentVersions></NoncurrentVersionExpiration>`), CodeMalformedXML},
		{"newer too many", rule(`<Filter/><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>101</NewerNoncurrentVersions></NoncurrentVersionExpiration>`), CodeInvalidArgument},
		{"abort zero", rule(`<Filter/><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>0</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), CodeInvalidArgument},
		{"abort with tags", rule(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><AbortIncompleteMultipartUpload><DaysAfterInitiation>1</DaysAfterInitiation></AbortIncompleteMultipartUpload>`), CodeInvalidRequest},
		{"marker with tags", rule(`<Filter><Tag><Key>k</Key><Value>v</Value></Tag></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration>`), CodeInvalidRequest},
		{"duplicate tag keys", rule(`<Filter><And><Tag><Key>a</Key><Value>1</Value></Tag><Tag><Key>a</Key><Value>2</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeInvalidArgument},
		{"tag without value", rule(`<Filter><Tag><Key>a</Key></Tag></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeMalformedXML},
		{"sizes crossed", rule(`<Filter><And><ObjectSizeGreaterThan>100</ObjectSizeGreaterThan><ObjectSizeLessThan>10</ObjectSizeLessThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeInvalidArgument},
		{"negative size", rule(`<Filter><ObjectSizeGreaterThan>-1</ObjectSizeGreaterThan></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration>`), CodeInvalidArgument},
		{"transition", rule(`<Filter/><Status>Enabled</Status><Transition><Days>30</Days><StorageClass>GLACIER</StorageClass></Transition>`), CodeNotImplemented},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.body))
			if c.code == "" {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				again, err := Parse(cfg.Canonical())
				if err != nil {
					t.Fatalf("canonical form does not parse: %v\n%s", err, cfg.Canonical())
				}
				if string(again.Canonical()) != string(cfg.Canonical()) {
					t.Errorf("canonical form is not stable:\n%s\n%s", cfg.Canonical(), again.Canonical())
				}
				return
			}
			var le *Error
			if !errors.As(err, &le) || le.Code != c.code {
				t.Fatalf("Parse = %v, want code %s", err, c.code)
			}
			if le.Message == "" {
				t.Error("no message")
			}
		})
	}
}

func TestParseFillsIDsAndDates(t *testing.T) {
	cfg, err := Parse([]byte(rule(`<Filter/><Status>Enabled</Status><Expiration><Date>2027-01-01</Date></Expiration>`)))
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules[0]
	if r.ID == "" || len(r.ID) > MaxIDLength {
		t.Errorf("generated id %q", r.ID)
	}
	if !r.Date.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date %v", r.Date)
	}
	doc := string(cfg.Canonical())
	for _, want := range []string{"<ID>" + r.ID + "</ID>", "<Date>2027-01-01T00:00:00.000Z</Date>", `xmlns="http://s3.amazonaws.com/doc/2006-03-01/"`} {
		if !strings.Contains(doc, want) {
			t.Errorf("canonical form lacks %s:\n%s", want, doc)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(rule(`<ID>a</ID><Filter><And><Prefix>p</Prefix><Tag><Key>a</Key><Value>1</Value></Tag></And></Filter><Status>Enabled</Status><Expiration><Days>3</Days></Expiration><NoncurrentVersionExpiration><NoncurrentDays>2</NoncurrentDays></NoncurrentVersionExpiration>`)))
	f.Add([]byte(rule(`<Prefix>x</Prefix><Status>Disabled</Status><Expiration><Date>2027-01-01</Date></Expiration>`)))
	f.Add([]byte(`<LifecycleConfiguration/>`))
	f.Fuzz(func(t *testing.T, body []byte) {
		cfg, err := Parse(body)
		if err != nil {
			var le *Error
			if !errors.As(err, &le) || le.Code == "" {
				t.Fatalf("error %v is not an *Error with a code", err)
			}
			return
		}
		doc := cfg.Canonical()
		again, err := Parse(doc)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", doc, err)
		}
		if string(again.Canonical()) != string(doc) {
			t.Fatalf("canonical form not stable:\n%s\n%s", doc, again.Canonical())
		}
	})
}
