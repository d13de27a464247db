package postform

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
)

// Errors of a form body.
var (
	ErrMalformed       = errors.New("postform: malformed multipart/form-data")
	ErrPreDataTooLarge = errors.New("postform: fields before the file too large")
	ErrNoFile          = errors.New("postform: no file field")
)

// Field is one form field.
type Field struct {
	Name  string
	Value string
}

// Form is what a body holds before the file's data.
type Form struct {
	// Fields are the fields before the file, in order, names as sent.
	Fields []Field
	// FileName is the file part's filename, without any path.
	FileName string
	// FileContentType is the Content-Type of the file part, if any.
	FileContentType string
}

// Value returns the field named name (any case), several values joined by
// commas, and whether there is one.
func (f *Form) Value(name string) (string, bool) {
	var vals []string
	for _, fl := range f.Fields {
		if strings.EqualFold(fl.Name, name) {
			vals = append(vals, fl.Value)
		}
	}
	return strings.Join(vals, ","), len(vals) > 0
}

// Names returns the distinct field names, lower case, in order.
func (f *Form) Names() []string {
	var out []string
	seen := map[string]bool{}
	for _, fl := range f.Fields {
		n := strings.ToLower(fl.Name)
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// Expand replaces every ${filename} in the field values with FileName.
func (f *Form) Expand() {
	for i := range f.Fields {
		f.Fields[i].Value = strings.ReplaceAll(f.Fields[i].Value, "${filename}", f.FileName)
	}
}

// baseName strips a browser's path: what follows the last '/' or '\'.
func baseName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		return s[i+1:]
	}
	return s
}

// Boundary returns the boundary of a multipart/form-data Content-Type, or
// ErrMalformed.
func Boundary(contentType string) (string, error) {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil || !strings.EqualFold(mt, "multipart/form-data") {
		return "", fmt.Errorf("content type %q: %w", contentType, ErrMalformed)
	}
	b := params["boundary"]
	if b == "" || len(b) > maxBoundary {
		return "", fmt.Errorf("boundary %q: %w", b, ErrMalformed)
	}
	return b, nil
}

// IsFormData reports whether contentType is multipart/form-data.
func IsFormData(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && strings.EqualFold(mt, "multipart/form-data")
}

const (
	maxBoundary   = 256
	maxHeaderLine = 8 << 10
	bufSize       = 64 << 10
)

// Reader reads one form body as a stream.
type Reader struct {
	br     *bufio.Reader
	delim  []byte // "\r\n--" + boundary
	n      int64  // bytes of the body consumed, including the virtual leading CRLF
	inFile bool
	offset int64 // body bytes before the file's data
	eof    bool  // the file's data ended
}

// NewReader reads body, a multipart/form-data body with boundary.
func NewReader(body io.Reader, boundary string) *Reader {
	// A virtual CRLF makes the first delimiter look like every other one.
	return &Reader{
		br:    bufio.NewReaderSize(io.MultiReader(strings.NewReader("\r\n"), body), bufSize),
		delim: []byte("\r\n--" + boundary),
	}
}

// Offset is the number of body bytes before the file's data, once
// ReadForm returned.
func (r *Reader) Offset() int64 { return r.offset }

// CloseDelimiterLen is the length of what a client ends a body with after
// the file's data: CRLF "--" boundary "--" CRLF.
func CloseDelimiterLen(boundary string) int64 { return int64(len(boundary)) + 8 }

func (r *Reader) discard(n int) {
	r.br.Discard(n)
	r.n += int64(n)
}

// ReadForm reads the fields up to the file part's data. maxPre bounds the
// bytes read: ErrPreDataTooLarge beyond. A body without a file returns
// its fields and ErrNoFile.
func (r *Reader) ReadForm(maxPre int64) (*Form, error) {
	f := &Form{}
	limit := maxPre + 2
	for {
		// Skip to the next delimiter: the preamble, or a part's epilogue.
		if len(f.Fields) == 0 && r.n == 0 {
			if err := r.skipPreamble(limit); err != nil {
				return nil, err
			}
		}
		last, err := r.afterDelimiter(limit)
		if err != nil {
			return nil, err
		}
		if last {
			return f, ErrNoFile
		}
		name, filename, ctype, err := r.partHeaders(limit)
		if err != nil {
			return nil, err
		}
		if strings.EqualFold(name, "file") {
			f.FileName = baseName(filename)
			f.FileContentType = ctype
			r.inFile = true
			r.offset = r.n - 2
			return f, nil
		}
		var val bytes.Buffer
		if err := r.readPart(&val, limit); err != nil {
			return nil, err
		}
		f.Fields = append(f.Fields, Field{Name: name, Value: val.String()})
	}
}

// skipPreamble consumes what precedes the first delimiter.
func (r *Reader) skipPreamble(limit int64) error {
	return r.readPart(io.Discard, limit)
}

// readPart copies the bytes up to the next delimiter to w and consumes the
// delimiter.
func (r *Reader) readPart(w io.Writer, limit int64) error {
	for {
		if r.n > limit {
			return ErrPreDataTooLarge
		}
		peek, perr := r.br.Peek(bufSize)
		if i := bytes.Index(peek, r.delim); i >= 0 {
			w.Write(peek[:i])
			r.discard(i + len(r.delim))
			if r.n > limit {
				return ErrPreDataTooLarge
			}
			return nil
		}
		if perr != nil {
			if perr == io.EOF || perr == io.ErrUnexpectedEOF {
				return fmt.Errorf("no delimiter before the end: %w", ErrMalformed)
			}
			return perr
		}
		safe := len(peek) - len(r.delim) + 1
		w.Write(peek[:safe])
		r.discard(safe)
	}
}

// line reads one CRLF-terminated line (without the CRLF).
func (r *Reader) line(limit int64) (string, error) {
	var b []byte
	for {
		c, err := r.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return "", fmt.Errorf("truncated line: %w", ErrMalformed)
			}
			return "", err
		}
		r.n++
		if r.n > limit {
			return "", ErrPreDataTooLarge
		}
		if c == '\n' {
			if len(b) == 0 || b[len(b)-1] != '\r' {
				return "", fmt.Errorf("bare LF: %w", ErrMalformed)
			}
			return string(b[:len(b)-1]), nil
		}
		if len(b) >= maxHeaderLine {
			return "", fmt.Errorf("line too long: %w", ErrMalformed)
		}
		b = append(b, c)
	}
}

// afterDelimiter reads the rest of a delimiter line: "--" ends the body
// (last), else optional white space and CRLF.
func (r *Reader) afterDelimiter(limit int64) (last bool, err error) {
	if b, _ := r.br.Peek(2); string(b) == "--" {
		return true, nil // what follows the close delimiter is never read
	}
	l, err := r.line(limit)
	if err != nil {
		return false, err
	}
	if strings.Trim(l, " \t") != "" {
		return false, fmt.Errorf("text after a delimiter: %w", ErrMalformed)
	}
	return false, nil
}

// partHeaders reads a part's headers: the form-data name and filename of
// its Content-Disposition and its Content-Type.
func (r *Reader) partHeaders(limit int64) (name, filename, ctype string, err error) {
	seenCD := false
	for {
		l, err := r.line(limit)
		if err != nil {
			return "", "", "", err
		}
		if l == "" {
			break
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok || k == "" || strings.TrimSpace(k) != k {
			return "", "", "", fmt.Errorf("header line %q: %w", l, ErrMalformed)
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(k) {
		case "content-disposition":
			if seenCD {
				return "", "", "", fmt.Errorf("two Content-Disposition headers: %w", ErrMalformed)
			}
			seenCD = true
			disp, params, err := mime.ParseMediaType(v)
			if err != nil || disp != "form-data" {
				return "", "", "", fmt.Errorf("content-disposition %q: %w", v, ErrMalformed)
			}
			name, filename = params["name"], params["filename"]
		case "content-type":
			ctype = v
		}
	}
	if name == "" {
		return "", "", "", fmt.Errorf("part without a form-data name: %w", ErrMalformed)
	}
	return name, filename, ctype, nil
}

// Read reads the file's data, after ReadForm: io.EOF at the delimiter
// that ends it; a body that ends before it is ErrMalformed.
func (r *Reader) Read(p []byte) (int, error) {
	if !r.inFile {
		return 0, errors.New("postform: Read before ReadForm found the file")
	}
	if r.eof {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	peek, perr := r.br.Peek(bufSize)
	if i := bytes.Index(peek, r.delim); i >= 0 {
		n := copy(p, peek[:i])
		r.discard(n)
		if n == i {
			r.eof = true
			if n == 0 {
				return 0, io.EOF
			}
		}
		return n, nil
	}
	if perr != nil && perr != bufio.ErrBufferFull {
		if perr == io.EOF || perr == io.ErrUnexpectedEOF {
			return 0, fmt.Errorf("the file has no closing delimiter: %w", ErrMalformed)
		}
		return 0, perr
	}
	safe := len(peek) - len(r.delim) + 1
	n := copy(p, peek[:safe])
	r.discard(n)
	return n, nil
}
