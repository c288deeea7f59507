package kmsbridge

import (
	"context"
	"strings"
	"sync/atomic"
)

// Authorisation, as AWS KMS decides it for principals of the key's own
// account: an explicit Deny in the key policy or the caller's identity
// policy refuses; otherwise the caller may act if the key policy allows it
// by name, or allows the account root and the caller's identity policy
// allows the action (the root itself needs no identity policy), or a grant
// on the key allows the operation to the caller under the request's
// encryption context. Everything else is refused.
//
// Identity policies stand in for IAM: Config.IdentityPolicies maps a
// principal to a policy without Principal elements (the `policy` of a
// credential in `kagi serve`'s configuration). A principal without one
// gets nothing through the account, only what key policies name it for
// and what grants give it.

// access is what authorisation needs of one request on one key: the IAM
// action ("kms:Encrypt"), the request's encryption context (nil if it has
// none) and its grant tokens.
type access struct {
	action      string
	ectx        map[string]string
	grantTokens []string
}

// authorise decides whether the request ctx belongs to may perform a.action
// on key k, by k's key policy and the grants for k: AccessDeniedException if
// not. It notes the key on the request's call for the audit trail. Every
// operation on a key calls it once the key is resolved and before it looks
// at the key's state, as AWS answers AccessDeniedException for a key the
// caller may not use whatever its state. Caller holds b.mu (read or write).
func (b *Bridge) authorise(ctx context.Context, k *kmsKey, a access) error {
	_, err := b.decide(ctx, k, a)
	return err
}

// decide is authorise that also says which grant, if any, was the only
// thing allowing the request (CreateGrant limits what such a caller may
// pass on).
func (b *Bridge) decide(ctx context.Context, k *kmsKey, a access) (*grantRecord, error) {
	if c := callOf(ctx); c != nil {
		c.noteKey(b.keyARN(k.id), a.ectx)
	}
	if err := checkGrantTokens(a.grantTokens); err != nil {
		return nil, err
	}
	p := b.principalOf(ctx)
	r := authzRequest{principal: p, account: principalAccount(p), action: a.action, resource: b.keyARN(k.id), ectx: a.ectx}
	kp, err := b.keyPolicy(k)
	if err != nil {
		return nil, err
	}
	v := kp.evaluate(&r, b.rootPrincipal())
	id := b.identityVerdict(&r)
	if v.denied || id.denied {
		return nil, b.denied(ctx, a.action, k, "an explicit deny in a policy")
	}
	if v.allowed || v.delegate && (p == b.rootPrincipal() || id.allowed) {
		return nil, nil
	}
	op := strings.TrimPrefix(a.action, "kms:")
	// Of several grants that allow the request, the one with the lowest id
	// answers, so that what CreateGrant lets its caller pass on does not
	// depend on map order.
	var via *grantRecord
	for _, g := range k.grants {
		if g.allows(p, op, a.ectx) && (via == nil || g.GrantId < via.GrantId) {
			via = g
		}
	}
	if via != nil {
		return via, nil
	}
	return nil, b.denied(ctx, a.action, k, "no policy or grant allows it")
}

// authoriseAccount decides an action that concerns no key (CreateKey,
// ListKeys, ListAliases, GenerateRandom, ListRetirableGrants): the root
// may, other principals if their identity policy allows it.
func (b *Bridge) authoriseAccount(ctx context.Context, action string) error {
	p := b.principalOf(ctx)
	r := authzRequest{principal: p, account: principalAccount(p), action: action, resource: "*"}
	id := b.identityVerdict(&r)
	if !id.denied && (p == b.rootPrincipal() || id.allowed) {
		return nil
	}
	return newError(CodeAccessDenied, "User: %s is not authorized to perform: %s because no identity-based policy allows the %s action", p, action, action)
}

// denied is the AccessDeniedException for a request on a key, worded as
// AWS words it.
func (b *Bridge) denied(ctx context.Context, action string, k *kmsKey, why string) error {
	return newError(CodeAccessDenied, "User: %s is not authorized to perform: %s on resource: %s because %s",
		b.principalOf(ctx), action, b.keyARN(k.id), why)
}

// identityVerdict evaluates the caller's identity policy, if it has one.
func (b *Bridge) identityVerdict(r *authzRequest) verdict {
	if d, ok := b.identities[r.principal]; ok {
		return d.evaluateIdentity(r)
	}
	return verdict{}
}

// principalAccount is the account of an IAM or STS ARN
// ("arn:aws:iam::<account>:...").
func principalAccount(p string) string {
	parts := strings.SplitN(p, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// parsedPolicy caches a key's parsed key policy next to the text it came
// from; authorise runs under b.mu held for reading by many requests at
// once, so the cache is swapped atomically.
type parsedPolicy struct {
	text string
	doc  *policyDoc
}

// keyPolicy returns k's key policy, parsed (the default policy when the
// key has none stored).
func (b *Bridge) keyPolicy(k *kmsKey) (*policyDoc, error) {
	text := k.rec.Policy
	if text == "" {
		text = b.defaultPolicy()
	}
	if c := k.policy.Load(); c != nil && c.text == text {
		return c.doc, nil
	}
	doc, err := parsePolicy(text, true)
	if err != nil {
		return nil, KMSInternalException("the stored key policy of %s does not parse", b.keyARN(k.id))
	}
	k.policy.Store(&parsedPolicy{text: text, doc: doc})
	return doc, nil
}

// policyCache is embedded in kmsKey.
type policyCache = atomic.Pointer[parsedPolicy]
