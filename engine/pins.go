package engine

import (
	"sync"

	plog "github.com/prismd/prismd/log"
)

// pins keeps the purge worker away from blobs that readers are streaming
// or copies are referencing: an object overwritten or deleted during a GET
// keeps its data until the GET ends. Pinning and the purge's claim on a
// blob exclude each other, so a blob is never both read and deleted.
type pins struct {
	mu       sync.Mutex
	readers  map[plog.BlobID]int
	deleting map[plog.BlobID]bool
}

// pin pins every blob of ids, or none (false) when one of them is being
// deleted: the object that named it is gone, and the caller looks again.
func (p *pins) pin(ids []plog.BlobID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.deleting[id] {
			return false
		}
	}
	if p.readers == nil {
		p.readers = map[plog.BlobID]int{}
	}
	for _, id := range ids {
		p.readers[id]++
	}
	return true
}

// unpin releases what pin took.
func (p *pins) unpin(ids []plog.BlobID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, id := range ids {
		if p.readers[id]--; p.readers[id] <= 0 {
			delete(p.readers, id)
		}
	}
}

// claim marks a blob as being deleted; false when a reader holds it (the
// purge comes back to it later).
func (p *pins) claim(id plog.BlobID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.readers[id] > 0 {
		return false
	}
	if p.deleting == nil {
		p.deleting = map[plog.BlobID]bool{}
	}
	p.deleting[id] = true
	return true
}

// release ends a claim.
func (p *pins) release(id plog.BlobID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.deleting, id)
}

// pinned reports whether a reader holds the blob.
func (p *pins) pinned(id plog.BlobID) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.readers[id] > 0
}
