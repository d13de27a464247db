package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Files prismd keeps in the data directory, both mode 0600.
const (
	credentialsFile = "credentials" // root access key and secret, "key = value" lines
	masterKeyFile   = "master.key"  // 32 random bytes, hex
)

// Environment variables read by `prismd serve`.
const (
	envAccessKey = "PRISMD_ACCESS_KEY"
	envSecretKey = "PRISMD_SECRET_KEY"
	envMasterKey = "PRISMD_MASTER_KEY"
)

// rootCredentials are the root key's id and secret, and where they came from.
type rootCredentials struct {
	AccessKey, SecretKey string
	Source               string // "environment", "generated" or the file's path
}

// loadRootCredentials returns the root credentials kept in dataDir. On the
// first start it takes them from PRISMD_ACCESS_KEY / PRISMD_SECRET_KEY when
// both are set, or generates them, and writes them to dataDir/credentials
// (mode 0600). Later starts use the file; environment values that differ from
// it are ignored, and a warning says so.
func loadRootCredentials(dataDir string, getenv func(string) string, warn func(msg string, args ...any)) (rootCredentials, error) {
	path := filepath.Join(dataDir, credentialsFile)
	envKey, envSecret := getenv(envAccessKey), getenv(envSecretKey)
	if (envKey == "") != (envSecret == "") {
		return rootCredentials{}, fmt.Errorf("set both %s and %s, or neither", envAccessKey, envSecretKey)
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		c, err := parseCredentials(data)
		if err != nil {
			return rootCredentials{}, fmt.Errorf("%s: %w", path, err)
		}
		if err := checkPrivate(path); err != nil {
			return rootCredentials{}, err
		}
		c.Source = path
		if envKey != "" && (envKey != c.AccessKey || envSecret != c.SecretKey) {
			warn("root credentials from the environment ignored: the data directory already has its own; remove the file to replace them",
				"file", path, "env", envAccessKey+"/"+envSecretKey)
		}
		return c, nil
	case !errors.Is(err, fs.ErrNotExist):
		return rootCredentials{}, err
	}
	c := rootCredentials{AccessKey: envKey, SecretKey: envSecret, Source: "environment"}
	if envKey == "" {
		c = rootCredentials{AccessKey: "PD" + randomString(18, upperAlnum), SecretKey: randomString(40, mixedAlnum), Source: "generated"}
	} else if !accessKeyRE.MatchString(envKey) || len(envSecret) < 8 {
		return rootCredentials{}, fmt.Errorf("%s must be 3 to 128 of A-Z a-z 0-9 . _ - and %s at least 8 characters", envAccessKey, envSecretKey)
	}
	body := fmt.Sprintf("# prismd root credentials (created on first start)\naccess_key = %s\nsecret_key = %s\n", c.AccessKey, c.SecretKey)
	if err := writePrivate(path, []byte(body)); err != nil {
		return rootCredentials{}, err
	}
	return c, nil
}

func parseCredentials(data []byte) (rootCredentials, error) {
	var c rootCredentials
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return c, fmt.Errorf("line %q: want key = value", line)
		}
		switch strings.TrimSpace(k) {
		case "access_key":
			c.AccessKey = strings.TrimSpace(v)
		case "secret_key":
			c.SecretKey = strings.TrimSpace(v)
		}
	}
	if c.AccessKey == "" || c.SecretKey == "" {
		return c, errors.New("access_key or secret_key missing")
	}
	return c, nil
}

// loadMasterKey returns the 32-byte key that seals secrets: from
// PRISMD_MASTER_KEY, else from the config's master_key_file, else from
// dataDir/master.key, generated there when generate is set (a first start).
// It also says where it came from.
func loadMasterKey(configFile, dataDir string, getenv func(string) string, generate bool) ([]byte, string, error) {
	if v := getenv(envMasterKey); v != "" {
		k, err := decodeKey([]byte(v))
		if err != nil {
			return nil, "", fmt.Errorf("%s: %w", envMasterKey, err)
		}
		return k, envMasterKey, nil
	}
	path := configFile
	if path == "" {
		path = filepath.Join(dataDir, masterKeyFile)
	} else {
		generate = false
	}
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		k, err := decodeKey(data)
		if err != nil {
			return nil, "", fmt.Errorf("master key %s: %w", path, err)
		}
		if err := checkPrivate(path); err != nil {
			return nil, "", err
		}
		return k, path, nil
	case errors.Is(err, fs.ErrNotExist) && generate:
		k := make([]byte, 32)
		if _, err := rand.Read(k); err != nil {
			return nil, "", err
		}
		if err := writePrivate(path, []byte(hex.EncodeToString(k)+"\n")); err != nil {
			return nil, "", err
		}
		return k, path + " (generated)", nil
	case errors.Is(err, fs.ErrNotExist):
		return nil, "", fmt.Errorf("no master key: set %s or master_key_file to the key this gateway was created with (%w)", envMasterKey, err)
	default:
		return nil, "", fmt.Errorf("master key: %w", err)
	}
}

// decodeKey accepts 32 bytes as hex, standard or URL base64, or raw.
func decodeKey(data []byte) ([]byte, error) {
	s := string(bytes.TrimSpace(data))
	if k, err := hex.DecodeString(s); err == nil && len(k) == 32 {
		return k, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if k, err := enc.DecodeString(s); err == nil && len(k) == 32 {
			return k, nil
		}
	}
	if len(data) == 32 {
		return data, nil
	}
	return nil, errors.New("want 32 bytes as 64 hex digits or base64")
}

// writePrivate creates path with mode 0600 (failing if it exists), writes and syncs it.
func writePrivate(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}

// checkPrivate refuses a secret file that others can read or write.
func checkPrivate(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return fmt.Errorf("%s is mode %o: it holds a secret, make it 0600 (chmod 600 %s)", path, fi.Mode().Perm(), path)
	}
	return nil
}

const (
	upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	mixedAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	buf := make([]byte, 1)
	for i := 0; i < n; {
		if _, err := rand.Read(buf); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
		if int(buf[0]) < 256-256%len(alphabet) {
			out[i] = alphabet[int(buf[0])%len(alphabet)]
			i++
		}
	}
	return string(out)
}
