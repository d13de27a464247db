package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
)

// newBootstrapGateway is a test gateway whose bootstrap regions s1..s3
// are s3 regions (in memory underneath), with a root key.
func newBootstrapGateway(t *testing.T) *testGateway {
	t.Helper()
	var regs []engine.Region
	for i, n := range []string{"s1", "s2", "s3"} {
		regs = append(regs, engine.Region{Name: n, Backend: mem.New(), Spec: engine.RegionSpec{Type: "s3",
			Endpoint: "http://127.0.0.1:710" + string(rune('1'+i)), AccessKey: "k" + n, SecretKey: "bootstrap-secret-" + n}})
	}
	open := func(engine.RegionSpec) (backends.Backend, error) { return mem.New(), nil }
	e, err := engine.Open(engine.Config{DataDir: t.TempDir(), Regions: regs, NoSync: true, NoBackground: true, OpenBackend: open,
		MasterKey: bytes.Repeat([]byte{7}, 32), SnapshotEvery: -1, SegmentSize: 1 << 20, BlockSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	ctx := context.Background()
	if err := e.CreateAccessKey(ctx, engine.AccessKey{AccessKey: "ROOTKEY", Secret: "root-secret-123456", Root: true}); err != nil {
		t.Fatal(err)
	}
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetAdminPassword(ctx, hash); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	return &testGateway{t: t, e: e, s: New(Config{Engine: e, Now: c.now, Token: testToken}), clock: c}
}

func changesOf(t *testing.T, out string) map[string]engine.ImportChange {
	t.Helper()
	var res struct {
		Changes []engine.ImportChange `json:"changes"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%s: %v", out, err)
	}
	m := map[string]engine.ImportChange{}
	for _, c := range res.Changes {
		m[c.Kind+":"+c.Name] = c
	}
	return m
}

// TestExportBootstrapRegionsAndRootKey: the export holds the bootstrap
// regions and the root key, secrets sealed; an import shows them in the
// dry run, adds the regions once, never a second region over the same
// storage, and keeps the importing gateway's own root key.
func TestExportBootstrapRegionsAndRootKey(t *testing.T) {
	src := newBootstrapGateway(t)
	sb := src.browser()
	export := sb.must(http.StatusOK, "GET", "/api/config", "")
	for _, secret := range []string{"bootstrap-secret-s1", "bootstrap-secret-s2", "root-secret-123456"} {
		if strings.Contains(export, secret) {
			t.Fatalf("the export holds %q in clear: %s", secret, export)
		}
	}
	var ex engine.ConfigExport
	if err := json.Unmarshal([]byte(export), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Format != engine.ExportFormat || len(ex.Regions) != 3 || !ex.Regions[0].Bootstrap || ex.Regions[0].Name != "s1" || len(ex.Regions[0].SealedSecret) == 0 {
		t.Fatalf("regions: %+v", ex.Regions)
	}
	if len(ex.Keys) != 1 || !ex.Keys[0].Root || ex.Keys[0].AccessKey != "ROOTKEY" || len(ex.Keys[0].SealedSecret) == 0 {
		t.Fatalf("keys: %+v", ex.Keys)
	}

	// Into itself: nothing to do.
	self := changesOf(t, sb.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", export))
	if self["region:s1"].Action != "skip" || self["key:ROOTKEY"].Action != "same" {
		t.Errorf("into itself: %+v", self)
	}

	// Into another gateway: the regions are added, the root key skipped.
	dst := newTestGateway(t, Config{})
	db := dst.browser()
	dry := changesOf(t, db.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", export))
	if c := dry["region:s2"]; c.Action != "add" || !strings.Contains(c.Note, "bootstrap") {
		t.Errorf("dry run s2: %+v", c)
	}
	if c := dry["key:ROOTKEY"]; c.Action != "skip" || !strings.Contains(c.Note, "keeps its own") {
		t.Errorf("dry run root key: %+v", c)
	}
	if strings.Contains(db.must(http.StatusOK, "GET", "/api/regions", ""), `"s1"`) {
		t.Fatal("the dry run added a region")
	}
	db.must(http.StatusOK, "POST", "/api/config/import", export)
	list := db.must(http.StatusOK, "GET", "/api/regions", "")
	for _, n := range []string{"s1", "s2", "s3"} {
		if strings.Count(list, `"name":"`+n+`"`) != 1 {
			t.Errorf("region %s: %s", n, list)
		}
	}
	if strings.Contains(list, "bootstrap-secret") {
		t.Errorf("a secret listed: %s", list)
	}
	if _, err := dst.e.LookupAccessKey("ROOTKEY"); err == nil {
		t.Error("the exporter's root key was imported")
	}
	again := changesOf(t, db.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", export))
	for k, c := range again {
		if c.Action == "add" || c.Action == "change" {
			t.Errorf("second import: %s %+v", k, c)
		}
	}

	// A gateway whose own region stores where s1 does: s1 is skipped, not duplicated.
	other := newTestGateway(t, Config{})
	ob := other.browser()
	ob.must(http.StatusOK, "PUT", "/api/regions/mine", `{"type":"s3","endpoint":"http://127.0.0.1:7101","access_key":"x","secret_key":"y-secret-123"}`)
	got := changesOf(t, ob.must(http.StatusOK, "POST", "/api/config/import", export))
	if c := got["region:s1"]; c.Action != "skip" || !strings.Contains(c.Note, `"mine"`) {
		t.Errorf("s1 over mine's storage: %+v", c)
	}
	if strings.Contains(ob.must(http.StatusOK, "GET", "/api/regions", ""), `"name":"s1"`) {
		t.Error("s1 added over mine's storage")
	}

	// A format-1 export (no bootstrap regions, no root key) still imports.
	ob.must(http.StatusOK, "POST", "/api/config/import?dry_run=1", `{"format":1,"regions":[],"buckets":[],"keys":[]}`)
}
