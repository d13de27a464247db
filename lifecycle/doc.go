// Package lifecycle is S3's bucket lifecycle configuration: parsing and
// validating a PutBucketLifecycleConfiguration body the way AWS does, its
// canonical XML (what GetBucketLifecycleConfiguration answers), and the
// pure decision of what a configuration expires at a given time. It does
// no I/O and reads no clock: the engine's worker (engine/lifecycle.go)
// walks the projections and appends the events.
//
//	cfg, err := lifecycle.Parse(body) // err is a *lifecycle.Error (S3 code + message)
//	doc := cfg.Canonical()            // stored with engine.SetBucketConfig
//	if rule, ok := cfg.ExpireCurrent(obj, now, 24*time.Hour); ok { … }
//
// # Rules
//
// A configuration holds 1 to 1000 rules, each with a unique ID (at most
// 255 characters; a random one is given when absent), a Status (Enabled or
// Disabled: a disabled rule decides nothing), a filter — the legacy
// top-level Prefix, or Filter with at most one of Prefix, Tag,
// ObjectSizeGreaterThan, ObjectSizeLessThan and And{Prefix, Tag…, sizes} —
// and at least one action: Expiration (Days, Date at midnight UTC, or
// ExpiredObjectDeleteMarker), NoncurrentVersionExpiration (NoncurrentDays,
// NewerNoncurrentVersions), AbortIncompleteMultipartUpload
// (DaysAfterInitiation). Transitions are not implemented (NotImplemented:
// prismd has one storage class).
//
// # Days
//
// With a day of 24h, an action due N days after time t is due at t + N
// days rounded up to the next midnight UTC, as AWS counts. With another
// day length (tests), it is due at t + N×day. A noncurrent version's age
// counts from when it became noncurrent: the time of the version that
// replaced it.
package lifecycle
