// Package replica ships prismd's write-ahead log to the system area of
// every storage region and plans its restore from them.
//
// # Store
//
// A Store is a region's system area: named files, nothing more. MemStore
// keeps them in memory for tests; BackendStore keeps them as keys of a
// backend bucket (SystemBucket). Every Store passes the one conformance
// suite in replica/storetest.
package replica
