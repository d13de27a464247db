package s3

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"strconv"
	"strings"
)

// aws-chunked framing, as sent with x-amz-content-sha256 set to one of the
// STREAMING-* values:
//
//	hex-size[;chunk-signature=sig]\r\n
//	data\r\n
//	...
//	0[;chunk-signature=sig]\r\n
//	[trailer-name:value\r\n ... [x-amz-trailer-signature:sig\r\n]]
//	\r\n
//
// Signed chunks chain: the signature of chunk n covers the signature of
// chunk n-1 (the seed is the request signature), so chunks cannot be
// dropped, reordered or altered. The final 0-length chunk is signed too, and
// the trailer signature chains off it.

const (
	maxChunkLine   = 4096    // a chunk header or trailer line
	maxTrailers    = 16      // trailer lines after the final chunk
	maxChunkSize   = 1 << 40 // sanity bound on one chunk's declared size
	chunkSigPrefix = "chunk-signature="
	trailerSigName = "x-amz-trailer-signature"
)

// chunkSigner computes the chained chunk and trailer signatures.
type chunkSigner struct {
	key     []byte
	amzDate string
	scope   string
	prev    string // signature of the previous chunk (the seed at first)
}

// chunk returns the signature of a chunk whose data hashes to sum.
func (c *chunkSigner) chunk(sum []byte) string {
	sts := "AWS4-HMAC-SHA256-PAYLOAD\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" + emptySHA256 + "\n" + hex.EncodeToString(sum)
	return hex.EncodeToString(hmacSHA256(c.key, sts))
}

// trailer returns the signature of the canonical trailer block
// ("name:value\n" for each trailer).
func (c *chunkSigner) trailer(canonical string) string {
	sts := "AWS4-HMAC-SHA256-TRAILER\n" + c.amzDate + "\n" + c.scope + "\n" + c.prev + "\n" + sha256Hex(canonical)
	return hex.EncodeToString(hmacSHA256(c.key, sts))
}

type chunkState int

const (
	stateHeader chunkState = iota
	stateData
	stateTrailers
	stateDone
)

// chunkedReader decodes an aws-chunked body, verifying every chunk
// signature when signer is set. It yields exactly the decoded bytes and
// returns io.EOF only after the final chunk, the trailers and the end of the
// stream were seen and verified. Errors are *APIError values:
// IncompleteBody for a truncated stream, SignatureDoesNotMatch for a bad
// signature, InvalidRequest for broken framing or bytes past the end.
type chunkedReader struct {
	br       *bufio.Reader
	signer   *chunkSigner // nil: unsigned chunks (signatures, if any, ignored)
	trailers bool         // trailers follow the final chunk
	max      int64        // declared decoded length; more is an error

	state     chunkState
	remaining int64
	claimed   string
	last      []byte // the line readLine read last (a view into br)
	sum       hash.Hash
	decoded   int64
	err       error

	// Trailers holds the trailers (lower-case names) once Read returned io.EOF.
	Trailers map[string]string
}

func newChunkedReader(r io.Reader, signer *chunkSigner, trailers bool, declared int64) *chunkedReader {
	return &chunkedReader{
		br:       bufio.NewReaderSize(r, 64<<10),
		signer:   signer,
		trailers: trailers,
		max:      declared,
		sum:      sha256.New(),
	}
}

var errChunkTruncated = detail(ErrIncompleteBody, "The aws-chunked body ended before its final chunk.")

// errBareLF is readLine's answer to a line ending in LF alone.
var errBareLF = malformedChunk("line not terminated by CRLF")

func malformedChunk(format string, args ...any) error {
	return detail(ErrMalformedChunk, "Malformed aws-chunked body: "+format, args...)
}

// readLine reads one CRLF-terminated line (without the CRLF).
func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	c.last = line
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || len(line) >= maxChunkLine {
			return "", malformedChunk("line too long")
		}
		if errors.Is(err, io.EOF) {
			if len(line) == 0 {
				return "", io.EOF
			}
			return "", errChunkTruncated
		}
		return "", err
	}
	if len(line) > maxChunkLine {
		return "", malformedChunk("line too long")
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return "", errBareLF
	}
	return string(line[:len(line)-2]), nil
}

// lastLineLF returns the line readLine just refused for its bare LF ending,
// for trailers, where clients use either ending.
func (c *chunkedReader) lastLineLF() (string, error) {
	line := c.last
	if len(line) == 0 || line[len(line)-1] != '\n' || len(line) > maxChunkLine {
		return "", malformedChunk("bad trailer line")
	}
	return strings.TrimSuffix(string(line[:len(line)-1]), "\r"), nil
}

// parseChunkHeader parses "hex-size[;chunk-signature=sig]".
func (c *chunkedReader) parseChunkHeader(line string) (int64, string, error) {
	sizeStr, ext, hasExt := strings.Cut(line, ";")
	if len(sizeStr) == 0 || len(sizeStr) > 16 {
		return 0, "", malformedChunk("bad chunk size %q", sizeStr)
	}
	for i := 0; i < len(sizeStr); i++ {
		ch := sizeStr[i]
		if !('0' <= ch && ch <= '9' || 'a' <= ch && ch <= 'f' || 'A' <= ch && ch <= 'F') {
			return 0, "", malformedChunk("bad chunk size %q", sizeStr)
		}
	}
	size, err := strconv.ParseUint(sizeStr, 16, 64)
	if err != nil || size > maxChunkSize {
		return 0, "", malformedChunk("bad chunk size %q", sizeStr)
	}
	if c.signer == nil {
		return int64(size), "", nil
	}
	sig, ok := strings.CutPrefix(ext, chunkSigPrefix)
	if !hasExt || !ok || !isHexSignature(sig) {
		return 0, "", detail(ErrSignatureDoesNotMatch, "Missing or malformed chunk-signature.")
	}
	return int64(size), sig, nil
}

// verifyChunk checks the claimed signature of the chunk just read.
func (c *chunkedReader) verifyChunk() error {
	if c.signer == nil {
		return nil
	}
	want := c.signer.chunk(c.sum.Sum(nil))
	c.sum.Reset()
	if !signatureEqual(want, c.claimed) {
		return detail(ErrSignatureDoesNotMatch, "The chunk signature does not match.")
	}
	c.signer.prev = want
	return nil
}

func (c *chunkedReader) fail(err error) error {
	if c.err == nil {
		c.err = err
	}
	return c.err
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	for {
		if c.err != nil {
			return 0, c.err
		}
		switch c.state {
		case stateHeader:
			line, err := c.readLine()
			if err == io.EOF {
				err = errChunkTruncated
			}
			if err != nil {
				return 0, c.fail(err)
			}
			size, sig, err := c.parseChunkHeader(line)
			if err != nil {
				return 0, c.fail(err)
			}
			c.claimed = sig
			if size == 0 {
				if err := c.verifyChunk(); err != nil {
					return 0, c.fail(err)
				}
				if c.decoded != c.max {
					return 0, c.fail(detail(ErrIncompleteBody, "The aws-chunked body holds %d bytes, x-amz-decoded-content-length says %d.", c.decoded, c.max))
				}
				c.state = stateTrailers
				continue
			}
			if c.decoded+size > c.max {
				return 0, c.fail(detail(ErrBodyTooLong, "The aws-chunked body is longer than x-amz-decoded-content-length (%d).", c.max))
			}
			c.remaining = size
			c.state = stateData
		case stateData:
			if len(p) == 0 {
				return 0, nil
			}
			n := len(p)
			if int64(n) > c.remaining {
				n = int(c.remaining)
			}
			n, err := c.br.Read(p[:n])
			c.sum.Write(p[:n])
			c.remaining -= int64(n)
			c.decoded += int64(n)
			if c.remaining == 0 {
				if err := c.endChunk(); err != nil {
					return n, c.fail(err)
				}
				return n, nil
			}
			if err != nil {
				if err == io.EOF {
					err = errChunkTruncated
				}
				return n, c.fail(err)
			}
			return n, nil
		case stateTrailers:
			if err := c.readTrailers(); err != nil {
				return 0, c.fail(err)
			}
			c.state = stateDone
		case stateDone:
			return 0, io.EOF
		}
	}
}

// endChunk consumes the CRLF after a chunk's data and verifies its signature.
func (c *chunkedReader) endChunk() error {
	var crlf [2]byte
	if _, err := io.ReadFull(c.br, crlf[:]); err != nil {
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return errChunkTruncated
		}
		return err
	}
	if crlf != [2]byte{'\r', '\n'} {
		return malformedChunk("chunk data not followed by CRLF")
	}
	if err := c.verifyChunk(); err != nil {
		return err
	}
	c.state = stateHeader
	return nil
}

// readTrailers reads the trailer block after the final chunk, verifies its
// signature (signed trailers) and that nothing follows it.
func (c *chunkedReader) readTrailers() error {
	c.Trailers = map[string]string{}
	var canonical strings.Builder
	sig := ""
	// Trailer lines end in CRLF (AWS) or a bare LF followed by a blank CRLF
	// line (minio-go); blank lines are skipped and the trailers end with
	// the body.
	for i := 0; ; {
		line, err := c.readLine()
		if err == io.EOF {
			break
		}
		switch err {
		case errBareLF:
			line, err = c.lastLineLF()
		case errChunkTruncated: // bytes without a line end after the final chunk
			return malformedChunk("data after the end of the aws-chunked body")
		}
		if err != nil {
			return err
		}
		if line == "" {
			continue
		}
		if i++; !c.trailers || i > maxTrailers {
			return malformedChunk("unexpected data after the final chunk")
		}
		name, val, ok := strings.Cut(line, ":")
		if !ok {
			return malformedChunk("bad trailer line")
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		if name == trailerSigName {
			if sig != "" {
				return malformedChunk("two trailer signatures")
			}
			sig = val
			continue
		}
		if sig != "" {
			return malformedChunk("trailer after the trailer signature")
		}
		if _, dup := c.Trailers[name]; dup {
			return malformedChunk("duplicate trailer %q", name)
		}
		c.Trailers[name] = val
		canonical.WriteString(name + ":" + val + "\n")
	}
	if c.signer != nil && c.trailers {
		if !isHexSignature(sig) {
			return detail(ErrSignatureDoesNotMatch, "Missing or malformed x-amz-trailer-signature.")
		}
		if !signatureEqual(c.signer.trailer(canonical.String()), sig) {
			return detail(ErrSignatureDoesNotMatch, "The trailer signature does not match.")
		}
	}
	return nil
}

// drain reads the reader to its end, discarding data (there must be none
// left when the consumer read exactly the declared length).
func drain(r io.Reader) error {
	var buf [512]byte
	for {
		n, err := r.Read(buf[:])
		if n > 0 {
			return ErrBodyTooLong
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
