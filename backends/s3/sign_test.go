package s3

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// TestSignerMatchesSDK signs the lean requests (every test key, every
// operation, several endpoints, two days) with signer and with the SDK's
// v4.Signer as the S3 client configures it, on requests holding only the
// headers signer signs, and wants the same Authorization header.
func TestSignerMatchesSDK(t *testing.T) {
	ctx := t.Context()
	sdk := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	creds := aws.Credentials{AccessKeyID: "AKIDEXAMPLE", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}
	times := []time.Time{time.Date(2026, 11, 24, 23, 59, 59, 0, time.UTC), time.Date(2026, 11, 25, 0, 0, 1, 0, time.FixedZone("x", 3600))}
	endpoints := []string{"http://127.0.0.1:9000", "https://s3.example.com", "https://s3.example.com:443", "http://s3.example.com:80", "https://s3.example.com/base/"}
	for _, endpointURL := range endpoints {
		for _, region := range []string{"us-east-1", "eu-central-2"} {
			b, err := New(ctx, Config{Name: "t", Endpoint: endpointURL, Region: region, AccessKey: creds.AccessKeyID, SecretKey: creds.SecretAccessKey, PathStyle: true})
			if err != nil {
				t.Fatal(err)
			}
			ep := b.lean.endpoint(ctx, region, "bkt")
			if ep.sdk {
				t.Fatalf("%s: lean path not used", endpointURL)
			}
			for _, key := range leanTestKeys {
				for _, op := range []*leanOp{opGetObject, opHeadObject, opPutObject} {
					hash := emptySHA256
					if op == opPutObject {
						hash = unsignedPayloadHash
					}
					for _, now := range times {
						name := fmt.Sprintf("%s %s %s %s %s", endpointURL, region, op.name, key, now)
						ours, err := b.lean.newRequest(ctx, op, ep, key)
						if err != nil {
							t.Fatal(err)
						}
						theirs := ours.Clone(ctx)
						b.lean.signer.sign(ours, hash, now)
						theirs.Header = http.Header{"X-Amz-Content-Sha256": {hash}}
						if err := sdk.SignHTTP(ctx, creds, theirs, hash, "s3", region, now.UTC()); err != nil {
							t.Fatal(err)
						}
						if g, w := ours.Header.Get("Authorization"), theirs.Header.Get("Authorization"); g != w {
							t.Errorf("%s:\n ours %s\n sdk  %s", name, g, w)
						}
						if g, w := ours.Header.Get("X-Amz-Date"), theirs.Header.Get("X-Amz-Date"); g != w {
							t.Errorf("%s: X-Amz-Date ours %q, sdk %q", name, g, w)
						}
					}
				}
			}
		}
	}
}

func BenchmarkSign(b *testing.B) {
	be, err := New(b.Context(), Config{Name: "t", Endpoint: "http://127.0.0.1:9000", AccessKey: "a", SecretKey: "s", PathStyle: true})
	if err != nil {
		b.Fatal(err)
	}
	ep := be.lean.endpoint(b.Context(), "us-east-1", "bkt")
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		req, _ := be.lean.newRequest(b.Context(), opGetObject, ep, "b/3f2a9c0d1e/0/1")
		be.lean.signer.sign(req, emptySHA256, now)
	}
}

func TestAmzDate(t *testing.T) {
	for _, tm := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 999, time.UTC),
		time.Date(1999, 12, 31, 23, 59, 59, 0, time.FixedZone("x", -5*3600)),
		time.Date(2100, 10, 10, 10, 10, 10, 0, time.UTC),
		time.Now(),
	} {
		if got, want := amzDate(tm), tm.UTC().Format("20060102T150405Z"); got != want {
			t.Errorf("amzDate(%v) = %q, want %q", tm, got, want)
		}
	}
}
