// Package kmsbridge gives AWS KMS semantics on a kagi token, through the
// token's Go API only: KMS keys are containers of backing keys (HBKs) that
// are AES-256 secret keys generated on the token and never leave it; key
// metadata and aliases are data objects on the same token (see store.go);
// ciphertext blobs are self-describing (see blob.go).
//
// The operation methods take and return the AWS KMS JSON API's request and
// response shapes (api.go) and fail with *Error, whose Code is the AWS
// exception name.
package kmsbridge

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"time"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// Owner is the CKA_KAGI_OWNER of every object the bridge creates.
const Owner = "kagi-kms"

// DefaultSessions is the number of token sessions a Bridge opens when
// Config.Sessions is zero: that many operations run on the token at once.
const DefaultSessions = 8

// Config says which token the bridge serves and how ARNs are spelled.
type Config struct {
	Region     string // e.g. "eu-west-1"; part of every ARN
	Account    string // 12 decimal digits; part of every ARN
	TokenLabel string // CKA_LABEL of the token (CK_TOKEN_INFO.label)
	PIN        string // the token's user PIN
	Sessions   int    // concurrent token sessions; 0 means DefaultSessions

	// Now is the clock of key deletion and rotation schedules; nil means
	// time.Now. Tests move it forward.
	Now func() time.Time
	// MaintenanceInterval is how often due deletions and rotations run in
	// the background (they also run at Open); 0 means
	// DefaultMaintenanceInterval, negative means only at Open.
	MaintenanceInterval time.Duration

	// IdentityPolicies stand in for IAM identity policies: principal ARN ->
	// policy document (no Principal elements). See authorise.go.
	IdentityPolicies map[string]string
}

var (
	regionRE  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)
	accountRE = regexp.MustCompile(`^[0-9]{12}$`)
)

// Bridge is a KMS over one token. It is safe for concurrent use: each
// operation borrows one of a fixed pool of token sessions (PKCS#11 sessions
// are single-threaded), and mu guards the in-memory index of keys and aliases,
// which mirrors the token objects and is written through to them.
type Bridge struct {
	lib  *token.Library
	cfg  Config
	slot ck.SlotID
	arn  string // "arn:aws:kms:<region>:<account>:"

	sessions []ck.SessionHandle
	pool     chan ck.SessionHandle

	// mu guards keys and aliases, and serialises every change to KMS state
	// so that check-then-write (alias uniqueness, state transitions) is
	// atomic within this process.
	mu      sync.RWMutex
	keys    map[string]*kmsKey // by key id (UUID string)
	aliases map[string]*alias  // by alias name

	identities map[string]*policyDoc // Config.IdentityPolicies parsed

	// hbkMu guards the HBK handle caches (kmsKey.hbk), which readers fill.
	hbkMu sync.Mutex

	// done is closed by Close; operations waiting for a session then fail.
	done      chan struct{}
	closeOnce sync.Once

	// maintWG waits for the background maintenance goroutine (lifecycle.go).
	maintWG sync.WaitGroup

	// audit writes the audit trail's records in batches (audit.go).
	audit *auditor
}

// Open finds the token labelled cfg.TokenLabel, opens cfg.Sessions R/W
// sessions on it, logs the user in and loads the KMS keys and aliases.
func Open(lib *token.Library, cfg Config) (*Bridge, error) {
	if !regionRE.MatchString(cfg.Region) {
		return nil, fmt.Errorf("kmsbridge: region %q is not an AWS region name", cfg.Region)
	}
	if !accountRE.MatchString(cfg.Account) {
		return nil, fmt.Errorf("kmsbridge: account %q is not 12 digits", cfg.Account)
	}
	if cfg.Sessions <= 0 {
		cfg.Sessions = DefaultSessions
	}
	identities := map[string]*policyDoc{}
	for p, text := range cfg.IdentityPolicies {
		d, err := parsePolicy(text, false)
		if err != nil {
			return nil, fmt.Errorf("kmsbridge: identity policy of %s: %w", p, err)
		}
		identities[p] = d
	}
	slot, err := findToken(lib, cfg.TokenLabel)
	if err != nil {
		return nil, err
	}
	b := &Bridge{
		lib:        lib,
		cfg:        cfg,
		slot:       slot,
		arn:        "arn:aws:kms:" + cfg.Region + ":" + cfg.Account + ":",
		pool:       make(chan ck.SessionHandle, cfg.Sessions),
		keys:       map[string]*kmsKey{},
		aliases:    map[string]*alias{},
		identities: identities,
		done:       make(chan struct{}),
	}
	for i := 0; i < cfg.Sessions; i++ {
		// Owner sessions: what the bridge creates is marked as its own, and
		// PKCS#11 clients may use but not change or destroy it (token/owner.go).
		sh, err := lib.OpenOwnerSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION, Owner)
		if err != nil {
			b.closeSessions()
			return nil, fmt.Errorf("kmsbridge: opening a session on token %q: %w", cfg.TokenLabel, err)
		}
		b.sessions = append(b.sessions, sh)
		b.pool <- sh
	}
	// Login state is per token (PKCS#11 section 5.6): one login serves every
	// session, and the token may already be logged in by its host.
	if err := lib.Login(b.sessions[0], ck.CKU_USER, []byte(cfg.PIN)); err != nil && ck.ErrorRV(err) != ck.CKR_USER_ALREADY_LOGGED_IN {
		b.closeSessions()
		return nil, fmt.Errorf("kmsbridge: login to token %q: %w", cfg.TokenLabel, err)
	}
	if err := b.load(b.sessions[0]); err != nil {
		b.closeSessions()
		return nil, err
	}
	// Deletions and rotations that fell due while nothing ran happen now.
	if err := b.maintain(context.Background()); err != nil {
		b.closeSessions()
		return nil, fmt.Errorf("kmsbridge: due key deletions and rotations: %w", err)
	}
	b.audit = newAuditor(lib, slot)
	b.startMaintenance()
	return b, nil
}

// findToken returns the slot of the one initialised token with that label.
func findToken(lib *token.Library, label string) (ck.SlotID, error) {
	slots, err := lib.Slots(true)
	if err != nil {
		return 0, fmt.Errorf("kmsbridge: listing slots: %w", err)
	}
	var found []ck.SlotID
	for _, s := range slots {
		info, err := lib.TokenInfo(s)
		if err != nil {
			return 0, fmt.Errorf("kmsbridge: token info of slot %d: %w", s, err)
		}
		if info.Flags&ck.CKF_TOKEN_INITIALIZED != 0 && info.Label == label {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return 0, fmt.Errorf("kmsbridge: no initialised token labelled %q", label)
	case 1:
		return found[0], nil
	}
	return 0, fmt.Errorf("kmsbridge: %d tokens labelled %q", len(found), label)
}

// Close closes the bridge's sessions (closing a token's last session logs
// it out, PKCS#11 section 5.6). Operations still running finish first, and
// the audit records of every call are written before it returns.
func (b *Bridge) Close() error {
	var err error
	b.closeOnce.Do(func() {
		close(b.done)
		b.maintWG.Wait() // the maintenance goroutine holds no session after this
		// Take every session back from the pool: waits for running operations.
		for range b.sessions {
			<-b.pool
		}
		// Every call has ended: its record is queued; write them all.
		aerr := b.audit.close()
		err = errors.Join(b.closeSessions(), aerr)
	})
	return err
}

func (b *Bridge) closeSessions() error {
	var errs []error
	for _, sh := range b.sessions {
		if err := b.lib.CloseSession(sh); err != nil {
			errs = append(errs, err)
		}
	}
	b.sessions = nil
	return errors.Join(errs...)
}

// errClosed is what operations on a closed Bridge return.
var errClosed = KMSInternalException("the KMS bridge is closed")

// withSession runs fn on a token session of the pool, waiting for one to
// be free (or for ctx or the bridge to end). It does not take b.mu, so
// callers may hold it.
func (b *Bridge) withSession(ctx context.Context, fn func(sh ck.SessionHandle) error) error {
	select {
	case <-b.done:
		return errClosed
	default:
	}
	var sh ck.SessionHandle
	select {
	case sh = <-b.pool:
	case <-b.done:
		return errClosed
	case <-ctx.Done():
		return &Error{Code: CodeDependencyTimeout, Message: "no token session became free: " + ctx.Err().Error()}
	}
	defer func() { b.pool <- sh }()
	err := fn(sh)
	if errors.Is(err, ck.CKR_USER_NOT_LOGGED_IN) {
		// Someone logged the token out (C_Logout on any session of the
		// library logs out all of them). Log in again and retry once; every
		// fn is safe to repeat when it failed for want of a login, since
		// nothing private could be created or changed before that failure.
		if lerr := b.lib.Login(sh, ck.CKU_USER, []byte(b.cfg.PIN)); lerr != nil && ck.ErrorRV(lerr) != ck.CKR_USER_ALREADY_LOGGED_IN {
			return tokenError("logging in again", lerr)
		}
		err = fn(sh)
	}
	return err
}
