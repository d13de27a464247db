package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// selfSigned writes a self-signed certificate and its key (PEM) to dir.
func selfSigned(t *testing.T, dir, name string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name}, DNSNames: []string{name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600)
	return certFile, keyFile
}

// TestAdminTLS: the management listener serves TLS with the configured
// certificate, and the client of `prismd scrub` trusts exactly that one
// (dialed by address, which the certificate does not name).
func TestAdminTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := selfSigned(t, dir, "gateway.example")
	other, _ := selfSigned(t, dir, "other.example")
	cfg := &Config{AdminAddr: "127.0.0.1:0", AdminTLSCertFile: cert, AdminTLSKeyFile: key}
	ln, err := listenAdmin(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			t.Error("plain request on the TLS listener")
		}
		w.Write([]byte("ok"))
	})}
	go srv.Serve(ln)
	defer srv.Close()
	url := "https://" + ln.Addr().String() + "/health"

	client, scheme, err := adminClient(cfg)
	if err != nil || scheme != "https://" {
		t.Fatal(scheme, err)
	}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("pinned client: %v", err)
	}
	resp.Body.Close()

	wrong, _, err := adminClient(&Config{AdminTLSCertFile: other})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.Get(url); err == nil || !strings.Contains(err.Error(), "not the one in") {
		t.Fatalf("a client pinned to another certificate: %v", err)
	}
	if _, err := (&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{}}}).Get(url); err == nil {
		t.Fatal("an unpinned client accepted a self-signed certificate")
	}
	if _, err := listenAdmin(&Config{AdminAddr: "127.0.0.1:0", AdminTLSCertFile: cert, AdminTLSKeyFile: other}); err == nil {
		t.Fatal("a key that does not match the certificate was accepted")
	}
}
