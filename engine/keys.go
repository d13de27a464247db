package engine

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

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

// CreateAccessKey adds (or replaces) a client access key; its secret is sealed in the log.
func (e *Engine) CreateAccessKey(ctx context.Context, k AccessKey) error {
	if k.AccessKey == "" || len(k.Secret) < 8 {
		return fmt.Errorf("access key %q: needs an id and a secret of at least 8 characters: %w", k.AccessKey, ErrInvalidArgument)
	}
	sealed, err := e.seal(k.Secret)
	if err != nil {
		return err
	}
	_, err = e.append(ctx, plog.AccessKeyCreated{AccessKey: k.AccessKey, SealedSecret: sealed, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root})
	return err
}

// EnsureAccessKey creates k unless a key with the same id, secret and scope exists.
func (e *Engine) EnsureAccessKey(ctx context.Context, k AccessKey) error {
	if cur, err := e.LookupAccessKey(k.AccessKey); err == nil && cur.Secret == k.Secret && cur.ReadOnly == k.ReadOnly && cur.Root == k.Root && equalStrings(cur.Buckets, k.Buckets) {
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

// LookupAccessKey returns a client key with its secret unsealed.
func (e *Engine) LookupAccessKey(id string) (AccessKey, error) {
	k, ok := e.view().AccessKey(id)
	if !ok {
		return AccessKey{}, fmt.Errorf("access key %q: %w", id, ErrNoSuchAccessKey)
	}
	secret, err := e.unseal(k.SealedSecret)
	if err != nil {
		return AccessKey{}, fmt.Errorf("access key %q: %w", id, err)
	}
	return AccessKey{AccessKey: k.AccessKey, Secret: secret, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root}, nil
}

// AccessKeys lists client keys without their secrets.
func (e *Engine) AccessKeys() []AccessKey {
	var out []AccessKey
	for _, k := range e.view().AccessKeys() {
		out = append(out, AccessKey{AccessKey: k.AccessKey, Buckets: k.Buckets, ReadOnly: k.ReadOnly, Root: k.Root})
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
