package admin

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestDiscoveryThroughputAPI: validation answers 400 before anything is
// contacted; a result carries times or the error, never the secret.
func TestDiscoveryThroughputAPI(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	const secret = "candidate-secret-1234"
	for _, body := range []string{
		`{}`,
		`{"endpoints":[{"url":"http://127.0.0.1:1"}]}`, // no credentials
		`{"endpoints":[{"url":"http://127.0.0.1:1"}],"access_key":"k","secret_key":"` + secret + `","size":-1}`,
		`{"endpoints":[{"url":"http://127.0.0.1:1"}],"access_key":"k","secret_key":"` + secret + `","size":1073741824}`,
		`{"endpoints":[{"url":"ftp://x"}],"access_key":"k","secret_key":"` + secret + `"}`,
		`{"endpoints":[{"url":"http://127.0.0.1:1"}],"access_key":"k","secret_key":"` + secret + `","extra":1}`,
		`{"endpoints":[` + strings.Repeat(`{"url":"http://127.0.0.1:1"},`, maxThroughputEndpoints) + `{"url":"http://127.0.0.1:1"}],"access_key":"k","secret_key":"s"}`,
	} {
		if code, out, _ := b.do("POST", "/api/discovery/throughput", body); code != http.StatusBadRequest || strings.Contains(out, secret) {
			t.Errorf("%.80s: %d %s", body, code, out)
		}
	}
	// The test gateway's regions are in memory: the measurement runs.
	out := b.must(http.StatusOK, "POST", "/api/discovery/throughput",
		`{"endpoints":[{"provider":"p","region":"r1","url":"http://127.0.0.1:1"}],"access_key":"k","secret_key":"`+secret+`","size":65536}`)
	var res []throughputResult
	if err := json.Unmarshal([]byte(out), &res); err != nil || len(res) != 1 || res[0].Error != "" || res[0].Bytes != 65536 || res[0].PutMiBs <= 0 || res[0].GetMiBs <= 0 {
		t.Fatalf("throughput: %s %v", out, err)
	}
	if strings.Contains(out, secret) {
		t.Errorf("the secret came back: %s", out)
	}
}

// TestDiscoveryApplyAPI: a proposed set is added in one step, or nothing
// is: invalid bodies, a name in use, two regions storing in one place.
func TestDiscoveryApplyAPI(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	const secret = "apply-secret-1234"
	region := func(name, endpoint string) string {
		return `{"name":"` + name + `","endpoint":"` + endpoint + `","region":"us-east-1","access_key":"k","secret_key":"` + secret + `","path_style":true}`
	}
	regions := func() string { return b.must(http.StatusOK, "GET", "/api/regions", "") }
	for name, body := range map[string]string{
		"empty":         `{"regions":[]}`,
		"invalid name":  `{"regions":[` + region("Bad Name", "http://127.0.0.1:7001") + `]}`,
		"no endpoint":   `{"regions":[{"name":"x1","access_key":"k","secret_key":"s"}]}`,
		"configured":    `{"regions":[` + region("x1", "http://127.0.0.1:7001") + `,` + region("a", "http://127.0.0.1:7002") + `]}`,
		"same storage":  `{"regions":[` + region("x1", "http://127.0.0.1:7001") + `,` + region("x2", "http://127.0.0.1:7001") + `]}`,
		"same name":     `{"regions":[` + region("x1", "http://127.0.0.1:7001") + `,` + region("x1", "http://127.0.0.1:7002") + `]}`,
		"unknown field": `{"regions":[],"k":2}`,
	} {
		if code, out, _ := b.do("POST", "/api/discovery/apply", body); code != http.StatusBadRequest || strings.Contains(out, secret) {
			t.Errorf("%s: %d %s", name, code, out)
		}
		if out := regions(); strings.Contains(out, `"x1"`) || strings.Contains(out, `"x2"`) {
			t.Fatalf("%s: a region was added: %s", name, out)
		}
	}
	out := b.must(http.StatusOK, "POST", "/api/discovery/apply", `{"regions":[`+region("x1", "http://127.0.0.1:7001")+`,`+region("x2", "http://127.0.0.1:7002")+`]}`)
	if out != `{"added":["x1","x2"]}`+"\n" {
		t.Errorf("apply: %q", out)
	}
	list := regions()
	if !strings.Contains(list, `"name":"x1"`) || !strings.Contains(list, `"name":"x2"`) || strings.Contains(list, secret) {
		t.Errorf("regions: %s", list)
	}
	// Again: the names are in use, nothing changes.
	if code, out, _ := b.do("POST", "/api/discovery/apply", `{"regions":[`+region("x3", "http://127.0.0.1:7003")+`,`+region("x1", "http://127.0.0.1:7004")+`]}`); code != http.StatusBadRequest {
		t.Errorf("apply over an existing region: %d %s", code, out)
	}
	if strings.Contains(regions(), `"x3"`) {
		t.Error("x3 added although x1 exists")
	}
	// A set storing where a region in use stores is refused.
	if code, out, _ := b.do("POST", "/api/discovery/apply", `{"regions":[`+region("x4", "http://127.0.0.1:7001")+`]}`); code != http.StatusBadRequest || !strings.Contains(out, "already stores there") {
		t.Errorf("apply over x1's storage: %d %s", code, out)
	}
}
