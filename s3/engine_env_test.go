package s3

import (
	"bytes"
	"context"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	s3sdk "github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
	plog "github.com/prismd/prismd/log"
)

// newEngineServer serves the S3 API over a real engine on three in-memory
// regions (erasure 2+1), with the test key, and returns an SDK client that
// sends checksums only when an operation requires one.
func newEngineServer(t *testing.T) (*engine.Engine, *httptest.Server, *s3sdk.Client) {
	t.Helper()
	var regs []engine.Region
	for _, name := range []string{"a", "b", "c"} {
		regs = append(regs, engine.Region{Name: name, Backend: mem.New()})
	}
	e, err := engine.Open(engine.Config{DataDir: t.TempDir(), Regions: regs, SegmentSize: 1 << 20, BlockSize: 64 << 10,
		Policy: plog.Policy{Mode: "erasure", DataShards: 2, ParityShards: 1, Placement: "shuffle"},
		NoSync: true, NoBackground: true, MasterKey: bytes.Repeat([]byte{7}, 32), SnapshotEvery: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	if err := e.CreateAccessKey(context.Background(), engine.AccessKey{AccessKey: testKey, Secret: testSecret, Root: true}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(New(Config{Engine: e, Region: testRegion}))
	t.Cleanup(srv.Close)
	c := s3sdk.New(s3sdk.Options{
		Region: testRegion, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: srv.Client(),
		Credentials:                credentials.NewStaticCredentialsProvider(testKey, testSecret, ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	return e, srv, c
}
