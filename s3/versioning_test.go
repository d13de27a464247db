package s3

import (
	"errors"
	"testing"
)

func TestParseVersioningConfiguration(t *testing.T) {
	for _, tc := range []struct {
		body, status string
		err          *APIError
	}{
		{`<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>`, "Enabled", nil},
		{`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>`, "Suspended", nil},
		{`<VersioningConfiguration><Status>Enabled</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`, "", ErrNotImplemented},
		{`<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>`, "", ErrMalformedXML},
		{`<VersioningConfiguration></VersioningConfiguration>`, "", ErrMalformedXML},
		{`<VersioningConfiguration><Status>Enabled</Status>`, "", ErrMalformedXML},
		{``, "", ErrMalformedXML},
	} {
		status, err := parseVersioningConfiguration([]byte(tc.body))
		if status != tc.status || (tc.err == nil) != (err == nil) || (tc.err != nil && !errors.Is(err, tc.err)) {
			t.Errorf("%s: %q %v", tc.body, status, err)
		}
	}
}

// FuzzVersioningXML checks the PutBucketVersioning parser.
func FuzzVersioningXML(f *testing.F) {
	f.Add([]byte(`<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>`))
	f.Add([]byte(`<VersioningConfiguration><Status>Suspended</Status><MfaDelete>Enabled</MfaDelete></VersioningConfiguration>`))
	f.Fuzz(func(t *testing.T, b []byte) {
		status, err := parseVersioningConfiguration(b)
		if err != nil {
			var api *APIError
			if !errors.As(err, &api) || status != "" {
				t.Fatalf("%q, non-S3 error %v", status, err)
			}
			return
		}
		if status != "Enabled" && status != "Suspended" {
			t.Fatalf("status %q accepted", status)
		}
	})
}
