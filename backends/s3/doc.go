// Package s3 is a backends.Backend over an S3-compatible region (AWS, Wasabi,
// Backblaze, Ceph, MinIO, versitygw, …) using aws-sdk-go-v2, one client per
// region.
//
//	b, err := s3.New(ctx, s3.Config{
//		Name:      "eu-1",
//		Endpoint:  "https://s3.eu-central-1.wasabisys.com",
//		Region:    "eu-central-1",
//		AccessKey: ak, SecretKey: sk,
//	})
//
// # Configuration
//
// Only what is in Config is used: credentials are static, and no shared
// config or credentials file, profile, or AWS_* credential/endpoint variable
// is read. The one exception is AWS_CA_BUNDLE: when it is set and the
// endpoint is https, its certificates are trusted in addition to the
// system's. The HTTP client is the SDK's BuildableClient, so the SDK's own
// handling of AWS_CA_BUNDLE (which refuses plain *http.Clients) cannot trip.
//
// # Hot path
//
// Put, Get and Stat do not go through the SDK client's middleware stack,
// which for small objects costs more CPU and allocation than the request:
// they build their requests themselves, sign them with the SDK's v4.Signer
// and send them on the SDK client's own HTTP client (same pool, timeouts
// and TLS settings). They reproduce what the SDK client sends and how it
// fails, retries included (see lean.go and lean_internal_test.go, which
// compares the two paths); everything else uses the SDK client.
//
// A Put body in pieces (backends.PiecewiseBody, as the engine hands over
// an erasure-coded shard) goes from the pieces' memory to the socket, one
// write per piece, instead of through net/http's copy buffer: the
// connections are regionConns, whose ReadFrom net/http finds when it
// copies a request body. regionConn also holds the read timeout (no data
// for Config.Timeout fails a read), which the SDK's own would hide it
// behind.
//
// # Buckets
//
// By default each backend bucket is an S3 bucket of the same name. In prefix
// mode (Config.Bucket set) every backend bucket B is the key prefix "B/"
// inside the one bucket Config.Bucket, for providers that cap bucket counts:
// key K of bucket B is stored as "B/K". Buckets are then implicit:
// CreateBucket only makes sure Config.Bucket exists, DeleteBucket deletes
// nothing and returns ErrBucketNotEmpty if keys remain under "B/", and
// ErrNoSuchBucket means Config.Bucket itself is missing. Bucket names may not
// contain '/' in prefix mode.
//
// # Contract details
//
//   - Put streams r to the server with a fixed Content-Length and an
//     UNSIGNED-PAYLOAD signature: nothing is buffered or re-read, and r need
//     not be an io.Seeker. A reader yielding more than size bytes is caught
//     before the last byte is sent, so the server never sees a complete body
//     and stores nothing. A failed Put is not retried (the body is gone).
//   - Get uses a Range header; offset == size gives an empty body, offset >
//     size ErrInvalidRange (the server's 416 is disambiguated with a HEAD).
//   - Delete uses DeleteObjects in batches of 1000 with Quiet off; a key the
//     server reports an error for gets that error (NoSuchKey counts as
//     deleted), a key it neither deletes nor reports gets an error too.
//   - Errors: NoSuchKey/404 → ErrNotFound, NoSuchBucket → ErrNoSuchBucket,
//     InvalidRange → ErrInvalidRange, BucketNotEmpty → ErrBucketNotEmpty;
//     connection failures, timeouts and 5xx after retries wrap ErrUnavailable.
//   - A dead region fails fast: connections time out after 2s (or Timeout if
//     smaller), the SDK tries at most 3 times with backoff capped at 500ms,
//     a connection that delivers no data for Timeout fails, and calls
//     without a body stream (Stat, Delete, List pages, buckets) are bounded
//     by Timeout each.
package s3
