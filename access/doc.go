// Package access decides who may do what: one pure function, Decide, of
// the caller (Principal), the operation and its conditions (Request) and
// the bucket's access configuration (Bucket: owner, ACLs, policy, public
// access block, object ownership). It does no I/O and reads no clock.
//
//	pol, err := access.ParsePolicy(doc, "photos") // ErrMalformedPolicy with a reason
//	d := access.Decide(caller, access.Request{Action: "s3:GetObject", Bucket: "photos", Key: "a.jpg"},
//		access.Bucket{Exists: true, Owner: ownerID, Policy: pol})
//	if d != access.Allow { … AccessDenied … }
//
// # Contract
//
// Decide answers, in this order:
//
//  1. The root key: Allow.
//  2. A read-only key asking for a write, or a key whose config lists
//     buckets asking for another bucket: ExplicitDeny.
//  3. A bucket that does not exist: Allow for everything but CreateBucket
//     by an anonymous caller (the caller answers NoSuchBucket).
//  4. The bucket policy: a matching Deny statement is ExplicitDeny, even
//     for the owner; a matching Allow allows. With RestrictPublicBuckets
//     set and a public policy, Allow statements count only for the owner.
//  5. The bucket owner (Principal.CanonicalID == Bucket.Owner): Allow.
//  6. A key whose config lists the bucket: Allow.
//  7. ACLs, unless the bucket's ownership is BucketOwnerEnforced: the
//     permission the action needs (ACLPermission) granted to the caller's
//     canonical id, to AuthenticatedUsers (any signed caller) or to
//     AllUsers (anyone), on the bucket ACL for bucket actions and the
//     object ACL for object actions; IgnorePublicAcls drops the two group
//     grants. An object without an ACL of its own has its owner's: the
//     bucket owner's FULL_CONTROL.
//  8. Otherwise ImplicitDeny.
//
// An object its writer owns (Bucket.ObjectOwner, under ObjectWriter or
// BucketOwnerPreferred ownership) answers to the writer for the actions
// its ACL governs (reading it and its tags, its ACL): in 5 the owner is
// the object's, 6 does not apply, and in 4 only Deny statements count, as
// on AWS, where a bucket policy cannot grant what the bucket's owner does
// not own. The bucket's owner reads such an object only when its ACL
// grants it (bucket-owner-read, bucket-owner-full-control); bucket-level
// actions (PutObject, DeleteObject, …) stay the bucket's.
//
// # Policy language
//
// ParsePolicy accepts the IAM policy grammar of S3 bucket policies:
// Version ("2012-10-17" or "2008-10-17", optional), Id, Statement (one or
// a list) with Sid, Effect (Allow, Deny), Principal ("*", {"AWS": "*"},
// {"AWS": id or list} where an id is a canonical user id, an access key,
// or an ARN "arn:aws:iam::<id>:root" / "arn:aws:iam::<id>:user/<key>";
// {"CanonicalUser": id}), Action or NotAction ("*", "s3:Get*", …
// case-insensitive, * and ? wildcards), Resource or NotResource (bucket
// and object ARNs of this bucket, with wildcards, case-sensitive) and
// Condition: StringEquals, StringNotEquals, StringEqualsIgnoreCase,
// StringNotEqualsIgnoreCase, StringLike, StringNotLike, Numeric{Equals,
// NotEquals, LessThan, LessThanEquals, GreaterThan, GreaterThanEquals},
// Bool, IpAddress, NotIpAddress, each with an IfExists form, on any key the
// request carries (Request.Values: s3:prefix, s3:max-keys, s3:x-amz-acl,
// s3:ExistingObjectTag/<tag>, …) plus aws:SourceIp and
// aws:SecureTransport. Condition key names are case-insensitive (tag names
// are not). Within a condition block every operator, every key of an
// operator must hold; a key holds when any of its values matches (for the
// negated operators: when none does). A key the request lacks fails a
// positive operator and satisfies a negated one or an IfExists form.
// Anything else is ErrMalformedPolicy with a message naming the problem.
//
// # Public
//
// A grant to AllUsers or AuthenticatedUsers is public (PublicGrants); a
// policy is public (Policy.Public) when an Allow statement names every
// principal and no aws:SourceIp condition narrows it.
package access
