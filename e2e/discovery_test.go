package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/admin/discovery"
	"github.com/prismd/prismd/backends/s3/s3test"
)

// TestDiscoveryMeasuresVersity measures two local versitygw processes, one
// reached through a delaying proxy: the delayed one measures at least its
// delay, both answer every sample over one connection each, and the
// proposal of one region picks the faster.
func TestDiscoveryMeasuresVersity(t *testing.T) {
	t.Parallel()
	near := s3test.StartVersity(t, t.TempDir())
	far := s3test.StartVersity(t, t.TempDir())
	proxy := rgStartProxy(t, strings.TrimPrefix(far.Endpoint(), "http://"))
	proxy.setDelay(40 * time.Millisecond)
	eps := []discovery.Endpoint{
		{Provider: "near", Geo: "here", URL: near.Endpoint()},
		{Provider: "far", Geo: "there", URL: "http://" + proxy.addr},
	}
	res := discovery.Measure(context.Background(), &http.Client{Timeout: 30 * time.Second}, eps, 8)
	for _, r := range res {
		if r.Samples != 8 || r.Failed != 0 {
			t.Fatalf("%s: %+v", r.URL, r)
		}
	}
	if res[1].P50MS < 40 || res[1].P99MS < res[1].P50MS {
		t.Errorf("behind the proxy: %+v", res[1])
	}
	if p := discovery.Propose(res, 1, 0); len(p.Regions) != 1 || (res[0].P50MS < res[1].P50MS) != (p.Regions[0].Provider == "near") {
		t.Errorf("proposal %+v from %+v", p, res)
	}
}
