package admin

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// The login:
//
//	POST /api/login     ← {"password": "…"} → {"csrf": "…", "expires": "…"} and the session cookie
//	                      401 on a wrong password; 429 (Retry-After) while the client is locked out
//	POST /api/logout    → 204, the session is gone
//	GET  /api/session   → {"csrf": "…", "expires": "…"} of the current session
//	PUT  /api/password  ← {"current": "…", "new": "…"} → 204; every session ends
//
// Rate limit: after Config.MaxLoginFailures (default 5) wrong passwords
// from one address, that address is locked out for Config.LoginLockout
// (default 5 minutes, doubling at each further lockout up to a day); and
// password checks (argon2id, ~64 MiB each) run one at a time, which bounds
// the guessing rate of all addresses together.

// loginBody is the body of POST /api/login.
type loginBody struct {
	Password string `json:"password"`
}

// sessionInfo answers a login and GET /api/session.
type sessionInfo struct {
	CSRF    string    `json:"csrf"`
	Expires time.Time `json:"expires"`
}

// lockouts counts wrong passwords by client address.
type lockouts struct {
	mu sync.Mutex
	m  map[string]*failures
}

type failures struct {
	n      int           // wrong passwords since the last lockout (or success)
	times  int           // lockouts so far
	until  time.Time     // locked until then
	period time.Duration // of the last lockout
}

// locked returns how long addr stays locked out (0: not locked).
func (l *lockouts) locked(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.m[addr]; f != nil && now.Before(f.until) {
		return f.until.Sub(now)
	}
	return 0
}

// failed counts a wrong password and reports whether addr is now locked out.
func (l *lockouts) failed(addr string, now time.Time, max int, lockout time.Duration) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.m == nil {
		l.m = map[string]*failures{}
	}
	f := l.m[addr]
	if f == nil {
		f = &failures{}
		l.m[addr] = f
	}
	f.n++
	if f.n < max {
		return false
	}
	f.n = 0
	f.period = min(lockout<<f.times, 24*time.Hour)
	f.times++
	f.until = now.Add(f.period)
	return true
}

func (l *lockouts) succeeded(addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.m, addr)
}

// clientAddr is the address a lockout applies to: the client's IP.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	addr := clientAddr(r)
	if wait := s.lockouts.locked(addr, s.now()); wait > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": fmt.Sprintf("too many wrong passwords: try again in %s", wait.Round(time.Second))})
		return
	}
	if !sameOrigin(r) {
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "cross-origin request refused"})
		return
	}
	var b loginBody
	if err := decode(r, &b); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if !s.checkPassword(b.Password) {
		if s.lockouts.failed(addr, s.now(), s.cfg.MaxLoginFailures, s.cfg.LoginLockout) {
			s.cfg.Logger.Warn("admin login locked out", "client", addr)
		}
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "wrong password"})
		return
	}
	s.lockouts.succeeded(addr)
	id, sess := s.sessions.create(s.now(), s.cfg.SessionTTL)
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", Expires: sess.expires, MaxAge: int(s.cfg.SessionTTL.Seconds()),
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, sessionInfo{CSRF: sess.csrf, Expires: sess.expires})
}

// checkPassword verifies a password against the logged hash, one check at a time.
func (s *Server) checkPassword(password string) bool {
	hash := s.cfg.Engine.AdminPasswordHash()
	if hash == "" || password == "" {
		return false
	}
	s.argon.Lock()
	defer s.argon.Unlock()
	return VerifyPassword(hash, password)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		s.sessions.drop(ck.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode})
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) sessionInfo(r *http.Request) (any, error) {
	c, _, _ := s.authenticate(r)
	if c.session == nil {
		return map[string]string{"token": c.token}, nil
	}
	return sessionInfo{CSRF: c.session.csrf, Expires: c.session.expires}, nil
}

// passwordBody is the body of PUT /api/password.
type passwordBody struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (s *Server) changePassword(r *http.Request) (any, error) {
	var b passwordBody
	if err := decode(r, &b); err != nil {
		return nil, err
	}
	if !s.checkPassword(b.Current) {
		return nil, fmt.Errorf("current: wrong password: %w", ErrInvalid)
	}
	hash, err := HashPassword(b.New)
	if err != nil {
		return nil, fmt.Errorf("new: %w", err)
	}
	if err := s.cfg.Engine.SetAdminPassword(r.Context(), hash); err != nil {
		return nil, err
	}
	s.sessions.dropAll()
	return nil, nil
}
