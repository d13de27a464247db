// Package prismd is a multi-region erasure-coded S3 gateway built as an
// event-sourced storage engine. This root package holds no code: it
// documents the repository and carries the test that keeps the import
// direction of DESIGN.md true.
//
//	cmd/prismd  ─► s3, admin ─► engine ─► projections ─► log
//	    │                         └────► backends (interface, mem, faulty, backendtest)
//	    ├─► bench
//	    └─► backends/{fs,s3}   (concrete backends: only cmd and tests wire them in)
package prismd
