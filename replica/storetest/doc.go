// Package storetest is the conformance suite every replica.Store passes.
//
//	func TestMemStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) replica.Store { return replica.NewMemStore() })
//	}
//
// newStore is called once per subtest and must return an empty store;
// subtests run in parallel.
//
// The contract checked, beyond the comments on replica.Store:
//   - Put replaces a file whole; Get returns the bytes of the last Put.
//   - List returns the files under a prefix in byte order of their names,
//     with their sizes and a modification time; an empty store lists an
//     empty, nil-error result.
//   - A Put whose reader yields too few or too many bytes, or fails,
//     returns an error and leaves nothing visible: a previous file under
//     the name keeps its bytes. Put never requires an io.Seeker and
//     streams a 5 MiB body handed through a pipe.
//   - Get of an absent name returns ErrNotFound; Delete of absent names
//     succeeds, and Delete removes more than 1000 files in one call.
//   - Names outside replica.CheckName get ErrInvalidName from Put, Get and
//     Delete, and from List for a prefix outside its alphabet.
//   - A canceled context makes Put fail without storing anything.
//   - Concurrent Puts and Gets of distinct names and of one name are
//     safe; a Get sees one whole body, never a mix.
package storetest
