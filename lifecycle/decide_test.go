package lifecycle

import (
	"testing"
	"time"
)

func TestDue(t *testing.T) {
	day := 24 * time.Hour
	cases := []struct {
		t    time.Time
		n    int
		d    time.Duration
		want time.Time
	}{
		{time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC), 3, day, time.Date(2026, 1, 19, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC), 1, day, time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC), 1, day, time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)},
		{time.Date(2026, 1, 15, 10, 30, 0, 0, time.UTC), 3, time.Second, time.Date(2026, 1, 15, 10, 30, 3, 0, time.UTC)},
	}
	for _, c := range cases {
		if got := Due(c.t, c.n, c.d); !got.Equal(c.want) {
			t.Errorf("Due(%v, %d, %v) = %v, want %v", c.t, c.n, c.d, got, c.want)
		}
	}
}

func mustParse(t *testing.T, body string) *Configuration {
	t.Helper()
	cfg, err := Parse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestDecisions(t *testing.T) {
	day := 24 * time.Hour
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cfg := mustParse(t, `<LifecycleConfiguration>`+
		`<Rule><ID>logs</ID><Filter><Prefix>logs/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>2</Days></Expiration></Rule>`+
		`<Rule><ID>off</ID><Filter><Prefix>off/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>`+
		`<Rule><ID>tmp</ID><Filter><And><Prefix>tmp/</Prefix><Tag><Key>class</Key><Value>scratch</Value></Tag><ObjectSizeGreaterThan>10</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>`+
		`<Rule><ID>date</ID><Filter><Prefix>old/</Prefix></Filter><Status>Enabled</Status><Expiration><Date>2026-03-05T00:00:00Z</Date></Expiration></Rule>`+
		`<Rule><ID>nc</ID><Filter><Prefix>v/</Prefix></Filter><Status>Enabled</Status><NoncurrentVersionExpiration><NoncurrentDays>1</NoncurrentDays><NewerNoncurrentVersions>2</NewerNoncurrentVersions></NoncurrentVersionExpiration><AbortIncompleteMultipartUpload><DaysAfterInitiation>3</DaysAfterInitiation></AbortIncompleteMultipartUpload></Rule>`+
		`<Rule><ID>dm</ID><Filter><Prefix>v/</Prefix></Filter><Status>Enabled</Status><Expiration><ExpiredObjectDeleteMarker>true</ExpiredObjectDeleteMarker></Expiration></Rule>`+
		`</LifecycleConfiguration>`)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	scratch := map[string]string{"class": "scratch"}
	current := []struct {
		name string
		o    Object
		now  time.Time
		want string
	}{
		{"before due", Object{Key: "logs/a", ModTime: t0}, at(2*day + 11*time.Hour), ""},
		{"due at midnight", Object{Key: "logs/a", ModTime: t0}, time.Date(2026, 3, 4, 0, 0, 0, 0, time.UTC), "logs"},
		{"other prefix", Object{Key: "data/a", ModTime: t0}, at(100 * day), ""},
		{"disabled", Object{Key: "off/a", ModTime: t0}, at(100 * day), ""},
		{"tag and size", Object{Key: "tmp/a", Size: 11, Tags: scratch, ModTime: t0}, at(2 * day), "tmp"},
		{"too small", Object{Key: "tmp/a", Size: 10, Tags: scratch, ModTime: t0}, at(2 * day), ""},
		{"wrong tag", Object{Key: "tmp/a", Size: 11, Tags: map[string]string{"class": "keep"}, ModTime: t0}, at(2 * day), ""},
		{"no tag", Object{Key: "tmp/a", Size: 11, ModTime: t0}, at(2 * day), ""},
		{"date not yet", Object{Key: "old/a", ModTime: t0}, time.Date(2026, 3, 4, 23, 59, 0, 0, time.UTC), ""},
		{"date", Object{Key: "old/a", ModTime: t0}, time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC), "date"},
	}
	for _, c := range current {
		id, ok := cfg.ExpireCurrent(c.o, c.now, day)
		if c.want == "" && ok || c.want != "" && id != c.want {
			t.Errorf("%s: ExpireCurrent = %q %v, want %q", c.name, id, ok, c.want)
		}
	}
	// Noncurrent: since is when the version became noncurrent.
	nc := Object{Key: "v/k", ModTime: t0}
	since := at(5 * day)
	if _, ok := cfg.ExpireNoncurrent(nc, since, 2, at(5*day+time.Hour), day); ok {
		t.Error("noncurrent expired before NoncurrentDays since it became noncurrent")
	}
	if id, ok := cfg.ExpireNoncurrent(nc, since, 2, at(7*day), day); !ok || id != "nc" {
		t.Errorf("noncurrent with 2 newer: %q %v", id, ok)
	}
	if _, ok := cfg.ExpireNoncurrent(nc, since, 1, at(70*day), day); ok {
		t.Error("one of the 2 newest noncurrent versions expired")
	}
	if id, ok := cfg.ExpireMarker("v/k"); !ok || id != "dm" {
		t.Errorf("ExpireMarker = %q %v", id, ok)
	}
	if _, ok := cfg.ExpireMarker("logs/k"); ok {
		t.Error("marker outside the rule's prefix expired")
	}
	if _, ok := cfg.AbortUpload("v/u", t0, at(3*day), day); ok {
		t.Error("upload aborted before midnight after 3 days")
	}
	if id, ok := cfg.AbortUpload("v/u", t0, at(4*day), day); !ok || id != "nc" {
		t.Errorf("AbortUpload = %q %v", id, ok)
	}
	if _, ok := cfg.AbortUpload("w/u", t0, at(40*day), day); ok {
		t.Error("upload outside the prefix aborted")
	}
	// A short day counts plain multiples.
	if _, ok := cfg.ExpireCurrent(Object{Key: "logs/a", ModTime: t0}, t0.Add(399*time.Millisecond), 200*time.Millisecond); ok {
		t.Error("expired before 2 short days")
	}
	if _, ok := cfg.ExpireCurrent(Object{Key: "logs/a", ModTime: t0}, t0.Add(400*time.Millisecond), 200*time.Millisecond); !ok {
		t.Error("not expired after 2 short days")
	}
}
