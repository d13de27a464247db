package projections

import (
	"bytes"

	"github.com/prismd/prismd/log"
)

// The management listener's login: the admin password's hash and the API
// tokens (their hashes), kept in the projections so that snapshots carry
// them past log truncation.

// AdminToken is a bearer token of the management API, without its secret.
type AdminToken = log.AdminTokenCreated

func cloneAdminToken(t log.AdminTokenCreated) log.AdminTokenCreated {
	t.Hash = bytes.Clone(t.Hash)
	return t
}

// AdminPasswordHash returns the admin password's hash ("" before one was set).
func (v *View) AdminPasswordHash() string { return v.t.adminPassword }

// AdminTokens returns the management API's tokens, sorted by id.
func (v *View) AdminTokens() []AdminToken {
	out := make([]AdminToken, 0, v.t.adminTokens.Len())
	v.t.adminTokens.Scan(func(_ string, t log.AdminTokenCreated) bool {
		out = append(out, cloneAdminToken(t))
		return true
	})
	return out
}

// AdminToken returns the token id.
func (v *View) AdminToken(id string) (AdminToken, bool) {
	t, ok := v.t.adminTokens.Get(id)
	return cloneAdminToken(t), ok
}

// snapAdmin is the snapshot's admin section (version 4).
type snapAdmin struct {
	_msgpack struct{} `msgpack:",as_array"`
	Password string
	Tokens   []log.AdminTokenCreated
}

func (t *tables) snapAdmin() snapAdmin {
	a := snapAdmin{Password: t.adminPassword, Tokens: []log.AdminTokenCreated{}}
	t.adminTokens.Scan(func(_ string, tk log.AdminTokenCreated) bool {
		a.Tokens = append(a.Tokens, tk)
		return true
	})
	return a
}

func (s *State) loadAdmin(a snapAdmin) {
	s.t.adminPassword = a.Password
	for _, tk := range a.Tokens {
		s.t.adminTokens.Set(tk.ID, tk)
	}
}
