package s3

import (
	"cmp"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/prismd/prismd/engine"
)

// payload is a request body as the engine reads it: aws-chunked decoded,
// counted, hashed for x-amz-content-sha256, Content-MD5 (XML bodies) and the
// additional checksum, with every failure recorded. finish, called from
// engine.PutInput.BeforeCommit, makes sure the body was complete, had no
// extra bytes and matched every digest — so a bad body never commits.
type payload struct {
	src      io.Reader
	chunked  *chunkedReader
	declared int64 // decoded length
	n        int64

	sha     hash.Hash // nil unless x-amz-content-sha256 is a hex digest
	wantSHA string
	md5     hash.Hash // nil unless verifying Content-MD5 here
	wantMD5 []byte
	ck      checksumRequest
	ckHash  hash.Hash

	err      error
	finished bool
	sums     map[string]string
}

// newPayload wraps r's body according to the authentication result. An
// aws-chunked body needs x-amz-decoded-content-length (else
// MissingContentLength) and may come with Transfer-Encoding: chunked; any
// other body sent with Transfer-Encoding: chunked (no Content-Length) gets
// 501 NotImplemented naming the header, as AWS answers.
//
// A body without a checksum gets one of algorithm alg (default
// engine.DefaultChecksum) computed (every
// object gets a full-object checksum, as on S3; a part, the one its upload
// was created with).
func newPayload(r *http.Request, auth *authResult, alg string) (*payload, error) {
	ck, err := parseChecksumRequest(r.Header)
	if err != nil {
		return nil, err
	}
	if ck.alg == "" {
		ck.alg = cmp.Or(alg, engine.DefaultChecksum)
	}
	p := &payload{ck: ck, ckHash: newChecksum(ck.alg)}
	hashHdr := auth.PayloadHash
	switch hashHdr {
	case streamingSigned, streamingSignedT, streamingUnsignT:
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return nil, detail(ErrMissingContentLength, "You must provide the x-amz-decoded-content-length header with aws-chunked bodies.")
		}
		n, err := strconv.ParseInt(dl, 10, 64)
		if err != nil || n < 0 {
			return nil, detail(ErrInvalidArgument, "x-amz-decoded-content-length is not a valid length.")
		}
		trailer := hashHdr != streamingSigned
		if trailer && !ck.trailing {
			return nil, detail(ErrInvalidRequest, "A STREAMING-*-TRAILER payload needs an x-amz-trailer header naming a checksum.")
		}
		if !trailer && ck.trailing {
			return nil, detail(ErrInvalidRequest, "x-amz-trailer needs a STREAMING-*-TRAILER payload.")
		}
		var signer *chunkSigner
		if hashHdr != streamingUnsignT {
			signer = &chunkSigner{key: auth.SigningKey, amzDate: auth.AmzDate, scope: auth.Cred.scope(), prev: auth.Seed}
		}
		p.declared = n
		p.chunked = newChunkedReader(r.Body, signer, trailer, n)
		p.src = p.chunked
	default:
		if ck.trailing {
			return nil, detail(ErrInvalidRequest, "x-amz-trailer needs an aws-chunked STREAMING-*-TRAILER payload.")
		}
		if r.ContentLength < 0 {
			if len(r.TransferEncoding) > 0 {
				return nil, notImplementedHeader("Transfer-Encoding")
			}
			return nil, ErrMissingContentLength
		}
		p.declared = r.ContentLength
		p.src = r.Body
		if isHexSignature(hashHdr) {
			p.sha = sha256.New()
			p.wantSHA = hashHdr
		}
	}
	return p, nil
}

// verifyMD5 makes finish check the body against a Content-MD5 value (the
// engine checks it for object data; XML bodies are checked here).
func (p *payload) verifyMD5(sum []byte) {
	if sum != nil {
		p.md5 = md5.New()
		p.wantMD5 = sum
	}
}

func (p *payload) Read(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.src.Read(b)
	if n > 0 {
		if p.n+int64(n) > p.declared {
			p.err = ErrBodyTooLong
			return 0, p.err
		}
		p.n += int64(n)
		if p.sha != nil {
			p.sha.Write(b[:n])
		}
		if p.md5 != nil {
			p.md5.Write(b[:n])
		}
		if p.ckHash != nil {
			p.ckHash.Write(b[:n])
		}
	}
	if err != nil && err != io.EOF {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = ErrIncompleteBody
		}
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			err = ErrEntityTooLarge
		}
		p.err = err
	}
	if err == io.EOF && p.n < p.declared {
		p.err = ErrIncompleteBody
		return n, p.err
	}
	return n, err
}

// finish drains what is left of the body and verifies length, payload hash,
// Content-MD5 and the additional checksum. It returns the checksums to
// store (algorithm → base64).
func (p *payload) finish() (map[string]string, error) {
	if p.finished {
		return p.sums, p.err
	}
	p.finished = true
	if p.err == nil {
		p.err = p.check()
	}
	return p.sums, p.err
}

func (p *payload) check() error {
	if err := drain(p); err != nil {
		return err
	}
	if p.n != p.declared {
		return ErrIncompleteBody
	}
	if p.sha != nil && hex.EncodeToString(p.sha.Sum(nil)) != p.wantSHA {
		return ErrContentSHA256Mismatch
	}
	if p.md5 != nil && string(p.md5.Sum(nil)) != string(p.wantMD5) {
		return ErrBadDigest
	}
	if p.ckHash == nil {
		return nil
	}
	got := base64.StdEncoding.EncodeToString(p.ckHash.Sum(nil))
	want := p.ck.expected
	if p.ck.trailing {
		want = p.chunked.Trailers[checksumHeader(p.ck.alg)]
		if want == "" {
			return detail(ErrMalformedChunk, "The trailer %s declared in x-amz-trailer was not sent.", checksumHeader(p.ck.alg))
		}
		if err := checkChecksumValue(p.ck.alg, want); err != nil {
			return err
		}
	}
	if want != "" && want != got {
		return checksumMismatch(p.ck.alg)
	}
	p.sums = map[string]string{p.ck.alg: got}
	return nil
}

// cause prefers the body's own error over what the engine made of it: the
// engine sees a failing Read or BeforeCommit and may wrap or replace it.
func (p *payload) cause(engineErr error) error {
	if engineErr == nil {
		return nil
	}
	if p != nil && p.err != nil {
		return p.err
	}
	return engineErr
}

// readAll reads a small (XML) body whole and verifies it, up to limit bytes.
func (p *payload) readAll(limit int64) ([]byte, error) {
	if p.declared > limit {
		return nil, detail(ErrEntityTooLarge, "The request body exceeds %d bytes.", limit)
	}
	b, err := io.ReadAll(p)
	if err != nil {
		return nil, err
	}
	if _, err := p.finish(); err != nil {
		return nil, err
	}
	return b, nil
}

// parseContentMD5 decodes a Content-MD5 header; InvalidDigest when malformed.
func parseContentMD5(h http.Header) ([]byte, error) {
	vals, ok := h["Content-Md5"]
	if !ok {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(vals[0]))
	if err != nil || len(b) != md5.Size {
		return nil, ErrInvalidDigest
	}
	return b, nil
}

// readSmallBody reads a request body of at most limit bytes (an XML or
// JSON document) whole, verifying its signature, payload hash and
// Content-MD5.
func readSmallBody(rq *request, limit int64) ([]byte, error) {
	md5sum, err := parseContentMD5(rq.r.Header)
	if err != nil {
		return nil, err
	}
	p, err := newPayload(rq.r, rq.auth, "")
	if err != nil {
		return nil, err
	}
	rq.body = p
	p.verifyMD5(md5sum)
	return p.readAll(limit)
}
