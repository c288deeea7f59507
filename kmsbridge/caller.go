package kmsbridge

import (
	"context"
	"maps"
	"sync"
	"time"
)

// call is one request to the bridge as authorisation and the audit trail see
// it. The operation table (operations.go) makes one per request; authorise
// notes on it which key the request used and under which encryption context.
type call struct {
	principal string // IAM ARN of the caller
	operation string // AWS operation name, e.g. "Encrypt"
	requestID string
	start     time.Time

	mu     sync.Mutex
	keyARN string            // the key the request used, once resolved
	ectx   map[string]string // its encryption context, if it has one
}

type callKey struct{}

// withCall returns ctx carrying c.
func withCall(ctx context.Context, c *call) context.Context {
	return context.WithValue(ctx, callKey{}, c)
}

// callOf returns the call ctx carries: nil until the endpoint's operation
// table or an operation method's begin has made one.
func callOf(ctx context.Context) *call {
	c, _ := ctx.Value(callKey{}).(*call)
	return c
}

type principalKey struct{}

// WithPrincipal makes the bridge's Go API methods called with the returned
// context act for principal (an IAM ARN of the bridge's account): key
// policies and grants then decide what it may do. Without it a direct Go
// API call acts as the account's root principal, which the default key
// policy allows everything; calls through the endpoint always carry the
// principal of their credentials.
func WithPrincipal(ctx context.Context, principal string) context.Context {
	return context.WithValue(ctx, principalKey{}, principal)
}

// principalOf is the principal a request acts for.
func (b *Bridge) principalOf(ctx context.Context) string {
	if c := callOf(ctx); c != nil {
		return c.principal
	}
	if p, ok := ctx.Value(principalKey{}).(string); ok {
		return p
	}
	return b.rootPrincipal()
}

// rootPrincipal is the account's root user, "arn:aws:iam::<account>:root".
func (b *Bridge) rootPrincipal() string {
	return "arn:aws:iam::" + b.cfg.Account + ":root"
}

// noteKey records on the call the key it used and its encryption context
// (the audit record carries both). The first key noted wins but a
// ReEncrypt's destination is kept too, as AWS's CloudTrail record does.
func (c *call) noteKey(keyARN string, ectx map[string]string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.keyARN == "" {
		c.keyARN = keyARN
	}
	if len(ectx) > 0 && c.ectx == nil {
		c.ectx = maps.Clone(ectx)
	}
}

// begin makes a direct Go API call one call of its own, as the endpoint's
// are: it acts for the principal WithPrincipal gave (else the account
// root), gets a request id, and is recorded in the audit trail when done
// is called with its outcome. A call that already is one (through the
// endpoint's operation table) is left as it is.
func (b *Bridge) begin(ctx context.Context, op string) (context.Context, func(out any, err error)) {
	if callOf(ctx) != nil {
		return ctx, func(any, error) {}
	}
	c := &call{principal: b.principalOf(ctx), operation: op, requestID: newRequestID(), start: time.Now()}
	return withCall(ctx, c), func(out any, err error) { b.record(c, out, err) }
}
