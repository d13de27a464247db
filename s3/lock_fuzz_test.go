package s3

import (
	"testing"
	"time"
)

// FuzzObjectLockDecoders feeds arbitrary bodies to the object lock
// decoders: they never panic, and what they accept is valid.
func FuzzObjectLockDecoders(f *testing.F) {
	for _, s := range []string{
		`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>`,
		`<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>COMPLIANCE</Mode><Years>-1</Years></DefaultRetention></Rule></ObjectLockConfiguration>`,
		`<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>`,
		`<Retention/>`,
		`<LegalHold><Status>ON</Status></LegalHold>`,
		`<LegalHold><Status>OFF</Status></LegalHold><x/>`,
	} {
		f.Add([]byte(s))
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, b []byte) {
		if c, err := parseObjectLockConfiguration(b); err == nil {
			if c.DefaultMode != "" && (c.DefaultDays > 0) == (c.DefaultYears > 0) || c.DefaultDays < 0 || c.DefaultYears < 0 {
				t.Fatalf("accepted %+v", c)
			}
		}
		if r, err := parseRetention(b, now); err == nil && r.Mode != "" && !r.Until.After(now) {
			t.Fatalf("accepted a past retention %+v", r)
		}
		parseLegalHold(b)
	})
}
