package s3

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/prismd/prismd/access"
	"github.com/prismd/prismd/engine"
)

// APIError is one S3 error: the code a client switches on, the HTTP status
// and the message AWS documents for it. Every error the gateway answers with
// is one of the values below; handlers wrap them with detail
// (fmt.Errorf("%w: ...", ErrX)) and the adapter finds them with errors.As.
type APIError struct {
	Code    string
	Status  int
	Message string
	// HeadersNotSigned names the headers a signature should have covered
	// ("a, b"), as AWS adds to that AccessDenied.
	HeadersNotSigned string
	// Header names the request header a NotImplemented is about, as AWS
	// adds it.
	Header string
	// ArgumentName and ArgumentValue name a bad argument, as AWS adds to
	// some InvalidArgument errors.
	ArgumentName, ArgumentValue string
	// Method and ResourceType name the refused preflight of an
	// AccessForbidden, as AWS adds them.
	Method, ResourceType string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Is reports whether target is the same S3 error (same code and status),
// so that errors.Is(detail(ErrX, ...), ErrX) holds.
func (e *APIError) Is(target error) bool {
	t, ok := target.(*APIError)
	return ok && t.Code == e.Code && t.Status == e.Status
}

func apiErr(code string, status int, msg string) *APIError {
	return &APIError{Code: code, Status: status, Message: msg}
}

// The protocol errors of the S3 API, one per code.
var (
	ErrAccessDenied                   = apiErr("AccessDenied", http.StatusForbidden, "Access Denied.")
	ErrBucketAlreadyExists            = apiErr("BucketAlreadyExists", http.StatusConflict, "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.")
	ErrMalformedPolicy                = apiErr("MalformedPolicy", http.StatusBadRequest, "Policies must be valid JSON and the first byte must be '{'")
	ErrUnexpectedContent              = apiErr("UnexpectedContent", http.StatusBadRequest, "This request does not support content.")
	ErrMalformedACL                   = apiErr("MalformedACLError", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	ErrUnresolvableGrant              = apiErr("UnresolvableGrantByEmailAddress", http.StatusBadRequest, "The e-mail address you provided does not match any account on record.")
	ErrInvalidGrantee                 = apiErr("InvalidArgument", http.StatusBadRequest, "Invalid id")
	ErrACLNotSupported                = apiErr("AccessControlListNotSupported", http.StatusBadRequest, "The bucket does not allow ACLs")
	ErrInvalidBucketACLOwnership      = apiErr("InvalidBucketAclWithObjectOwnership", http.StatusBadRequest, "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
	ErrNoSuchPublicAccessBlock        = apiErr("NoSuchPublicAccessBlockConfiguration", http.StatusNotFound, "The public access block configuration was not found")
	ErrOwnershipControlsNotFound      = apiErr("OwnershipControlsNotFoundError", http.StatusNotFound, "The bucket ownership controls were not found")
	ErrInvalidAccessKeyID             = apiErr("InvalidAccessKeyId", http.StatusForbidden, "The AWS access key Id you provided does not exist in our records.")
	ErrSignatureDoesNotMatch          = apiErr("SignatureDoesNotMatch", http.StatusForbidden, "The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	ErrRequestTimeTooSkewed           = apiErr("RequestTimeTooSkewed", http.StatusForbidden, "The difference between the request time and the server's time is too large.")
	ErrExpiredPresign                 = apiErr("AccessDenied", http.StatusForbidden, "Request has expired.")
	ErrAuthorizationHeaderMalformed   = apiErr("AuthorizationHeaderMalformed", http.StatusBadRequest, "The authorization header is malformed.")
	ErrAuthorizationQueryParameters   = apiErr("AuthorizationQueryParametersError", http.StatusBadRequest, "Error parsing the X-Amz-Credential parameter.")
	ErrUnsupportedSignature           = apiErr("InvalidRequest", http.StatusBadRequest, "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	ErrMultipleAuth                   = apiErr("InvalidArgument", http.StatusBadRequest, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified.")
	ErrHeadersNotSigned               = apiErr("AccessDenied", http.StatusForbidden, "There were headers present in the request which were not signed")
	ErrMissingDate                    = apiErr("AccessDenied", http.StatusForbidden, "AWS authentication requires a valid Date or x-amz-date header.")
	ErrMissingContentSHA256           = apiErr("InvalidRequest", http.StatusBadRequest, "Missing required header for this request: x-amz-content-sha256.")
	ErrInvalidContentSHA256           = apiErr("InvalidArgument", http.StatusBadRequest, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, a STREAMING-* value, or a valid sha256 value.")
	ErrContentSHA256Mismatch          = apiErr("XAmzContentSHA256Mismatch", http.StatusBadRequest, "The provided 'x-amz-content-sha256' header does not match what was computed.")
	ErrInvalidRequest                 = apiErr("InvalidRequest", http.StatusBadRequest, "Invalid Request.")
	ErrInvalidArgument                = apiErr("InvalidArgument", http.StatusBadRequest, "Invalid Argument.")
	ErrNotImplemented                 = apiErr("NotImplemented", http.StatusNotImplemented, "A header or query you provided implies functionality that is not implemented.")
	ErrMethodNotAllowed               = apiErr("MethodNotAllowed", http.StatusMethodNotAllowed, "The specified method is not allowed against this resource.")
	ErrNoSuchBucket                   = apiErr("NoSuchBucket", http.StatusNotFound, "The specified bucket does not exist.")
	ErrNoSuchKey                      = apiErr("NoSuchKey", http.StatusNotFound, "The specified key does not exist.")
	ErrNoSuchUpload                   = apiErr("NoSuchUpload", http.StatusNotFound, "The specified multipart upload does not exist. The upload ID might be invalid, or the multipart upload might have been aborted or completed.")
	ErrNoSuchVersion                  = apiErr("NoSuchVersion", http.StatusNotFound, "The specified version does not exist.")
	ErrInvalidVersionID               = apiErr("InvalidArgument", http.StatusBadRequest, "Invalid version id specified")
	ErrCopyFromDeleteMarker           = apiErr("InvalidRequest", http.StatusBadRequest, "The source of a copy request may not specifically refer to a delete marker by version id.")
	ErrBucketAlreadyOwnedByYou        = apiErr("BucketAlreadyOwnedByYou", http.StatusConflict, "Your previous request to create the named bucket succeeded and you already own it.")
	ErrBucketNotEmpty                 = apiErr("BucketNotEmpty", http.StatusConflict, "The bucket you tried to delete is not empty.")
	ErrInvalidBucketName              = apiErr("InvalidBucketName", http.StatusBadRequest, "The specified bucket is not valid.")
	ErrKeyTooLong                     = apiErr("KeyTooLongError", http.StatusBadRequest, "Your key is too long.")
	ErrInvalidKey                     = apiErr("InvalidArgument", http.StatusBadRequest, "Object key is not valid: it must be UTF-8, hold no NUL and no \"..\" segment.")
	ErrInvalidPart                    = apiErr("InvalidPart", http.StatusBadRequest, "One or more of the specified parts could not be found. The part might not have been uploaded, or the specified entity tag might not have matched the part's entity tag.")
	ErrInvalidPartOrder               = apiErr("InvalidPartOrder", http.StatusBadRequest, "The list of parts was not in ascending order. The parts list must be specified in order by part number.")
	ErrEntityTooSmall                 = apiErr("EntityTooSmall", http.StatusBadRequest, "Your proposed upload is smaller than the minimum allowed object size.")
	ErrEntityTooLarge                 = apiErr("EntityTooLarge", http.StatusBadRequest, "Your proposed upload exceeds the maximum allowed object size.")
	ErrInvalidRange                   = apiErr("InvalidRange", http.StatusRequestedRangeNotSatisfiable, "The requested range is not satisfiable.")
	ErrInvalidPartNumber              = apiErr("InvalidPartNumber", http.StatusRequestedRangeNotSatisfiable, "The requested partnumber is not satisfiable")
	ErrPreconditionFailed             = apiErr("PreconditionFailed", http.StatusPreconditionFailed, "At least one of the pre-conditions you specified did not hold.")
	ErrNotModified                    = apiErr("NotModified", http.StatusNotModified, "Not Modified.")
	ErrBadDigest                      = apiErr("BadDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified did not match what we received.")
	ErrInvalidDigest                  = apiErr("InvalidDigest", http.StatusBadRequest, "The Content-MD5 or checksum you specified is not valid.")
	ErrIncompleteBody                 = apiErr("IncompleteBody", http.StatusBadRequest, "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	ErrBodyTooLong                    = apiErr("InvalidRequest", http.StatusBadRequest, "The request body is longer than its declared length.")
	ErrMissingContentLength           = apiErr("MissingContentLength", http.StatusLengthRequired, "You must provide the Content-Length HTTP header.")
	ErrMalformedXML                   = apiErr("MalformedXML", http.StatusBadRequest, "The XML you provided was not well-formed or did not validate against our published schema.")
	ErrMalformedChunk                 = apiErr("InvalidRequest", http.StatusBadRequest, "The aws-chunked body is malformed.")
	ErrMetadataTooLarge               = apiErr("MetadataTooLarge", http.StatusBadRequest, "Your metadata headers exceed the maximum allowed metadata size.")
	ErrRequestHeaderTooLarge          = apiErr("RequestHeaderSectionTooLarge", http.StatusBadRequest, "Your request header section exceeds the maximum allowed size.")
	ErrNoSuchTagSet                   = apiErr("NoSuchTagSet", http.StatusNotFound, "The TagSet does not exist.")
	ErrInvalidTag                     = apiErr("InvalidTag", http.StatusBadRequest, "The tag provided was not a valid tag.")
	ErrNoSuchBucketPolicy             = apiErr("NoSuchBucketPolicy", http.StatusNotFound, "The bucket policy does not exist.")
	ErrNoSuchCORSConfiguration        = apiErr("NoSuchCORSConfiguration", http.StatusNotFound, "The CORS configuration does not exist.")
	ErrNoSuchLifecycleConfiguration   = apiErr("NoSuchLifecycleConfiguration", http.StatusNotFound, "The lifecycle configuration does not exist.")
	ErrNoSuchWebsiteConfiguration     = apiErr("NoSuchWebsiteConfiguration", http.StatusNotFound, "The specified bucket does not have a website configuration.")
	ErrNoEncryptionConfiguration      = apiErr("ServerSideEncryptionConfigurationNotFoundError", http.StatusNotFound, "The server side encryption configuration was not found.")
	ErrObjectLockConfigurationMissing = apiErr("ObjectLockConfigurationNotFoundError", http.StatusNotFound, "Object Lock configuration does not exist for this bucket.")
	ErrNoSuchObjectLockConfiguration  = apiErr("NoSuchObjectLockConfiguration", http.StatusNotFound, "The specified object does not have a ObjectLock configuration")
	ErrObjectLocked                   = apiErr("AccessDenied", http.StatusForbidden, "Access Denied because object protected by object lock.")
	ErrBucketMissingObjectLock        = apiErr("InvalidRequest", http.StatusBadRequest, "Bucket is missing Object Lock Configuration")
	ErrInvalidBucketState             = apiErr("InvalidBucketState", http.StatusConflict, "The request is not valid with the current state of the bucket.")
	ErrServiceUnavailable             = apiErr("ServiceUnavailable", http.StatusServiceUnavailable, "Please reduce your request rate.")
	ErrRegionsUnavailable             = apiErr("ServiceUnavailable", http.StatusServiceUnavailable, "Too few storage regions are reachable to serve this request; retry later.")
	ErrShuttingDown                   = apiErr("ServiceUnavailable", http.StatusServiceUnavailable, "The gateway is shutting down; retry later.")
	ErrSlowDown                       = apiErr("SlowDown", http.StatusServiceUnavailable, "Please reduce your request rate.")
	ErrInternal                       = apiErr("InternalError", http.StatusInternalServerError, "We encountered an internal error. Please try again.")
	ErrCORSForbidden                  = apiErr("AccessForbidden", http.StatusForbidden, "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.")
	ErrCORSNotEnabled                 = apiErr("AccessForbidden", http.StatusForbidden, "CORSResponse: CORS is not enabled for this bucket.")
	ErrCORSNoBucket                   = apiErr("AccessForbidden", http.StatusForbidden, "CORSResponse: Bucket not found")
	ErrBadRequest                     = apiErr("BadRequest", http.StatusBadRequest, "Bad Request.")
	ErrMissingContentMD5              = apiErr("InvalidRequest", http.StatusBadRequest, "Missing required header for this request: Content-Md5.")
	ErrRequestTimeout                 = apiErr("RequestTimeout", http.StatusBadRequest, "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed.")
	// POST Object (browser uploads, handlers_post.go).
	ErrMalformedPOSTRequest   = apiErr("MalformedPOSTRequest", http.StatusBadRequest, "The body of your POST request is not well-formed multipart/form-data.")
	ErrMaxPostPreDataLength   = apiErr("MaxPostPreDataLengthExceeded", http.StatusBadRequest, "Your POST request fields preceding the upload file were too large.")
	ErrIncorrectNumberOfFiles = apiErr("IncorrectNumberOfFilesInPostRequest", http.StatusBadRequest, "POST requires exactly one file upload per request.")
	ErrInvalidPolicyDocument  = apiErr("InvalidPolicyDocument", http.StatusBadRequest, "The content of the form does not meet the conditions specified in the policy document.")
	ErrInvalidToken           = apiErr("InvalidToken", http.StatusBadRequest, "The provided token is malformed or otherwise invalid.")
)

// engineErrors is the one table from engine domain errors to S3 errors.
var engineErrors = []struct {
	err error
	api *APIError
}{
	{engine.ErrNoSuchBucket, ErrNoSuchBucket},
	{engine.ErrBucketExists, ErrBucketAlreadyOwnedByYou},
	{engine.ErrBucketNotEmpty, ErrBucketNotEmpty},
	{engine.ErrInvalidBucketName, ErrInvalidBucketName},
	{engine.ErrNoSuchKey, ErrNoSuchKey},
	{engine.ErrInvalidKey, ErrInvalidKey},
	{engine.ErrNoSuchUpload, ErrNoSuchUpload},
	{engine.ErrInvalidPart, ErrInvalidPart},
	{engine.ErrInvalidPartOrder, ErrInvalidPartOrder},
	{engine.ErrEntityTooSmall, ErrEntityTooSmall},
	{engine.ErrEntityTooLarge, ErrEntityTooLarge},
	{engine.ErrInvalidRange, ErrInvalidRange},
	{engine.ErrInvalidPartNumber, ErrInvalidPartNumber},
	{engine.ErrPreconditionFailed, ErrPreconditionFailed},
	{engine.ErrNotModified, ErrNotModified},
	{engine.ErrBadDigest, ErrBadDigest},
	{engine.ErrIncompleteBody, ErrIncompleteBody},
	{engine.ErrQuorum, ErrRegionsUnavailable},
	{engine.ErrClosed, ErrShuttingDown},
	{engine.ErrInvalidArgument, ErrInvalidArgument},
	{engine.ErrNoSuchAccessKey, ErrInvalidAccessKeyID},
	{engine.ErrNoSuchVersion, ErrNoSuchVersion},
	{engine.ErrInvalidVersion, ErrInvalidVersionID},
	{engine.ErrDeleteMarker, ErrMethodNotAllowed},
	{engine.ErrCopyFromDeleteMarker, ErrCopyFromDeleteMarker},
	{access.ErrMalformedPolicy, ErrMalformedPolicy},
	{engine.ErrObjectLocked, ErrObjectLocked},
	{engine.ErrNoObjectLockConfig, ErrBucketMissingObjectLock},
	{engine.ErrNoSuchObjectLock, ErrNoSuchObjectLockConfiguration},
	{engine.ErrInvalidBucketState, ErrInvalidBucketState},
}

// toAPIError maps any error to the S3 error to answer with. Protocol errors
// (*APIError, possibly wrapped) win over engine errors; anything unknown is
// an InternalError.
func toAPIError(err error) *APIError {
	var api *APIError
	if errors.As(err, &api) {
		return api
	}
	if errors.Is(err, access.ErrMalformedPolicy) {
		msg := strings.Replace(err.Error(), access.ErrMalformedPolicy.Error()+": ", "", 1)
		return &APIError{Code: ErrMalformedPolicy.Code, Status: ErrMalformedPolicy.Status, Message: msg}
	}
	for _, e := range engineErrors {
		if errors.Is(err, e.err) {
			return e.api
		}
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ErrRequestTimeout
	}
	return ErrInternal
}

// headersNotSigned is ErrHeadersNotSigned naming the unsigned headers.
func headersNotSigned(names []string) error {
	e := *ErrHeadersNotSigned
	e.HeadersNotSigned = strings.Join(names, ", ")
	return &e
}

// notImplementedHeader is AWS's NotImplemented for a header that asks for
// functionality S3 lacks, with the Header element naming it.
func notImplementedHeader(name string) error {
	return &APIError{Code: ErrNotImplemented.Code, Status: ErrNotImplemented.Status,
		Message: "A header you provided implies functionality that is not implemented", Header: name}
}

// badArgument is InvalidArgument naming the argument and its value.
func badArgument(name, value, format string, args ...any) error {
	e := *ErrInvalidArgument
	e.Message = fmt.Sprintf(format, args...)
	e.ArgumentName, e.ArgumentValue = name, value
	return &e
}

// detail returns api with a more precise message for the client.
func detail(api *APIError, format string, args ...any) error {
	return &APIError{Code: api.Code, Status: api.Status, Message: fmt.Sprintf(format, args...)}
}
