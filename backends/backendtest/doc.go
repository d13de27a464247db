// Package backendtest is the conformance suite every backends.Backend passes.
//
//	func TestConformance(t *testing.T) {
//		backendtest.Run(t, func(t *testing.T) backends.Backend { return mem.New() })
//	}
//
// newBackend is called once per subtest; it may return a fresh backend or a
// shared one (for example over one S3 server): the suite only uses buckets
// it creates with random names ("bt-…", valid S3 bucket names) and removes
// them when a subtest ends. Subtests run in parallel.
//
// The contract checked, beyond the comments on backends.Backend:
//   - Ranges: Get(offset, length) with length < 0 reads to the end; a length
//     past the end is truncated to the end; offset == size returns an empty
//     body (nil error) for every length, including on a 0-byte object;
//     offset > size or offset < 0 returns ErrInvalidRange.
//   - A Put whose reader yields too few or too many bytes returns an error
//     wrapping ErrShortBody, and a Put whose reader fails returns an error;
//     either way nothing becomes visible and a previous object under the same
//     key is untouched. Put never requires the reader to be an io.Seeker.
//   - Missing keys give ErrNotFound (Get, Stat); a missing bucket gives
//     ErrNoSuchBucket from Put, Get, Stat, Delete, List and DeleteBucket.
//   - Delete of absent keys succeeds; the error slice has one entry per key.
//   - List is in lexical (byte) key order, honours prefix and stops early
//     without error when fn returns false. ObjectInfo.Key is the key as Put.
//   - Concurrent Puts of one key leave exactly one of the written bodies;
//     a concurrent Get sees one whole body, never a mix or a partial one.
//
// A backend whose buckets are implicit (backends/s3 in prefix mode) says so
// by implementing ImplicitBuckets; the suite then does not expect
// ErrNoSuchBucket for buckets that were never created, and expects
// DeleteBucket of such a bucket to succeed.
package backendtest
