package datapath

import (
	"context"
	"errors"
)

var (
	// ErrCorrupt is reported for a shard whose header or a block fails
	// verification, or that is shorter than its geometry says.
	ErrCorrupt = errors.New("shard corrupt")
	// ErrTooFewShards is returned when fewer than k shards of a stripe can
	// be read, or fewer shards than the write quorum landed.
	ErrTooFewShards = errors.New("too few shards")
	// ErrShortBody is returned when a body to write ends before the size
	// it was declared with.
	ErrShortBody = errors.New("body ended early")
	// ErrNoRegion is reported for a shard write that has no region to go to.
	ErrNoRegion = errors.New("no region for the shard")
	// ErrUnknownHash is returned for a segment whose layout names a block
	// hash this build cannot compute (plog.BlockHash.Known): its shards
	// are neither read nor written, and never called corrupt.
	ErrUnknownHash = errors.New("unknown block hash")
	// ErrUnknownKeys is returned for a segment whose layout names a key
	// layout (plog.Layout.Keys) this build does not know: its shards are
	// not looked for under keys it might not have.
	ErrUnknownKeys = errors.New("unknown shard key layout")
)

// errCanceled marks a shard stream given up by the reader.
var errCanceled = context.Canceled
