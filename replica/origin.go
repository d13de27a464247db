package replica

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// maxOriginSize bounds an encoded origin: a few hundred bytes in practice.
const maxOriginSize = 4 << 10

// Origin is where a timeline starts: timeline Timeline of Gateway
// continues timeline Parent up to and including log index ForkIndex (the
// state a restore rebuilt), and its own records, from ForkIndex+1, were
// written from ForkTime on (the moment the restored gateway started).
// Timeline 1 has no origin.
type Origin struct {
	Gateway   string    `json:"gateway"`
	Timeline  uint64    `json:"timeline"`
	Parent    uint64    `json:"parent"`
	ForkIndex uint64    `json:"fork_index"`
	ForkTime  time.Time `json:"fork_time"`
}

// Check returns an error wrapping ErrInvalidName for a gateway id that
// fails CheckGateway, and an error for timelines that are not
// 1 <= Parent < Timeline or a zero ForkTime.
func (o Origin) Check() error {
	if err := CheckGateway(o.Gateway); err != nil {
		return fmt.Errorf("origin: %w", err)
	}
	if o.Parent < 1 || o.Parent >= o.Timeline {
		return fmt.Errorf("origin of timeline %d: parent %d, want 1 <= parent < timeline", o.Timeline, o.Parent)
	}
	if o.ForkTime.IsZero() {
		return fmt.Errorf("origin of timeline %d: no fork time", o.Timeline)
	}
	return nil
}

// EncodeOrigin returns the JSON of o (fork_time in UTC, RFC 3339 with
// nanoseconds) after checking it.
func EncodeOrigin(o Origin) ([]byte, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	o.ForkTime = o.ForkTime.UTC()
	return json.Marshal(o)
}

// DecodeOrigin parses and checks an encoded origin. Anything else
// (unknown fields, trailing bytes, more than 4 KiB, a failed Check) is an
// error wrapping ErrCorrupt.
func DecodeOrigin(data []byte) (Origin, error) {
	var o Origin
	if err := decodeStrictJSON("origin", data, maxOriginSize, &o); err != nil {
		return Origin{}, err
	}
	if err := o.Check(); err != nil {
		return Origin{}, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return o, nil
}

// decodeStrictJSON decodes data, at most max bytes, as exactly one JSON
// value with only known fields. It returns an error wrapping ErrCorrupt.
func decodeStrictJSON(what string, data []byte, max int, v any) error {
	if len(data) > max {
		return fmt.Errorf("%w: %s of %d bytes, more than %d", ErrCorrupt, what, len(data), max)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: %s: bytes after the JSON value", ErrCorrupt, what)
	}
	return nil
}

// PutOrigin stores o, sealed, as the origin file of its timeline.
func PutOrigin(ctx context.Context, s Store, masterKey []byte, o Origin) error {
	data, err := EncodeOrigin(o)
	if err != nil {
		return err
	}
	return PutSealed(ctx, s, OriginName(o.Gateway, o.Timeline), masterKey, int64(len(data)), func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// GetOrigin reads the origin of a gateway's timeline. It returns
// ErrNotFound if there is none, ErrCorrupt if it does not verify or names
// another gateway or timeline than its file name.
func GetOrigin(ctx context.Context, s Store, masterKey []byte, gateway string, timeline uint64) (Origin, error) {
	name := OriginName(gateway, timeline)
	rc, err := GetSealed(ctx, s, name, masterKey)
	if err != nil {
		return Origin{}, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxOriginSize+1))
	if err != nil {
		return Origin{}, fmt.Errorf("get %s: %w", name, err)
	}
	o, err := DecodeOrigin(data)
	if err == nil && (o.Gateway != gateway || o.Timeline != timeline) {
		err = fmt.Errorf("%w: holds the origin of timeline %d of gateway %s", ErrCorrupt, o.Timeline, o.Gateway)
	}
	if err != nil {
		return Origin{}, fmt.Errorf("get %s: %w", name, err)
	}
	return o, nil
}
