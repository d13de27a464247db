package replica

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// PutSealed stores under name the plaintext that write produces, sealed
// with masterKey as the kind of file the name says (ParseName). write must
// write exactly size bytes; it runs on another goroutine while Put streams
// the sealed bytes, so nothing is held whole in memory. If write fails or
// writes another number of bytes, nothing is stored and its error (or the
// count) is returned.
func PutSealed(ctx context.Context, s Store, name string, masterKey []byte, size int64, write func(w io.Writer) error) error {
	kind, err := sealedKind(name)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	pr, pw := io.Pipe()
	sealer, err := newSealer(pw, masterKey, kind, chunkSize)
	if err != nil {
		return fmt.Errorf("put %s: %w", name, err)
	}
	done := make(chan error, 1)
	go func() {
		err := write(sealer)
		if err == nil && sealer.plain != size {
			err = fmt.Errorf("write produced %d bytes, want %d", sealer.plain, size)
		}
		if err == nil {
			err = sealer.Close()
		}
		pw.CloseWithError(err) // nil: Put reads io.EOF
		done <- err
	}()
	err = s.Put(ctx, name, pr, SealedSize(size))
	pr.Close() // a write blocked on a Put that gave up returns io.ErrClosedPipe
	if werr := <-done; werr != nil && !errors.Is(werr, io.ErrClosedPipe) {
		return fmt.Errorf("put %s: %w", name, werr)
	}
	return err
}

// GetSealed returns a reader of the plaintext of the sealed file name:
// the reader of Open, checked to be of the kind the name says. Errors are
// those of Store.Get and Open; a header of another kind is ErrCorrupt.
func GetSealed(ctx context.Context, s Store, name string, masterKey []byte) (io.ReadCloser, error) {
	want, err := sealedKind(name)
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	rc, err := s.Get(ctx, name)
	if err != nil {
		return nil, err
	}
	kind, r, err := Open(rc, masterKey)
	if err == nil && kind != want {
		err = fmt.Errorf("%w: header says %v", ErrCorrupt, kind)
	}
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("get %s: %w", name, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, rc}, nil
}

func sealedKind(name string) (Kind, error) {
	n, err := ParseName(name)
	if err != nil {
		return 0, err
	}
	if n.Kind == KindLease {
		return 0, fmt.Errorf("the lease is not sealed: %w", ErrInvalidName)
	}
	return n.Kind, nil
}
