package main

import (
	"net/http"
	"strings"
)

// continueEmptyBodies answers "Expect: 100-continue" on requests with an
// empty body with an interim 100 Continue, as S3 does.
//
// net/http sends 100 Continue only when a handler reads a non-empty body, so
// an empty PUT (a zero-byte file) gets its final response directly. botocore
// (boto3, aws cli) then keeps that final status cached on the connection and
// misreads the next response on it: the next upload stalls until its read
// timeout and is retried. With the interim response every client sees the
// exchange it expects.
func continueEmptyBodies(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 && r.ProtoAtLeast(1, 1) && strings.EqualFold(r.Header.Get("Expect"), "100-continue") {
			w.WriteHeader(http.StatusContinue)
		}
		h.ServeHTTP(w, r)
	})
}
