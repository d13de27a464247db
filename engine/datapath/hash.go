package datapath

import "hash"

// HashPipe feeds a hash on its own goroutine so that MD5 — the slowest
// per-byte step of a PUT — overlaps with encoding and block hashing.
type HashPipe struct {
	ch   chan hashJob
	done chan struct{}
}

type hashJob struct {
	parts [][]byte
	buf   *stripeBuf
}

// NewHashPipe starts feeding h with the data WriteSegment is given.
func NewHashPipe(h hash.Hash) *HashPipe {
	p := &HashPipe{ch: make(chan hashJob, pipelineDepth), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for j := range p.ch {
			for _, b := range j.parts {
				h.Write(b)
			}
			j.buf.release()
		}
	}()
	return p
}

// Close waits until every byte sent has been hashed.
func (p *HashPipe) Close() {
	close(p.ch)
	<-p.done
}
