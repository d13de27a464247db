package admin

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Who may do what on the management listener. Every route but /health and
// /metrics (and the static files of the web UI, which hold no data)
// needs one of:
//
//   - a session: the cookie "prismd_session" a login (POST /api/login)
//     sets (HttpOnly, SameSite=Strict, Secure under TLS, expiring after
//     Config.SessionTTL); a state-changing request (anything but GET,
//     HEAD) must also carry the session's CSRF token in X-CSRF-Token, and
//     an Origin header, when sent, must name the listener itself;
//   - a bearer token ("Authorization: Bearer …"): the token `prismd serve`
//     writes to <data_dir>/admin.token (Config.Token), or an API token
//     made by POST /api/tokens (tokens.go). Bearer requests need no CSRF
//     token: a browser never adds the header by itself.
//
// from every address, loopback included. Before any of that, the Host
// header must name this machine (localhost, a loopback address), an IP
// address, or one of Config.Hosts, so that a page on another site cannot
// reach the listener from a browser by rebinding its own name. Secrets
// are compared in constant time; the session map is keyed by the hash of
// the session id.

const (
	sessionCookie = "prismd_session"
	csrfHeader    = "X-CSRF-Token"
)

// access is who may call a route.
type access int

const (
	public  access = iota // anyone (/health)
	anyHost               // anyone, with a Host header of this listener (the UI's files, login)
	login                 // a session or a bearer token
)

// session is one login.
type session struct {
	csrf    string
	expires time.Time
}

// sessions are the live logins, by the SHA-256 of their cookie.
type sessions struct {
	mu sync.Mutex
	m  map[[32]byte]*session
}

func (ss *sessions) create(now time.Time, ttl time.Duration) (id string, s *session) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if ss.m == nil {
		ss.m = map[[32]byte]*session{}
	}
	for k, old := range ss.m {
		if !now.Before(old.expires) {
			delete(ss.m, k)
		}
	}
	id = randomHex(32)
	s = &session{csrf: randomHex(32), expires: now.Add(ttl)}
	ss.m[sha256.Sum256([]byte(id))] = s
	return id, s
}

// get returns the live session of a cookie value.
func (ss *sessions) get(id string, now time.Time) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	k := sha256.Sum256([]byte(id))
	s, ok := ss.m[k]
	if !ok {
		return nil
	}
	if !now.Before(s.expires) {
		delete(ss.m, k)
		return nil
	}
	return s
}

func (ss *sessions) drop(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.m, sha256.Sum256([]byte(id)))
}

func (ss *sessions) dropAll() {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	clear(ss.m)
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error()) // never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// caller is who made a request.
type caller struct {
	session *session // nil for a bearer token
	token   string   // the API token's id; "data-dir" for Config.Token
}

// guard serves h to the callers a route admits.
func (s *Server) guard(a access, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a == public {
			h.ServeHTTP(w, r)
			return
		}
		if !s.allowedHost(r.Host) {
			writeJSON(w, http.StatusForbidden, map[string]string{"error": "the Host header must name this listener (localhost, an IP address, or a name in admin_hosts)"})
			return
		}
		if a == anyHost {
			h.ServeHTTP(w, r)
			return
		}
		c, status, msg := s.authenticate(r)
		if status != 0 {
			if status == http.StatusUnauthorized {
				w.Header().Set("WWW-Authenticate", `Bearer realm="prismd"`)
			}
			writeJSON(w, status, map[string]string{"error": msg})
			return
		}
		if c.session != nil && !safeMethod(r.Method) {
			if !sameOrigin(r) {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin request refused"})
				return
			}
			got := r.Header.Get(csrfHeader)
			if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(c.session.csrf)) != 1 {
				writeJSON(w, http.StatusForbidden, map[string]string{"error": "missing or wrong CSRF token (header " + csrfHeader + ")"})
				return
			}
		}
		h.ServeHTTP(w, r)
	})
}

func safeMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// authenticate finds the caller of r; a non-zero status says why not.
func (s *Server) authenticate(r *http.Request) (caller, int, string) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return caller{}, http.StatusUnauthorized, "Authorization must be \"Bearer <token>\""
		}
		id, ok := s.checkToken(token)
		if !ok {
			return caller{}, http.StatusUnauthorized, "unknown, revoked or expired bearer token"
		}
		return caller{token: id}, 0, ""
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		if sess := s.sessions.get(ck.Value, s.now()); sess != nil {
			return caller{session: sess}, 0, ""
		}
		return caller{}, http.StatusUnauthorized, "the session expired: log in again"
	}
	return caller{}, http.StatusUnauthorized, "log in (POST /api/login) or send a bearer token"
}

// checkToken reports whether token is the data directory's token or a
// live API token, and which.
func (s *Server) checkToken(token string) (string, bool) {
	if s.cfg.Token != "" && subtle.ConstantTimeCompare([]byte(token), []byte(s.cfg.Token)) == 1 {
		return "data-dir", true
	}
	id, secret, ok := parseAPIToken(token)
	if !ok {
		return "", false
	}
	t, ok := s.cfg.Engine.LookupAdminToken(id)
	if !ok {
		return "", false
	}
	sum := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(sum[:], t.Hash) != 1 {
		return "", false
	}
	if !t.Expires.IsZero() && !s.now().Before(t.Expires) {
		return "", false
	}
	return id, true
}

// allowedHost reports whether a Host header names this listener: this
// machine (localhost, a loopback address), any IP address, or a name in
// Config.Hosts. A rebound name (attacker.example resolving to us) is none.
func (s *Server) allowedHost(hostport string) bool {
	if localHost(hostport) {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if net.ParseIP(strings.Trim(host, "[]")) != nil {
		return true
	}
	for _, h := range s.cfg.Hosts {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// sameOrigin reports whether a request's Origin, when present, is the
// listener it was sent to.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// localHost reports whether a Host header names this machine: localhost or
// a loopback address, with any port.
func localHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

// loopbackOnly serves h to clients on this machine only (pprof, on top of
// the login).
func loopbackOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
			http.Error(w, "served to loopback clients only", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}
