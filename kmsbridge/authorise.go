package kmsbridge

import "context"

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
	if c := callOf(ctx); c != nil {
		c.noteKey(b.keyARN(k.id), a.ectx)
	}
	return nil // key policies and grants: policy.go (in progress)
}
