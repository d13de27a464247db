package main

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestRootCredentialsGeneratedOnce(t *testing.T) {
	dir := t.TempDir()
	warn := func(string, ...any) { t.Error("unexpected warning") }
	c1, err := loadRootCredentials(dir, noEnv, warn)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Source != "generated" || len(c1.AccessKey) != 20 || len(c1.SecretKey) != 40 {
		t.Errorf("generated = %+v", c1)
	}
	fi, err := os.Stat(filepath.Join(dir, credentialsFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v, %v", fi, err)
	}
	c2, err := loadRootCredentials(dir, noEnv, warn)
	if err != nil || c2.AccessKey != c1.AccessKey || c2.SecretKey != c1.SecretKey {
		t.Errorf("second load = %+v, %v; want %+v", c2, err, c1)
	}
	// Differing environment values are ignored, with a warning.
	warned := false
	c3, err := loadRootCredentials(dir, envOf(map[string]string{envAccessKey: "other", envSecretKey: "other-secret"}), func(string, ...any) { warned = true })
	if err != nil || c3.AccessKey != c1.AccessKey || !warned {
		t.Errorf("with other env: %+v, %v, warned %v", c3, err, warned)
	}
	// A file others can read is refused.
	os.Chmod(filepath.Join(dir, credentialsFile), 0o644)
	if _, err := loadRootCredentials(dir, noEnv, warn); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("world-readable credentials accepted: %v", err)
	}
}

func TestRootCredentialsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	env := envOf(map[string]string{envAccessKey: "root", envSecretKey: "root-secret"})
	c, err := loadRootCredentials(dir, env, func(string, ...any) {})
	if err != nil || c.AccessKey != "root" || c.SecretKey != "root-secret" || c.Source != "environment" {
		t.Fatalf("%+v, %v", c, err)
	}
	c, err = loadRootCredentials(dir, noEnv, func(string, ...any) {})
	if err != nil || c.AccessKey != "root" || c.SecretKey != "root-secret" {
		t.Errorf("later start without env: %+v, %v", c, err)
	}
	for _, bad := range []map[string]string{{envAccessKey: "only-key"}, {envSecretKey: "only-secret"}, {envAccessKey: "k", envSecretKey: "long-enough"}, {envAccessKey: "root2", envSecretKey: "short"}} {
		if _, err := loadRootCredentials(t.TempDir(), envOf(bad), func(string, ...any) {}); err == nil {
			t.Errorf("env %v accepted", bad)
		}
	}
}

func TestMasterKey(t *testing.T) {
	dir := t.TempDir()
	k1, src, err := loadMasterKey("", dir, noEnv, true)
	if err != nil || len(k1) != 32 || !strings.Contains(src, "generated") {
		t.Fatalf("generate: %d bytes, %q, %v", len(k1), src, err)
	}
	k2, _, err := loadMasterKey("", dir, noEnv, true)
	if err != nil || !bytes.Equal(k1, k2) {
		t.Errorf("second load differs: %v", err)
	}
	want := bytes.Repeat([]byte{7}, 32)
	for _, v := range []string{hex.EncodeToString(want), base64.StdEncoding.EncodeToString(want), base64.RawURLEncoding.EncodeToString(want)} {
		k, src, err := loadMasterKey("", dir, envOf(map[string]string{envMasterKey: v}), true)
		if err != nil || !bytes.Equal(k, want) || src != envMasterKey {
			t.Errorf("env %q: %x, %q, %v", v, k, src, err)
		}
	}
	if _, _, err := loadMasterKey("", dir, envOf(map[string]string{envMasterKey: "abcd"}), true); err == nil {
		t.Error("short env key accepted")
	}
	file := filepath.Join(t.TempDir(), "mk")
	if _, _, err := loadMasterKey(file, dir, noEnv, true); err == nil {
		t.Error("missing master_key_file accepted (it must not be generated)")
	}
	os.WriteFile(file, want, 0o600)
	if k, _, err := loadMasterKey(file, dir, noEnv, true); err != nil || !bytes.Equal(k, want) {
		t.Errorf("raw key file: %x, %v", k, err)
	}
	// A restore never generates a key: the data directory's is gone.
	if _, _, err := loadMasterKey("", t.TempDir(), noEnv, false); err == nil || !strings.Contains(err.Error(), envMasterKey) {
		t.Errorf("no key and no generation: %v", err)
	}
}

func TestRunCommands(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "prismd ") {
		t.Errorf("version: %d %q", code, out.String())
	}
	for _, args := range [][]string{{"replay", "--until", "yesterday", "--data-dir", t.TempDir()}, {"replay", "--nope"}, {"replay", "extra"}} {
		errb.Reset()
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: %d %q, want a usage error", args, code, errb.String())
		}
	}
	errb.Reset()
	if code := run([]string{"replay", "--data-dir", t.TempDir()}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no master key") {
		t.Errorf("replay without a master key: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"scrub", "--data-dir", t.TempDir()}, &out, &errb); code != 2 || !strings.Contains(errb.String(), "is prismd serve running") {
		t.Errorf("scrub without a server: %d %q", code, errb.String())
	}
	errb.Reset()
	if code := run([]string{"serve", "--nope"}, &out, &errb); code != 2 {
		t.Errorf("serve --nope: %d %q", code, errb.String())
	}
	if code := run([]string{"serve", "--help"}, &out, &errb); code != 0 {
		t.Errorf("serve --help: %d", code)
	}
}
