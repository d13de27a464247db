package projections

import (
	"slices"
	"strings"

	"github.com/prismd/prismd/log"
)

// ListQuery is a ListObjects(V2) query. After is exclusive; when it is a
// common prefix (ends with Delimiter right after Prefix's group), the page
// starts after the whole group. Max <= 0 means 1000.
type ListQuery struct {
	Prefix    string
	Delimiter string
	After     string
	Max       int
}

// ListPage is one page of a listing, in key order. Truncated is true only
// when more entries exist; Next is the last key or common prefix returned,
// the After of the next page.
type ListPage struct {
	Objects        []Object
	CommonPrefixes []string
	Truncated      bool
	Next           string
}

// prefixSuccessor returns the smallest string greater than every string
// that has prefix p, or false if there is none (p is all 0xff bytes).
func prefixSuccessor(p string) (string, bool) {
	b := []byte(p)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] != 0xff {
			b[i]++
			return string(b[:i+1]), true
		}
	}
	return "", false
}

// commonPrefix returns the group of key under prefix and delim, if any.
func commonPrefix(key, prefix, delim string) (string, bool) {
	if delim == "" || !strings.HasPrefix(key, prefix) {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delim)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delim)], true
}

// List returns one page of the bucket's objects. It seeks to max(Prefix,
// After) and, with a delimiter, seeks past each common prefix group instead
// of walking it, so a page costs O(page × log n) whatever the bucket holds.
func (v *View) List(bucket string, q ListQuery) ListPage {
	limit := q.Max
	if limit <= 0 {
		limit = 1000
	}
	var page ListPage
	var extents []log.Extent // one slab for the single extents of the page's objects
	base := bucket + "\x00"
	from := q.Prefix
	if q.After >= from {
		from = q.After
		if cp, ok := commonPrefix(q.After, q.Prefix, q.Delimiter); ok && cp == q.After {
			succ, ok := prefixSuccessor(cp)
			if !ok {
				return page
			}
			from = succ
		}
	}
	it := v.t.objects.Iter()
	ok := it.Seek(base + from)
	for ok {
		k := it.Key()
		if !strings.HasPrefix(k, base) || !strings.HasPrefix(k[len(base):], q.Prefix) {
			break
		}
		key := k[len(base):]
		if key <= q.After {
			ok = it.Next()
			continue
		}
		if cp, grouped := commonPrefix(key, q.Prefix, q.Delimiter); grouped {
			if len(page.Objects)+len(page.CommonPrefixes) == limit {
				page.Truncated = true
				break
			}
			page.CommonPrefixes = append(page.CommonPrefixes, cp)
			page.Next = cp
			succ, more := prefixSuccessor(cp)
			if !more {
				break
			}
			ok = it.Seek(base + succ)
			continue
		}
		if len(page.Objects)+len(page.CommonPrefixes) == limit {
			page.Truncated = true
			break
		}
		o := it.Value()
		if page.Objects == nil {
			page.Objects = make([]Object, 0, min(limit, 1000))
			extents = make([]log.Extent, 0, min(limit, 1000))
		}
		obj := Object{Bucket: bucket, Key: key, Meta: v.t.exportMeta(o)}
		if o.x.isMulti() || len(extents) == cap(extents) {
			obj.Extents = slices.Clone(o.extents())
		} else {
			extents = append(extents, log.Extent{Blob: o.blob, Size: o.size})
			obj.Extents = extents[len(extents)-1 : len(extents) : len(extents)]
		}
		page.Objects = append(page.Objects, obj)
		page.Next = key
		ok = it.Next()
	}
	return page
}
