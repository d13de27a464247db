package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/engine"
)

func (g *testGateway) put(bucket, key, body string) {
	g.t.Helper()
	_, err := g.e.PutObject(context.Background(), engine.PutInput{Bucket: bucket, Key: key, Size: int64(len(body)), Body: strings.NewReader(body)})
	if err != nil {
		g.t.Fatal(err)
	}
}

// readsBack fails the test unless bucket/key reads back as want.
func (g *testGateway) readsBack(bucket, key, want string) {
	g.t.Helper()
	r, err := g.e.GetObject(context.Background(), bucket, key, engine.GetOptions{})
	if err != nil {
		g.t.Fatal(err)
	}
	got, _ := io.ReadAll(r)
	r.Close()
	if string(got) != want {
		g.t.Fatalf("%s/%s reads back wrong", bucket, key)
	}
}

// TestBucketsAndObjects: buckets with their counts, the object browser,
// object details with shard locations, and download.
func TestBucketsAndObjects(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	b.must(http.StatusConflict, "POST", "/api/buckets", `{"name":"photos"}`)
	b.must(http.StatusBadRequest, "POST", "/api/buckets", `{"name":"No_Such Name"}`)
	g.put("photos", "2024/cat.jpg", "meow meow")
	g.put("photos", "2024/dog.jpg", "woof")
	g.put("photos", "readme.txt", strings.Repeat("x", 2<<20)) // erasure-coded under the default hybrid policy, 2 segments of 1 MiB
	g.e.WaitWrites()                                          // the shards beyond the quorum: every shard is stored below

	var buckets []bucketView
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets", "")), &buckets)
	if len(buckets) != 1 || buckets[0].Objects != 3 || buckets[0].Bytes != 13+2<<20 || !buckets[0].DefaultPolicy || len(buckets[0].RegionBytes) != 3 {
		t.Fatalf("buckets: %+v", buckets)
	}
	var page objectPage
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets/photos/objects", "")), &page)
	if len(page.Objects) != 1 || page.Objects[0].Key != "readme.txt" || len(page.Prefixes) != 1 || page.Prefixes[0] != "2024/" {
		t.Fatalf("top level: %+v", page)
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets/photos/objects?prefix=2024/&max=1", "")), &page)
	if len(page.Objects) != 1 || page.Objects[0].Key != "2024/cat.jpg" || !page.Truncated {
		t.Fatalf("2024/, first page: %+v", page)
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets/photos/objects?prefix=2024/&after="+page.Next, "")), &page)
	if len(page.Objects) != 1 || page.Objects[0].Key != "2024/dog.jpg" || page.Truncated {
		t.Fatalf("2024/, second page: %+v", page)
	}
	var det objectDetails
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/buckets/photos/object?key=readme.txt", "")), &det)
	if det.Size != 2<<20 || len(det.Shards) != 6 || det.Shards[0].State != "stored" || det.Shards[0].Region == "" {
		t.Fatalf("details: %+v", det)
	}
	code, body, resp := b.do("GET", "/api/buckets/photos/download?key=2024/cat.jpg", "")
	if code != 200 || body != "meow meow" || !strings.Contains(resp.Header.Get("Content-Disposition"), `attachment; filename=cat.jpg`) ||
		resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Fatalf("download: %d %q %v", code, body, resp.Header)
	}
	b.must(http.StatusBadRequest, "GET", "/api/buckets/photos/object", "")
	b.must(http.StatusNotFound, "GET", "/api/buckets/photos/object?key=nope", "")
	b.must(http.StatusNotFound, "GET", "/api/buckets/nope/objects", "")
	b.must(http.StatusNotFound, "GET", "/api/buckets/photos/download?key=nope", "")
	b.must(http.StatusBadRequest, "GET", "/api/buckets/photos/objects?max=0", "")
}

// TestPolicies: the default and per-bucket policies, a preview, and
// changing a bucket's policy.
func TestPolicies(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"logs"}`)
	var p preview
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/policies/preview", `{"mode":"erasure","k":2,"m":1}`)), &p)
	if !p.Valid || p.Overhead != 1.5 || p.MayBeLost != 1 || p.Shards != 3 || p.Regions != 3 {
		t.Errorf("preview 2+1: %+v", p)
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/policies/preview", `{"mode":"erasure","k":4,"m":2}`)), &p)
	if p.Valid || !strings.Contains(p.Error, "6 distinct regions") || p.Overhead != 1.5 || p.MayBeLost != 2 {
		t.Errorf("preview 4+2 on 3 regions: %+v", p)
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/policies/preview", `{"mode":"replica","m":2}`)), &p)
	if !p.Valid || p.Overhead != 3 || p.MayBeLost != 2 {
		t.Errorf("preview replica 3 copies: %+v", p)
	}
	b.must(http.StatusOK, "PUT", "/api/policies/logs", `{"mode":"replica","m":1}`)
	b.must(http.StatusBadRequest, "PUT", "/api/policies/logs", `{"mode":"raid5","k":2}`)
	b.must(http.StatusBadRequest, "PUT", "/api/policies/logs", `{"mode":"erasure","k":3,"m":1}`)
	b.must(http.StatusNotFound, "PUT", "/api/policies/nope", `{"mode":"replica","m":1}`)
	out := b.must(http.StatusOK, "GET", "/api/policies", "")
	if !strings.Contains(out, `{"bucket":"logs","policy":{"mode":"replica","k":0,"m":1,"placement":"shuffle"},"default":false}`) || !strings.Contains(out, `"default":{"mode":"hybrid"`) {
		t.Errorf("policies: %s", out)
	}
}

// TestAccessKeys: a key's secret is shown once, works for S3 (the
// engine's lookup), is never listed, and revocation ends it.
func TestAccessKeys(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	var k struct {
		keyView
		SecretKey string `json:"secret_key"`
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/keys", `{"buckets":["photos"],"read_only":true}`)), &k)
	if k.AccessKey == "" || len(k.SecretKey) != 40 || !k.ReadOnly || len(k.Buckets) != 1 {
		t.Fatalf("new key: %+v", k)
	}
	got, err := g.e.LookupAccessKey(k.AccessKey)
	if err != nil || got.Secret != k.SecretKey || !got.ReadOnly {
		t.Fatalf("engine key: %+v %v", got, err)
	}
	if out := b.must(http.StatusOK, "GET", "/api/keys", ""); strings.Contains(out, k.SecretKey) || !strings.Contains(out, k.AccessKey) {
		t.Errorf("list: %s", out)
	}
	b.must(http.StatusBadRequest, "POST", "/api/keys", `{"buckets":[]}`)
	b.must(http.StatusBadRequest, "POST", "/api/keys", `{"buckets":["Bad Name"]}`)
	b.must(http.StatusBadRequest, "POST", "/api/keys", `{"secret_key":"mine"}`)
	b.must(http.StatusNoContent, "DELETE", "/api/keys/"+k.AccessKey, "")
	b.must(http.StatusNotFound, "DELETE", "/api/keys/"+k.AccessKey, "")
	if _, err := g.e.LookupAccessKey(k.AccessKey); err == nil {
		t.Error("revoked key still works")
	}
}

// TestStatusAndBackground: the dashboard's numbers.
func TestStatusAndBackground(t *testing.T) {
	g := newTestGateway(t, Config{Version: "v9"})
	g.s.SetReady(true)
	b := g.browser()
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	g.put("photos", "a", "data")
	g.e.DeleteObject(context.Background(), "photos", "a")
	var st statusBody
	json.Unmarshal([]byte(b.must(http.StatusOK, "GET", "/api/status", "")), &st)
	if st.Version != "v9" || st.Status != "serving" || st.Log.Last < 3 || len(st.Regions) != 3 {
		t.Errorf("status: %+v", st)
	}
	out := b.must(http.StatusOK, "GET", "/api/background", "")
	if !strings.Contains(out, `"purge_queue":[{`) || !strings.Contains(out, `"pending_shards":[]`) || !strings.Contains(out, `"recent_repairs":[]`) {
		t.Errorf("background: %s", out)
	}
}

// TestEventStream: the log as Server-Sent Events, filtered, without secrets.
func TestEventStream(t *testing.T) {
	g := newTestGateway(t, Config{})
	srv := httptest.NewServer(g.s)
	defer srv.Close()
	b := g.browser()
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"other"}`)
	var k struct {
		SecretKey string `json:"secret_key"`
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/keys", `{}`)), &k)
	b.must(http.StatusOK, "POST", "/api/tokens", `{}`)

	read := func(query string, want int) []string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/events"+query, nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Fatalf("content type %q", ct)
		}
		var lines []string
		sc := bufio.NewScanner(resp.Body)
		for len(lines) < want && sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				lines = append(lines, data)
			}
		}
		return lines
	}
	all := read("?from=0", 4)
	joined := strings.Join(all, "\n")
	if strings.Contains(joined, k.SecretKey) || strings.Contains(joined, "SealedSecret") || strings.Contains(joined, `"Hash"`) || strings.Contains(joined, "argon2id") {
		t.Errorf("the stream shows a secret or a hash: %s", joined)
	}
	photos := read("?from=0&bucket=photos&type=BucketCreated", 1)
	if len(photos) != 1 || !strings.Contains(photos[0], `"type":"BucketCreated","bucket":"photos"`) {
		t.Errorf("filtered: %v", photos)
	}
	// Live: an event written after the stream opened arrives.
	done := make(chan []string)
	go func() { done <- read("?type=BucketCreated", 1) }()
	deadline := time.Now().Add(15 * time.Second)
	for i := 0; ; i++ {
		select {
		case got := <-done:
			if len(got) != 1 || !strings.Contains(got[0], `"bucket":"late`) {
				t.Errorf("live: %v", got)
			}
			return
		case <-time.After(300 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatal("no live event")
			}
			g.e.CreateBucket(context.Background(), "late"+string(rune('a'+i)), "")
		}
	}
}

// TestConfigRoundTrip: export from one gateway, import into another with
// the same master key: same buckets, policies and keys, secrets usable,
// never in clear in the export; a dry run changes nothing; an export
// sealed with another key is refused whole.
func TestConfigRoundTrip(t *testing.T) {
	a := newTestGateway(t, Config{})
	ab := a.browser()
	ab.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	ab.must(http.StatusOK, "PUT", "/api/policies/photos", `{"mode":"replica","m":2}`)
	var k struct {
		keyView
		SecretKey string `json:"secret_key"`
	}
	json.Unmarshal([]byte(ab.must(http.StatusOK, "POST", "/api/keys", `{"buckets":["photos"]}`)), &k)
	export := ab.must(http.StatusOK, "GET", "/api/config", "")
	if strings.Contains(export, k.SecretKey) || !strings.Contains(export, "sealed_secret") {
		t.Fatalf("export shows the secret in clear: %s", export)
	}

	bgw := newTestGateway(t, Config{})
	bb := bgw.browser()
	dry := bb.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", export)
	if !strings.Contains(dry, `{"kind":"bucket","name":"photos","action":"add"}`) || !strings.Contains(dry, `"action":"add"}`) {
		t.Fatalf("dry run: %s", dry)
	}
	if _, err := bgw.e.LookupAccessKey(k.AccessKey); err == nil {
		t.Fatal("the dry run imported a key")
	}
	bb.must(http.StatusOK, "POST", "/api/config/import", export)
	got, err := bgw.e.LookupAccessKey(k.AccessKey)
	if err != nil || got.Secret != k.SecretKey || len(got.Buckets) != 1 {
		t.Fatalf("imported key: %+v %v", got, err)
	}
	if p, err := bgw.e.BucketPolicy("photos"); err != nil || p == nil || p.Mode != "replica" || p.ParityShards != 2 {
		t.Fatalf("imported policy: %+v %v", p, err)
	}
	again := bb.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", export)
	if strings.Contains(again, `"add"`) || strings.Contains(again, `"change"`) {
		t.Errorf("second import still changes: %s", again)
	}

	// Sealed with another master key: refused whole, nothing applied.
	var ex engine.ConfigExport
	json.Unmarshal([]byte(export), &ex)
	ex.Buckets = append(ex.Buckets, engine.ExportBucket{Name: "fresh"})
	ex.Keys[0].SealedSecret = bytes.Repeat([]byte{1}, 40)
	bad, _ := json.Marshal(ex)
	c := newTestGateway(t, Config{})
	cb := c.browser()
	if out := cb.must(http.StatusBadRequest, "POST", "/api/config/import", string(bad)); !strings.Contains(out, "keys[0]") {
		t.Errorf("bad import: %s", out)
	}
	if _, err := c.e.BucketPolicy("fresh"); err == nil {
		t.Error("a refused import created a bucket")
	}
	cb.must(http.StatusBadRequest, "POST", "/api/config/import", `{"format":3}`)
	cb.must(http.StatusBadRequest, "POST", "/api/config/import", `{"format":0}`)
	cb.must(http.StatusBadRequest, "POST", "/api/config/import", `{"format":1,"buckets":[{"name":"x"}]}`)
	cb.must(http.StatusBadRequest, "POST", "/api/config/import", `{"format":1,"regions":[{"name":"r","type":"ftp"}]}`)
}

// TestDrainRegion: a region added at run time is drained: every shard on
// it moves elsewhere (redundancy intact), then it is removed; every object
// still reads back.
func TestDrainRegion(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusOK, "PUT", "/api/regions/d", `{"type":"fs","path":"/srv/d"}`)
	b.must(http.StatusOK, "POST", "/api/buckets", `{"name":"photos"}`)
	bodies := map[string]string{}
	for i := range 12 {
		key := "k" + string(rune('a'+i))
		bodies[key] = strings.Repeat(key, 40_000+i) // replicated or erasure-coded under the hybrid default
		g.put("photos", key, bodies[key])
	}
	// A PUT returns once its write quorum landed; the other shard lands
	// behind it. Only stored shards are drained, and every shard is
	// checked stored below: wait for those writes first.
	g.e.WaitWrites()
	onD := func() int {
		n := 0
		for key := range bodies {
			locs, err := g.e.Locate("photos", key)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range locs {
				if l.Region == "d" {
					n++
				}
			}
		}
		return n
	}
	before := onD()
	if before == 0 {
		t.Fatal("no shard landed on region d")
	}
	b.must(http.StatusBadRequest, "POST", "/api/regions/nope/drain", "")
	var res struct {
		Moved, Failed int
		Bootstrap     bool
	}
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/regions/d/drain", "")), &res)
	if res.Moved != before || res.Failed != 0 || res.Bootstrap {
		t.Fatalf("drain: %+v, %d shards were on d", res, before)
	}
	// Three regions are left: the default 2+1 policy needs all of them.
	if code, out, _ := b.do("POST", "/api/regions/a/drain", ""); code != http.StatusBadRequest || !strings.Contains(out, "too few for the default policy") {
		t.Errorf("draining a fourth region of four: %d %s", code, out)
	}
	if n := onD(); n != 0 {
		t.Fatalf("%d shards still on d", n)
	}
	if out := b.must(http.StatusOK, "GET", "/api/regions", ""); strings.Contains(out, `"name":"d"`) {
		t.Fatalf("d still listed: %s", out)
	}
	for key, want := range bodies {
		locs, _ := g.e.Locate("photos", key)
		for _, l := range locs {
			if l.State != "stored" {
				t.Errorf("%s: shard %+v", key, l)
			}
		}
		g.readsBack("photos", key, want)
	}
}

// TestDiscoveryAPI: the catalogue, a measurement of a local endpoint, a
// proposal, and the validation of each.
func TestDiscoveryAPI(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	if out := b.must(http.StatusOK, "GET", "/api/discovery/providers", ""); !strings.Contains(out, `"name":"wasabi"`) || !strings.Contains(out, `"name":"idrive"`) {
		t.Errorf("providers: %s", out)
	}
	ep := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusForbidden) }))
	defer ep.Close()
	out := b.must(http.StatusOK, "POST", "/api/discovery/measure", `{"endpoints":[{"provider":"local","geo":"here","url":"`+ep.URL+`"}],"samples":3}`)
	if !strings.Contains(out, `"samples":3,"failed":0`) {
		t.Fatalf("measure: %s", out)
	}
	prop := b.must(http.StatusOK, "POST", "/api/discovery/propose", `{"results":`+out+`,"k":1,"m":0}`)
	if !strings.Contains(prop, `"overhead":1`) || !strings.Contains(prop, ep.URL) {
		t.Errorf("propose: %s", prop)
	}
	for _, bad := range []string{`{"provider":"nope"}`, `{"endpoints":[]}`, `{"endpoints":[{"url":"ftp://x"}]}`, `{"provider":"r2"}`,
		`{"endpoints":[{"url":"` + ep.URL + `"}],"samples":1000}`} {
		b.must(http.StatusBadRequest, "POST", "/api/discovery/measure", bad)
	}
	b.must(http.StatusBadRequest, "POST", "/api/discovery/propose", `{"k":0}`)
}

// TestBucketMetrics: with BucketMetrics, /metrics has the largest buckets' counts only.
func TestBucketMetrics(t *testing.T) {
	g := newTestGateway(t, Config{BucketMetrics: 1})
	for _, name := range []string{"small", "large"} {
		if err := g.e.CreateBucket(context.Background(), name, ""); err != nil {
			t.Fatal(err)
		}
	}
	g.put("small", "a", "x")
	g.put("large", "a", strings.Repeat("y", 1000))
	g.put("large", "b", "z")
	out := g.anonymous().must(http.StatusOK, "GET", "/metrics", "")
	if !strings.Contains(out, `prismd_bucket_objects{bucket="large"} 2`) || !strings.Contains(out, `prismd_bucket_bytes{bucket="large"} 1001`) || strings.Contains(out, `bucket="small"`) {
		t.Errorf("bucket metrics: %s", out)
	}
}
