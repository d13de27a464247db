package admin

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prismd/prismd/backends"
	"github.com/prismd/prismd/backends/mem"
	"github.com/prismd/prismd/engine"
)

const testPassword = "correct horse battery staple"

// clock is a settable time for session and lockout tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testGateway is a Server over a real engine with in-memory regions, its
// admin password set.
type testGateway struct {
	t     *testing.T
	e     *engine.Engine
	s     *Server
	clock *clock
}

func newTestGateway(t *testing.T, cfg Config) *testGateway {
	t.Helper()
	var regs []engine.Region
	for _, n := range []string{"a", "b", "c"} {
		regs = append(regs, engine.Region{Name: n, Backend: mem.New()})
	}
	// Regions added at run time are in-memory too.
	open := func(engine.RegionSpec) (backends.Backend, error) { return mem.New(), nil }
	e, err := engine.Open(engine.Config{DataDir: t.TempDir(), Regions: regs, NoSync: true, NoBackground: true, OpenBackend: open,
		MasterKey: bytes.Repeat([]byte{7}, 32), SnapshotEvery: -1, SegmentSize: 1 << 20, BlockSize: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	hash, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.SetAdminPassword(context.Background(), hash); err != nil {
		t.Fatal(err)
	}
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	cfg.Engine, cfg.Now = e, c.now
	if cfg.Token == "" {
		cfg.Token = testToken
	}
	return &testGateway{t: t, e: e, s: New(cfg), clock: c}
}

// client is a caller of the management API: a browser with a session, or
// a script with a bearer token.
type client struct {
	g      *testGateway
	cookie *http.Cookie
	csrf   string
	bearer string
	remote string
	host   string
	tls    bool
}

func (g *testGateway) anonymous() *client { return &client{g: g} }

// browser logs in with the admin password.
func (g *testGateway) browser() *client {
	g.t.Helper()
	c := &client{g: g}
	code, body, resp := c.do("POST", "/api/login", `{"password":"`+testPassword+`"}`)
	if code != http.StatusOK {
		g.t.Fatalf("login: %d %s", code, body)
	}
	var info sessionInfo
	if err := json.Unmarshal([]byte(body), &info); err != nil || info.CSRF == "" {
		g.t.Fatalf("login answer %s: %v", body, err)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			c.cookie = ck
		}
	}
	if c.cookie == nil {
		g.t.Fatal("login set no session cookie")
	}
	c.csrf = info.CSRF
	return c
}

func (g *testGateway) script(token string) *client { return &client{g: g, bearer: token} }

func (c *client) request(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.RemoteAddr = "127.0.0.1:4000"
	if c.remote != "" {
		r.RemoteAddr = c.remote
	}
	r.Host = "127.0.0.1:9090"
	if c.host != "" {
		r.Host = c.host
	}
	if c.tls {
		r.TLS = &tls.ConnectionState{}
	}
	if c.cookie != nil {
		r.AddCookie(&http.Cookie{Name: c.cookie.Name, Value: c.cookie.Value})
	}
	if c.csrf != "" && method != "GET" {
		r.Header.Set(csrfHeader, c.csrf)
	}
	if c.bearer != "" {
		r.Header.Set("Authorization", "Bearer "+c.bearer)
	}
	return r
}

func (c *client) do(method, path, body string) (int, string, *http.Response) {
	w := httptest.NewRecorder()
	c.g.s.ServeHTTP(w, c.request(method, path, body))
	return w.Code, w.Body.String(), w.Result()
}

// must runs a request that must answer want, and returns its body.
func (c *client) must(want int, method, path, body string) string {
	c.g.t.Helper()
	code, out, _ := c.do(method, path, body)
	if code != want {
		c.g.t.Fatalf("%s %s %s: %d %s, want %d", method, path, body, code, out, want)
	}
	return out
}

// concrete fills a route pattern's wildcards.
func concrete(pattern string) (method, path string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "GET", pattern
	}
	path = strings.NewReplacer("{$}", "", "{name}", "x", "{id}", "x", "{bucket}", "b", "{key...}", "k", "{region}", "a").Replace(path)
	return method, path
}

// TestEveryRouteNeedsLogin: every route but /health and /metrics answers
// 401 without a session or token, from loopback too, and 403 with a
// rebound Host header.
func TestEveryRouteNeedsLogin(t *testing.T) {
	g := newTestGateway(t, Config{})
	open := map[string]bool{"GET /health": true, "GET /metrics": true, "POST /api/login": true, "GET /{$}": true, "GET /app.js": true, "GET /style.css": true}
	n := 0
	for _, r := range g.s.patterns {
		if open[r.pattern] != (r.access != login) {
			t.Errorf("%s: access %d", r.pattern, r.access)
		}
		if r.access != login {
			continue
		}
		n++
		method, path := concrete(r.pattern)
		if code, body, _ := g.anonymous().do(method, path, "{}"); code != http.StatusUnauthorized {
			t.Errorf("%s %s without login: %d %s", method, path, code, body)
		}
		stale := &client{g: g, cookie: &http.Cookie{Name: sessionCookie, Value: "forged"}, csrf: "x"}
		if code, _, _ := stale.do(method, path, "{}"); code != http.StatusUnauthorized {
			t.Errorf("%s %s with a forged cookie: %d", method, path, code)
		}
		for _, bad := range []string{"wrong", testToken + "x", "prismd_0123456789abcdef_" + strings.Repeat("0", 64)} {
			if code, _, _ := g.script(bad).do(method, path, "{}"); code != http.StatusUnauthorized {
				t.Errorf("%s %s with token %q: %d", method, path, bad, code)
			}
		}
		rebound := g.script(testToken)
		rebound.host = "attacker.example:9090"
		if code, _, _ := rebound.do(method, path, "{}"); code != http.StatusForbidden {
			t.Errorf("%s %s with Host attacker.example: %d", method, path, code)
		}
	}
	if n < 10 {
		t.Fatalf("only %d routes need a login", n)
	}
	if code, _, _ := g.anonymous().do("GET", "/health", ""); code == http.StatusUnauthorized {
		t.Error("/health needs a login")
	}
}

// TestCSRF: with a session, every state-changing request needs the
// session's CSRF token and a same-origin Origin; with a bearer token it
// needs neither.
func TestCSRF(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	for _, r := range g.s.patterns {
		method, path := concrete(r.pattern)
		if r.access != login || safeMethod(method) {
			continue
		}
		for name, c := range map[string]*client{
			"no token":    {g: g, cookie: b.cookie},
			"wrong token": {g: g, cookie: b.cookie, csrf: b.csrf[:len(b.csrf)-1] + "0"},
		} {
			if code, body, _ := c.do(method, path, "{}"); code != http.StatusForbidden || !strings.Contains(body, "CSRF") {
				t.Errorf("%s %s, %s: %d %s", method, path, name, code, body)
			}
		}
		req := b.request(method, path, "{}")
		req.Header.Set("Origin", "http://attacker.example")
		w := httptest.NewRecorder()
		g.s.ServeHTTP(w, req)
		if w.Code != http.StatusForbidden {
			t.Errorf("%s %s from another origin: %d", method, path, w.Code)
		}
	}
	// With the token, a change goes through.
	b.must(http.StatusOK, "POST", "/api/tokens", `{"name":"t"}`)
	// A bearer token needs no CSRF token.
	g.script(testToken).must(http.StatusOK, "POST", "/api/tokens", `{"name":"u"}`)
}

// TestLoginLockout: wrong passwords lock the address out, even for the
// right password, until the lockout ends; other addresses can log in.
func TestLoginLockout(t *testing.T) {
	g := newTestGateway(t, Config{MaxLoginFailures: 3, LoginLockout: time.Minute})
	c := g.anonymous()
	for range 3 {
		c.must(http.StatusUnauthorized, "POST", "/api/login", `{"password":"guess guess guess"}`)
	}
	code, body, resp := c.do("POST", "/api/login", `{"password":"`+testPassword+`"}`)
	if code != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("locked out: %d %s", code, body)
	}
	other := g.anonymous()
	other.remote = "192.0.2.9:1234"
	other.must(http.StatusOK, "POST", "/api/login", `{"password":"`+testPassword+`"}`)
	g.clock.add(61 * time.Second)
	// The second lockout (without a success between) is twice as long.
	for range 3 {
		c.must(http.StatusUnauthorized, "POST", "/api/login", `{"password":"guess guess guess"}`)
	}
	g.clock.add(61 * time.Second)
	c.must(http.StatusTooManyRequests, "POST", "/api/login", `{"password":"`+testPassword+`"}`)
	g.clock.add(60 * time.Second)
	c.must(http.StatusOK, "POST", "/api/login", `{"password":"`+testPassword+`"}`)
	for _, bad := range []string{`{"password":""}`, `{}`, `{"password":"x","extra":1}`, `not json`} {
		if code, _, _ := g.anonymous().do("POST", "/api/login", bad); code != http.StatusUnauthorized && code != http.StatusBadRequest {
			t.Errorf("login %s: %d", bad, code)
		}
	}
}

// TestSessionExpiry: a session ends after SessionTTL and at logout; its
// cookie is HttpOnly, SameSite=Strict, and Secure under TLS.
func TestSessionExpiry(t *testing.T) {
	g := newTestGateway(t, Config{SessionTTL: time.Hour})
	b := g.browser()
	if !b.cookie.HttpOnly || b.cookie.SameSite != http.SameSiteStrictMode || b.cookie.Secure {
		t.Errorf("cookie %+v", b.cookie)
	}
	b.must(http.StatusOK, "GET", "/api/session", "")
	g.clock.add(59 * time.Minute)
	b.must(http.StatusOK, "GET", "/api/regions", "")
	g.clock.add(2 * time.Minute)
	b.must(http.StatusUnauthorized, "GET", "/api/regions", "")

	b = g.browser()
	b.must(http.StatusNoContent, "POST", "/api/logout", "")
	b.must(http.StatusUnauthorized, "GET", "/api/regions", "")

	secure := &client{g: g, tls: true}
	_, _, resp := secure.do("POST", "/api/login", `{"password":"`+testPassword+`"}`)
	if cks := resp.Cookies(); len(cks) != 1 || !cks[0].Secure {
		t.Errorf("cookie under TLS: %+v", cks)
	}
}

// TestPasswordChange: the new password works, the old one does not, and
// every session ends.
func TestPasswordChange(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	b.must(http.StatusBadRequest, "PUT", "/api/password", `{"current":"wrong wrong wrong","new":"a new password 123"}`)
	b.must(http.StatusBadRequest, "PUT", "/api/password", `{"current":"`+testPassword+`","new":"short"}`)
	b.must(http.StatusNoContent, "PUT", "/api/password", `{"current":"`+testPassword+`","new":"a new password 123"}`)
	b.must(http.StatusUnauthorized, "GET", "/api/regions", "")
	g.anonymous().must(http.StatusUnauthorized, "POST", "/api/login", `{"password":"`+testPassword+`"}`)
	g.anonymous().must(http.StatusOK, "POST", "/api/login", `{"password":"a new password 123"}`)
	if strings.Contains(g.e.AdminPasswordHash(), "a new password") || !strings.HasPrefix(g.e.AdminPasswordHash(), "$argon2id$") {
		t.Errorf("stored hash %q", g.e.AdminPasswordHash())
	}
}

// TestAPITokens: a token is shown once, works until revoked or expired,
// and is never listed.
func TestAPITokens(t *testing.T) {
	g := newTestGateway(t, Config{})
	b := g.browser()
	var tok newToken
	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/tokens", `{"name":"cron","expires_in":"1h"}`)), &tok)
	if !strings.HasPrefix(tok.Token, tokenPrefix) || tok.Expires == nil {
		t.Fatalf("new token %+v", tok)
	}
	secret := tok.Token[strings.LastIndex(tok.Token, "_")+1:]
	list := b.must(http.StatusOK, "GET", "/api/tokens", "")
	if strings.Contains(list, secret) || !strings.Contains(list, `"name":"cron"`) || strings.Contains(list, "hash") {
		t.Errorf("list shows a secret: %s", list)
	}
	s := g.script(tok.Token)
	s.must(http.StatusOK, "GET", "/api/regions", "")
	g.clock.add(time.Hour)
	s.must(http.StatusUnauthorized, "GET", "/api/regions", "")

	json.Unmarshal([]byte(b.must(http.StatusOK, "POST", "/api/tokens", `{"name":"forever"}`)), &tok)
	s = g.script(tok.Token)
	s.must(http.StatusOK, "GET", "/api/regions", "")
	b.must(http.StatusNoContent, "DELETE", "/api/tokens/"+tok.ID, "")
	s.must(http.StatusUnauthorized, "GET", "/api/regions", "")
	b.must(http.StatusNotFound, "DELETE", "/api/tokens/"+tok.ID, "")
	for _, bad := range []string{`{"expires_in":"soon"}`, `{"expires_in":"-1h"}`, `{"name":"` + strings.Repeat("n", 101) + `"}`, `{"nope":1}`} {
		b.must(http.StatusBadRequest, "POST", "/api/tokens", bad)
	}
}

// TestMetricsToken: /metrics is open unless it has a token of its own.
func TestMetricsToken(t *testing.T) {
	g := newTestGateway(t, Config{MetricsToken: "metrics-secret"})
	g.anonymous().must(http.StatusUnauthorized, "GET", "/metrics", "")
	g.script("metrics-secret").must(http.StatusOK, "GET", "/metrics", "")
	g.script(testToken).must(http.StatusUnauthorized, "GET", "/metrics", "")
}

func TestVerifyPassword(t *testing.T) {
	h, err := HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	if !VerifyPassword(h, testPassword) || VerifyPassword(h, testPassword+"x") || VerifyPassword(h, "") {
		t.Error("verify")
	}
	for _, bad := range []string{"", "$argon2id$v=19$m=1,t=1,p=1$$", "$argon2i$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=99999999,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"} {
		if VerifyPassword(bad, testPassword) {
			t.Errorf("%q verifies", bad)
		}
	}
	if p, err := NewPassword(); err != nil || len(p) != 24 {
		t.Errorf("NewPassword: %q %v", p, err)
	}
}

func FuzzVerifyPassword(f *testing.F) {
	f.Add("$argon2id$v=19$m=16,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "pw")
	f.Fuzz(func(t *testing.T, hash, password string) {
		VerifyPassword(hash, password) // must not panic or allocate without bound
	})
}

// TestUI: the web UI's files are served with a strict CSP, without a
// login but with the Host check.
func TestUI(t *testing.T) {
	g := newTestGateway(t, Config{})
	code, body, resp := g.anonymous().do("GET", "/", "")
	if code != http.StatusOK || !strings.Contains(body, `<script src="app.js"`) || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "script-src 'self'") ||
		resp.Header.Get("X-Frame-Options") != "DENY" {
		t.Fatalf("index: %d %v", code, resp.Header)
	}
	if code, body, _ := g.anonymous().do("GET", "/app.js", ""); code != http.StatusOK || !strings.Contains(body, "X-CSRF-Token") || strings.Contains(body, "innerHTML") {
		t.Errorf("app.js: %d", code)
	}
	rebound := g.anonymous()
	rebound.host = "attacker.example"
	rebound.must(http.StatusForbidden, "GET", "/", "")
}
