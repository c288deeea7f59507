package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/kagi-hsm/kagi/kmsbridge"
)

// serveTLS is the "tls" object of kagi serve's configuration: the server
// certificate chain (PEM, leaf first) and its private key, either a PEM file
// (key_file) or a private key on the served token found by its CKA_LABEL
// (token_key_label), which then never leaves the token.
type serveTLS struct {
	CertFile      string `json:"cert_file"`
	KeyFile       string `json:"key_file,omitempty"`
	TokenKeyLabel string `json:"token_key_label,omitempty"`
}

// check reports a configuration that names no certificate or not exactly
// one key, before anything is opened.
func (c *serveTLS) check() error {
	if c.CertFile == "" {
		return fmt.Errorf("tls needs cert_file")
	}
	if (c.KeyFile == "") == (c.TokenKeyLabel == "") {
		return fmt.Errorf("tls needs exactly one of key_file and token_key_label")
	}
	return nil
}

// config builds the server's TLS configuration; a key that does not belong
// to the certificate is refused here, at start.
func (c *serveTLS) config(bridge *kmsbridge.Bridge) (*tls.Config, error) {
	var cert tls.Certificate
	if c.KeyFile != "" {
		var err error
		cert, err = tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate %s and key %s: %w", c.CertFile, c.KeyFile, err)
		}
	} else {
		chain, leaf, err := readChain(c.CertFile)
		if err != nil {
			return nil, err
		}
		signer, err := bridge.TokenSigner(c.TokenKeyLabel, leaf.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("TLS certificate %s and token key %q: %w", c.CertFile, c.TokenKeyLabel, err)
		}
		cert = tls.Certificate{Certificate: chain, PrivateKey: signer, Leaf: leaf}
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}

// readChain reads the PEM CERTIFICATE blocks of a file; the first is the
// leaf.
func readChain(path string) ([][]byte, *x509.Certificate, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("TLS certificate: %w", err)
	}
	var chain [][]byte
	for {
		var block *pem.Block
		block, raw = pem.Decode(raw)
		if block == nil {
			break
		}
		if block.Type == "CERTIFICATE" {
			chain = append(chain, block.Bytes)
		}
	}
	if len(chain) == 0 {
		return nil, nil, fmt.Errorf("TLS certificate %s: no PEM CERTIFICATE in it", path)
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil, nil, fmt.Errorf("TLS certificate %s: %w", path, err)
	}
	return chain, leaf, nil
}
