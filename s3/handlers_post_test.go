package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// tagEngine is the fake engine keeping what PutObject got as tags.
type tagEngine struct {
	*fakeEngine
	tags map[string]map[string]string // by key
}

func (e *tagEngine) PutObject(ctx context.Context, in engine.PutInput) (engine.ObjectInfo, error) {
	info, err := e.fakeEngine.PutObject(ctx, in)
	if err == nil {
		e.mu.Lock()
		e.tags[in.Key] = in.Tags
		e.mu.Unlock()
	}
	return info, err
}

// postEnv is authzEnv's world (bucket "bkt" owned by AKOWNER, ObjectWriter
// ownership, AKGRANTEE with FULL_CONTROL) on a tag-keeping engine.
func postEnv(t *testing.T) (*testEnv, *tagEngine) {
	var te *tagEngine
	e := newTestEnvWith(t, func(c *Config) {
		te = &tagEngine{fakeEngine: c.Engine.(*fakeEngine), tags: map[string]map[string]string{}}
		c.Engine = te
	}, nil)
	for _, k := range authzKeys {
		e.f.keys[k.AccessKey] = k
	}
	delete(e.f.keys, testKey)
	e.f.CreateBucketFor(context.Background(), engine.CreateBucketInput{Name: "bkt", Owner: "AKOWNER", Ownership: "ObjectWriter",
		Grants: []plog.Grant{grantOf("AKOWNER", "FULL_CONTROL"), grantOf("AKGRANTEE", "FULL_CONTROL")}})
	return e, te
}

type kv = [2]string

// formBody writes fields, then the file (when file is not nil), then
// after, as a browser does.
func formBody(t *testing.T, fields []kv, filename string, file []byte, after ...kv) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for _, f := range fields {
		w.WriteField(f[0], f[1])
	}
	if file != nil {
		fw, err := w.CreateFormFile("file", filename)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(file)
	}
	for _, f := range after {
		w.WriteField(f[0], f[1])
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

// policyFields signs a policy with caller's key, as the SDKs' presigned
// POST helpers do, and returns the form fields to send.
func policyFields(t *testing.T, caller string, exp time.Time, conds ...any) []kv {
	t.Helper()
	k := authzKeys[caller]
	now := time.Now().UTC()
	cred := k.AccessKey + "/" + now.Format(scopeDateFormat) + "/" + testRegion + "/s3/aws4_request"
	amzDate := now.Format(amzDateFormat)
	conds = append(conds, map[string]string{"x-amz-algorithm": sigV4Algorithm}, map[string]string{"x-amz-credential": cred}, map[string]string{"x-amz-date": amzDate})
	doc, err := json.Marshal(map[string]any{"expiration": exp.UTC().Format("2006-01-02T15:04:05.000Z"), "conditions": conds})
	if err != nil {
		t.Fatal(err)
	}
	policy := base64.StdEncoding.EncodeToString(doc)
	c, _ := parseCredential(cred)
	sig := hex.EncodeToString(hmacSHA256(signingKey(k.Secret, c), policy))
	return []kv{{"x-amz-algorithm", sigV4Algorithm}, {"x-amz-credential", cred}, {"x-amz-date", amzDate}, {"policy", policy}, {"x-amz-signature", sig}}
}

func (e *testEnv) post(t *testing.T, target, ct string, body []byte, edit func(*http.Request)) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("POST", e.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	if edit != nil {
		edit(req)
	}
	client := *e.srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

func hour() time.Time { return time.Now().Add(time.Hour) }

func TestPostObjectSigned(t *testing.T) {
	e, te := postEnv(t)
	tagging := "<Tagging><TagSet><Tag><Key>project</Key><Value>blue</Value></Tag></TagSet></Tagging>"
	fields := append([]kv{{"key", "user/${filename}"}, {"acl", "public-read"}, {"Content-Type", "text/plain"},
		{"x-amz-meta-color", "red"}, {"Cache-Control", "max-age=60"}, {"tagging", tagging}, {"success_action_status", "201"},
		{"x-ignore-flash", "1"}},
		policyFields(t, callerOwner, hour(),
			map[string]string{"bucket": "bkt"}, []any{"starts-with", "$key", "user/"}, map[string]string{"acl": "public-read"},
			[]any{"starts-with", "$Content-Type", "text/"}, []any{"starts-with", "$x-amz-meta-color", ""},
			[]any{"eq", "$Cache-Control", "max-age=60"}, map[string]string{"tagging": tagging},
			map[string]string{"success_action_status": "201"}, []any{"content-length-range", 1, 1000})...)
	body, ct := formBody(t, fields, `C:\docs\hello.txt`, []byte("hello, form"))
	resp, out := e.post(t, "/bkt", ct, body, nil)
	if resp.StatusCode != 201 {
		t.Fatalf("signed POST: %d %s", resp.StatusCode, out)
	}
	var pr postResponse
	if err := xml.Unmarshal([]byte(out), &pr); err != nil {
		t.Fatal(err)
	}
	etag := resp.Header.Get("ETag")
	wantLoc := e.srv.URL + "/bkt/user/hello.txt"
	if pr.Bucket != "bkt" || pr.Key != "user/hello.txt" || pr.ETag != etag || pr.Location != wantLoc || resp.Header.Get("Location") != wantLoc {
		t.Fatalf("PostResponse %+v, ETag %s, Location %s", pr, etag, resp.Header.Get("Location"))
	}
	o, err := e.f.lookup("bkt", "user/hello.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(o.data) != "hello, form" || o.info.ContentType != "text/plain" || o.info.UserMeta["color"] != "red" ||
		o.info.Headers["Cache-Control"] != "max-age=60" || quoteETag(o.info.ETag) != etag {
		t.Fatalf("stored %q %+v", o.data, o.info)
	}
	if te.tags["user/hello.txt"]["project"] != "blue" {
		t.Fatalf("tags %v", te.tags)
	}
	if g, ok, _ := e.f.ObjectACL("bkt", "user/hello.txt"); !ok || !strings.Contains(fmt.Sprint(g), access.AllUsers) {
		t.Fatalf("ACL %v %v", g, ok)
	}
	// public-read: an anonymous GET reads it.
	if st, body := e.doAs(t, callerAnon, "GET", "/bkt/user/hello.txt", nil, nil); st != 200 || body != "hello, form" {
		t.Fatalf("anonymous GET: %d %s", st, body)
	}
}

// TestPostObjectRefusals: every refusal has S3's code and stores nothing.
func TestPostObjectRefusals(t *testing.T) {
	okConds := []any{map[string]string{"bucket": "bkt"}, []any{"starts-with", "$key", "user/"}, []any{"content-length-range", 2, 10}}
	signed := func(caller string, exp time.Time, conds ...any) []kv {
		return policyFields(t, caller, exp, append(append([]any{}, okConds...), conds...)...)
	}
	set := func(fs []kv, name, value string) []kv {
		out := append([]kv{}, fs...)
		for i := range out {
			if out[i][0] == name {
				out[i][1] = value
				return out
			}
		}
		return append(out, kv{name, value})
	}
	drop := func(fs []kv, name string) []kv {
		var out []kv
		for _, f := range fs {
			if f[0] != name {
				out = append(out, f)
			}
		}
		return out
	}
	key := []kv{{"key", "user/a"}}
	good := append(key, signed(callerOwner, hour())...)
	tampered := func() []kv {
		fs := append([]kv{}, good...)
		for i := range fs {
			if fs[i][0] == "policy" {
				doc, _ := base64.StdEncoding.DecodeString(fs[i][1])
				fs[i][1] = base64.StdEncoding.EncodeToString(bytes.Replace(doc, []byte(`"user/"`), []byte(`""`), 1))
			}
		}
		return fs
	}()
	otherDate := func() []kv {
		fs := append([]kv{}, good...)
		return set(fs, "x-amz-date", time.Now().UTC().Add(-48*time.Hour).Format(amzDateFormat))
	}()
	badPolicy := func() []kv {
		k := authzKeys[callerOwner]
		fs := append([]kv{}, good...)
		policy := base64.StdEncoding.EncodeToString([]byte(`{"expiration": 12, "conditions": []}`))
		var cred string
		for _, f := range fs {
			if f[0] == "x-amz-credential" {
				cred = f[1]
			}
		}
		c, _ := parseCredential(cred)
		fs = set(fs, "policy", policy)
		return set(fs, "x-amz-signature", hex.EncodeToString(hmacSHA256(signingKey(k.Secret, c), policy)))
	}()
	tests := []struct {
		name   string
		fields []kv
		file   []byte
		after  []kv
		raw    string // a raw body instead
		ct     string
		status int
		code   string
		msg    string
	}{
		{name: "expired", fields: append(key, signed(callerOwner, time.Now().Add(-time.Minute))...), status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Policy expired."},
		{name: "tampered policy", fields: tampered, status: 403, code: "SignatureDoesNotMatch"},
		{name: "wrong signature", fields: set(good, "x-amz-signature", strings.Repeat("0", 64)), status: 403, code: "SignatureDoesNotMatch"},
		{name: "unknown key", fields: set(good, "x-amz-credential", "AKNOBODY/"+time.Now().UTC().Format(scopeDateFormat)+"/us-east-1/s3/aws4_request"), status: 403, code: "InvalidAccessKeyId"},
		{name: "credential date differs", fields: otherDate, status: 400, code: "InvalidArgument", msg: "Invalid credential date"},
		{name: "malformed credential", fields: set(good, "x-amz-credential", "AKOWNER/x"), status: 400, code: "InvalidArgument"},
		{name: "bad algorithm", fields: set(good, "x-amz-algorithm", "AWS4-HMAC-SHA1"), status: 400, code: "InvalidArgument"},
		{name: "missing signature", fields: drop(good, "x-amz-signature"), status: 400, code: "InvalidArgument", msg: "must contain a field named &#39;x-amz-signature&#39;"},
		{name: "signature without policy", fields: drop(good, "policy"), status: 400, code: "InvalidArgument", msg: "must contain a field named &#39;policy&#39;"},
		{name: "security token", fields: append(good, kv{"x-amz-security-token", "tok"}), status: 400, code: "InvalidToken"},
		{name: "sigv2", fields: []kv{{"key", "user/a"}, {"AWSAccessKeyId", "AKOWNER"}, {"policy", "e30="}, {"signature", "x"}}, status: 400, code: "InvalidRequest"},
		{name: "malformed policy", fields: badPolicy, status: 400, code: "InvalidPolicyDocument", msg: "Invalid Policy: Invalid &#39;expiration&#39; value"},
		{name: "extra field", fields: append(good, kv{"x-amz-meta-sneaky", "1"}), status: 403, code: "AccessDenied", msg: "Invalid according to Policy: Extra input fields: x-amz-meta-sneaky"},
		{name: "key outside prefix", fields: set(good, "key", "admin/a"), status: 403, code: "AccessDenied", msg: `Policy Condition failed: [&#34;starts-with&#34;, &#34;$key&#34;, &#34;user/&#34;]`},
		{name: "too large", fields: good, file: []byte("0123456789A"), status: 400, code: "EntityTooLarge"},
		{name: "too small", fields: good, file: []byte("0"), status: 400, code: "EntityTooSmall"},
		{name: "other key's policy", fields: append(key, signed(callerOther, hour())...), status: 403, code: "AccessDenied", msg: "Access Denied."},
		{name: "read-only key's policy", fields: append(key, signed(callerReadOnly, hour())...), status: 403, code: "AccessDenied"},
		{name: "anonymous, private bucket", fields: key, status: 403, code: "AccessDenied"},
		{name: "missing key", fields: drop(good, "key"), status: 400, code: "InvalidArgument", msg: "Bucket POST must contain a field named &#39;key&#39;.  If it is specified, please check the order of the fields."},
		{name: "key after the file", fields: drop(good, "key"), after: key, status: 400, code: "InvalidArgument", msg: "must contain a field named &#39;key&#39;"},
		{name: "no file", fields: good, file: []byte{}, raw: "nofile", status: 400, code: "IncorrectNumberOfFilesInPostRequest"},
		{name: "malformed body", raw: "--b\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nuser/a", ct: "multipart/form-data; boundary=b", status: 400, code: "MalformedPOSTRequest"},
		{name: "no boundary", raw: "x", ct: "multipart/form-data", status: 400, code: "MalformedPOSTRequest"},
		{name: "not a form", raw: "key=a", ct: "application/x-www-form-urlencoded", status: 412, code: "PreconditionFailed", msg: "multipart/form-data"},
		{name: "fields too large", fields: append(good, kv{"x-ignore-pad", strings.Repeat("p", 21<<10)}), status: 400, code: "MaxPostPreDataLengthExceeded"},
		{name: "bad tagging", fields: append(good, kv{"tagging", "<Tagging>"}), status: 403, code: "AccessDenied"}, // not in the policy
		{name: "invalid key", fields: set(good, "key", "user/../x"), status: 400, code: "InvalidArgument"},
		{name: "unsupported field", fields: append(set(good, "key", "user/a"), kv{"x-amz-server-side-encryption", "AES256"}), status: 403, code: "AccessDenied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := postEnv(t)
			before := e.f.snapshot()
			file := tc.file
			if file == nil {
				file = []byte("data")
			}
			var body []byte
			var ct string
			switch {
			case tc.raw == "nofile":
				body, ct = formBody(t, tc.fields, "", nil)
			case tc.raw != "":
				body, ct = []byte(tc.raw), tc.ct
			default:
				body, ct = formBody(t, tc.fields, "f.txt", file, tc.after...)
			}
			resp, out := e.post(t, "/bkt", ct, body, nil)
			if resp.StatusCode != tc.status || !strings.Contains(out, "<Code>"+tc.code+"</Code>") || !strings.Contains(out, tc.msg) {
				t.Fatalf("%d %s\nwant %d %s %q", resp.StatusCode, out, tc.status, tc.code, tc.msg)
			}
			if after := e.f.snapshot(); after != before {
				t.Fatalf("a refused POST changed the state:\n%s\n%s", before, after)
			}
		})
	}
}

// TestPostObjectTaggingAndFieldLimits: the tagging field and the fields
// a policy covers are refused with S3's codes.
func TestPostObjectTaggingAndFieldLimits(t *testing.T) {
	many := "<Tagging><TagSet>"
	for i := range 11 {
		many += fmt.Sprintf("<Tag><Key>k%d</Key><Value>v</Value></Tag>", i)
	}
	many += "</TagSet></Tagging>"
	for _, tc := range []struct{ tagging, code string }{
		{"<Tagging>", "MalformedXML"},
		{many, "BadRequest"},
		{"<Tagging><TagSet><Tag><Key>" + strings.Repeat("k", 129) + "</Key><Value>v</Value></Tag></TagSet></Tagging>", "InvalidTag"},
		{"<Tagging><TagSet><Tag><Key>k</Key><Value>" + strings.Repeat("v", 257) + "</Value></Tag></TagSet></Tagging>", "InvalidTag"},
		{"<Tagging><TagSet><Tag><Key>k</Key><Value>1</Value></Tag><Tag><Key>k</Key><Value>2</Value></Tag></TagSet></Tagging>", "InvalidTag"},
		{"<Tagging><TagSet><Tag><Key></Key><Value>1</Value></Tag></TagSet></Tagging>", "InvalidTag"},
	} {
		e, _ := postEnv(t)
		fields := append([]kv{{"key", "k"}, {"tagging", tc.tagging}}, policyFields(t, callerOwner, hour(),
			map[string]string{"bucket": "bkt"}, map[string]string{"key": "k"}, []any{"starts-with", "$tagging", ""})...)
		body, ct := formBody(t, fields, "f", []byte("x"))
		resp, out := e.post(t, "/bkt", ct, body, nil)
		if resp.StatusCode != 400 || !strings.Contains(out, "<Code>"+tc.code+"</Code>") {
			t.Fatalf("tagging %.40q: %d %s", tc.tagging, resp.StatusCode, out)
		}
		if _, err := e.f.lookup("bkt", "k"); err == nil {
			t.Fatal("stored")
		}
	}
	// An unsupported x-amz-* field covered by the policy: 501, as its header.
	e, _ := postEnv(t)
	fields := append([]kv{{"key", "k"}, {"x-amz-server-side-encryption", "AES256"}}, policyFields(t, callerOwner, hour(),
		map[string]string{"bucket": "bkt"}, map[string]string{"key": "k"}, []any{"starts-with", "$x-amz-server-side-encryption", ""})...)
	body, ct := formBody(t, fields, "f", []byte("x"))
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 501 || !strings.Contains(out, "NotImplemented") {
		t.Fatalf("SSE field: %d %s", resp.StatusCode, out)
	}
}

// TestPostObjectAnonymous: an unsigned form is anonymous: allowed exactly
// where a bucket policy (or ACL) lets everyone s3:PutObject the key.
func TestPostObjectAnonymous(t *testing.T) {
	e, _ := postEnv(t)
	form := func(key string) ([]byte, string) {
		return formBody(t, []kv{{"key", key}, {"Content-Type", "image/png"}}, "x.png", []byte("png"))
	}
	body, ct := form("drop/a.png")
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 403 || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("anonymous POST to a private bucket: %d %s", resp.StatusCode, out)
	}
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/drop/*"}]}`
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(pol), nil); st != 204 {
		t.Fatalf("policy: %d %s", st, out)
	}
	resp, out := e.post(t, "/bkt", ct, body, nil)
	if resp.StatusCode != 204 || resp.Header.Get("ETag") == "" || resp.Header.Get("Location") != e.srv.URL+"/bkt/drop/a.png" {
		t.Fatalf("anonymous POST allowed by policy: %d %s %v", resp.StatusCode, out, resp.Header)
	}
	if o, err := e.f.lookup("bkt", "drop/a.png"); err != nil || string(o.data) != "png" || o.info.ContentType != "image/png" {
		t.Fatalf("stored %v %v", o, err)
	}
	before := e.f.snapshot()
	body, ct = form("secret/a.png")
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 403 || !strings.Contains(out, "AccessDenied") {
		t.Fatalf("anonymous POST outside the policy: %d %s", resp.StatusCode, out)
	}
	// A bucket that does not exist: NoSuchBucket, as to every anonymous caller.
	if resp, out := e.post(t, "/nobucket", ct, body, nil); resp.StatusCode != 404 || !strings.Contains(out, "NoSuchBucket") {
		t.Fatalf("anonymous POST to a missing bucket: %d %s", resp.StatusCode, out)
	}
	// A public access block closes the public grant.
	blk := "<PublicAccessBlockConfiguration><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>true</RestrictPublicBuckets></PublicAccessBlockConfiguration>"
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?publicAccessBlock", []byte(blk), nil); st != 200 {
		t.Fatalf("block: %d %s", st, out)
	}
	if _, err := e.f.lookup("bkt", "secret/a.png"); err == nil {
		t.Fatal("a refused anonymous POST stored its file")
	}
	if after := e.f.snapshot(); after == before {
		t.Fatal("the block did not change the bucket")
	} else {
		before = after
	}
	body, ct = form("drop/b.png")
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 403 {
		t.Fatalf("anonymous POST under a public access block: %d %s", resp.StatusCode, out)
	}
	if after := e.f.snapshot(); after != before {
		t.Fatal("a refused anonymous POST changed the state")
	}
}

// TestPostObjectHeaderSigned: a form without a policy sent with an
// Authorization header is its signer's; the body's hash is verified.
func TestPostObjectHeaderSigned(t *testing.T) {
	e, _ := postEnv(t)
	body, ct := formBody(t, []kv{{"key", "h.txt"}}, "h.txt", []byte("header-signed"))
	for caller, want := range map[string]int{callerOwner: 204, callerGrantee: 204, callerOther: 403, callerReadOnly: 403} {
		resp, out := e.post(t, "/bkt", ct, body, func(r *http.Request) { signAs(t, r, body, caller) })
		if resp.StatusCode != want {
			t.Fatalf("%s: %d %s", caller, resp.StatusCode, out)
		}
	}
	before := e.f.snapshot()
	resp, out := e.post(t, "/bkt", ct, body, func(r *http.Request) {
		signAs(t, r, append([]byte("other"), body...), callerOwner)
	})
	if resp.StatusCode != 400 || !strings.Contains(out, "XAmzContentSHA256Mismatch") || e.f.snapshot() != before {
		t.Fatalf("wrong payload hash: %d %s", resp.StatusCode, out)
	}
}

func TestPostObjectSuccessAction(t *testing.T) {
	e, _ := postEnv(t)
	send := func(extra ...kv) (*http.Response, string) {
		t.Helper()
		fields := []kv{{"key", "k"}}
		conds := []any{map[string]string{"bucket": "bkt"}, map[string]string{"key": "k"}}
		for _, f := range extra {
			fields = append(fields, f)
			conds = append(conds, []any{"starts-with", "$" + f[0], ""})
		}
		body, ct := formBody(t, append(fields, policyFields(t, callerOwner, hour(), conds...)...), "f", []byte("x"))
		return e.post(t, "/bkt", ct, body, nil)
	}
	for _, tc := range []struct {
		fields []kv
		status int
		loc    string // prefix of Location
	}{
		{nil, 204, e.srv.URL + "/bkt/k"},
		{[]kv{{"success_action_status", "200"}}, 200, e.srv.URL + "/bkt/k"},
		{[]kv{{"success_action_status", "204"}}, 204, e.srv.URL + "/bkt/k"},
		{[]kv{{"success_action_status", "299"}}, 204, e.srv.URL + "/bkt/k"},
		{[]kv{{"success_action_redirect", "https://example.com/done?x=1"}}, 303, "https://example.com/done?"},
		{[]kv{{"redirect", "http://example.com/old"}}, 303, "http://example.com/old?"},
		{[]kv{{"success_action_redirect", "not a url"}, {"success_action_status", "201"}}, 201, e.srv.URL + "/bkt/k"},
		{[]kv{{"success_action_redirect", "ftp://example.com/"}}, 204, e.srv.URL + "/bkt/k"},
	} {
		resp, out := send(tc.fields...)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != tc.status || !strings.HasPrefix(loc, tc.loc) || resp.Header.Get("ETag") == "" {
			t.Fatalf("%v: %d %s %s", tc.fields, resp.StatusCode, loc, out)
		}
		if tc.status == 303 {
			u, _ := url.Parse(loc)
			q := u.Query()
			if q.Get("bucket") != "bkt" || q.Get("key") != "k" || q.Get("etag") != resp.Header.Get("ETag") {
				t.Fatalf("redirect %s", loc)
			}
			if strings.Contains(loc, "x=1") != strings.Contains(tc.loc, "done") {
				t.Fatalf("redirect lost its query: %s", loc)
			}
		}
		if tc.status != 201 && out != "" {
			t.Fatalf("%d with a body: %s", tc.status, out)
		}
	}
}

// TestPostObjectFileLayout: the file must be the last field used; small
// files are exact whatever follows, larger ones stream and need the body
// to end after them; virtual-hosted-style requests work.
func TestPostObjectFileLayout(t *testing.T) {
	e, _ := postEnv(t)
	anonPolicy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*"}]}`
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(anonPolicy), nil); st != 204 {
		t.Fatalf("policy: %d %s", st, out)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 40<<10) // 640 KiB
	for _, tc := range []struct {
		name   string
		file   []byte
		after  []kv
		status int
	}{
		{"small file, fields after", []byte("small"), []kv{{"x-amz-meta-late", "ignored"}, {"key", "other"}}, 204},
		{"large file", big, nil, 204},
		{"large file, fields after", big, []kv{{"x", "y"}}, 400},
		{"empty file", []byte{}, nil, 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := formBody(t, []kv{{"key", "layout"}}, "f", tc.file, tc.after...)
			before := e.f.snapshot()
			resp, out := e.post(t, "/bkt", ct, body, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s", resp.StatusCode, out)
			}
			if tc.status != 204 {
				if !strings.Contains(out, "MalformedPOSTRequest") || e.f.snapshot() != before {
					t.Fatalf("refused: %s", out)
				}
				return
			}
			o, err := e.f.lookup("bkt", "layout")
			if err != nil || !bytes.Equal(o.data, tc.file) || len(o.info.UserMeta) != 0 {
				t.Fatalf("stored %d bytes %v, want %d", len(o.data), err, len(tc.file))
			}
		})
	}
	body, ct := formBody(t, []kv{{"key", "vhost/${filename}"}}, "v.txt", []byte("vhost"))
	resp, out := e.post(t, "/", ct, body, func(r *http.Request) { r.Host = "bkt.s3.test" })
	if resp.StatusCode != 204 || resp.Header.Get("Location") != "http://bkt.s3.test/vhost/v.txt" {
		t.Fatalf("virtual-hosted POST: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), out)
	}
	if o, err := e.f.lookup("bkt", "vhost/v.txt"); err != nil || string(o.data) != "vhost" {
		t.Fatalf("vhost object %v", err)
	}
}

// discardEngine stores nothing: it reads what PutObject gets.
type discardEngine struct {
	*fakeEngine
	got int64
}

func (e *discardEngine) PutObject(ctx context.Context, in engine.PutInput) (engine.ObjectInfo, error) {
	n, err := io.Copy(io.Discard, in.Body)
	if err != nil {
		return engine.ObjectInfo{}, err
	}
	if n != in.Size {
		return engine.ObjectInfo{}, engine.ErrIncompleteBody
	}
	if _, err := in.BeforeCommit(); err != nil {
		return engine.ObjectInfo{}, err
	}
	e.got = n
	return engine.ObjectInfo{Bucket: in.Bucket, Key: in.Key, Size: n, ETag: "d41d8cd98f00b204e9800998ecf8427e"}, nil
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestPostObjectBoundedMemory: a 100 MiB file streams through: the
// request allocates a small fraction of it, never the file.
func TestPostObjectBoundedMemory(t *testing.T) {
	var de *discardEngine
	e := newTestEnvWith(t, func(c *Config) {
		de = &discardEngine{fakeEngine: c.Engine.(*fakeEngine)}
		c.Engine = de
	}, nil)
	e.f.keys["AKOWNER"] = authzKeys[callerOwner]
	e.f.CreateBucketFor(context.Background(), engine.CreateBucketInput{Name: "bkt", Owner: "AKOWNER"})
	const size = 100 << 20
	head, ct := formBody(t, append([]kv{{"key", "big"}}, policyFields(t, callerOwner, hour(),
		map[string]string{"bucket": "bkt"}, map[string]string{"key": "big"}, []any{"content-length-range", 0, size})...), "big.bin", []byte{})
	boundary := strings.TrimPrefix(ct, "multipart/form-data; boundary=")
	tail := "\r\n--" + boundary + "--\r\n"
	head = head[:len(head)-len(tail)]
	total := int64(len(head)) + size + int64(len(tail))
	req, err := http.NewRequest("POST", e.srv.URL+"/bkt", io.MultiReader(bytes.NewReader(head), io.LimitReader(zeroReader{}, size), strings.NewReader(tail)))
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = total
	req.Header.Set("Content-Type", ct)
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	runtime.ReadMemStats(&m1)
	if resp.StatusCode != 204 || de.got != size {
		t.Fatalf("%d %s, engine got %d", resp.StatusCode, out, de.got)
	}
	if alloc := m1.TotalAlloc - m0.TotalAlloc; alloc > 16<<20 {
		t.Fatalf("a %d MiB upload allocated %d MiB", size>>20, alloc>>20)
	}
}

// TestPostObjectPayloadHash: the header-signed body hash covers the
// bytes after the file too.
func TestPostObjectPayloadHash(t *testing.T) {
	e, _ := postEnv(t)
	body, ct := formBody(t, []kv{{"key", "p"}}, "f", []byte("x"), kv{"late", "1"})
	sum := sha256.Sum256(body)
	resp, out := e.post(t, "/bkt", ct, body, func(r *http.Request) { signAs(t, r, body, callerOwner) })
	if resp.StatusCode != 204 {
		t.Fatalf("%d %s (%x)", resp.StatusCode, out, sum)
	}
}

// TestPostObjectChecksumField: an x-amz-checksum-* field is verified as
// its header is: BadDigest stores nothing; a match is stored.
func TestPostObjectChecksumField(t *testing.T) {
	e, _ := postEnv(t)
	sum := crc32.ChecksumIEEE([]byte("checked"))
	good := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum))
	bad := base64.StdEncoding.EncodeToString(binary.BigEndian.AppendUint32(nil, sum+1))
	for _, tc := range []struct {
		value  string
		status int
	}{{bad, 400}, {good, 204}} {
		fields := append([]kv{{"key", "ck"}, {"x-amz-checksum-crc32", tc.value}}, policyFields(t, callerOwner, hour(),
			map[string]string{"bucket": "bkt"}, map[string]string{"key": "ck"}, []any{"starts-with", "$x-amz-checksum-crc32", ""})...)
		body, ct := formBody(t, fields, "f", []byte("checked"))
		resp, out := e.post(t, "/bkt", ct, body, nil)
		if resp.StatusCode != tc.status {
			t.Fatalf("checksum %s: %d %s", tc.value, resp.StatusCode, out)
		}
		o, err := e.f.lookup("bkt", "ck")
		if tc.status == 400 {
			if !strings.Contains(out, "BadDigest") || err == nil {
				t.Fatalf("bad checksum: %s, stored: %v", out, err == nil)
			}
			continue
		}
		if err != nil || o.info.Checksums["CRC32"] != good || resp.Header.Get("x-amz-checksum-crc32") != good {
			t.Fatalf("stored %+v %v, header %q", o, err, resp.Header.Get("x-amz-checksum-crc32"))
		}
	}
}

// TestPostObjectACLField: the acl field is the x-amz-acl of a PUT: bucket
// policy conditions on s3:x-amz-acl see it, and an enforced-owner bucket
// refuses a public one.
func TestPostObjectACLField(t *testing.T) {
	e, _ := postEnv(t)
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::bkt/*",
	 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}}]}`
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?policy", []byte(pol), nil); st != 204 {
		t.Fatalf("policy: %d %s", st, out)
	}
	body, ct := formBody(t, []kv{{"key", "a"}}, "f", []byte("x"))
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 403 {
		t.Fatalf("anonymous form without the acl the policy asks for: %d %s", resp.StatusCode, out)
	}
	body, ct = formBody(t, []kv{{"key", "a"}, {"acl", "bucket-owner-full-control"}}, "f", []byte("x"))
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 204 {
		t.Fatalf("anonymous form with the acl the policy asks for: %d %s", resp.StatusCode, out)
	}
	body, ct = formBody(t, []kv{{"key", "a"}, {"acl", "no-such-acl"}}, "f", []byte("x"))
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 403 {
		t.Fatalf("anonymous form with another acl: %d %s", resp.StatusCode, out)
	}

	// BucketOwnerEnforced: ACLs are off, a public-read field is refused.
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?acl", nil, map[string]string{"x-amz-acl": "private"}); st != 200 {
		t.Fatalf("private ACL: %d %s", st, out)
	}
	if st, out := e.doAs(t, callerOwner, "PUT", "/bkt?ownershipControls",
		[]byte("<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"), nil); st != 200 {
		t.Fatalf("ownership: %d %s", st, out)
	}
	before := e.f.snapshot()
	fields := append([]kv{{"key", "b"}, {"acl", "public-read"}}, policyFields(t, callerOwner, hour(),
		map[string]string{"bucket": "bkt"}, map[string]string{"key": "b"}, map[string]string{"acl": "public-read"})...)
	body, ct = formBody(t, fields, "f", []byte("x"))
	if resp, out := e.post(t, "/bkt", ct, body, nil); resp.StatusCode != 400 || !strings.Contains(out, "AccessControlListNotSupported") {
		t.Fatalf("public-read under BucketOwnerEnforced: %d %s", resp.StatusCode, out)
	}
	if e.f.snapshot() != before {
		t.Fatal("a refused POST changed the state")
	}
}
