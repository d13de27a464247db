package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// adminTokenFile, in the data directory, holds the bearer token of the
// management API. `prismd serve` writes a new random one at every start
// (mode 0600); commands run on the gateway's host with access to the data
// directory (prismd scrub) read it: whoever can read the data directory
// may manage the gateway.
const adminTokenFile = "admin.token"

// writeAdminToken makes a new token and writes it to the data directory.
func writeAdminToken(dataDir string) (string, error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	token := hex.EncodeToString(raw[:])
	path := filepath.Join(dataDir, adminTokenFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil { // an older file kept its mode
		return "", fmt.Errorf("admin token: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	return token, nil
}

// errNoAdminToken: the data directory holds no token (no server ever ran
// on it, or not this version).
var errNoAdminToken = errors.New("no admin token")

// readAdminToken reads the token a running server wrote.
func readAdminToken(dataDir string) (string, error) {
	path := filepath.Join(dataDir, adminTokenFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, iofs.ErrNotExist) {
		return "", fmt.Errorf("%s: %w", path, errNoAdminToken)
	}
	if err != nil {
		return "", fmt.Errorf("admin token: %w", err)
	}
	token := strings.TrimSpace(string(b))
	if token == "" {
		return "", fmt.Errorf("%s is empty: %w", path, errNoAdminToken)
	}
	return token, nil
}
