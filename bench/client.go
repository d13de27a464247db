package bench

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// newClient returns an S3 client for e that keeps the client cheap: no
// retries (an error is counted, never hidden), no automatic checksums, no
// Expect: 100-continue, and a connection pool sized for concurrency. PUTs
// made with unsignedPayload send UNSIGNED-PAYLOAD instead of hashing the body.
//
// The HTTP client is the SDK's BuildableClient, the only kind the SDK
// accepts when AWS_CA_BUNDLE is set; for https endpoints the bundle is
// added to the system roots here.
func newClient(e Endpoint, concurrency int) (*s3.Client, error) {
	var roots *x509.CertPool
	if bundle := os.Getenv("AWS_CA_BUNDLE"); bundle != "" && strings.HasPrefix(e.URL, "https://") {
		pem, err := os.ReadFile(bundle)
		if err != nil {
			return nil, fmt.Errorf("AWS_CA_BUNDLE: %w", err)
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		roots.AppendCertsFromPEM(pem)
	}
	conns := concurrency + 4
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) {
		t.DialContext = (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		t.MaxIdleConns = conns
		t.MaxIdleConnsPerHost = conns
		t.MaxConnsPerHost = 0
		t.IdleConnTimeout = 90 * time.Second
		t.ExpectContinueTimeout = 0
		t.DisableCompression = true
		t.WriteBufferSize = 256 << 10
		t.ReadBufferSize = 256 << 10
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if roots != nil {
			t.TLSClientConfig.RootCAs = roots
		}
	})
	return s3.New(s3.Options{
		Region:                       e.Region,
		BaseEndpoint:                 aws.String(e.URL),
		UsePathStyle:                 !e.VirtualHosted,
		Credentials:                  credentials.NewStaticCredentialsProvider(e.AccessKey, e.SecretKey, ""),
		HTTPClient:                   httpClient,
		Retryer:                      aws.NopRetryer{},
		RequestChecksumCalculation:   aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation:   aws.ResponseChecksumValidationWhenRequired,
		ContinueHeaderThresholdBytes: -1,
	}), nil
}

// unsignedPayload makes a PutObject send x-amz-content-sha256: UNSIGNED-PAYLOAD.
var unsignedPayload = s3.WithAPIOptions(v4.SwapComputePayloadSHA256ForUnsignedPayloadMiddleware)
