// Package s3 is prismd's S3 HTTP API: routing (path-style and
// virtual-hosted-style), AWS Signature Version 4 verification, aws-chunked
// decoding, additional checksums, the XML of every request and answer, and
// the one table mapping engine errors to S3 error codes (errors.go).
//
// It talks to the storage engine through the small Engine interface it
// declares; the engine returns domain errors (engine.ErrNoSuchKey, …) and
// never sees HTTP.
//
//	srv := s3.New(s3.Config{Engine: eng, Region: "us-east-1", Domain: "s3.example.com"})
//	http.ListenAndServe("127.0.0.1:9000", srv)
//
// # Contract
//
//   - A request is signed (Authorization header or presigned URL,
//     AWS4-HMAC-SHA256) or anonymous. Unknown keys get InvalidAccessKeyId,
//     wrong signatures SignatureDoesNotMatch, a clock more than 15 minutes
//     off RequestTimeTooSkewed; a presigned X-Amz-Expires of 0, negative or
//     over a week AccessDenied naming the problem. Signatures are compared
//     in constant time. The credential-scope region is not checked (any
//     region, service "s3"); the signature is.
//   - Every request is signed in full: once the signature verified, an
//     x-amz-* header or a Content-MD5 that is not in SignedHeaders gets 403
//     AccessDenied "There were headers present in the request which were not
//     signed" with a HeadersNotSigned element naming them, as AWS answers —
//     header-signed and presigned alike (auth_coverage.go). Exempt:
//     x-amz-content-sha256 (the payload hash binds it) and Content-Type,
//     which a presigned URL may leave unsigned, as on AWS.
//   - Who may do what is decided by access.Decide alone (authorize.go), for
//     every request, from the caller, the route's IAM action (routeTable),
//     the bucket's owner, ACLs, policy and public access block: refused
//     requests get AccessDenied before any handler runs, anonymous ones
//     included. What a request touches besides its target is decided the
//     same way: the copy source (s3:GetObject), each key of DeleteObjects
//     (s3:DeleteObject). NoSuchKey is answered only to a caller allowed
//     s3:ListBucket; others get AccessDenied. ListBuckets shows the root
//     key every bucket, a key with a bucket list those, others their own.
//   - Bodies: x-amz-content-sha256 may be a hex digest (verified as the body
//     streams: XAmzContentSHA256Mismatch), UNSIGNED-PAYLOAD,
//     STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER] (every chunk signature
//     verified, the final 0-length chunk and the trailer signature included)
//     or STREAMING-UNSIGNED-PAYLOAD-TRAILER. x-amz-checksum-{crc32, crc32c,
//     sha1, sha256, crc64nvme}, as a header or a trailer, are computed while
//     streaming and verified (BadDigest); a body that names none gets a
//     CRC64NVME, as on S3, so every object has a FULL_OBJECT checksum. A
//     plain body sent with Transfer-Encoding: chunked and no
//     Content-Length is 501 NotImplemented with <Header>Transfer-Encoding
//     </Header>, as AWS answers; an aws-chunked body may come that way (its
//     length is x-amz-decoded-content-length, else MissingContentLength). All these checks run in
//     engine.PutInput.BeforeCommit, after the engine read the body and before
//     it commits: a short body (IncompleteBody), extra bytes, a bad chunk or a
//     wrong digest never commits anything.
//   - Idle clients do not hold resources: a request body that makes no
//     progress for Config.BodyIdleTimeout (default 20s) fails the engine's
//     read — nothing commits — and the client gets 400 RequestTimeout, as
//     S3 answers a client that goes silent; an answer the client stops
//     reading for Config.ResponseIdleTimeout (default 60s) ends the request
//     and closes the connection. Both push the connection's deadline ahead
//     before every read or write (idle.go), so slow but steady transfers
//     of any size are not cut.
//   - Handlers return a response or an error; writeResponse is the only code
//     that writes to the client (XML, headers, x-amz-request-id, x-amz-id-2,
//     errors with Code/Message/Resource/RequestId). A panic is recovered into
//     500 InternalError and logged. Each request is logged at debug level;
//     there, and in the canonical request of a signature-mismatch debug
//     line, the values of X-Amz-Signature, X-Amz-Credential and
//     X-Amz-Security-Token (names in any case) read REDACTED: a presigned
//     URL is a bearer credential for up to 7 days (redact.go).
//   - A write carrying a header that asks for a feature prismd lacks —
//     object lock, SSE-S3/SSE-KMS/SSE-C,
//     x-amz-website-redirect-location,
//     x-amz-storage-class other than STANDARD, x-amz-bucket-object-lock-enabled:
//     true — gets 501 NotImplemented naming the header, never a 200 that
//     silently dropped it. The list is the table unsupportedHeaders
//     (unsupported_headers.go).
//   - Operations are an explicit allow-list (routeTable in router.go). Known
//     S3 sub-resources outside it answer 501 NotImplemented, never the plain
//     operation of the path.
//
// # Operations
//
// Service: ListBuckets (max-buckets 1..10000, continuation-token, prefix,
// bucket-region; without max-buckets every bucket).
// Buckets: CreateBucket (with CreateBucketConfiguration), HeadBucket,
// DeleteBucket, GetBucketLocation,
// ListObjects, ListObjectsV2, ListMultipartUploads, DeleteObjects;
// Put/Get/DeleteBucketPolicy, GetBucketPolicyStatus,
// Put/Get/DeletePublicAccessBlock, Put/Get/DeleteBucketOwnershipControls,
// Put/GetBucketAcl, Put/GetObjectAcl (canned, x-amz-grant-*, XML; also on
// CreateBucket, PutObject, CopyObject and CreateMultipartUpload, whose
// ACL the completion sets with the object); Put/Get/DeleteBucketTagging;
// GET ?lifecycle, ?website, ?encryption, ?object-lock answer the "not
// configured" 404 AWS gives for an unconfigured bucket.
// Objects: PutObject (conditional with If-Match — NoSuchKey when the key
// is absent, PreconditionFailed when the ETag differs — and If-None-Match:
// *, checked atomically with the commit), GetObject (Range, partNumber —
// 416 InvalidPartNumber past the object's parts, partNumber=1 of a
// single-part object is all of it —, response-* overrides, If-*
// conditions, x-amz-checksum-mode: the checksum and x-amz-checksum-type),
// HeadObject, DeleteObject, CopyObject (COPY/REPLACE,
// x-amz-copy-source-if-*), GetObjectAcl, Put/Get/DeleteObjectTagging,
// GetObjectAttributes (ETag unquoted, Checksum with ChecksumType,
// ObjectParts with part sizes and checksums paged by x-amz-max-parts and
// x-amz-part-number-marker, StorageClass, ObjectSize; attributes.go).
// Multipart: CreateMultipartUpload (x-amz-checksum-algorithm and
// x-amz-checksum-type: COMPOSITE, the default but for CRC64NVME, or
// FULL_OBJECT for the CRCs; impossible pairs are InvalidRequest), UploadPart,
// UploadPartCopy, CompleteMultipartUpload (the object gets the upload's
// checksum computed from its parts' — "<base64>-N" when COMPOSITE, the
// combined CRC when FULL_OBJECT, CRC64NVME FULL_OBJECT when the upload
// named none; an object checksum sent with it is verified; a completion
// retried after it succeeded answers the same ETag), AbortMultipartUpload,
// ListParts.
//
// Versioning (versions.go, versioning.go): Put/GetBucketVersioning
// (Enabled, Suspended; a never-versioned bucket answers no Status; MFA
// delete is 501), ListObjectVersions (prefix, delimiter, key-marker,
// version-id-marker, max-keys, encoding-type; Version and DeleteMarker in
// order, newest first within a key; a never-versioned bucket lists its
// objects as "null" versions). GET, HEAD, DELETE, GetObjectTagging and
// copy sources (x-amz-copy-source: /b/k?versionId=…, also UploadPartCopy)
// take a versionId: an empty or malformed one is 400 InvalidArgument
// "Invalid version id specified", a missing one 404 NoSuchVersion (a
// DELETE of a missing version succeeds, as on AWS). Answers carry
// x-amz-version-id in buckets that were ever versioned. A DELETE without
// a version id in such a bucket writes a delete marker (x-amz-delete-marker:
// true, x-amz-version-id of the marker); GET/HEAD of a key whose latest
// version is a marker is 404 NoSuchKey with x-amz-delete-marker: true, of
// a marker by its version id 405 MethodNotAllowed; a copy naming a marker
// is 400 InvalidRequest. DeleteObjects takes VersionId per object and
// answers DeleteMarker / DeleteMarkerVersionId.
//
// Object lock (handlers_lock.go): CreateBucket with
// x-amz-bucket-object-lock-enabled: true makes a bucket with versioning
// enabled and lock on, in one event; PutBucketVersioning Suspended on it
// is 409 InvalidBucketState. Put/GetObjectLockConfiguration (?object-lock:
// ObjectLockEnabled, a default retention of Days or Years, positive, not
// both; turning lock on needs versioning enabled; none is 404
// ObjectLockConfigurationNotFoundError), Put/GetObjectRetention
// (?retention) and Put/GetObjectLegalHold (?legal-hold), with versionId;
// a bucket without lock is 400 InvalidRequest "Bucket is missing Object
// Lock Configuration", a version without retention 404
// NoSuchObjectLockConfiguration. PutObject, CopyObject and
// CreateMultipartUpload take x-amz-object-lock-mode,
// -retain-until-date and -legal-hold (a copy never takes the source's
// lock); versions without a retention get the bucket's default (for
// multipart: at completion); GET and HEAD answer the headers. Content-MD5
// or an x-amz-checksum-* is required by the lock configuration, retention
// and legal hold PUTs, and by a PutObject whose version gets a lock (400
// InvalidRequest). Removing a locked version (legal hold, or a retention
// in force), or shortening or removing its retention, is 403 AccessDenied
// "Access Denied because object protected by object lock." — per key in
// DeleteObjects; a DELETE without a version id writes a delete marker as
// usual. x-amz-bypass-governance-retention: true (the IAM action
// s3:BypassGovernanceRetention) lifts GOVERNANCE retention for the root
// key and keys configured with bypass_governance; any other key sending it
// is 403 AccessDenied.
//
// CORS (handlers_cors.go, package cors): Put/Get/DeleteBucketCors (the
// canonical document in the bucket configuration store; PutBucketCors
// needs Content-MD5 or an x-amz-checksum-* value, else InvalidRequest
// "Missing required header for this request: Content-Md5.");
// OPTIONS preflights on bucket and object paths, never authenticated (a
// presigned URL's query is ignored): 400 BadRequest without an Origin or
// with an Access-Control-Request-Method other than GET, PUT, POST, DELETE,
// HEAD; 403 AccessForbidden (with Method and ResourceType) when the bucket
// does not exist, has no CORS configuration or no rule matches; else 200
// with the matched rule's headers. Every other request that carries an
// Origin gets the headers of the first rule matching its origin and
// method, on errors too; the parsed configuration is cached by document,
// and a request without Origin costs one header lookup.
//
// Tagging (tagging.go, handlers_tagging.go): Put/Get/DeleteObjectTagging
// (with versionId, answering x-amz-version-id; a delete marker named by
// its id is 405 MethodNotAllowed, the latest being one 404 NoSuchKey) and
// Put/Get/DeleteBucketTagging (the canonical document stored as the
// bucket's tagging configuration; NoSuchTagSet when there is none, an
// empty TagSet removes it; Content-MD5 or an x-amz-checksum-* required,
// as on AWS). x-amz-tagging (URL query encoding, '+' a space) on
// PutObject, CreateMultipartUpload (applied at completion) and CopyObject
// with x-amz-tagging-directive REPLACE (COPY, the default, keeps the
// source's tags); setting tags by header also needs s3:PutObjectTagging.
// GET and HEAD answer x-amz-tagging-count when the object has tags. The
// limits are AWS's: 10 object tags, 50 bucket tags (BadRequest "Object
// tags cannot be greater than 10" / "Bucket tag count cannot be greater
// than 50"), keys of 1..128 and values of 0..256 UTF-16 code units of
// Unicode letters, digits, white space and _ . : / = + @ -, unique keys,
// none starting with aws: (InvalidTag with AWS's messages); a malformed
// x-amz-tagging is InvalidArgument. The tagging operations on a versionId
// are authorized as s3:GetObjectVersionTagging, s3:PutObjectVersionTagging
// and s3:DeleteObjectVersionTagging; a bucket policy's
// s3:ExistingObjectTag/<key> conditions see the tags of the object (the
// version named) a request acts on.
//
// Lifecycle (handlers_lifecycle.go): Put/Get/DeleteBucketLifecycleConfiguration
// (?lifecycle; IAM s3:PutLifecycleConfiguration, s3:GetLifecycleConfiguration).
// PUT needs Content-MD5 or an x-amz-checksum-* (else 400 InvalidRequest),
// is validated by package lifecycle with AWS's codes (MalformedXML,
// InvalidArgument, InvalidRequest; transitions 501) and stores the
// canonical document, which GET answers (404 NoSuchLifecycleConfiguration
// when none); DELETE is 204. The engine's worker carries the rules out.
//
// Not implemented (501): lifecycle transitions, replication, SSE-C,
// SigV2 and SigV4a, SelectObjectContent.
//
// POST Object (handlers_post.go, s3/postform): browser uploads to POST
// /bucket (path or virtual-hosted style) with a multipart/form-data body,
// streamed (the file goes to the engine as it arrives; the fields before
// it are at most 20 KB, MaxPostPreDataLengthExceeded). A signed form
// (policy, x-amz-algorithm, x-amz-credential, x-amz-date, x-amz-signature
// over the base64 policy) is its signer's request once the signature, the
// policy's expiration and every condition hold and every field is named by
// one (else AccessDenied "Invalid according to Policy: ..."; a malformed
// policy InvalidPolicyDocument); content-length-range gives
// EntityTooSmall/EntityTooLarge before anything is stored. An unsigned form
// is anonymous (or the caller of its Authorization header, whose payload
// hash covers the whole body). Either way access.Decide decides
// s3:PutObject for the form's key (${filename} expanded). Fields: key,
// Content-Type, Cache-Control, Content-Disposition, Content-Encoding,
// Expires, x-amz-meta-*, acl, tagging, x-amz-checksum-*;
// success_action_redirect/redirect (303 with bucket, key and etag; a URL
// that is not absolute http(s) is ignored), success_action_status 200, 201
// (PostResponse) or 204 (default). A file of more than 256 KiB must be
// followed by the closing boundary alone (its length is computed from
// Content-Length), else MalformedPOSTRequest and nothing is stored; fields
// after a smaller file are ignored, as on S3. x-amz-security-token is
// InvalidToken: prismd issues no temporary credentials.
//
// # Integer parameters
//
// partNumber, max-keys, max-uploads, max-parts, part-number-marker and
// X-Amz-Expires are decimal digits (leading zeros allowed); a sign, a space
// or anything else gets the error AWS gives (query_int.go): partNumber
// outside 1..10000 is InvalidArgument "Part number must be an integer
// between 1 and 10000, inclusive"; a count that is not an int32 is
// InvalidArgument "Provided <name> not an integer or within integer
// range", a negative one "Argument <name> must be an integer between 0 and
// 2147483647" (maxKeys for max-keys; "-0" is 0), both with ArgumentName and
// ArgumentValue; an empty count takes its default; a count past the page
// size is served at the page size.
//
// # XML
//
// With encoding-type=url, every key, prefix, marker, start-after and
// delimiter of ListObjects V1/V2 and ListMultipartUploads is written as AWS
// writes it: every byte but A-Z a-z 0-9 - _ . ~ and '/' as %XX (a space is
// %20, a '+' %2B). ListObjectsV2 with an empty continuation-token is a first
// page that echoes <ContinuationToken></ContinuationToken>.
//
// Without encoding-type=url, a key, prefix, marker or delimiter holding a
// character XML 1.0 cannot carry (a C0 control but tab, LF and CR) is
// written as AWS writes it, a numeric character reference ("a\x01" is
// <Key>a&#x1;</Key>), never replaced (xml_text.go). Strict XML parsers —
// aws-sdk-go-v2's encoding/xml among them — refuse such a document, from
// AWS as from prismd; with encoding-type=url every client reads the key.
//
// # Limits
//
// Keys: at most 1024 bytes of UTF-8 without NUL or a ".." segment. User
// metadata: 2 KiB. Request headers: Config.MaxHeaderBytes. DeleteObjects:
// 1000 keys. Presigned URLs: 7 days.
package s3
