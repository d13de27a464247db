package main

import (
	"bytes"
	"crypto/tls"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

// listenAdmin opens the management listener, with TLS when
// admin_tls_cert_file and admin_tls_key_file are set.
func listenAdmin(cfg *Config) (net.Listener, error) {
	var tlsConfig *tls.Config
	if cfg.AdminTLSCertFile != "" {
		cert, err := tls.LoadX509KeyPair(cfg.AdminTLSCertFile, cfg.AdminTLSKeyFile)
		if err != nil {
			return nil, usageError{fmt.Errorf("config: admin_tls_cert_file/admin_tls_key_file: %w", err)}
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	ln, err := net.Listen("tcp", cfg.AdminAddr)
	if err != nil {
		return nil, fmt.Errorf("admin_addr: %w", err)
	}
	if tlsConfig != nil {
		ln = tls.NewListener(ln, tlsConfig)
	}
	return ln, nil
}

// splitList splits a comma-separated setting, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// adminClient is the HTTP client of commands that talk to the running
// server's management listener, and its URL scheme. Under TLS it trusts
// exactly the certificate in admin_tls_cert_file (pinned: the listener is
// dialed by address, which its certificate need not name).
func adminClient(cfg *Config) (*http.Client, string, error) {
	if cfg.AdminTLSCertFile == "" {
		return http.DefaultClient, "http://", nil
	}
	pemBytes, err := os.ReadFile(cfg.AdminTLSCertFile)
	if err != nil {
		return nil, "", fmt.Errorf("admin_tls_cert_file: %w", err)
	}
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, "", fmt.Errorf("admin_tls_cert_file %s: no PEM certificate", cfg.AdminTLSCertFile)
	}
	leaf := block.Bytes
	tlsConfig := &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // replaced by the pin below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, leaf) {
				return fmt.Errorf("the management listener's certificate is not the one in %s", cfg.AdminTLSCertFile)
			}
			return nil
		},
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, Proxy: nil}}, "https://", nil
}
