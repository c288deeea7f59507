package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kagi-hsm/kagi/kmsbridge"
)

// serveConfig is the JSON file of `kagi serve --config`. The user PIN is
// read from pin_file (or $KAGI_PIN), never from the file or a flag.
type serveConfig struct {
	Listen  string `json:"listen"`
	Region  string `json:"region"`
	Account string `json:"account"`
	Token   string `json:"token"`
	PINFile string `json:"pin_file"`
	// MaintenanceInterval is how often due key deletions and automatic
	// rotations run, as a Go duration ("1h", "10m"); empty means the
	// bridge's default. They also run at start.
	MaintenanceInterval string `json:"maintenance_interval,omitempty"`
	// TLS, when present, makes the endpoint HTTPS only (tls.go).
	TLS         *serveTLS `json:"tls,omitempty"`
	Credentials []struct {
		AccessKeyID     string `json:"access_key_id"`
		SecretAccessKey string `json:"secret_access_key"`
		Principal       string `json:"principal"`
		// Policy is the principal's identity policy (a JSON policy
		// document without Principal elements, or the document as a JSON
		// object): what IAM would allow it. Optional; the account root
		// needs none.
		Policy json.RawMessage `json:"policy,omitempty"`
	} `json:"credentials"`

	maintenance time.Duration // MaintenanceInterval parsed
}

func readServeConfig(path string) (*serveConfig, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the configuration: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var c serveConfig
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("configuration %s: %w", path, err)
	}
	if c.MaintenanceInterval != "" {
		d, err := time.ParseDuration(c.MaintenanceInterval)
		if err != nil || d <= 0 {
			return nil, fmt.Errorf("configuration %s: maintenance_interval %q is not a positive duration", path, c.MaintenanceInterval)
		}
		c.maintenance = d
	}
	if c.TLS != nil {
		if err := c.TLS.check(); err != nil {
			return nil, fmt.Errorf("configuration %s: %w", path, err)
		}
	}
	return &c, nil
}

// policyText accepts an identity policy written as a JSON object or as a
// string holding one (the form AWS APIs take policies in).
func policyText(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, nil
	}
	if b := bytes.TrimSpace(raw); len(b) > 0 && b[0] == '{' {
		return string(b), nil
	}
	return "", fmt.Errorf("policy must be a JSON object or a string")
}

// cmdServe is `kagi serve`: the AWS KMS JSON 1.1 endpoint (kmsbridge) over
// a token, until SIGTERM or SIGINT, which let requests in flight finish.
func cmdServe(args []string, out io.Writer) error {
	fs := newFlags("serve", "--config FILE [--listen ADDR] [--token LABEL]", out)
	path := fs.String("config", "", "JSON configuration: listen, region, account, token, pin_file, credentials, tls")
	listen := fs.String("listen", "", "address to listen on, e.g. 127.0.0.1:4599 (overrides the configuration)")
	label := fs.String("token", "", "label of the token (overrides the configuration)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *path == "" {
		return fmt.Errorf("--config is required")
	}
	cfg, err := readServeConfig(*path)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	if *label != "" {
		cfg.Token = *label
	}
	if cfg.Listen == "" || cfg.Token == "" {
		return fmt.Errorf("the configuration needs listen and token")
	}
	pin, err := pinSource{"user PIN", cfg.PINFile, "KAGI_PIN"}.read(false)
	if err != nil {
		return err
	}
	creds := make([]kmsbridge.Credential, len(cfg.Credentials))
	identities := map[string]string{}
	for i, c := range cfg.Credentials {
		creds[i] = kmsbridge.Credential{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Principal: c.Principal}
		if len(c.Policy) > 0 {
			text, err := policyText(c.Policy)
			if err != nil {
				return fmt.Errorf("the policy of credential %s: %w", c.AccessKeyID, err)
			}
			if _, dup := identities[c.Principal]; dup {
				return fmt.Errorf("principal %s has more than one policy", c.Principal)
			}
			identities[c.Principal] = text
		}
	}

	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	bridge, err := kmsbridge.Open(lib, kmsbridge.Config{Region: cfg.Region, Account: cfg.Account, TokenLabel: cfg.Token, PIN: string(pin),
		MaintenanceInterval: cfg.maintenance, IdentityPolicies: identities})
	clear(pin)
	if err != nil {
		return err
	}
	defer bridge.Close()
	scheme := "http"
	var tlsConfig *tls.Config
	if cfg.TLS != nil {
		if tlsConfig, err = cfg.TLS.config(bridge); err != nil {
			return err
		}
		scheme = "https"
	}
	server, err := kmsbridge.NewServer(creds, bridge.Operations(), kmsbridge.ServerConfig{
		Region:    cfg.Region,
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, nil)),
		TLSConfig: tlsConfig,
		// Requests refused before an operation go to the audit trail too.
		Refused: bridge.RecordRefused,
	})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	stopProfile, err := startCPUProfile(os.Getenv("KAGI_CPUPROFILE"))
	if err != nil {
		return err
	}
	defer stopProfile()
	fmt.Fprintf(out, "kagi serve: AWS KMS endpoint on %s://%s (region %s, account %s, token %q)\n", scheme, ln.Addr(), cfg.Region, cfg.Account, cfg.Token)
	return server.Serve(ctx, ln)
}
