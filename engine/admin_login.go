package engine

import (
	"context"
	"fmt"
	"time"

	plog "github.com/prismd/prismd/log"
)

// The management listener's login state, kept in the log as hashes only:
// the admin package hashes (argon2id for the password, SHA-256 for the
// 256-bit token secrets) and compares; the engine records and reports.

// AdminToken is a bearer token of the management API, without its secret.
type AdminToken struct {
	ID      string
	Name    string
	Hash    []byte // SHA-256 of the token's secret
	Created time.Time
	Expires time.Time // zero: never
}

// SetAdminPassword records the admin password's hash.
func (e *Engine) SetAdminPassword(ctx context.Context, hash string) error {
	if hash == "" {
		return fmt.Errorf("admin password: empty hash: %w", ErrInvalidArgument)
	}
	_, err := e.append(ctx, plog.AdminPasswordSet{Hash: hash})
	return err
}

// AdminPasswordHash returns the admin password's hash, "" before one was set.
func (e *Engine) AdminPasswordHash() string { return e.view().AdminPasswordHash() }

// CreateAdminToken records a token.
func (e *Engine) CreateAdminToken(ctx context.Context, t AdminToken) error {
	if t.ID == "" || len(t.Hash) == 0 {
		return fmt.Errorf("admin token: needs an id and a hash: %w", ErrInvalidArgument)
	}
	if _, ok := e.view().AdminToken(t.ID); ok {
		return fmt.Errorf("admin token %q exists: %w", t.ID, ErrInvalidArgument)
	}
	ev := plog.AdminTokenCreated{ID: t.ID, Name: t.Name, Hash: t.Hash, Created: t.Created.UnixNano()}
	if !t.Expires.IsZero() {
		ev.Expires = t.Expires.UnixNano()
	}
	_, err := e.append(ctx, ev)
	return err
}

// RevokeAdminToken removes a token; ErrNoSuchAdminToken if there is none.
func (e *Engine) RevokeAdminToken(ctx context.Context, id string) error {
	if _, ok := e.view().AdminToken(id); !ok {
		return fmt.Errorf("admin token %q: %w", id, ErrNoSuchAdminToken)
	}
	_, err := e.append(ctx, plog.AdminTokenRevoked{ID: id})
	return err
}

// AdminTokens lists the tokens, sorted by id.
func (e *Engine) AdminTokens() []AdminToken {
	var out []AdminToken
	for _, t := range e.view().AdminTokens() {
		out = append(out, adminToken(t))
	}
	return out
}

// LookupAdminToken returns the token id.
func (e *Engine) LookupAdminToken(id string) (AdminToken, bool) {
	t, ok := e.view().AdminToken(id)
	return adminToken(t), ok
}

func adminToken(t plog.AdminTokenCreated) AdminToken {
	out := AdminToken{ID: t.ID, Name: t.Name, Hash: t.Hash, Created: time.Unix(0, t.Created).UTC()}
	if t.Expires != 0 {
		out.Expires = time.Unix(0, t.Expires).UTC()
	}
	return out
}
