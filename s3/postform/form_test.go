package postform

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

const bnd = "XyZzY"

// body builds a form body: parts are "name=value"; a part "file=..." is
// sent with a filename.
func body(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		name, val, _ := strings.Cut(p, "=")
		b.WriteString("--" + bnd + "\r\n")
		if name == "file" {
			b.WriteString("Content-Disposition: form-data; name=\"file\"; filename=\"C:\\\\dir\\\\photo.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n")
		} else {
			b.WriteString("Content-Disposition: form-data; name=\"" + name + "\"\r\n\r\n")
		}
		b.WriteString(val + "\r\n")
	}
	b.WriteString("--" + bnd + "--\r\n")
	return b.String()
}

func readAll(t *testing.T, src io.Reader, max int64) (*Form, string, error) {
	t.Helper()
	r := NewReader(src, bnd)
	f, err := r.ReadForm(max)
	if err != nil {
		return nil, "", err
	}
	data, err := io.ReadAll(r)
	return f, string(data), err
}

func TestReadForm(t *testing.T) {
	big := strings.Repeat("a", 300<<10)
	tests := []struct {
		name     string
		body     string
		max      int64
		fields   string // name=value;...
		file     string
		fileName string
		err      error
	}{
		{name: "simple", body: body("key=a/${filename}", "acl=private", "file=hello"), fields: "key=a/${filename};acl=private;", file: "hello", fileName: "photo.jpg"},
		{name: "empty file", body: body("key=k", "file="), fields: "key=k;", file: ""},
		{name: "file with CRLF and dashes", body: body("key=k", "file=a\r\n--XyZz\r\n--"), fields: "key=k;", file: "a\r\n--XyZz\r\n--"},
		{name: "large file", body: body("key=k", "file="+big), fields: "key=k;", file: big},
		{name: "fields after the file are ignored", body: body("key=k", "file=data", "acl=public-read", "file=second"), fields: "key=k;", file: "data"},
		{name: "preamble", body: "preamble text\r\n" + body("key=k", "file=x"), fields: "key=k;", file: "x"},
		{name: "no file", body: body("key=k", "acl=private"), err: ErrNoFile},
		{name: "empty body", body: "", err: ErrMalformed},
		{name: "no delimiter", body: "just text", err: ErrMalformed},
		{name: "truncated field", body: "--" + bnd + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nabc", err: ErrMalformed},
		{name: "truncated file", body: "--" + bnd + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", err: ErrMalformed},
		{name: "truncated headers", body: "--" + bnd + "\r\nContent-Disposition: form-data; name=\"key\"", err: ErrMalformed},
		{name: "bare LF", body: "--" + bnd + "\nContent-Disposition: form-data; name=\"key\"\n\nv\r\n--" + bnd + "--", err: ErrMalformed},
		{name: "no name", body: "--" + bnd + "\r\nContent-Disposition: form-data\r\n\r\nv\r\n--" + bnd + "--", err: ErrMalformed},
		{name: "not form-data", body: "--" + bnd + "\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nv\r\n--" + bnd + "--", err: ErrMalformed},
		{name: "header without colon", body: "--" + bnd + "\r\nbogus\r\n\r\nv\r\n--" + bnd + "--", err: ErrMalformed},
		{name: "junk after delimiter", body: "--" + bnd + "junk\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--" + bnd + "--", err: ErrMalformed},
		{name: "pre-data too large", body: body("key="+strings.Repeat("k", 30<<10), "file=x"), max: 20 << 10, err: ErrPreDataTooLarge},
		{name: "pre-data at the limit", body: body("key=k", "file=x"), max: int64(len(body("key=k", "file=")) - len("\r\n--"+bnd+"--\r\n")), fields: "key=k;", file: "x"},
		{name: "pre-data one byte over", body: body("key=k", "file=x"), max: int64(len(body("key=k", "file=")) - len("\r\n--"+bnd+"--\r\n") - 1), err: ErrPreDataTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			max := tc.max
			if max == 0 {
				max = 20 << 10
			}
			for _, src := range []io.Reader{strings.NewReader(tc.body), iotest.OneByteReader(strings.NewReader(tc.body)), iotest.HalfReader(strings.NewReader(tc.body))} {
				f, file, err := readAll(t, src, max)
				if tc.err != nil {
					if !errors.Is(err, tc.err) {
						t.Fatalf("err %v, want %v", err, tc.err)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				var got strings.Builder
				for _, fl := range f.Fields {
					got.WriteString(fl.Name + "=" + fl.Value + ";")
				}
				if got.String() != tc.fields || file != tc.file {
					t.Fatalf("fields %q file %d bytes, want %q %d", got.String(), len(file), tc.fields, len(tc.file))
				}
				if tc.fileName != "" && f.FileName != tc.fileName {
					t.Fatalf("file name %q", f.FileName)
				}
			}
		})
	}
}

// TestOffset: Offset and CloseDelimiterLen give the file's exact length
// from the body's length, for the body every common client writes.
func TestOffset(t *testing.T) {
	for _, file := range []string{"", "x", strings.Repeat("z", 200<<10)} {
		b := body("key=k", "x-amz-meta-a=1", "file="+file)
		r := NewReader(strings.NewReader(b), bnd)
		if _, err := r.ReadForm(20 << 10); err != nil {
			t.Fatal(err)
		}
		if got := int64(len(b)) - r.Offset() - CloseDelimiterLen(bnd); got != int64(len(file)) {
			t.Fatalf("predicted %d, file has %d", got, len(file))
		}
		data, _ := io.ReadAll(r)
		if string(data) != file {
			t.Fatal("file differs")
		}
	}
}

func TestFormValueAndExpand(t *testing.T) {
	f := &Form{Fields: []Field{{"Key", "u/${filename}"}, {"x-amz-meta-tag", "Ninja"}, {"X-Amz-Meta-Tag", "Stallman"}}, FileName: "a.txt"}
	f.Expand()
	if v, ok := f.Value("key"); !ok || v != "u/a.txt" {
		t.Fatalf("key %q", v)
	}
	if v, _ := f.Value("x-amz-meta-tag"); v != "Ninja,Stallman" {
		t.Fatalf("joined %q", v)
	}
	if _, ok := f.Value("acl"); ok {
		t.Fatal("acl found")
	}
	if n := f.Names(); strings.Join(n, ",") != "key,x-amz-meta-tag" {
		t.Fatalf("names %v", n)
	}
	for in, want := range map[string]string{`C:\a\b.txt`: "b.txt", "/x/y": "y", "plain": "plain", "": ""} {
		if got := baseName(in); got != want {
			t.Fatalf("baseName(%q) = %q", in, got)
		}
	}
}

func TestBoundary(t *testing.T) {
	if b, err := Boundary("multipart/form-data; boundary=abc"); err != nil || b != "abc" {
		t.Fatal(b, err)
	}
	for _, ct := range []string{"", "text/plain", "multipart/form-data", "multipart/mixed; boundary=a", "multipart/form-data; boundary=" + strings.Repeat("b", 300)} {
		if _, err := Boundary(ct); !errors.Is(err, ErrMalformed) {
			t.Fatalf("%q: %v", ct, err)
		}
	}
	if !IsFormData("Multipart/Form-Data; boundary=x") || IsFormData("application/x-www-form-urlencoded") {
		t.Fatal("IsFormData")
	}
}

// TestStreamsFile: the reader holds a bounded buffer whatever the file's size.
func TestStreamsFile(t *testing.T) {
	const size = 50 << 20
	head := "--" + bnd + "\r\nContent-Disposition: form-data; name=\"key\"\r\n\r\nk\r\n--" + bnd + "\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"
	src := io.MultiReader(strings.NewReader(head), io.LimitReader(zeros{}, size), strings.NewReader("\r\n--"+bnd+"--\r\n"))
	r := NewReader(src, bnd)
	if _, err := r.ReadForm(20 << 10); err != nil {
		t.Fatal(err)
	}
	n, err := io.Copy(io.Discard, r)
	if err != nil || n != size {
		t.Fatal(n, err)
	}
	if r.br.Size() > bufSize {
		t.Fatalf("buffer %d", r.br.Size())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func FuzzReadForm(f *testing.F) {
	f.Add([]byte(body("key=k", "file=data")), int64(100))
	f.Add([]byte(body("key=k", "acl=x", "file=da\r\n--XyZ", "after=1")), int64(20<<10))
	f.Add([]byte("--"+bnd+"\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\n"), int64(20<<10))
	f.Add([]byte("--"+bnd+"--"), int64(5))
	f.Fuzz(func(t *testing.T, b []byte, max int64) {
		r := NewReader(bytes.NewReader(b), bnd)
		form, err := r.ReadForm(max)
		if err != nil {
			return
		}
		if r.Offset() > int64(len(b)) || r.Offset() > max {
			t.Fatalf("offset %d of %d (max %d)", r.Offset(), len(b), max)
		}
		data, err := io.ReadAll(r)
		if err == nil && r.Offset()+int64(len(data)) > int64(len(b)) {
			t.Fatalf("file data past the body")
		}
		if err == nil && !bytes.Contains(b[r.Offset():], data) {
			t.Fatal("file data not from the body")
		}
		form.Expand()
		form.Names()
	})
}
