package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestContinueEmptyBodies(t *testing.T) {
	srv := httptest.NewServer(continueEmptyBodies(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	for _, tc := range []struct {
		req  string
		want []int
	}{
		{"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nExpect: 100-continue\r\n\r\n", []int{100, 200}},
		{"PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", []int{200}},
		{"PUT /c HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\nabc", []int{100, 200}},
	} {
		if _, err := io.WriteString(conn, tc.req); err != nil {
			t.Fatal(err)
		}
		for _, want := range tc.want {
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("%q: %v", tc.req, err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Fatalf("%q: status %d, want %d", tc.req, resp.StatusCode, want)
			}
		}
	}
}
