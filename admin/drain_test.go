package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestDrainBootstrapRegion: a region of the bootstrap config is drained
// like one added at run time: its shards move, it leaves use, and the
// answer says to remove it from the config file; it still cannot be
// removed or changed through the API, and a drain that would leave too
// few regions for a bucket's policy is refused.
func TestDrainBootstrapRegion(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusOK, "PUT", "/api/regions/d", `{"type":"fs","path":"/srv/d"}`)
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	b.must(http.StatusBadRequest, "DELETE", "/api/regions/a", "")
	bodies := map[string]string{}
	for i := range 10 {
		key := "k" + string(rune('a'+i))
		bodies[key] = strings.Repeat(key, 30_000+i)
		g.put("photos", key, bodies[key])
	}
	g.e.WaitWrites() // the shards beyond each PUT's quorum, drained only once stored
	on := func(region string) int {
		n := 0
		for key := range bodies {
			locs, err := g.e.Locate("photos", key)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range locs {
				if l.Region == region && l.State == "stored" {
					n++
				}
			}
		}
		return n
	}
	before := on("a")
	if before == 0 {
		t.Fatal("no shard on region a")
	}
	var res struct {
		Moved, Failed int
		Bootstrap     bool
		Note          string
	}
	out := b.must(http.StatusOK, "POST", "/api/regions/a/drain", "")
	json.Unmarshal([]byte(out), &res)
	if res.Moved != before || res.Failed != 0 || !res.Bootstrap || !strings.Contains(res.Note, "remove it from the config file") {
		t.Fatalf("drain a: %s, %d shards were on a", out, before)
	}
	if n := on("a"); n != 0 {
		t.Errorf("%d shards still on a", n)
	}
	if list := b.must(http.StatusOK, "GET", "/api/regions", ""); strings.Contains(list, `"name":"a"`) {
		t.Errorf("a still in use: %s", list)
	}
	for key, want := range bodies {
		g.readsBack("photos", key, want)
	}
	// Still the bootstrap config's: not added back through the API.
	b.must(http.StatusBadRequest, "PUT", "/api/regions/a", `{"type":"fs","path":"/srv/a"}`)
	// With e, four are left; a bucket whose policy needs four refuses a
	// drain the default policy allows.
	b.must(http.StatusOK, "PUT", "/api/regions/e", `{"type":"fs","path":"/srv/e"}`)
	b.must(http.StatusOK, "PUT", "/api/policies/photos", `{"mode":"replica","m":3}`)
	if code, out, _ := b.do("POST", "/api/regions/b/drain", ""); code != http.StatusBadRequest || !strings.Contains(out, `bucket \"photos\"'s policy`) {
		t.Errorf("drain under a 4-copy bucket policy: %d %s", code, out)
	}
	if strings.Contains(b.must(http.StatusOK, "GET", "/api/regions", ""), `"name":"a"`) {
		t.Error("a is back")
	}
}
