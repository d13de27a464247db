package admin

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/prismd/prismd/engine"
)

// API tokens, for scripts:
//
//	POST   /api/tokens        ← {"name": "cron", "expires_in": "720h"} → {"id", "token", "expires"}  (the token is shown this once)
//	GET    /api/tokens        → [{"id", "name", "created", "expires"}]   (never the token or its hash)
//	DELETE /api/tokens/{id}   → 204
//
// A token is "prismd_<id>_<secret>", the secret 256 random bits of which
// the log keeps the SHA-256 only. expires_in "" or "0" means never.

const tokenPrefix = "prismd_"

var tokenIDRE = regexp.MustCompile(`^[0-9a-f]{16}$`)

// parseAPIToken splits a token into its id and secret.
func parseAPIToken(token string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(token, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	return id, secret, ok && tokenIDRE.MatchString(id) && len(secret) == 64
}

type tokenRequest struct {
	Name      string `json:"name"`
	ExpiresIn string `json:"expires_in"`
}

// tokenInfo is a token as listed: never its secret.
type tokenInfo struct {
	ID      string     `json:"id"`
	Name    string     `json:"name"`
	Created time.Time  `json:"created"`
	Expires *time.Time `json:"expires,omitempty"`
	Expired bool       `json:"expired"`
}

type newToken struct {
	tokenInfo
	Token string `json:"token"`
}

func (s *Server) createToken(r *http.Request) (any, error) {
	var q tokenRequest
	if err := decode(r, &q); err != nil {
		return nil, err
	}
	if len(q.Name) > 100 {
		return nil, fmt.Errorf("name: at most 100 characters: %w", ErrInvalid)
	}
	now := s.now()
	t := engine.AdminToken{ID: randomHex(8), Name: q.Name, Created: now}
	if q.ExpiresIn != "" && q.ExpiresIn != "0" {
		d, err := time.ParseDuration(q.ExpiresIn)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("expires_in %q: not a positive duration such as \"720h\": %w", q.ExpiresIn, ErrInvalid)
		}
		t.Expires = now.Add(d)
	}
	secret := randomHex(32)
	sum := sha256.Sum256([]byte(secret))
	t.Hash = sum[:]
	if err := s.cfg.Engine.CreateAdminToken(r.Context(), t); err != nil {
		return nil, err
	}
	return newToken{tokenInfo: s.tokenInfo(t), Token: tokenPrefix + t.ID + "_" + secret}, nil
}

func (s *Server) tokenInfo(t engine.AdminToken) tokenInfo {
	out := tokenInfo{ID: t.ID, Name: t.Name, Created: t.Created}
	if !t.Expires.IsZero() {
		exp := t.Expires
		out.Expires = &exp
		out.Expired = !s.now().Before(exp)
	}
	return out
}

func (s *Server) listTokens(r *http.Request) (any, error) {
	out := []tokenInfo{}
	for _, t := range s.cfg.Engine.AdminTokens() {
		out = append(out, s.tokenInfo(t))
	}
	return out, nil
}

func (s *Server) revokeToken(r *http.Request) (any, error) {
	return nil, s.cfg.Engine.RevokeAdminToken(r.Context(), r.PathValue("id"))
}
