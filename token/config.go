package token

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Defaults, as SoftHSMv2 where it has one.
const (
	DefaultIterations     = 100_000 // PBKDF2-HMAC-SHA256 rounds for PIN keys
	DefaultMaxPINFailures = 10
	MinPINLen             = 4
	MaxPINLen             = 255
)

// fileConfig is the JSON of KAGI_CONF.
type fileConfig struct {
	DB             string `json:"db"`
	Iterations     int    `json:"pbkdf2_iterations"`
	MaxPINFailures int    `json:"max_pin_failures"`
	LogFile        string `json:"log_file"`
}

// ConfigFromEnv builds the configuration from the process environment; see
// ConfigFrom.
func ConfigFromEnv() (Config, error) { return ConfigFrom(os.Getenv) }

// ConfigFrom builds the configuration the module uses: KAGI_CONF (a JSON
// file) if set, then KAGI_DB over its database path, then the default path.
// getenv is a parameter because a c-shared Go runtime keeps the environment
// it saw at load time: cmodule passes the C library's getenv, so a host that
// sets KAGI_DB after loading the module is heard.
func ConfigFrom(getenv func(string) string) (Config, error) {
	cfg := Config{Iterations: DefaultIterations, MaxPINFailures: DefaultMaxPINFailures}
	if path := getenv("KAGI_CONF"); path != "" {
		raw, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("%w: kagi: cannot read KAGI_CONF: %v", ck.CKR_GENERAL_ERROR, err)
		}
		var fc fileConfig
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&fc); err != nil {
			return cfg, fmt.Errorf("%w: kagi: bad KAGI_CONF %s: %v", ck.CKR_GENERAL_ERROR, path, err)
		}
		cfg.DBPath = fc.DB
		cfg.LogFile = fc.LogFile
		if fc.Iterations != 0 {
			cfg.Iterations = fc.Iterations
		}
		if fc.MaxPINFailures != 0 {
			cfg.MaxPINFailures = fc.MaxPINFailures
		}
	}
	if db := getenv("KAGI_DB"); db != "" {
		cfg.DBPath = db
	}
	if cfg.DBPath == "" {
		cfg.DBPath = store.DefaultPath(getenv)
	}
	return cfg, cfg.validate()
}

func (c *Config) validate() error {
	if c.Iterations < 1 || c.Iterations > 100_000_000 {
		return fmt.Errorf("%w: kagi: pbkdf2_iterations %d out of range", ck.CKR_GENERAL_ERROR, c.Iterations)
	}
	if c.MaxPINFailures < 1 {
		return fmt.Errorf("%w: kagi: max_pin_failures must be at least 1", ck.CKR_GENERAL_ERROR)
	}
	return nil
}
