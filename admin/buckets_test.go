package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/prismd/prismd/engine"
)

// TestBucketStates: the buckets list shows each bucket's versioning status
// and which configuration documents it has, never their content.
func TestBucketStates(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"plain"}`)
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"locked"}`)
	ctx := context.Background()
	if err := g.e.SetBucketVersioning(ctx, "locked", "Enabled"); err != nil {
		t.Fatal(err)
	}
	if err := g.e.SetBucketConfig(ctx, "locked", engine.ConfigObjectLock, []byte("<ObjectLockConfiguration>secret-ish</ObjectLockConfiguration>")); err != nil {
		t.Fatal(err)
	}
	if err := g.e.SetBucketConfig(ctx, "locked", engine.ConfigLifecycle, []byte("<LifecycleConfiguration/>")); err != nil {
		t.Fatal(err)
	}
	out := b.must(http.StatusOK, "GET", "/api/buckets", "")
	var list []bucketView
	if err := json.Unmarshal([]byte(out), &list); err != nil || len(list) != 2 {
		t.Fatalf("buckets: %s %v", out, err)
	}
	want := map[string]bucketView{
		"locked": {Versioning: "Enabled", Configs: map[string]bool{"object-lock": true, "lifecycle": true, "cors": false, "tagging": false}},
		"plain":  {Versioning: "", Configs: map[string]bool{"object-lock": false, "lifecycle": false, "cors": false, "tagging": false}},
	}
	for _, v := range list {
		w := want[v.Name]
		if v.Versioning != w.Versioning || len(v.Configs) != 4 {
			t.Errorf("%s: %+v", v.Name, v)
		}
		for k, set := range w.Configs {
			if v.Configs[k] != set {
				t.Errorf("%s: config %s = %v, want %v", v.Name, k, v.Configs[k], set)
			}
		}
	}
	if strings.Contains(out, "secret-ish") {
		t.Errorf("a configuration document's content is listed: %s", out)
	}
	// Suspended shows as such; a created bucket's answer carries the fields too.
	// (A lock bucket cannot be suspended: the plain one is.)
	if err := g.e.SetBucketVersioning(ctx, "plain", "Suspended"); err != nil {
		t.Fatal(err)
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets", "")), &list)
	if len(list) != 2 || list[1].Name != "plain" || list[1].Versioning != "Suspended" {
		t.Errorf("suspended: %+v", list)
	}
	var created bucketView
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"fresh"}`)), &created)
	if created.Name != "fresh" || created.Configs == nil || created.Versioning != "" {
		t.Errorf("created: %+v", created)
	}
}
