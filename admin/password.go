package admin

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// The admin password is stored as an argon2id hash in PHC form:
//
//	$argon2id$v=19$m=65536,t=3,p=2$<salt, base64 raw std>$<hash, base64 raw std>
//
// The parameters travel with the hash, so a later change of the defaults
// still verifies older hashes.
const (
	argonTime    = 3
	argonMemory  = 64 << 10 // KiB
	argonThreads = 2
	argonKeyLen  = 32
	argonSaltLen = 16

	// MinPasswordLength is the shortest admin password accepted.
	MinPasswordLength = 12
)

// HashPassword returns the argon2id hash of password in PHC form.
func HashPassword(password string) (string, error) {
	if len(password) < MinPasswordLength {
		return "", fmt.Errorf("password: at least %d characters: %w", MinPasswordLength, ErrInvalid)
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// maxArgonMemory bounds the memory a stored hash may ask for (KiB): four
// times what HashPassword uses.
const maxArgonMemory = 4 * argonMemory

// argonHash is a parsed PHC string.
type argonHash struct {
	memory, time uint32
	threads      uint8
	salt, key    []byte
}

// parseHash reads an argon2id PHC string, refusing parameters beyond
// what this code would ever write (a hash must not make a login cost
// gigabytes).
func parseHash(hash string) (argonHash, bool) {
	var h argonHash
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, false
	}
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &h.threads); err != nil || n != 3 ||
		h.memory < 8 || h.memory > maxArgonMemory || h.time == 0 || h.time > 16 || h.threads == 0 {
		return h, false
	}
	if parts[3] != fmt.Sprintf("m=%d,t=%d,p=%d", h.memory, h.time, h.threads) {
		return h, false // not canonical: trailing bytes, leading zeros, signs
	}
	b64 := base64.RawStdEncoding.Strict()
	var err1, err2 error
	h.salt, err1 = b64.DecodeString(parts[4])
	h.key, err2 = b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 8 || len(h.key) < 16 || len(h.key) > 64 ||
		b64.EncodeToString(h.salt) != parts[4] || b64.EncodeToString(h.key) != parts[5] { // the decoder skips newlines
		return h, false
	}
	return h, true
}

// VerifyPassword reports whether password matches hash, comparing in
// constant time. A malformed hash matches nothing.
func VerifyPassword(hash, password string) bool {
	h, ok := parseHash(hash)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(password), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(got, h.key) == 1
}

// NewPassword returns a random password for the banner: 24 characters of
// an alphabet without look-alikes (about 130 bits).
func NewPassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomString(24, alphabet), nil
}
