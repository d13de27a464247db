package engine

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	plog "github.com/prismd/prismd/log"
)

// seal encrypts a secret with the master key (AES-256-GCM, random nonce first).
func (e *Engine) seal(secret string) ([]byte, error) {
	aead, err := e.aead()
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal: %w", err)
	}
	return aead.Seal(nonce, nonce, []byte(secret), nil), nil
}

// unseal decrypts what seal produced.
func (e *Engine) unseal(sealed []byte) (string, error) {
	aead, err := e.aead()
	if err != nil {
		return "", err
	}
	if len(sealed) < aead.NonceSize() {
		return "", errors.New("unseal: sealed secret too short")
	}
	plain, err := aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], nil)
	if err != nil {
		return "", fmt.Errorf("unseal: wrong master key or damaged secret: %w", err)
	}
	return string(plain), nil
}

func (e *Engine) aead() (cipher.AEAD, error) {
	if len(e.cfg.MasterKey) != 32 {
		return nil, fmt.Errorf("master key must be 32 bytes, have %d: %w", len(e.cfg.MasterKey), ErrInvalidArgument)
	}
	block, err := aes.NewCipher(e.cfg.MasterKey)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// CreateAccessKey adds (or replaces) a client access key; its secret is
// sealed in the log. Buckets nil means no bucket list (the key uses what it
// owns or is granted); an empty, non-nil list
// would grant nothing and is refused as a mistake.
func (e *Engine) CreateAccessKey(ctx context.Context, k AccessKey) error {
	if err := ValidateAccessKey(k); err != nil {
		return err
	}
	sealed, err := e.seal(k.Secret)
	if err != nil {
		return err
	}
	_, err = e.append(ctx, plog.AccessKeyCreated{AccessKey: k.AccessKey, SealedSecret: sealed, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root, BypassGovernance: k.BypassGovernance})
	return err
}

// EnsureAccessKey creates k unless a key with the same id, secret and scope exists.
func (e *Engine) EnsureAccessKey(ctx context.Context, k AccessKey) error {
	if cur, err := e.LookupAccessKey(k.AccessKey); err == nil && cur.Secret == k.Secret && cur.ReadOnly == k.ReadOnly && cur.Root == k.Root && cur.BypassGovernance == k.BypassGovernance && equalStrings(cur.Buckets, k.Buckets) {
		return nil
	}
	return e.CreateAccessKey(ctx, k)
}

// RevokeAccessKey removes a client access key.
func (e *Engine) RevokeAccessKey(ctx context.Context, id string) error {
	if _, ok := e.view().AccessKey(id); !ok {
		return fmt.Errorf("access key %q: %w", id, ErrNoSuchAccessKey)
	}
	_, err := e.append(ctx, plog.AccessKeyRevoked{AccessKey: id})
	return err
}

// LookupAccessKey returns a client key with its secret unsealed. It is
// called for every signed request: the unsealed secret is kept in memory
// while the sealed one in the log stays the same.
func (e *Engine) LookupAccessKey(id string) (AccessKey, error) {
	k, ok := e.view().AccessKey(id)
	if !ok {
		return AccessKey{}, fmt.Errorf("access key %q: %w", id, ErrNoSuchAccessKey)
	}
	secret, ok := e.secrets.get(id, k.SealedSecret)
	if !ok {
		var err error
		if secret, err = e.unseal(k.SealedSecret); err != nil {
			return AccessKey{}, fmt.Errorf("access key %q: %w", id, err)
		}
		e.secrets.put(id, k.SealedSecret, secret)
	}
	return AccessKey{AccessKey: k.AccessKey, Secret: secret, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root, BypassGovernance: k.BypassGovernance}, nil
}

// secretCache keeps unsealed access key secrets by key id, each valid
// while the sealed bytes it came from are the ones in the log.
type secretCache struct {
	mu sync.Mutex
	m  map[string]cachedSecret
}

type cachedSecret struct{ sealed, secret string }

func (c *secretCache) get(id string, sealed []byte) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, ok := c.m[id]
	if !ok || s.sealed != string(sealed) {
		return "", false
	}
	return s.secret, true
}

func (c *secretCache) put(id string, sealed []byte, secret string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedSecret{}
	}
	c.m[id] = cachedSecret{sealed: string(sealed), secret: secret}
}

// AccessKeys lists client keys without their secrets.
func (e *Engine) AccessKeys() []AccessKey {
	var out []AccessKey
	for _, k := range e.view().AccessKeys() {
		out = append(out, AccessKey{AccessKey: k.AccessKey, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root, BypassGovernance: k.BypassGovernance})
	}
	return out
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
