package postform

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name  string
		doc   string
		conds string // Condition.String() joined by " "
		err   string // substring of the malformed message
	}{
		{name: "aws example", doc: `{ "expiration": "2007-12-01T12:00:00.000Z", "conditions": [ {"acl": "public-read" }, {"bucket": "johnsmith" }, ["starts-with", "$key", "user/eric/"] ] }`,
			conds: `["eq", "$acl", "public-read"] ["eq", "$bucket", "johnsmith"] ["starts-with", "$key", "user/eric/"]`},
		{name: "eq and range", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$Content-Type","image/png"],["content-length-range",1,"1048576"]]}`,
			conds: `["eq", "$content-type", "image/png"] ["content-length-range", 1, 1048576]`},
		{name: "escaped dollar", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$x-amz-meta-price","\$10\\"]]}`,
			conds: `["eq", "$x-amz-meta-price", "$10\\"]`},
		{name: "empty conditions", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[]}`},
		{name: "not json", doc: `{"expiration"`, err: "Invalid JSON"},
		{name: "trailing data", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[]} {}`, err: "Invalid JSON"},
		{name: "missing expiration", doc: `{"conditions":[]}`, err: "missing expiration"},
		{name: "bad expiration", doc: `{"expiration":"tomorrow","conditions":[]}`, err: "Invalid 'expiration'"},
		{name: "numeric expiration", doc: `{"expiration":5,"conditions":[]}`, err: "Invalid 'expiration'"},
		{name: "missing conditions", doc: `{"expiration":"2030-01-01T00:00:00Z"}`, err: "missing conditions"},
		{name: "conditions not array", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":{}}`, err: "must be an array"},
		{name: "unknown field", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[],"x":1}`, err: "Unexpected field"},
		{name: "non-string simple", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[{"acl":1}]}`, err: "Simple-Condition"},
		{name: "unknown op", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["ends-with","$key","x"]]}`, err: "operator"},
		{name: "no dollar", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","key","x"]]}`, err: "must start with '$'"},
		{name: "short eq", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$key"]]}`, err: "Invalid 'eq'"},
		{name: "bad range", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",-1,5]]}`, err: "content-length-range"},
		{name: "float range", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",1.5,5]]}`, err: "content-length-range"},
		{name: "empty array", doc: `{"expiration":"2030-01-01T00:00:00Z","conditions":[[]]}`, err: "Invalid condition"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(b64(tc.doc))
			if tc.err != "" {
				var pe *PolicyError
				if !errors.As(err, &pe) || !pe.Malformed || !strings.Contains(pe.Message, tc.err) || !strings.HasPrefix(pe.Message, "Invalid Policy: ") {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, c := range p.Conditions {
				got = append(got, c.String())
			}
			// Simple conditions of one object come in map order; the
			// example has one key per object.
			if strings.Join(got, " ") != tc.conds {
				t.Fatalf("conditions\n%s\nwant\n%s", strings.Join(got, " "), tc.conds)
			}
		})
	}
	if _, err := ParsePolicy("!!!"); err == nil || !strings.Contains(err.Error(), "base64") {
		t.Fatalf("bad base64: %v", err)
	}
}

func TestExpired(t *testing.T) {
	p, err := ParsePolicy(b64(`{"expiration":"2030-01-01T00:00:00.000Z","conditions":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	if p.Expired(exp.Add(-time.Second)) || !p.Expired(exp) || !p.Expired(exp.Add(time.Hour)) {
		t.Fatal("expiration")
	}
}

func TestCheck(t *testing.T) {
	form := func(kv ...string) *Form {
		f := &Form{}
		for i := 0; i < len(kv); i += 2 {
			f.Fields = append(f.Fields, Field{kv[i], kv[i+1]})
		}
		return f
	}
	base := `{"bucket":"bkt"},["starts-with","$key","user/"],{"x-amz-algorithm":"AWS4-HMAC-SHA256"},{"x-amz-credential":"c"},{"x-amz-date":"d"}`
	sig := []string{"key", "user/a.txt", "X-Amz-Algorithm", "AWS4-HMAC-SHA256", "x-amz-credential", "c", "x-amz-date", "d", "x-amz-signature", "s", "policy", "p"}
	tests := []struct {
		name   string
		conds  string
		fields []string
		bucket string
		err    string // "" passes
	}{
		{name: "all covered", conds: base, fields: sig},
		{name: "wrong bucket", conds: base, fields: sig, bucket: "other", err: `Policy Condition failed: ["eq", "$bucket", "bkt"]`},
		{name: "key prefix fails", conds: base, fields: append([]string{"key", "admin/x"}, sig[2:]...), err: `Policy Condition failed: ["starts-with", "$key", "user/"]`},
		{name: "extra field", conds: base, fields: append(sig, "acl", "public-read", "x-amz-meta-a", "1"), err: "Extra input fields: acl, x-amz-meta-a"},
		{name: "x-ignore and file exempt", conds: base, fields: append(sig, "x-ignore-flash", "1", "file", "f")},
		{name: "field case", conds: base + `,["eq","$Content-Type","text/plain"]`, fields: append(sig, "content-type", "text/plain")},
		{name: "eq is exact", conds: base + `,["eq","$acl","private"]`, fields: append(sig, "acl", "Private"), err: "Policy Condition failed"},
		{name: "missing field fails eq", conds: base + `,{"acl":"private"}`, fields: sig, err: "Policy Condition failed"},
		{name: "any content", conds: base + `,["starts-with","$success_action_redirect",""]`, fields: append(sig, "success_action_redirect", "http://x/")},
		{name: "content type list", conds: base + `,["starts-with","$Content-Type","image/"]`, fields: append(sig, "Content-Type", "image/jpg, image/png")},
		{name: "content type list fails", conds: base + `,["starts-with","$Content-Type","image/"]`, fields: append(sig, "Content-Type", "image/jpg,text/html"), err: "Policy Condition failed"},
		{name: "repeated field joined", conds: base + `,{"x-amz-meta-tag":"Ninja,Stallman"}`, fields: append(sig, "x-amz-meta-tag", "Ninja", "x-amz-meta-tag", "Stallman")},
		{name: "two conditions on one field", conds: base + `,["starts-with","$key","user/a"]`, fields: sig},
		{name: "two conditions one fails", conds: base + `,["starts-with","$key","user/b"]`, fields: sig, err: "Policy Condition failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePolicy(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[` + tc.conds + `]}`))
			if err != nil {
				t.Fatal(err)
			}
			bucket := tc.bucket
			if bucket == "" {
				bucket = "bkt"
			}
			err = p.Check(form(tc.fields...), bucket)
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Malformed || pe.Message != "Invalid according to Policy: "+tc.err && !strings.Contains(pe.Message, tc.err) {
				t.Fatalf("err %v, want %q", err, tc.err)
			}
		})
	}
}

func TestCheckLength(t *testing.T) {
	p, err := ParsePolicy(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["content-length-range",10,100]]}`))
	if err != nil {
		t.Fatal(err)
	}
	for size, want := range map[int64]string{9: "small", 10: "", 100: "", 101: "large", 0: "small"} {
		err := p.CheckLength(size)
		var le *LengthError
		switch {
		case want == "" && err != nil, want != "" && !errors.As(err, &le):
			t.Fatalf("%d: %v", size, err)
		case want == "large" && !le.TooLarge, want == "small" && le.TooLarge:
			t.Fatalf("%d: %+v", size, le)
		}
	}
	if !p.LengthRanges() {
		t.Fatal("LengthRanges")
	}
	open, _ := ParsePolicy(b64(`{"expiration":"2030-01-01T00:00:00Z","conditions":[]}`))
	if open.LengthRanges() || open.CheckLength(1<<40) != nil {
		t.Fatal("no range")
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[{"bucket":"b"},["starts-with","$key",""],["content-length-range",0,10]]}`)
	f.Add(`{"expiration":"2030-01-01T00:00:00Z","conditions":[["eq","$a","\$"]]}`)
	f.Add(`{"expiration":"x","conditions":[[1,2,3]]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		p, err := ParsePolicy(b64(doc))
		if err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || !pe.Malformed {
				t.Fatalf("error %v is not a malformed PolicyError", err)
			}
			return
		}
		for _, c := range p.Conditions {
			if c.Op != OpEq && c.Op != OpStartsWith && c.Op != OpRange {
				t.Fatalf("op %q", c.Op)
			}
			_ = c.String()
		}
		f := &Form{Fields: []Field{{"key", "k"}, {"acl", "private"}}}
		if err := p.Check(f, "b"); err != nil {
			var pe *PolicyError
			if !errors.As(err, &pe) || pe.Malformed {
				t.Fatalf("check error %v", err)
			}
		}
		p.CheckLength(5)
	})
}
