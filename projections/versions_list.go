package projections

import (
	"math"
	"strings"
)

// VersionQuery is a ListObjectVersions query. KeyMarker and
// VersionIDMarker are exclusive: the page starts after that version (after
// every version of KeyMarker when VersionIDMarker is empty, after the whole
// group when KeyMarker is a common prefix). Max <= 0 means 1000.
type VersionQuery struct {
	Prefix          string
	Delimiter       string
	KeyMarker       string
	VersionIDMarker string
	Max             int
}

// VersionPage is one page of versions, by key, newest first within a key.
// When Truncated, NextKeyMarker and NextVersionIDMarker are the markers of
// the next page (NextVersionIDMarker is empty after a common prefix).
type VersionPage struct {
	Versions            []Version
	CommonPrefixes      []string
	Truncated           bool
	NextKeyMarker       string
	NextVersionIDMarker string
}

// ListVersions returns one page of the bucket's versions and delete
// markers. Each key costs a few seeks (one in each tree) and each version
// one step, and a common-prefix group is skipped by one seek: a page costs
// O(page × log n) whatever the bucket holds.
func (v *View) ListVersions(bucket string, q VersionQuery) VersionPage {
	limit := q.Max
	if limit <= 0 {
		limit = 1000
	}
	l := versionLister{t: &v.t, bucket: bucket, base: bucket + "\x00", q: q, limit: limit}
	from := q.Prefix
	if q.KeyMarker != "" && q.KeyMarker >= q.Prefix {
		from = q.KeyMarker + "\x00" // the smallest key after KeyMarker
		if cp, ok := commonPrefix(q.KeyMarker, q.Prefix, q.Delimiter); ok && cp == q.KeyMarker {
			succ, more := prefixSuccessor(cp)
			if !more {
				return l.page
			}
			from = succ
		} else if q.VersionIDMarker != "" && strings.HasPrefix(q.KeyMarker, q.Prefix) {
			if below, ok := l.below(q.KeyMarker, q.VersionIDMarker); ok && !l.key(q.KeyMarker, below) {
				return l.page
			}
		}
	}
	for {
		key, ok := l.next(from)
		if !ok || !strings.HasPrefix(key, q.Prefix) {
			return l.page
		}
		if cp, grouped := commonPrefix(key, q.Prefix, q.Delimiter); grouped {
			if l.full() {
				return l.page
			}
			l.page.CommonPrefixes = append(l.page.CommonPrefixes, cp)
			l.page.NextKeyMarker, l.page.NextVersionIDMarker = cp, ""
			succ, more := prefixSuccessor(cp)
			if !more {
				return l.page
			}
			from = succ
			continue
		}
		if !l.key(key, math.MaxUint64) {
			return l.page
		}
		from = key + "\x00"
	}
}

type versionLister struct {
	t      *tables
	bucket string
	base   string
	q      VersionQuery
	limit  int
	page   VersionPage
}

// full reports whether the page is full, marking it truncated: called
// only when one more entry exists.
func (l *versionLister) full() bool {
	if len(l.page.Versions)+len(l.page.CommonPrefixes) < l.limit {
		return false
	}
	l.page.Truncated = true
	return true
}

// next returns the smallest key at or after from that has a version.
func (l *versionLister) next(from string) (string, bool) {
	best, found := "", false
	l.t.objects.Ascend(l.base+from, func(k string, _ *objRec) bool {
		if strings.HasPrefix(k, l.base) {
			best, found = k[len(l.base):], true
		}
		return false
	})
	l.t.versions.Ascend(verEntry{key: l.base + from, seq: math.MaxUint64}, func(e verEntry) bool {
		if strings.HasPrefix(e.key, l.base) && (!found || e.key[len(l.base):] < best) {
			best, found = e.key[len(l.base):], true
		}
		return false
	})
	return best, found
}

// below returns the sequence the versions after marker id of key are
// below, and false when key has no such version.
func (l *versionLister) below(key, id string) (uint64, bool) {
	e, ok := l.t.findVersion(objectKey(l.bucket, key), id)
	if ok {
		return e.seq, true
	}
	if seq, null, valid := ParseVersionID(id); valid && !null {
		return seq, true
	}
	return 0, false
}

// key adds the versions of key whose sequence is below `below`, newest
// first, and reports whether the page has room for more.
func (l *versionLister) key(key string, below uint64) bool {
	ok := objectKey(l.bucket, key)
	latest := l.t.latestSeq(ok)
	add := func(e verEntry) bool {
		if l.full() {
			return false
		}
		l.page.Versions = append(l.page.Versions, l.t.exportVersion(l.bucket, key, e, latest))
		l.page.NextKeyMarker, l.page.NextVersionIDMarker = key, e.o.versionID()
		return true
	}
	if cur, has := l.t.objects.Get(ok); has && cur.seq() < below {
		if !add(verEntry{key: ok, seq: cur.seq(), o: cur}) {
			return false
		}
	}
	if below == 0 {
		return true
	}
	room := true
	l.t.versions.Ascend(verEntry{key: ok, seq: below - 1}, func(e verEntry) bool {
		if e.key != ok {
			return false
		}
		room = add(e)
		return room
	})
	return room
}
