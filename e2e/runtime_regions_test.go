package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/s3/s3test"
)

// adminDo sends one request to prismd's management API and returns the
// status and body.
func adminDo(t *testing.T, p *proc, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, p.Admin+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	token, err := p.adminToken()
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestRegionsAddedAtRunTime adds a fourth S3 region through the management
// API while prismd serves, writes objects (some shards land on it),
// restarts prismd (the region comes back from the log, its secret unsealed),
// then removes it: every object stays readable and its shards are rebuilt
// on the configured regions.
func TestRegionsAddedAtRunTime(t *testing.T) {
	t.Parallel()
	cl := rgStart(t, rgThree)
	ctx := context.Background()
	extra := s3test.StartVersity(t, t.TempDir())
	body := fmt.Sprintf(`{"type":"s3","endpoint":%q,"region":%q,"access_key":%q,"secret_key":%q,"path_style":true}`,
		extra.Endpoint(), s3test.Region, extra.AccessKey(), extra.SecretKey())
	if code, out := adminDo(t, cl.p, "PUT", "/api/regions/r3", body); code != 200 {
		t.Fatalf("add region: %d %s", code, out)
	}
	if code, out := adminDo(t, cl.p, "PUT", "/api/regions/r0", `{"type":"fs","path":"/tmp/nowhere"}`); code != 400 {
		t.Fatalf("replacing a configured region through the API: %d %s, want 400", code, out)
	}
	bucket := cl.createBucket(ctx, "runtime")
	objects := map[string][]byte{}
	var blobs []rgBlob
	for i := range 16 {
		key := fmt.Sprintf("obj-%02d", i)
		objects[key] = rgRandom(300_000 + i*1000)
		if err := cl.putObj(ctx, bucket, key, objects[key]); err != nil {
			t.Fatal(err)
		}
		blobs = append(blobs, rgThree.blobOf(int64(len(objects[key]))))
	}
	extraClient := &rgCluster{t: t, servers: []*s3test.Server{extra}}
	keys, err := extraClient.regionKeys(ctx, 0, bucket)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) == 0 {
		t.Fatal("no shard was placed on the region added at run time")
	}
	t.Logf("%d shards on the added region", len(keys))

	cl.restartPrismd()
	if code, out := adminDo(t, cl.p, "GET", "/api/regions", ""); code != 200 || !strings.Contains(out, `"name":"r3"`) || strings.Contains(out, extra.SecretKey()) {
		t.Fatalf("regions after restart: %d %s", code, out)
	}
	for key, want := range objects {
		if err := cl.getCheck(ctx, bucket, key, want, 0, int64(len(want))); err != nil {
			t.Fatalf("after restart: %v", err)
		}
	}

	if code, out := adminDo(t, cl.p, "DELETE", "/api/regions/r3", ""); code != 200 {
		t.Fatalf("remove region: %d %s", code, out)
	}
	extra.Stop()
	for key, want := range objects {
		if err := cl.getCheck(ctx, bucket, key, want, 0, int64(len(want))); err != nil {
			t.Fatalf("after removing the region: %v", err)
		}
	}
	cl.waitSettled("rebuild after removing r3", 60*time.Second, func() error { return cl.checkLayout(ctx, bucket, blobs) })
}
