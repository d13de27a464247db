package lifecycle

import (
	"strings"
	"time"
)

// Object is what a rule looks at in a version.
type Object struct {
	Key     string
	Size    int64
	Tags    map[string]string
	ModTime time.Time
}

// Due returns when an action N days after t is due: t + N days rounded up
// to the next midnight UTC when day is 24h (as AWS counts), t + N×day
// otherwise.
func Due(t time.Time, n int, day time.Duration) time.Time {
	if day == 24*time.Hour {
		d := t.UTC().Add(time.Duration(n) * day)
		if m := d.Truncate(day); !m.Equal(d) {
			return m.Add(day)
		}
		return d
	}
	return t.Add(time.Duration(n) * day)
}

// Matches reports whether the filter selects o.
func (f Filter) Matches(o Object) bool {
	if !strings.HasPrefix(o.Key, f.Prefix) {
		return false
	}
	if f.GreaterThan >= 0 && o.Size <= f.GreaterThan {
		return false
	}
	if f.LessThan >= 0 && o.Size >= f.LessThan {
		return false
	}
	for k, v := range f.Tags {
		if got, ok := o.Tags[k]; !ok || got != v {
			return false
		}
	}
	return true
}

// ExpireCurrent returns the first enabled rule whose Expiration (Days or
// Date) has come for the current version o at now.
func (c *Configuration) ExpireCurrent(o Object, now time.Time, day time.Duration) (id string, ok bool) {
	for _, r := range c.Rules {
		if !r.Enabled || !r.Filter.Matches(o) {
			continue
		}
		if r.Days > 0 && !now.Before(Due(o.ModTime, r.Days, day)) {
			return r.ID, true
		}
		if !r.Date.IsZero() && !now.Before(r.Date) {
			return r.ID, true
		}
	}
	return "", false
}

// ExpireMarker returns the first enabled rule with
// ExpiredObjectDeleteMarker that selects key, for a delete marker that is
// the key's only version. A marker has no size and no tags.
func (c *Configuration) ExpireMarker(key string) (id string, ok bool) {
	for _, r := range c.Rules {
		if r.Enabled && r.ExpiredObjectDeleteMarker && r.Filter.Matches(Object{Key: key}) {
			return r.ID, true
		}
	}
	return "", false
}

// ExpireNoncurrent returns the first enabled rule that expires the
// noncurrent version o at now: it became noncurrent at since, and newer
// noncurrent versions of its key are newer than it. The rule's
// NoncurrentDays must have passed since then, and at least
// NewerNoncurrentVersions newer noncurrent versions must be kept.
func (c *Configuration) ExpireNoncurrent(o Object, since time.Time, newer int, now time.Time, day time.Duration) (id string, ok bool) {
	for _, r := range c.Rules {
		if !r.Enabled || r.NoncurrentDays == 0 || !r.Filter.Matches(o) {
			continue
		}
		if newer >= r.NewerNoncurrentVersions && !now.Before(Due(since, r.NoncurrentDays, day)) {
			return r.ID, true
		}
	}
	return "", false
}

// AbortUpload returns the first enabled rule that aborts a multipart
// upload of key initiated at created. Only the prefix applies: an upload
// has no size and no tags yet.
func (c *Configuration) AbortUpload(key string, created, now time.Time, day time.Duration) (id string, ok bool) {
	for _, r := range c.Rules {
		if !r.Enabled || r.AbortDays == 0 || !strings.HasPrefix(key, r.Filter.Prefix) {
			continue
		}
		if !now.Before(Due(created, r.AbortDays, day)) {
			return r.ID, true
		}
	}
	return "", false
}

// ActsOnVersions reports whether an enabled rule expires versions or
// delete markers; ActsOnUploads whether one aborts uploads. A walker
// skips what no rule acts on.
func (c *Configuration) ActsOnVersions() bool {
	for _, r := range c.Rules {
		if r.Enabled && (r.Days > 0 || !r.Date.IsZero() || r.ExpiredObjectDeleteMarker || r.NoncurrentDays > 0) {
			return true
		}
	}
	return false
}

// ActsOnUploads: see ActsOnVersions.
func (c *Configuration) ActsOnUploads() bool {
	for _, r := range c.Rules {
		if r.Enabled && r.AbortDays > 0 {
			return true
		}
	}
	return false
}
