package cors

import (
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

const (
	ns      = `http://s3.amazonaws.com/doc/2006-03-01/`
	origin1 = "<AllowedOrigin>https://example.com</AllowedOrigin>"
	get     = "<AllowedMethod>GET</AllowedMethod>"
	minimal = origin1 + get
)

// doc is a configuration with one CORSRule per argument.
func doc(rules ...string) string {
	var b strings.Builder
	b.WriteString(`<CORSConfiguration xmlns="` + ns + `">`)
	for _, r := range rules {
		b.WriteString("<CORSRule>" + r + "</CORSRule>")
	}
	b.WriteString("</CORSConfiguration>")
	return b.String()
}

func TestParseAccepts(t *testing.T) {
	compact := "<CORSRule><ID>rule-1</ID>" + origin1 + "<AllowedOrigin>https://*.example.org</AllowedOrigin>" +
		get + "<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader>" +
		"<MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule>"
	want := []Rule{{ID: "rule-1", HasID: true, AllowedOrigins: []string{"https://example.com", "https://*.example.org"},
		AllowedMethods: []string{"GET", "PUT"}, AllowedHeaders: []string{"*"}, ExposeHeaders: []string{"ETag"}, MaxAgeSeconds: 3000}}
	for name, body := range map[string]string{
		"namespace":    `<CORSConfiguration xmlns="` + ns + `">` + compact + `</CORSConfiguration>`,
		"no namespace": `<CORSConfiguration>` + compact + `</CORSConfiguration>`,
		"declaration":  `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<CORSConfiguration>` + compact + `</CORSConfiguration>`,
		"bom":          "\ufeff<CORSConfiguration>" + compact + "</CORSConfiguration>",
		"prefix": `<s3:CORSConfiguration xmlns:s3="` + ns + `"><s3:CORSRule><s3:ID>rule-1</s3:ID>` +
			`<s3:AllowedOrigin>https://example.com</s3:AllowedOrigin><s3:AllowedOrigin>https://*.example.org</s3:AllowedOrigin>` +
			`<s3:AllowedMethod>GET</s3:AllowedMethod><s3:AllowedMethod>PUT</s3:AllowedMethod><s3:AllowedHeader>*</s3:AllowedHeader>` +
			`<s3:ExposeHeader>ETag</s3:ExposeHeader><s3:MaxAgeSeconds>3000</s3:MaxAgeSeconds></s3:CORSRule></s3:CORSConfiguration>`,
		"whitespace and comments": "\n<CORSConfiguration>\n\t<!-- c -->\n\t<CORSRule>\n\t\t<MaxAgeSeconds>3000</MaxAgeSeconds>" +
			"<AllowedMethod>GET</AllowedMethod>\r\n<AllowedOrigin><![CDATA[https://example.com]]></AllowedOrigin>" +
			"<ExposeHeader>ETag</ExposeHeader><AllowedOrigin>https://*.example<!-- x -->.org</AllowedOrigin>" +
			"<AllowedHeader>*</AllowedHeader><ID>rule-1</ID><AllowedMethod>PUT</AllowedMethod>\n\t</CORSRule>\n</CORSConfiguration>\n",
	} {
		c, err := Parse([]byte(body))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(c.Rules, want) {
			t.Errorf("%s: rules %+v, want %+v", name, c.Rules, want)
		}
	}
	for _, tc := range []struct {
		name, rule string
		check      func(Rule) bool
	}{
		{"MaxAgeSeconds 0", minimal + "<MaxAgeSeconds>0</MaxAgeSeconds>", func(r Rule) bool { return r.MaxAgeSeconds == 0 }},
		{"MaxAgeSeconds max", minimal + "<MaxAgeSeconds>2147483647</MaxAgeSeconds>", func(r Rule) bool { return r.MaxAgeSeconds == 2147483647 }},
		{"MaxAgeSeconds leading zeros", minimal + "<MaxAgeSeconds>0042</MaxAgeSeconds>", func(r Rule) bool { return r.MaxAgeSeconds == 42 }},
		{"no MaxAgeSeconds", minimal, func(r Rule) bool { return r.MaxAgeSeconds == -1 && !r.HasID }},
		{"ID of 255", minimal + "<ID>" + strings.Repeat("é", 255) + "</ID>", func(r Rule) bool { return len(r.ID) == 510 }},
		{"empty ID", minimal + "<ID/>", func(r Rule) bool { return r.HasID && r.ID == "" }},
		{"empty origin", "<AllowedOrigin></AllowedOrigin>" + get, func(r Rule) bool { return r.AllowedOrigins[0] == "" }},
		{"whitespace kept", "<AllowedOrigin> https://example.com\n</AllowedOrigin>" + get, func(r Rule) bool { return r.AllowedOrigins[0] == " https://example.com\n" }},
		{"one wildcard each", "<AllowedOrigin>*</AllowedOrigin><AllowedOrigin>https://*.example.com</AllowedOrigin>" +
			"<AllowedOrigin>https://example.com:*</AllowedOrigin>" + get + "<AllowedHeader>x-*-id</AllowedHeader>",
			func(r Rule) bool { return len(r.AllowedOrigins) == 3 && r.AllowedHeaders[0] == "x-*-id" }},
		{"duplicates", minimal + minimal, func(r Rule) bool { return len(r.AllowedMethods) == 2 }},
		{"every method", origin1 + "<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>" +
			"<AllowedMethod>DELETE</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>", func(r Rule) bool { return len(r.AllowedMethods) == 5 }},
		{"entities and case", "<ID>a &lt;1&gt; &amp; &#x2A;</ID><AllowedOrigin>HTTPS://Example.COM</AllowedOrigin>" + get,
			func(r Rule) bool { return r.ID == "a <1> & *" && r.AllowedOrigins[0] == "HTTPS://Example.COM" }},
	} {
		c, err := Parse([]byte(doc(tc.rule)))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if !tc.check(c.Rules[0]) {
			t.Errorf("%s: got %+v", tc.name, c.Rules[0])
		}
	}
	rules := make([]string, MaxRules)
	for i := range rules {
		rules[i] = minimal
	}
	if c, err := Parse([]byte(doc(rules...))); err != nil || len(c.Rules) != MaxRules {
		t.Errorf("100 rules: %v", err)
	}
}

func TestParseMalformed(t *testing.T) {
	rules := make([]string, MaxRules+1)
	for i := range rules {
		rules[i] = minimal
	}
	for name, body := range map[string]string{
		"empty":                    "",
		"not XML":                  "AllowedOrigin: *",
		"not UTF-8":                "<\xff\xfe>",
		"unclosed":                 "<CORSConfiguration><CORSRule>" + minimal + "</CORSConfiguration>",
		"doctype":                  "<!DOCTYPE CORSConfiguration>" + doc(minimal),
		"other root":               "<CORSRules><CORSRule>" + minimal + "</CORSRule></CORSRules>",
		"lowercase root":           "<corsconfiguration><CORSRule>" + minimal + "</CORSRule></corsconfiguration>",
		"rule as root":             "<CORSRule>" + minimal + "</CORSRule>",
		"two roots":                doc(minimal) + doc(minimal),
		"trailing text":            doc(minimal) + "x",
		"other rule name":          "<CORSConfiguration><Rule>" + minimal + "</Rule></CORSConfiguration>",
		"no rule":                  doc(),
		"empty root":               `<CORSConfiguration/>`,
		"rule fields in root":      "<CORSConfiguration>" + minimal + "</CORSConfiguration>",
		"101 rules":                doc(rules...),
		"unknown next to rule":     "<CORSConfiguration><CORSRule>" + minimal + "</CORSRule><Owner>me</Owner></CORSConfiguration>",
		"text next to rule":        "<CORSConfiguration>text<CORSRule>" + minimal + "</CORSRule></CORSConfiguration>",
		"rule in rule":             doc("<CORSRule>" + minimal + "</CORSRule>"),
		"empty rule":               doc(""),
		"no origin":                doc(get),
		"no method":                doc(origin1),
		"second rule no origin":    doc(minimal, get),
		"text in rule":             doc(minimal + "text"),
		"unknown in rule":          doc(minimal + "<AllowedHeaders>*</AllowedHeaders>"),
		"lowercase element":        doc(minimal + "<allowedheader>*</allowedheader>"),
		"element in value":         doc("<AllowedOrigin><Origin>*</Origin></AllowedOrigin>" + get),
		"MaxAgeSeconds empty":      doc(minimal + "<MaxAgeSeconds></MaxAgeSeconds>"),
		"MaxAgeSeconds word":       doc(minimal + "<MaxAgeSeconds>hour</MaxAgeSeconds>"),
		"MaxAgeSeconds negative":   doc(minimal + "<MaxAgeSeconds>-1</MaxAgeSeconds>"),
		"MaxAgeSeconds plus":       doc(minimal + "<MaxAgeSeconds>+1</MaxAgeSeconds>"),
		"MaxAgeSeconds fraction":   doc(minimal + "<MaxAgeSeconds>1.5</MaxAgeSeconds>"),
		"MaxAgeSeconds spaces":     doc(minimal + "<MaxAgeSeconds> 1</MaxAgeSeconds>"),
		"MaxAgeSeconds over 2^31":  doc(minimal + "<MaxAgeSeconds>2147483648</MaxAgeSeconds>"),
		"MaxAgeSeconds twice":      doc(minimal + "<MaxAgeSeconds>0</MaxAgeSeconds><MaxAgeSeconds>1</MaxAgeSeconds>"),
		"ID of 256":                doc(minimal + "<ID>" + strings.Repeat("a", 256) + "</ID>"),
		"ID twice":                 doc(minimal + "<ID></ID><ID>b</ID>"),
		"malformed before invalid": doc("<AllowedOrigin>https://example.com</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>", get),
		"later malformed wins":     doc("<AllowedOrigin>*.*</AllowedOrigin>"+get, minimal+"<ID>a</ID><ID>b</ID>"),
	} {
		if _, err := Parse([]byte(body)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: err %v, want ErrMalformed", name, err)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	const method = "Found unsupported HTTP method in CORS config. Unsupported method is "
	for _, tc := range []struct{ name, body, msg string }{
		{"OPTIONS", doc(minimal + "<AllowedMethod>OPTIONS</AllowedMethod>"), method + "OPTIONS"},
		{"PATCH", doc(origin1 + "<AllowedMethod>PATCH</AllowedMethod>"), method + "PATCH"},
		{"lowercase", doc(origin1 + "<AllowedMethod>get</AllowedMethod>"), method + "get"},
		{"space", doc(origin1 + "<AllowedMethod> GET</AllowedMethod>"), method + " GET"},
		{"list", doc(origin1 + "<AllowedMethod>GET,PUT</AllowedMethod>"), method + "GET,PUT"},
		{"star", doc(origin1 + "<AllowedMethod>*</AllowedMethod>"), method + "*"},
		{"empty", doc(origin1 + "<AllowedMethod></AllowedMethod>"), method},
		{"origin two wildcards", doc("<AllowedOrigin>https://*.example.*</AllowedOrigin>" + get), `AllowedOrigin "https://*.example.*" can not have more than one wildcard.`},
		{"origin **", doc("<AllowedOrigin>**</AllowedOrigin>" + get), `AllowedOrigin "**" can not have more than one wildcard.`},
		{"header two wildcards", doc(minimal + "<AllowedHeader>x-*-meta-*</AllowedHeader>"), `AllowedHeader "x-*-meta-*" can not have more than one wildcard.`},
		{"expose wildcard", doc(minimal + "<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-*</ExposeHeader>"),
			`ExposeHeader "x-amz-*" contains wildcard. We currently do not support wildcard for ExposeHeader.`},
		{"escaped", doc("<AllowedOrigin>*&lt;&amp;&gt;*</AllowedOrigin>" + get), `AllowedOrigin "*<&>*" can not have more than one wildcard.`},
		{"method before origin", doc("<ExposeHeader>x-*</ExposeHeader><AllowedHeader>*-*</AllowedHeader><AllowedOrigin>*.*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"), method + "PATCH"},
		{"origin before header", doc("<ExposeHeader>x-*</ExposeHeader><AllowedHeader>*-*</AllowedHeader><AllowedOrigin>*.*</AllowedOrigin>" + get), `AllowedOrigin "*.*" can not have more than one wildcard.`},
		{"header before expose", doc("<ExposeHeader>x-*</ExposeHeader><AllowedHeader>*-*</AllowedHeader>" + minimal), `AllowedHeader "*-*" can not have more than one wildcard.`},
		{"first bad method", doc(origin1 + "<AllowedMethod>PATCH</AllowedMethod><AllowedMethod>TRACE</AllowedMethod>"), method + "PATCH"},
		{"first bad rule", doc(minimal, minimal+"<ExposeHeader>x-*</ExposeHeader>", origin1+"<AllowedMethod>PATCH</AllowedMethod>"),
			`ExposeHeader "x-*" contains wildcard. We currently do not support wildcard for ExposeHeader.`},
	} {
		_, err := Parse([]byte(tc.body))
		var inv *InvalidError
		if !errors.As(err, &inv) || inv.Message != tc.msg {
			t.Errorf("%s: err %v, want InvalidRequest %q", tc.name, err, tc.msg)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	body := doc("<MaxAgeSeconds>3000</MaxAgeSeconds><ExposeHeader>ETag</ExposeHeader><AllowedOrigin>https://example.com/?a=1&amp;b=2</AllowedOrigin>"+
		"<AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ID>r &lt;1&gt;</ID><AllowedMethod>POST</AllowedMethod>",
		"<AllowedOrigin> *\n</AllowedOrigin>"+get+"<ID></ID>")
	c, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := string(c.Marshal())
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<CORSConfiguration xmlns="` + ns + `">` +
		"<CORSRule><ID>r &lt;1&gt;</ID><AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod>" +
		"<AllowedOrigin>https://example.com/?a=1&amp;b=2</AllowedOrigin><AllowedHeader>*</AllowedHeader>" +
		"<MaxAgeSeconds>3000</MaxAgeSeconds><ExposeHeader>ETag</ExposeHeader></CORSRule>" +
		"<CORSRule><ID></ID><AllowedMethod>GET</AllowedMethod><AllowedOrigin> *&#xA;</AllowedOrigin></CORSRule></CORSConfiguration>"
	if got != want {
		t.Fatalf("Marshal:\n%s\nwant\n%s", got, want)
	}
	c2, err := Parse([]byte(got))
	if err != nil || !reflect.DeepEqual(c2.Rules, c.Rules) {
		t.Fatalf("round trip: %v\n%+v\n%+v", err, c2.Rules, c.Rules)
	}
	if string(c2.Marshal()) != got {
		t.Fatal("Marshal is not stable")
	}
}

func mustParse(t *testing.T, rules ...string) *Config {
	t.Helper()
	c, err := Parse([]byte(doc(rules...)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestOriginMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, origin string
		ok              bool
	}{
		{"*", "https://example.com", true},
		{"*", "null", true},
		{"https://example.com", "https://example.com", true},
		{"https://example.com", "http://example.com", false},
		{"https://example.com", "https://example.com:8443", false},
		{"https://example.com", "https://example.com/", false},
		{"https://example.com", "https://www.example.com", false},
		{"https://example.com", "https://EXAMPLE.com", false},
		{"https://Example.com", "https://Example.com", true},
		{"https://*.example.com", "https://www.example.com", true},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://WWW.example.com", true},
		{"https://*.example.com", "https://.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://*.example.com", "http://www.example.com", false},
		{"https://*.example.com", "https://www.example.com.evil", false},
		{"HTTPS://*.example.com", "https://www.example.com", false},
		{"https://example.com:*", "https://example.com:8443", true},
		{"https://example.com:*", "https://example.com", false},
		{"http*://example.com", "https://example.com", true},
		{"*.example.com", "https://www.example.com", true},
		{"https://a*a", "https://aa", true},
		{"https://a*a", "https://a", false},
		{"ab*ba", "aba", false},
		{"prefix*", "prefix", true},
		{"", "", true},
		{"", "https://example.com", false},
	} {
		c := mustParse(t, "<AllowedOrigin>"+tc.pattern+"</AllowedOrigin>"+get)
		if _, ok := c.Actual(tc.origin, "GET"); ok != tc.ok {
			t.Errorf("origin %q against %q: %v, want %v", tc.origin, tc.pattern, ok, tc.ok)
		}
		if _, ok := c.Preflight(tc.origin, "GET", ""); ok != tc.ok {
			t.Errorf("preflight origin %q against %q: %v, want %v", tc.origin, tc.pattern, ok, tc.ok)
		}
	}
}

func TestMethodAndHeaderMatch(t *testing.T) {
	for _, tc := range []struct {
		methods []string
		method  string
		ok      bool
	}{
		{[]string{"GET"}, "GET", true},
		{[]string{"GET"}, "HEAD", false},
		{[]string{"PUT", "POST", "DELETE"}, "DELETE", true},
		{[]string{"GET", "PUT", "POST", "DELETE", "HEAD"}, "OPTIONS", false},
		{[]string{"GET"}, "get", false},
		{[]string{"GET"}, "", false},
	} {
		rule := "<AllowedOrigin>*</AllowedOrigin>"
		for _, m := range tc.methods {
			rule += "<AllowedMethod>" + m + "</AllowedMethod>"
		}
		if _, ok := mustParse(t, rule).Actual("https://x", tc.method); ok != tc.ok {
			t.Errorf("method %q against %v: %v", tc.method, tc.methods, ok)
		}
	}
	for _, tc := range []struct {
		allowed []string
		request string
		ok      bool
	}{
		{nil, "", true},
		{[]string{"content-type"}, "", true},
		{nil, "content-type", false},
		{[]string{"content-type"}, "content-type", true},
		{[]string{"content-type"}, "content-length", false},
		{[]string{"content-type"}, "content-type, x-amz-date", false},
		{[]string{"content-type", "x-amz-date"}, "x-amz-date,content-type", true},
		{[]string{"Content-Type"}, "content-type", true},
		{[]string{"CONTENT-TYPE"}, "cOnTeNt-TyPe", true},
		{[]string{"X-Amz-*"}, "x-amz-date", true},
		{[]string{"x-amz-*"}, "X-AMZ-DATE, x-amz-meta-a", true},
		{[]string{"*"}, "Content-Type, Authorization, x-custom", true},
		{[]string{"x-amz-*"}, "x-amz", false},
		{[]string{"x-amz-*"}, "x-amzn-trace-id", false},
		{[]string{"x-amz-*"}, "my-x-amz-date", false},
		{[]string{"*-type"}, "content-type", true},
		{[]string{"x-*-id"}, "x-id", false},
		{[]string{"content-type"}, " content-type , ,", true},
		{[]string{"content.type"}, "contentXtype", false},
	} {
		rule := "<AllowedOrigin>*</AllowedOrigin>" + get
		for _, h := range tc.allowed {
			rule += "<AllowedHeader>" + h + "</AllowedHeader>"
		}
		c := mustParse(t, rule)
		if _, ok := c.Preflight("https://x", "GET", tc.request); ok != tc.ok {
			t.Errorf("headers %q against %v: %v", tc.request, tc.allowed, ok)
		}
		if _, ok := c.Actual("https://x", "GET"); !ok {
			t.Errorf("actual request matched by headers %v", tc.allowed)
		}
	}
}

func TestRuleOrderAndHeaders(t *testing.T) {
	c := mustParse(t,
		"<ID>site</ID><AllowedOrigin>https://example.com</AllowedOrigin><AllowedOrigin>https://*.example.com</AllowedOrigin>"+
			"<AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>"+
			"<AllowedHeader>Content-Type</AllowedHeader><AllowedHeader>x-amz-*</AllowedHeader>"+
			"<ExposeHeader>ETag</ExposeHeader><ExposeHeader>x-amz-request-id</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds>",
		"<ID>public</ID><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>HEAD</AllowedMethod>")
	site := http.Header{
		"Access-Control-Allow-Origin":      {"https://example.com"},
		"Access-Control-Allow-Methods":     {"GET, PUT, DELETE"},
		"Access-Control-Expose-Headers":    {"ETag, x-amz-request-id"},
		"Access-Control-Max-Age":           {"3000"},
		"Access-Control-Allow-Credentials": {"true"},
		"Vary":                             {Vary},
	}
	public := http.Header{
		"Access-Control-Allow-Origin":  {"*"},
		"Access-Control-Allow-Methods": {"GET, HEAD"},
		"Vary":                         {Vary},
	}
	withHeaders := site.Clone()
	withHeaders["Access-Control-Allow-Headers"] = []string{"content-type, x-amz-date, x-amz-meta-name"}
	pattern := site.Clone()
	pattern["Access-Control-Allow-Origin"] = []string{"https://app.example.com"}
	for _, tc := range []struct {
		name, origin, method, headers string
		want                          http.Header
	}{
		{"exact origin", "https://example.com", "PUT", "", site},
		{"request headers", "https://example.com", "PUT", "Content-Type,X-Amz-Date ,  x-amz-meta-Name", withHeaders},
		{"pattern origin", "https://app.example.com", "DELETE", "", pattern},
		{"only * allows the origin", "https://example.org", "GET", "", public},
		{"only the second rule allows the method", "https://example.com", "HEAD", "", public},
		{"header not allowed by the first, second has none", "https://example.com", "GET", "authorization", nil},
		{"empty header list", "https://example.org", "GET", " , ,", public},
		{"no rule", "https://example.org", "PUT", "", nil},
		{"origin case", "https://EXAMPLE.com", "PUT", "", nil},
	} {
		h := http.Header{}
		if m, ok := c.Preflight(tc.origin, tc.method, tc.headers); ok {
			m.Apply(h, tc.origin, tc.headers)
		}
		if tc.want == nil {
			tc.want = http.Header{}
		}
		if !reflect.DeepEqual(h, tc.want) {
			t.Errorf("%s: headers %v, want %v", tc.name, h, tc.want)
		}
	}
	// Actual requests: the first rule by origin and method; "*" before an
	// exact origin in one rule answers "*" without credentials.
	both := mustParse(t, "<AllowedOrigin>https://example.com</AllowedOrigin><AllowedOrigin>*</AllowedOrigin>"+get)
	h := http.Header{}
	m, ok := both.Actual("https://example.com", "GET")
	if !ok {
		t.Fatal("no match")
	}
	m.Apply(h, "https://example.com", "")
	if h.Get("Access-Control-Allow-Origin") != "*" || h.Get("Access-Control-Allow-Credentials") != "" {
		t.Errorf("literal * rule: %v", h)
	}
	if m, ok := c.Actual("https://example.com", "GET"); !ok || m.Rule().ID != "site" {
		t.Errorf("actual GET matched %v %v", ok, m)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(doc(minimal)))
	f.Add([]byte(doc("<ID>x</ID><AllowedOrigin>https://*.a</AllowedOrigin><AllowedMethod>PUT</AllowedMethod><AllowedHeader>x-*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>10</MaxAgeSeconds>", minimal)))
	f.Add([]byte(`<s3:CORSConfiguration xmlns:s3="x"><s3:CORSRule><!-- c --><s3:AllowedOrigin><![CDATA[*]]></s3:AllowedOrigin>` + get + `</s3:CORSRule></s3:CORSConfiguration>`))
	f.Add([]byte(doc(origin1 + "<AllowedMethod>PATCH</AllowedMethod>")))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := Parse(b)
		if err != nil {
			var inv *InvalidError
			if !errors.Is(err, ErrMalformed) && !errors.As(err, &inv) {
				t.Fatalf("unexpected error type %T %v", err, err)
			}
			return
		}
		if len(c.Rules) == 0 || len(c.Rules) > MaxRules {
			t.Fatalf("%d rules accepted", len(c.Rules))
		}
		out := c.Marshal()
		c2, err := Parse(out)
		if err != nil {
			t.Fatalf("Marshal output does not parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(c.Rules, c2.Rules) {
			t.Fatalf("round trip changed the rules:\n%+v\n%+v", c.Rules, c2.Rules)
		}
		for _, r := range c.Rules {
			for _, o := range r.AllowedOrigins {
				if _, ok := c.Actual(o, r.AllowedMethods[0]); !ok && !strings.Contains(o, "*") {
					t.Fatalf("origin %q does not match its own rule", o)
				}
			}
		}
	})
}
