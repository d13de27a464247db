package s3

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/s3/postform"
)

// POST Object: browser-based uploads from an HTML form
// (multipart/form-data). The form is read as a stream (s3/postform): the
// fields before the file, then the file, which goes to the engine as it
// arrives. A signed form (policy, x-amz-algorithm, x-amz-credential,
// x-amz-date, x-amz-signature) is the signer's request once the signature
// over the base64 policy verified and the policy's conditions hold; an
// unsigned form is anonymous, or the caller of an Authorization header.
// Either way access.Decide decides s3:PutObject for the form's key.

const (
	// maxPostPreData bounds the form before the file's data, as S3 does.
	maxPostPreData = 20 << 10
	// postMemFile: a file up to this size is read before it is stored, so
	// its length is exact whatever follows it. A larger one streams with
	// the length the body's Content-Length implies: the body must end with
	// the closing delimiter right after the file (as browsers, curl and
	// the SDKs write it), else MalformedPOSTRequest and nothing is stored.
	postMemFile = 256 << 10
)

// postSigFields are the SigV4 fields of a signed form, in the order S3
// asks for them.
var postSigFields = []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"}

// postStoredFields are form fields that become the object's headers.
var postStoredFields = []string{"Content-Type", "Cache-Control", "Content-Disposition", "Content-Encoding", "Content-Language", "Expires"}

func handlePostObject(s *Server, rq *request) (*response, error) {
	r := rq.r
	ct := r.Header.Get("Content-Type")
	if !postform.IsFormData(ct) {
		return nil, detail(ErrPreconditionFailed, "Bucket POST must be of the enclosure-type multipart/form-data")
	}
	boundary, err := postform.Boundary(ct)
	if err != nil {
		return nil, ErrMalformedPOSTRequest
	}
	if r.ContentLength < 0 {
		if len(r.TransferEncoding) > 0 {
			return nil, notImplementedHeader("Transfer-Encoding")
		}
		return nil, ErrMissingContentLength
	}
	// A header-signed request's x-amz-content-sha256 covers the whole
	// body: it is hashed as it streams and checked before the commit.
	var src io.Reader = r.Body
	var bodySHA hash.Hash
	ph := rq.auth.PayloadHash
	switch {
	case isHexSignature(ph):
		bodySHA = sha256.New()
		src = io.TeeReader(r.Body, bodySHA)
	case ph != unsignedPayload:
		return nil, detail(ErrInvalidRequest, "POST Object takes no aws-chunked body.")
	}
	fr := postform.NewReader(src, boundary)
	form, ferr := fr.ReadForm(maxPostPreData)
	if ferr != nil && !errors.Is(ferr, postform.ErrNoFile) {
		return nil, postFormError(ferr)
	}
	form.Expand()
	key, ok := form.Value("key")
	if !ok {
		return nil, badArgument("key", "", "Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	if ferr != nil {
		return nil, ErrIncorrectNumberOfFiles
	}
	auth, pol, err := s.postAuth(rq, form)
	if err != nil {
		return nil, err
	}
	if err := validateKey(key); err != nil {
		return nil, err
	}
	// From here on the request is the form's: its fields are the headers
	// of a PutObject of the file.
	fileReq := r.Clone(r.Context())
	fileReq.Header = postHeaders(form)
	fileReq.TransferEncoding = nil
	rq.r, rq.auth, rq.key = fileReq, auth, key
	if err := checkUnsupportedHeaders(fileReq.Header); err != nil {
		return nil, err
	}
	d, st, err := s.decide(rq, "s3:PutObject", true, rq.bucket, key)
	if err != nil {
		return nil, err
	}
	if d != access.Allow {
		return nil, ErrAccessDenied
	}
	if !st.Exists {
		return nil, ErrNoSuchBucket
	}
	var tags map[string]string
	if v, ok := form.Value("tagging"); ok {
		if tags, err = parseTagging([]byte(v), objectTags); err != nil {
			return nil, err
		}
	}
	grants, err := s.newObjectACL(rq)
	if err != nil {
		return nil, err
	}
	body, size, err := postFile(fr, r.ContentLength, boundary)
	if err != nil {
		return nil, err
	}
	if pol != nil {
		if err := pol.CheckLength(size); err != nil {
			return nil, postLengthError(err)
		}
	}
	fileReq.Body = io.NopCloser(body)
	fileReq.ContentLength = size
	in, err := putInput(rq, "")
	if err != nil {
		return nil, err
	}
	in.Tags, in.Owner = tags, grants.owner
	if bodySHA != nil {
		in.BeforeCommit = checkBodySHA(in.BeforeCommit, src, bodySHA, ph)
	}
	info, err := s.engine().PutObject(rq.ctx(), in)
	if err != nil {
		return nil, err
	}
	if err := s.setNewObjectACL(rq, grants); err != nil {
		return nil, err
	}
	return s.postAnswer(rq, form, quoteETag(info.ETag), func(h http.Header) {
		setObjectChecksumHeaders(h, info.Checksums)
		setVersionHeaders(h, info)
	}), nil
}

// checkBodySHA makes a BeforeCommit also read the rest of the body
// (what follows the file) and check its SHA-256 against want.
func checkBodySHA(next func() (map[string]string, error), rest io.Reader, sum hash.Hash, want string) func() (map[string]string, error) {
	return func() (map[string]string, error) {
		sums, err := next()
		if err != nil {
			return nil, err
		}
		if _, err := io.Copy(io.Discard, rest); err != nil {
			return nil, err
		}
		if hex.EncodeToString(sum.Sum(nil)) != want {
			return nil, ErrContentSHA256Mismatch
		}
		return sums, nil
	}
}

// postFormError maps a form-reading error to S3's answer.
func postFormError(err error) error {
	switch {
	case errors.Is(err, postform.ErrPreDataTooLarge):
		return ErrMaxPostPreDataLength
	case errors.Is(err, postform.ErrNoFile):
		return ErrIncorrectNumberOfFiles
	case errors.Is(err, postform.ErrMalformed):
		return ErrMalformedPOSTRequest
	}
	return err // the body's own failure: an idle client, a dropped connection
}

// postAuth authenticates a form: a signed form is its signer's once the
// signature and the policy hold; an unsigned one keeps the request's own
// authentication (anonymous, or an Authorization header). It returns the
// policy, nil for an unsigned form.
func (s *Server) postAuth(rq *request, form *postform.Form) (*authResult, *postform.Policy, error) {
	for _, v2 := range []string{"AWSAccessKeyId", "signature"} {
		if _, ok := form.Value(v2); ok {
			return nil, nil, ErrUnsupportedSignature
		}
	}
	policy, signed := form.Value("policy")
	if !signed {
		if _, ok := form.Value("x-amz-signature"); ok {
			return nil, nil, missingPostField("policy")
		}
		a := *rq.auth
		a.PayloadHash = unsignedPayload
		return &a, nil, nil
	}
	vals := map[string]string{}
	for _, name := range postSigFields {
		v, ok := form.Value(name)
		if !ok {
			return nil, nil, missingPostField(name)
		}
		vals[name] = v
	}
	if alg := vals["x-amz-algorithm"]; alg != sigV4Algorithm {
		return nil, nil, badArgument("x-amz-algorithm", alg, "Unsupported x-amz-algorithm %q: only AWS4-HMAC-SHA256 is supported.", alg)
	}
	cred, ok := parseCredential(vals["x-amz-credential"])
	if !ok {
		return nil, nil, badArgument("x-amz-credential", vals["x-amz-credential"], "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	amzDate := vals["x-amz-date"]
	if _, err := time.Parse(amzDateFormat, amzDate); err != nil {
		return nil, nil, badArgument("x-amz-date", amzDate, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	if amzDate[:8] != cred.Date {
		return nil, nil, badArgument("x-amz-credential", vals["x-amz-credential"], "Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	if _, ok := form.Value("x-amz-security-token"); ok {
		// prismd issues no temporary credentials: no token is valid.
		return nil, nil, ErrInvalidToken
	}
	key, err := s.engine().LookupAccessKey(cred.AccessKey)
	if err != nil {
		return nil, nil, ErrInvalidAccessKeyID
	}
	want := hex.EncodeToString(hmacSHA256(signingKey(key.Secret, cred), policy))
	if !signatureEqual(want, strings.ToLower(vals["x-amz-signature"])) {
		return nil, nil, ErrSignatureDoesNotMatch
	}
	pol, err := postform.ParsePolicy(policy)
	if err != nil {
		return nil, nil, postPolicyError(err)
	}
	if pol.Expired(s.now()) {
		return nil, nil, detail(ErrAccessDenied, "Invalid according to Policy: Policy expired.")
	}
	if err := pol.Check(form, rq.bucket); err != nil {
		return nil, nil, postPolicyError(err)
	}
	return &authResult{Key: key, PayloadHash: unsignedPayload, Cred: cred, AmzDate: amzDate}, pol, nil
}

// missingPostField is S3's answer to a form without a required field.
func missingPostField(name string) error {
	return badArgument(name, "", "Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name)
}

// postPolicyError maps a policy's refusal or malformation to S3's answer.
func postPolicyError(err error) error {
	var pe *postform.PolicyError
	if !errors.As(err, &pe) {
		return err
	}
	if pe.Malformed {
		return detail(ErrInvalidPolicyDocument, "%s", pe.Message)
	}
	return detail(ErrAccessDenied, "%s", pe.Message)
}

// postLengthError maps a content-length-range refusal to S3's answer.
func postLengthError(err error) error {
	var le *postform.LengthError
	if !errors.As(err, &le) {
		return err
	}
	if le.TooLarge {
		return detail(ErrEntityTooLarge, "Your proposed upload exceeds the maximum allowed size (proposed %d bytes, at most %d).", le.Size, le.Max)
	}
	return detail(ErrEntityTooSmall, "Your proposed upload is smaller than the minimum allowed size (proposed %d bytes, at least %d).", le.Size, le.Min)
}

// postHeaders turns form fields into the headers of a PutObject: stored
// headers, acl (x-amz-acl), x-amz-meta-*, x-amz-checksum-* and every other
// x-amz-* field (so that an unsupported one is refused as its header is).
func postHeaders(form *postform.Form) http.Header {
	h := http.Header{}
	for _, name := range form.Names() {
		v, _ := form.Value(name)
		switch {
		case name == "acl":
			h.Set("X-Amz-Acl", v)
		case name == "x-amz-security-token", name == "x-amz-signature", name == "x-amz-algorithm",
			name == "x-amz-credential", name == "x-amz-date":
		case strings.HasPrefix(name, "x-amz-"):
			h.Set(name, v)
		default:
			for _, sh := range postStoredFields {
				if strings.EqualFold(name, sh) {
					h.Set(sh, v)
				}
			}
		}
	}
	return h
}

// postFile returns the file's bytes as the engine reads them, and their
// length: exact for a file of up to postMemFile bytes; for a larger one,
// what the body's length leaves after the fields and before the closing
// delimiter, checked as the file streams.
func postFile(fr *postform.Reader, contentLength int64, boundary string) (io.Reader, int64, error) {
	head := make([]byte, postMemFile+1)
	n, err := io.ReadFull(fr, head)
	switch {
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		return bytes.NewReader(head[:n]), int64(n), nil
	case err != nil:
		return nil, 0, postFormError(err)
	}
	size := contentLength - fr.Offset() - postform.CloseDelimiterLen(boundary)
	if size < int64(n) {
		return nil, 0, errPostFileLength
	}
	return io.MultiReader(bytes.NewReader(head[:n]), &exactFile{r: fr, left: size - int64(n)}), size, nil
}

var errPostFileLength = detail(ErrMalformedPOSTRequest, "The body of your POST request is not well-formed multipart/form-data: a file of more than %d bytes must be the last field, followed only by the closing boundary.", postMemFile)

// exactFile yields exactly left bytes of the file, or fails.
type exactFile struct {
	r    io.Reader
	left int64
}

func (f *exactFile) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if int64(n) > f.left {
		return 0, errPostFileLength
	}
	f.left -= int64(n)
	switch {
	case err == io.EOF && f.left > 0:
		return n, errPostFileLength
	case err != nil && err != io.EOF:
		return n, postFormError(err)
	}
	return n, err
}

// postResponse is the 201 answer's document.
type postResponse struct {
	XMLName  xml.Name `xml:"PostResponse"`
	Location string   `xml:"Location"`
	Bucket   string   `xml:"Bucket"`
	Key      string   `xml:"Key"`
	ETag     string   `xml:"ETag"`
}

// postAnswer is the answer to a stored upload: a 303 to
// success_action_redirect (or redirect) with bucket, key and etag added,
// when it is an absolute URL; else success_action_status 200, 201 (with
// a PostResponse) or 204, the default.
func (s *Server) postAnswer(rq *request, form *postform.Form, etag string, headers func(http.Header)) *response {
	loc := s.objectLocation(rq)
	redirect, ok := form.Value("success_action_redirect")
	if !ok {
		redirect, _ = form.Value("redirect")
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		q := u.Query()
		q.Set("bucket", rq.bucket)
		q.Set("key", rq.key)
		q.Set("etag", etag)
		u.RawQuery = q.Encode()
		resp := statusResponse(http.StatusSeeOther)
		resp.header.Set("Location", u.String())
		resp.header.Set("ETag", etag)
		headers(resp.header)
		return resp
	}
	var resp *response
	switch st, _ := form.Value("success_action_status"); st {
	case "200":
		resp = statusResponse(http.StatusOK)
	case "201":
		resp = xmlResponse(postResponse{Location: loc, Bucket: rq.bucket, Key: rq.key, ETag: etag})
		resp.status = http.StatusCreated
	default:
		resp = statusResponse(http.StatusNoContent)
	}
	resp.header.Set("ETag", etag)
	resp.header.Set("Location", loc)
	headers(resp.header)
	return resp
}

// objectLocation is the URL of the stored object, in the request's style.
func (s *Server) objectLocation(rq *request) string {
	scheme := "http"
	if rq.r.TLS != nil {
		scheme = "https"
	}
	path := "/" + awsURIEncode(rq.key, true)
	if s.virtualBucket(rq.r.Host) == "" {
		path = "/" + rq.bucket + path
	}
	return fmt.Sprintf("%s://%s%s", scheme, rq.r.Host, path)
}
