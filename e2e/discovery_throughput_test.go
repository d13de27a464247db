package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends/s3/s3test"
)

// TestDiscoveryThroughputAndApply runs region discovery's throughput test
// through prismd's management API against two local versitygw processes,
// one behind a delaying proxy, then adds both as regions in one step.
// The delayed one takes at least its delay to download; wrong
// credentials are a failed result, not a failed request; no scratch
// bucket is left behind; a set with an unreachable member adds nothing.
func TestDiscoveryThroughputAndApply(t *testing.T) {
	t.Parallel()
	cl := rgStart(t, rgThree)
	near := s3test.StartVersity(t, t.TempDir())
	far := s3test.StartVersity(t, t.TempDir())
	proxy := rgStartProxy(t, strings.TrimPrefix(far.Endpoint(), "http://"))
	proxy.setDelay(40 * time.Millisecond)
	farURL := "http://" + proxy.addr

	type result struct {
		URL     string  `json:"url"`
		Bytes   int64   `json:"bytes"`
		PutMS   float64 `json:"put_ms"`
		GetMS   float64 `json:"get_ms"`
		PutMiBs float64 `json:"put_mib_s"`
		GetMiBs float64 `json:"get_mib_s"`
		Error   string  `json:"error"`
	}
	measure := func(url, access, secret string) result {
		t.Helper()
		body := fmt.Sprintf(`{"endpoints":[{"provider":"local","region":%q,"url":%q}],"access_key":%q,"secret_key":%q,"path_style":true}`,
			s3test.Region, url, access, secret)
		code, out := adminDo(t, cl.p, "POST", "/api/discovery/throughput", body)
		if code != 200 || strings.Contains(out, secret) {
			t.Fatalf("throughput %s: %d %s", url, code, out)
		}
		var res []result
		if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 {
			t.Fatalf("throughput %s: %s %v", url, out, err)
		}
		return res[0]
	}
	n := measure(near.Endpoint(), near.AccessKey(), near.SecretKey())
	if n.Error != "" || n.Bytes != 1<<20 || n.PutMiBs <= 0 || n.GetMiBs <= 0 {
		t.Errorf("near: %+v", n)
	}
	f := measure(farURL, far.AccessKey(), far.SecretKey())
	if f.Error != "" || f.GetMS < 40 || f.PutMS < 40 {
		t.Errorf("behind the proxy: %+v", f)
	}
	if bad := measure(near.Endpoint(), near.AccessKey(), "wrong-secret"); bad.Error == "" {
		t.Errorf("wrong secret: %+v", bad)
	}
	for _, srv := range []*s3test.Server{near, far} {
		entries, err := os.ReadDir(srv.DataDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if strings.Contains(e.Name(), "-probe-") {
				t.Errorf("scratch bucket left behind: %s", filepath.Join(srv.DataDir(), e.Name()))
			}
		}
	}

	region := func(name, url, access, secret string) string {
		return fmt.Sprintf(`{"name":%q,"type":"s3","endpoint":%q,"region":%q,"access_key":%q,"secret_key":%q,"path_style":true}`,
			name, url, s3test.Region, access, secret)
	}
	// One member unreachable: nothing is added.
	code, out := adminDo(t, cl.p, "POST", "/api/discovery/apply", `{"regions":[`+region("d-near", near.Endpoint(), near.AccessKey(), near.SecretKey())+`,`+
		region("d-dead", "http://127.0.0.1:1", "k", "some-secret")+`]}`)
	if code != 400 || !strings.Contains(out, "nothing added") {
		t.Fatalf("apply with an unreachable region: %d %s", code, out)
	}
	if _, list := adminDo(t, cl.p, "GET", "/api/regions", ""); strings.Contains(list, "d-near") {
		t.Fatalf("d-near added: %s", list)
	}
	code, out = adminDo(t, cl.p, "POST", "/api/discovery/apply", `{"regions":[`+region("d-near", near.Endpoint(), near.AccessKey(), near.SecretKey())+`,`+
		region("d-far", farURL, far.AccessKey(), far.SecretKey())+`]}`)
	if code != 200 || !strings.Contains(out, `"added":["d-near","d-far"]`) {
		t.Fatalf("apply: %d %s", code, out)
	}
	// Both become healthy regions; their secrets never come back.
	waitUntil(t, "d-near and d-far healthy", func() bool {
		_, list := adminDo(t, cl.p, "GET", "/api/regions", "")
		if strings.Contains(list, near.SecretKey()) || strings.Contains(list, far.SecretKey()) {
			t.Fatalf("a secret listed: %s", list)
		}
		var regions []struct {
			Name    string `json:"name"`
			Healthy bool   `json:"healthy"`
		}
		json.Unmarshal([]byte(list), &regions)
		healthy := 0
		for _, r := range regions {
			if (r.Name == "d-near" || r.Name == "d-far") && r.Healthy {
				healthy++
			}
		}
		return healthy == 2
	})
}
