package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/prismd/prismd/engine"
)

// apiFunc is a handler of the JSON API: it returns the value to send (or
// an error), and api writes it. A nil value answers 204.
type apiFunc func(r *http.Request) (any, error)

// api adapts an apiFunc: the one place that writes JSON answers and turns
// errors into status codes.
func api(f apiFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := f(r)
		if err != nil {
			writeJSON(w, statusOf(err), map[string]string{"error": err.Error()})
			return
		}
		if v == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		writeJSON(w, http.StatusOK, v)
	}
}

// statusOf maps an error to its HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, ErrInvalid), errors.Is(err, engine.ErrInvalidArgument), errors.Is(err, engine.ErrInvalidBucketName), errors.Is(err, engine.ErrInvalidKey):
		return http.StatusBadRequest
	case errors.Is(err, ErrNotFound), errors.Is(err, engine.ErrNoSuchBucket), errors.Is(err, engine.ErrNoSuchKey),
		errors.Is(err, engine.ErrNoSuchAccessKey), errors.Is(err, engine.ErrNoSuchAdminToken):
		return http.StatusNotFound
	case errors.Is(err, ErrConflict), errors.Is(err, engine.ErrBucketExists), errors.Is(err, engine.ErrBucketNotEmpty), errors.Is(err, engine.ErrScrubRunning):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// maxBody bounds a JSON request body.
const maxBody = 1 << 20

// decode reads a JSON body into v, refusing unknown fields and trailing data.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("body: %v: %w", err, ErrInvalid)
	}
	if dec.More() {
		return fmt.Errorf("body: more than one JSON value: %w", ErrInvalid)
	}
	return nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
