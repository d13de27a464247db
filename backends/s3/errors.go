package s3

import (
	"context"
	"errors"
	"fmt"
	"net"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/prismd/prismd/backends"
)

// errorCodes maps S3 error codes to backend sentinels.
var errorCodes = map[string]error{
	"NoSuchKey":      backends.ErrNotFound,
	"NotFound":       backends.ErrNotFound, // HEAD responses carry no body
	"NoSuchBucket":   backends.ErrNoSuchBucket,
	"InvalidRange":   backends.ErrInvalidRange,
	"BucketNotEmpty": backends.ErrBucketNotEmpty,
}

// wrapErr describes err from op on target and adds the backend sentinel it
// stands for: one from errorCodes, or ErrUnavailable for failures to reach
// the region (connection errors, timeouts, 5xx after retries). A caller's
// canceled context is never reported as ErrUnavailable.
func (b *Backend) wrapErr(ctx context.Context, op, target string, err error) error {
	if err == nil {
		return nil
	}
	if sentinel := b.classify(ctx, err); sentinel != nil {
		return fmt.Errorf("s3 %s: %s %s: %w: %w", b.cfg.Name, op, target, sentinel, err)
	}
	return fmt.Errorf("s3 %s: %s %s: %w", b.cfg.Name, op, target, err)
}

func (b *Backend) classify(ctx context.Context, err error) error {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		if s, ok := errorCodes[apiErr.ErrorCode()]; ok {
			return s
		}
	}
	var respErr *awshttp.ResponseError
	if errors.As(err, &respErr) && respErr.HTTPStatusCode() != 0 { // 0: nothing was received
		switch code := respErr.HTTPStatusCode(); {
		case code == 404:
			return backends.ErrNotFound
		case code == 416:
			return backends.ErrInvalidRange
		case code >= 500:
			return backends.ErrUnavailable
		}
		return nil
	}
	if ctx.Err() != nil {
		return nil // the caller gave up; err holds the context's error
	}
	var sendErr *smithyhttp.RequestSendError
	var netErr net.Error
	if errors.As(err, &sendErr) || errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return backends.ErrUnavailable
	}
	return nil
}
