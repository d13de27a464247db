package main

import (
	"errors"
	iofs "io/fs"
	"os"
	"path/filepath"
	"strings"
)

// configKeysFile, in the data directory, lists the access keys the
// config file made (one id a line), so that a key removed from the config
// is revoked at the next start while keys made in the management API
// stay. Without the file (a data directory of an older prismd, which had
// no keys but the config's), every key that is neither root nor in the
// config is revoked.
const configKeysFile = "config-keys"

// readConfigKeys returns the ids the config made; known is false without the file.
func readConfigKeys(dataDir string) (ids map[string]bool, known bool, err error) {
	b, err := os.ReadFile(filepath.Join(dataDir, configKeysFile))
	if errors.Is(err, iofs.ErrNotExist) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	ids = map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			ids[line] = true
		}
	}
	return ids, true, nil
}

// writeConfigKeys records the ids the config made.
func writeConfigKeys(dataDir string, ids []string) error {
	path := filepath.Join(dataDir, configKeysFile)
	tmp := path + ".tmp"
	body := strings.Join(ids, "\n")
	if body != "" {
		body += "\n"
	}
	if err := os.WriteFile(tmp, []byte(body), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
