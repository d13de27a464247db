// Package mem is an in-memory backends.Backend for unit tests.
//
//	b := mem.New()
//	_ = b.CreateBucket(ctx, "shards")
//	_ = b.Put(ctx, "shards", "b/3f2a/0/1", bytes.NewReader(data), int64(len(data)))
//
// Contract (the one every backend meets, checked by backendtest):
//   - Put copies the body; Get returns a copy, so callers may mutate either
//     side freely. A Put whose reader yields fewer or more than size bytes (or
//     fails) returns an error wrapping backends.ErrShortBody (or the reader's
//     error) and leaves any previous object untouched.
//   - Get(offset == size) returns an empty body; offset > size or offset < 0
//     returns backends.ErrInvalidRange; a length past the end is truncated.
//   - List calls fn on a snapshot taken when List starts, without holding any
//     lock, so fn may call back into the backend.
//
// Unlike real backends, mem holds whole objects in memory: it is for tests,
// not for large data.
package mem
