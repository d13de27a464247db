package s3

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
	"time"
)

// response is what a handler returns; writeResponse turns it into HTTP.
type response struct {
	status int         // 0 means 200
	header http.Header // extra headers
	xml    any         // XML body (encoded with the XML declaration)
	body   io.ReadCloser
	length int64 // of body; -1 unknown
}

func newResponse() *response { return &response{header: http.Header{}, length: -1} }

// xmlResponse is a 200 with an XML body.
func xmlResponse(v any) *response {
	r := newResponse()
	r.xml = v
	return r
}

// statusResponse is a bodiless answer with the given status.
func statusResponse(status int) *response {
	r := newResponse()
	r.status = status
	return r
}

// statusWriter records what was written, for the request log.
type statusWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
	// rc, when set, gets a write deadline writeTimeout ahead of every write.
	rc           *http.ResponseController
	writeTimeout time.Duration
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status = code
		w.wroteHeader = true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wroteHeader {
		w.WriteHeader(http.StatusOK)
	}
	w.extendWrite()
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		w.extendWrite()
		f.Flush()
	}
}

func hostID() string {
	var b [24]byte
	rand.Read(b[:])
	return base64.StdEncoding.EncodeToString(b[:])
}

// encodeXML marshals v with the XML declaration.
func encodeXML(v any) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeResponse is the one adapter from handler results to HTTP.
func (s *Server) writeResponse(w *statusWriter, rq *request, resp *response, err error) {
	if rq.body != nil {
		err = rq.body.cause(err)
	}
	if err != nil {
		if resp != nil {
			for k, v := range resp.header {
				w.Header()[k] = v
			}
			if resp.body != nil {
				resp.body.Close()
			}
		}
		s.writeError(w, rq, err)
		return
	}
	h := w.Header()
	h.Set("x-amz-request-id", rq.id)
	h.Set("x-amz-id-2", hostID())
	h.Set("Server", "prismd")
	for k, v := range resp.header {
		h[k] = v
	}
	status := resp.status
	if status == 0 {
		status = http.StatusOK
	}
	switch {
	case resp.xml != nil:
		b, xerr := encodeXML(resp.xml)
		if xerr != nil {
			s.writeError(w, rq, xerr)
			return
		}
		h.Set("Content-Type", "application/xml")
		h.Set("Content-Length", strconv.Itoa(len(b)))
		w.WriteHeader(status)
		if rq.r.Method != http.MethodHead {
			w.Write(b)
		}
	case resp.body != nil:
		defer resp.body.Close()
		if resp.length >= 0 {
			h.Set("Content-Length", strconv.FormatInt(resp.length, 10))
		}
		w.WriteHeader(status)
		if rq.r.Method == http.MethodHead {
			return
		}
		n, cerr := io.Copy(w, resp.body)
		if cerr != nil || (resp.length >= 0 && n != resp.length) {
			// Headers are gone: the client sees a short body.
			s.log().Warn("s3: response body cut short", "request_id", rq.id, "path", rq.r.URL.Path, "sent", n, "want", resp.length, "err", cerr)
			panic(http.ErrAbortHandler)
		}
	default:
		if h.Get("Content-Length") == "" && status != http.StatusNoContent && status != http.StatusNotModified {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(status)
	}
}

// errorBody is the XML of an S3 error.
type errorBody struct {
	XMLName xml.Name `xml:"Error"`
	Code    string   `xml:"Code"`
	Message string   `xml:"Message"`
	// The elements of a few codes follow Message, as in AWS's answers.
	ArgumentName     string  `xml:"ArgumentName,omitempty"`
	ArgumentValue    string  `xml:"ArgumentValue,omitempty"`
	HeadersNotSigned string  `xml:"HeadersNotSigned,omitempty"`
	Header           string  `xml:"Header,omitempty"`
	Method           string  `xml:"Method,omitempty"`
	ResourceType     string  `xml:"ResourceType,omitempty"`
	Resource         xmlText `xml:"Resource,omitempty"`
	RequestID        string  `xml:"RequestId"`
	HostID           string  `xml:"HostId"`
}

// writeError writes err as an S3 error. HEAD and 304 answers carry no body.
func (s *Server) writeError(w *statusWriter, rq *request, err error) {
	api := toAPIError(err)
	if api.Status == http.StatusInternalServerError || api.Status == http.StatusServiceUnavailable {
		s.log().Error("s3: request failed", "request_id", rq.id, "method", rq.r.Method, "path", rq.r.URL.Path, "err", err)
	}
	h := w.Header()
	h.Set("x-amz-request-id", rq.id)
	h.Set("x-amz-id-2", hostID())
	h.Set("Server", "prismd")
	if api.Status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if rq.r.Method == http.MethodHead || api.Status == http.StatusNotModified {
		h.Del("Content-Type")
		if api.Status != http.StatusNotModified {
			h.Set("Content-Length", "0")
		}
		w.WriteHeader(api.Status)
		return
	}
	b, _ := encodeXML(errorBody{Code: api.Code, Message: api.Message, ArgumentName: api.ArgumentName, ArgumentValue: api.ArgumentValue, HeadersNotSigned: api.HeadersNotSigned, Header: api.Header, Method: api.Method, ResourceType: api.ResourceType, Resource: xmlText(rq.resource()), RequestID: rq.id, HostID: h.Get("x-amz-id-2")})
	h.Set("Content-Type", "application/xml")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(api.Status)
	w.Write(b)
}
