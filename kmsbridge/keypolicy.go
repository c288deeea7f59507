package kmsbridge

import (
	"context"

	"github.com/kagi-hsm/kagi/token/ck"
)

// Key policies: one per key, named "default" as in AWS. A key created
// without one gets AWS's default key policy, which gives the account root
// kms:* (and through it whatever identity policies allow).

const defaultPolicyName = "default"

// defaultPolicy is AWS's default key policy for this bridge's account.
func (b *Bridge) defaultPolicy() string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "` + b.rootPrincipal() + `"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

// checkNewPolicy parses a policy a caller gives (CreateKey, PutKeyPolicy)
// and, unless bypass is set, applies AWS's lockout safety check: the
// policy must let the caller put a new policy afterwards, so that nobody
// locks the key away by mistake.
func (b *Bridge) checkNewPolicy(ctx context.Context, text, keyARN string, bypass bool) error {
	doc, err := parsePolicy(text, true)
	if err != nil {
		return err
	}
	if bypass {
		return nil
	}
	p := b.principalOf(ctx)
	r := authzRequest{principal: p, account: principalAccount(p), action: "kms:PutKeyPolicy", resource: keyARN}
	v := doc.evaluate(&r, b.rootPrincipal())
	id := b.identityVerdict(&r)
	if !v.denied && !id.denied && (v.allowed || v.delegate && (p == b.rootPrincipal() || id.allowed)) {
		return nil
	}
	return newError(CodeMalformedPolicy, "The new key policy will not allow you to update the key policy in the future.")
}

type GetKeyPolicyRequest struct {
	KeyId      string
	PolicyName string `json:",omitempty"`
}

type GetKeyPolicyResponse struct {
	Policy     string
	PolicyName string
}

type PutKeyPolicyRequest struct {
	KeyId                          string
	Policy                         string
	PolicyName                     string `json:",omitempty"`
	BypassPolicyLockoutSafetyCheck bool   `json:",omitempty"`
}

type ListKeyPoliciesRequest struct {
	KeyId  string
	Limit  *int32 `json:",omitempty"`
	Marker string `json:",omitempty"`
}

type ListKeyPoliciesResponse struct {
	PolicyNames []string
	Truncated   bool
}

func checkPolicyName(name string) error {
	if name != "" && name != defaultPolicyName {
		return NotFoundException("Policy %q does not exist; a key has only the policy named default.", name)
	}
	return nil
}

// GetKeyPolicy answers a key's policy document.
func (b *Bridge) GetKeyPolicy(ctx context.Context, in *GetKeyPolicyRequest) (out *GetKeyPolicyResponse, err error) {
	ctx, done := b.begin(ctx, "GetKeyPolicy")
	defer func() { done(out, err) }()
	b.mu.RLock()
	defer b.mu.RUnlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:GetKeyPolicy"})
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	text := k.rec.Policy
	if text == "" {
		text = b.defaultPolicy()
	}
	return &GetKeyPolicyResponse{Policy: text, PolicyName: defaultPolicyName}, nil
}

// PutKeyPolicy replaces a key's policy.
func (b *Bridge) PutKeyPolicy(ctx context.Context, in *PutKeyPolicyRequest) (err error) {
	ctx, done := b.begin(ctx, "PutKeyPolicy")
	defer func() { done(nil, err) }()
	b.mu.Lock()
	defer b.mu.Unlock()
	k, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:PutKeyPolicy"})
	if err != nil {
		return err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return err
	}
	if k.rec.KeyState == KeyStatePendingDeletion {
		return KMSInvalidStateException("%s is pending deletion.", b.keyARN(k.id))
	}
	if err := b.checkNewPolicy(ctx, in.Policy, b.keyARN(k.id), in.BypassPolicyLockoutSafetyCheck); err != nil {
		return err
	}
	rec := cloneRecord(k.rec)
	rec.Policy = in.Policy
	return b.withSession(ctx, func(sh ck.SessionHandle) error { return b.writeKey(sh, k, rec) })
}

// ListKeyPolicies answers the one policy name a key has.
func (b *Bridge) ListKeyPolicies(ctx context.Context, in *ListKeyPoliciesRequest) (out *ListKeyPoliciesResponse, err error) {
	ctx, done := b.begin(ctx, "ListKeyPolicies")
	defer func() { done(out, err) }()
	if _, err := listLimit(in.Limit); err != nil {
		return nil, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if _, err := b.resolveFor(ctx, in.KeyId, access{action: "kms:ListKeyPolicies"}); err != nil {
		return nil, err
	}
	if in.Marker != "" {
		return nil, InvalidMarkerException("Marker %q is not a marker ListKeyPolicies returned", in.Marker)
	}
	return &ListKeyPoliciesResponse{PolicyNames: []string{defaultPolicyName}}, nil
}
