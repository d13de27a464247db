package datapath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/prismd/prismd/backends"
)

// readShard reads blocks [from, last] of one shard from region r, verifies
// each against its hash and hands it to emit, which owns the buffer
// (putReadBuf); it stops, returning nil, when emit returns false. Reading
// every block reads the header too and checks it; exact then also checks
// that nothing follows the last block. A shard that is short or long, or
// whose header or a block does not verify, fails with an error wrapping
// ErrCorrupt. start is when the read was decided, for the time to first
// byte; m, when not nil, meters the body as it is read.
func readShard(ctx context.Context, r Region, s Segment, shard, from, last int, start time.Time, exact bool, m *meter, emit func(stripe int, buf []byte) bool) error {
	if !r.Available() {
		return backends.ErrUnavailable
	}
	if err := knownLayout(s.Geo.Hash, s.Keys, s.Blob, s.Index); err != nil {
		return err
	}
	key := Key(s.Keys, s.Blob, s.Index, shard)
	off, length := s.Geo.readSpan(from, last)
	whole := length < 0
	if m == nil {
		m = &meter{}
	}
	body, err := r.Backend().Get(ctx, s.Bucket, key, off, length)
	r.Observe(time.Since(start), err)
	if err != nil {
		return err
	}
	defer body.Close()
	m.r = body
	defer func() {
		// A body that stalled before minFlowBytes came is counted as if
		// they had: its pace is at most that.
		if n, w := m.flow(); n >= minFlowBytes || w >= minFlowWait {
			r.Streamed(max(n, minFlowBytes), w)
		}
	}()
	rc := io.Reader(m)
	if whole {
		if err := checkHeader(rc, s, shard, key); err != nil {
			r.Outcome(err)
			return err
		}
	}
	for j := from; j <= last; j++ {
		bl := s.Geo.BlockLen(j)
		buf := getReadBuf(bl + blockHashSize)
		if _, err := io.ReadFull(rc, buf); err != nil {
			putReadBuf(buf)
			r.Outcome(err)
			if cutShort(err) {
				err = fmt.Errorf("shard %s is short: %w", key, ErrCorrupt)
			}
			return err
		}
		if !verifyBlock(s.Geo.Hash, buf[:bl], buf[bl:], s.Blob, s.Index, shard, j) {
			putReadBuf(buf)
			return fmt.Errorf("shard %s stripe %d: hash mismatch: %w", key, j, ErrCorrupt)
		}
		if !emit(j, buf) {
			return nil
		}
	}
	// Read the end of the body: an HTTP connection goes back to its pool
	// only when its response was read to EOF before Close.
	var one [1]byte
	n, err := io.ReadFull(rc, one[:])
	switch {
	case n > 0 && exact:
		return fmt.Errorf("shard %s is longer than its %d bytes: %w", key, s.Geo.ShardSize(), ErrCorrupt)
	case err != nil && !errors.Is(err, io.EOF) && exact:
		r.Outcome(err)
		return err
	}
	return nil
}

// cutShort reports whether a read ended early because the stored shard
// does, which makes it corrupt. A body cut short because the region went
// away (backends.ErrUnavailable) says nothing about the shard.
func cutShort(err error) bool {
	return (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) && !errors.Is(err, backends.ErrUnavailable)
}

// checkHeader reads a shard's header from rc and checks that it describes
// this shard of this segment.
func checkHeader(rc io.Reader, s Segment, shard int, key string) error {
	var b [HeaderSize]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil {
		if cutShort(err) {
			return fmt.Errorf("shard %s is short: %w", key, ErrCorrupt)
		}
		return err
	}
	h, err := DecodeHeader(b[:])
	if err != nil {
		return fmt.Errorf("shard %s: %w", key, err)
	}
	if h.Blob != s.Blob || h.Segment != s.Index || h.Shard != shard || h.Geo != s.Geo {
		return fmt.Errorf("shard %s: header describes another shard: %w", key, ErrCorrupt)
	}
	return nil
}

// Verify reads shard `shard` of segment s whole from region r — with the
// code every read uses — and checks its header, every block and its
// length. It returns the bytes read. An error wraps ErrCorrupt when the
// shard does not verify, backends.ErrNotFound when it is gone,
// backends.ErrNoSuchBucket when its backend bucket is, and
// backends.ErrUnavailable when the region may not be asked now.
func Verify(ctx context.Context, r Region, s Segment, shard int) (int64, error) {
	var n int64 = HeaderSize
	err := readShard(ctx, r, s, shard, 0, s.Geo.Stripes()-1, time.Now(), true, nil, func(_ int, buf []byte) bool {
		n += int64(len(buf))
		putReadBuf(buf)
		return true
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}
