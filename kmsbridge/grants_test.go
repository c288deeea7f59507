package kmsbridge

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kagi-hsm/kagi/token"
)

// Authorisation through the Go API: key policies, identity policies and
// grants for principals other than the root (WithPrincipal), on a bridge
// whose identity policies are alice (admin), erin (Encrypt only, never
// Decrypt) and nobody else.

const (
	erinARN = "arn:aws:iam::111122223333:user/erin"
	daveARN = "arn:aws:iam::111122223333:user/dave"
)

var (
	asBob   = WithPrincipal(bg, bobARN)
	asCarol = WithPrincipal(bg, carolARN)
	asDave  = WithPrincipal(bg, daveARN)
	asErin  = WithPrincipal(bg, erinARN)
	asAlice = WithPrincipal(bg, alice.Principal)
)

const erinPolicy = `{"Version":"2012-10-17","Statement":[
 {"Effect":"Allow","Action":"kms:Encrypt","Resource":"*"},
 {"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}]}`

func authzConfig(c *fakeClock) Config {
	cfg := clockConfig(c)
	cfg.IdentityPolicies = map[string]string{alice.Principal: adminPolicy, erinARN: erinPolicy}
	return cfg
}

func newAuthzBridge(t *testing.T) (*Bridge, *token.Library, string, *fakeClock) {
	t.Helper()
	db := filepath.Join(t.TempDir(), "kagi.db")
	l := openLib(t, db)
	initToken(t, l)
	c := newFakeClock()
	b, err := Open(l, authzConfig(c))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b, l, db, c
}

func mustGrant(t *testing.T, b *Bridge, ctx context.Context, in CreateGrantRequest) *CreateGrantResponse {
	t.Helper()
	out, err := b.CreateGrant(ctx, &in)
	if err != nil {
		t.Fatalf("CreateGrant %+v: %v", in, err)
	}
	if !grantIDRE.MatchString(out.GrantId) {
		t.Fatalf("GrantId %q", out.GrantId)
	}
	if id, err := grantTokenID(out.GrantToken); err != nil || id != out.GrantId {
		t.Fatalf("GrantToken names %q (%v), want %s", id, err, out.GrantId)
	}
	return out
}

func encryptAs(b *Bridge, ctx context.Context, keyID string, ectx map[string]string) error {
	_, err := b.Encrypt(ctx, &EncryptRequest{KeyId: keyID, Plaintext: []byte("p"), EncryptionContext: ectx})
	return err
}

func wantOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func keyPolicyText(stmts ...string) string { return stmtPolicy(stmts...) }

const rootAll = `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`

func TestAuthzDefaultPolicy(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)

	// bob has no identity policy: the default key policy, which names only
	// the account, gives him nothing.
	denied := map[string]error{
		"Encrypt": encryptAs(b, asBob, md.KeyId, nil),
	}
	_, denied["Decrypt"] = b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: blob})
	_, denied["DescribeKey"] = b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: md.KeyId})
	_, denied["GenerateDataKey"] = b.GenerateDataKey(asBob, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: DataKeySpecAES256})
	_, denied["GetKeyPolicy"] = b.GetKeyPolicy(asBob, &GetKeyPolicyRequest{KeyId: md.KeyId})
	_, denied["ListKeyPolicies"] = b.ListKeyPolicies(asBob, &ListKeyPoliciesRequest{KeyId: md.KeyId})
	denied["PutKeyPolicy"] = b.PutKeyPolicy(asBob, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll)})
	_, denied["CreateGrant"] = b.CreateGrant(asBob, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}})
	_, denied["ListGrants"] = b.ListGrants(asBob, &ListGrantsRequest{KeyId: md.KeyId})
	denied["RevokeGrant"] = b.RevokeGrant(asBob, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: strings.Repeat("a", 64)})
	denied["DisableKey"] = b.DisableKey(asBob, &DisableKeyRequest{KeyId: md.KeyId})
	_, denied["ScheduleKeyDeletion"] = b.ScheduleKeyDeletion(asBob, &ScheduleKeyDeletionRequest{KeyId: md.KeyId})
	_, denied["CreateKey"] = b.CreateKey(asBob, &CreateKeyRequest{})
	_, denied["ListKeys"] = b.ListKeys(asBob, &ListKeysRequest{})
	_, denied["GenerateRandom"] = b.GenerateRandom(asBob, &GenerateRandomRequest{NumberOfBytes: i32(8)})
	_, denied["ListRetirableGrants"] = b.ListRetirableGrants(asBob, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN})
	for op, err := range denied {
		t.Run(op, func(t *testing.T) { wantCode(t, err, CodeAccessDenied) })
	}
	// An unknown key is NotFound for him as for anyone.
	_, err := b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: "00000000-0000-4000-8000-000000000000"})
	wantCode(t, err, CodeNotFound)

	// alice's identity policy allows kms:*, and the key policy delegates.
	wantOK(t, encryptAs(b, asAlice, md.KeyId, nil))
	_, err = b.Decrypt(asAlice, &DecryptRequest{CiphertextBlob: blob})
	wantOK(t, err)
	_, err = b.CreateKey(asAlice, &CreateKeyRequest{})
	wantOK(t, err)

	// erin's allows Encrypt and denies Decrypt.
	wantOK(t, encryptAs(b, asErin, md.KeyId, nil))
	_, err = b.Decrypt(asErin, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.DescribeKey(asErin, &DescribeKeyRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeAccessDenied)

	// Access is decided before the key's state: a disabled key is still
	// AccessDenied to bob, Disabled to alice.
	wantOK(t, b.DisableKey(bg, &DisableKeyRequest{KeyId: md.KeyId}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
	wantCode(t, encryptAs(b, asAlice, md.KeyId, nil), CodeDisabled)
}

func TestAuthzKeyPolicy(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	bobUse := `{"Effect":"Allow","Principal":{"AWS":"` + bobARN + `"},"Action":["kms:Encrypt","kms:Decrypt"],"Resource":"*"}`
	policy := keyPolicyText(rootAll, bobUse)
	wantOK(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: policy}))

	got, err := b.GetKeyPolicy(bg, &GetKeyPolicyRequest{KeyId: md.KeyId})
	if err != nil || got.Policy != policy || got.PolicyName != "default" {
		t.Fatalf("GetKeyPolicy: %+v %v", got, err)
	}
	_, err = b.GetKeyPolicy(bg, &GetKeyPolicyRequest{KeyId: md.KeyId, PolicyName: "other"})
	wantCode(t, err, CodeNotFound)
	names, err := b.ListKeyPolicies(bg, &ListKeyPoliciesRequest{KeyId: md.KeyId})
	if err != nil || !slices.Equal(names.PolicyNames, []string{"default"}) || names.Truncated {
		t.Fatalf("ListKeyPolicies: %+v %v", names, err)
	}
	_, err = b.ListKeyPolicies(bg, &ListKeyPoliciesRequest{KeyId: md.KeyId, Limit: i32(0)})
	wantCode(t, err, CodeValidation)

	// The key policy naming bob lets him Encrypt and Decrypt, nothing else.
	ectx := map[string]string{"tenant": "42"}
	out, err := b.Encrypt(asBob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("bob's"), EncryptionContext: ectx})
	wantOK(t, err)
	dec, err := b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ectx})
	if err != nil || string(dec.Plaintext) != "bob's" {
		t.Fatalf("Decrypt as bob: %v", err)
	}
	_, err = b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeAccessDenied)
	// carol is not named.
	wantCode(t, encryptAs(b, asCarol, md.KeyId, nil), CodeAccessDenied)

	// An explicit Deny wins over alice's admin identity policy and over the
	// Allow naming bob; a conditional Deny only when its condition holds.
	policy = keyPolicyText(rootAll, bobUse,
		`{"Effect":"Deny","Principal":{"AWS":"`+alice.Principal+`"},"Action":"kms:Decrypt","Resource":"*"}`,
		`{"Effect":"Deny","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringNotEquals":{"kms:EncryptionContext:tenant":"42"}}}`)
	wantOK(t, b.PutKeyPolicy(asAlice, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: policy}))
	_, err = b.Decrypt(asAlice, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ectx})
	wantCode(t, err, CodeAccessDenied)
	wantOK(t, encryptAs(b, asAlice, md.KeyId, nil))
	_, err = b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ectx})
	wantOK(t, err)
	other := mustEncrypt(t, b, md.KeyId, []byte("y"), map[string]string{"tenant": "7"})
	_, err = b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: other, EncryptionContext: map[string]string{"tenant": "7"}})
	wantCode(t, err, CodeAccessDenied)
	// The root is denied too: the Deny names everyone.
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: other, EncryptionContext: map[string]string{"tenant": "7"}})
	wantCode(t, err, CodeAccessDenied)

	// A Deny in erin's identity policy wins over a key policy naming her.
	wantOK(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll,
		`{"Effect":"Allow","Principal":{"AWS":"`+erinARN+`"},"Action":"kms:*","Resource":"*"}`)}))
	_, err = b.DescribeKey(asErin, &DescribeKeyRequest{KeyId: md.KeyId})
	wantOK(t, err)
	_, err = b.Decrypt(asErin, &DecryptRequest{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ectx})
	wantCode(t, err, CodeAccessDenied)

	// A policy whose Resource is another key's ARN does not apply here.
	wantOK(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll,
		`{"Effect":"Allow","Principal":{"AWS":"`+bobARN+`"},"Action":"kms:*","Resource":"`+keyARN1+`"}`)}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
	wantOK(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll,
		`{"Effect":"Allow","Principal":{"AWS":"`+bobARN+`"},"Action":"kms:*","Resource":"`+md.Arn+`"}`)}))
	wantOK(t, encryptAs(b, asBob, md.KeyId, nil))

	// Malformed policies and a pending-deletion key.
	wantCode(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: `{"Statement":`}), CodeMalformedPolicy)
	wantCode(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: adminPolicy}), CodeMalformedPolicy)
	wantCode(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll), PolicyName: "x"}), CodeNotFound)
	_, err = b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId})
	wantOK(t, err)
	wantCode(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: keyPolicyText(rootAll)}), CodeKMSInvalidState)
}

// TestLockoutSafetyCheck: a new policy must let its author put a policy
// again, unless BypassPolicyLockoutSafetyCheck.
func TestLockoutSafetyCheck(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	bobOnly := keyPolicyText(`{"Effect":"Allow","Principal":{"AWS":"` + bobARN + `"},"Action":"kms:*","Resource":"*"}`)
	rootDecrypt := keyPolicyText(`{"Effect":"Allow","Principal":{"AWS":"111122223333"},"Action":"kms:Decrypt","Resource":"*"}`)
	denyPut := keyPolicyText(rootAll, `{"Effect":"Deny","Principal":"*","Action":"kms:PutKeyPolicy","Resource":"*"}`)

	for _, p := range []string{bobOnly, rootDecrypt, denyPut} {
		_, err := b.CreateKey(bg, &CreateKeyRequest{Policy: p})
		wantCode(t, err, CodeMalformedPolicy)
		_, err = b.CreateKey(asAlice, &CreateKeyRequest{Policy: p})
		wantCode(t, err, CodeMalformedPolicy)
	}
	// alice may create a key whose policy names only the account: her
	// identity policy gives her PutKeyPolicy through it.
	out, err := b.CreateKey(asAlice, &CreateKeyRequest{Policy: keyPolicyText(rootAll)})
	wantOK(t, err)
	_, err = b.CreateKey(asAlice, &CreateKeyRequest{Policy: `{"Version":"2012-10-17"}`, BypassPolicyLockoutSafetyCheck: true})
	wantCode(t, err, CodeMalformedPolicy) // the bypass skips only the lockout check

	// With the bypass, the key is locked away from the root and alice.
	locked, err := b.CreateKey(bg, &CreateKeyRequest{Policy: bobOnly, BypassPolicyLockoutSafetyCheck: true})
	wantOK(t, err)
	_, err = b.DescribeKey(bg, &DescribeKeyRequest{KeyId: locked.KeyMetadata.KeyId})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.DescribeKey(asAlice, &DescribeKeyRequest{KeyId: locked.KeyMetadata.KeyId})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: locked.KeyMetadata.KeyId})
	wantOK(t, err)

	// PutKeyPolicy applies the same check to its caller.
	id := out.KeyMetadata.KeyId
	for _, p := range []string{bobOnly, rootDecrypt, denyPut} {
		wantCode(t, b.PutKeyPolicy(asAlice, &PutKeyPolicyRequest{KeyId: id, Policy: p}), CodeMalformedPolicy)
	}
	wantOK(t, b.PutKeyPolicy(asAlice, &PutKeyPolicyRequest{KeyId: id, Policy: bobOnly, BypassPolicyLockoutSafetyCheck: true}))
	wantCode(t, b.PutKeyPolicy(asAlice, &PutKeyPolicyRequest{KeyId: id, Policy: keyPolicyText(rootAll)}), CodeAccessDenied)
	// bob, named, may hand it back.
	wantOK(t, b.PutKeyPolicy(asBob, &PutKeyPolicyRequest{KeyId: id, Policy: keyPolicyText(rootAll,
		`{"Effect":"Allow","Principal":{"AWS":"`+bobARN+`"},"Action":"kms:PutKeyPolicy","Resource":"*"}`)}))
	_, err = b.DescribeKey(asAlice, &DescribeKeyRequest{KeyId: id})
	wantOK(t, err)
}

func TestCreateGrantValidation(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	sym := mustCreate(t, b, "sym").KeyId
	mk := func(spec, usage string) string {
		out, err := b.CreateKey(bg, &CreateKeyRequest{KeySpec: spec, KeyUsage: usage})
		if err != nil {
			t.Fatal(err)
		}
		return out.KeyMetadata.KeyId
	}
	sign := mk("ECC_NIST_P256", "SIGN_VERIFY")
	hmac := mk("HMAC_256", "GENERATE_VERIFY_MAC")
	rsa := mk("RSA_2048", "ENCRYPT_DECRYPT")
	dept := &GrantConstraints{EncryptionContextSubset: map[string]string{"Department": "IT"}}
	tok := mustGrant(t, b, bg, CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}}).GrantToken

	for _, c := range []struct {
		name string
		in   CreateGrantRequest
		code string
	}{
		{"no operations", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN}, CodeValidation},
		{"unknown operation", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt", "Fly"}}, CodeValidation},
		{"action name, not operation", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"kms:Encrypt"}}, CodeValidation},
		{"operation case", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"encrypt"}}, CodeValidation},
		{"constraints with Sign", CreateGrantRequest{KeyId: sign, GranteePrincipal: bobARN, Operations: []string{"Sign"}, Constraints: dept}, CodeValidation},
		{"constraints with GenerateMac", CreateGrantRequest{KeyId: hmac, GranteePrincipal: bobARN, Operations: []string{"GenerateMac"}, Constraints: dept}, CodeValidation},
		{"constraints on an RSA key", CreateGrantRequest{KeyId: rsa, GranteePrincipal: bobARN, Operations: []string{"Decrypt"}, Constraints: dept}, CodeValidation},
		{"both constraint kinds", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Decrypt"},
			Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"a": "b"}, EncryptionContextEquals: map[string]string{"a": "b"}}}, CodeValidation},
		{"no grantee", CreateGrantRequest{KeyId: sym, Operations: []string{"Encrypt"}}, CodeValidation},
		{"grantee not an ARN", CreateGrantRequest{KeyId: sym, GranteePrincipal: "bob", Operations: []string{"Encrypt"}}, CodeValidation},
		{"grantee an S3 ARN", CreateGrantRequest{KeyId: sym, GranteePrincipal: "arn:aws:s3:::bucket", Operations: []string{"Encrypt"}}, CodeValidation},
		{"retiring principal bad", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, RetiringPrincipal: "carol", Operations: []string{"Encrypt"}}, CodeValidation},
		{"name with a space", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}, Name: "my grant"}, CodeValidation},
		{"name too long", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}, Name: strings.Repeat("n", 257)}, CodeValidation},
		{"Sign on a symmetric key", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Sign"}}, CodeValidation},
		{"Encrypt on an HMAC key", CreateGrantRequest{KeyId: hmac, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}}, CodeValidation},
		{"GenerateDataKey on an RSA key", CreateGrantRequest{KeyId: rsa, GranteePrincipal: bobARN, Operations: []string{"GenerateDataKey"}}, CodeValidation},
		{"Decrypt on a signing key", CreateGrantRequest{KeyId: sign, GranteePrincipal: bobARN, Operations: []string{"Decrypt"}}, CodeValidation},
		{"unknown key", CreateGrantRequest{KeyId: "00000000-0000-4000-8000-000000000000", GranteePrincipal: bobARN, Operations: []string{"Encrypt"}}, CodeNotFound},
		{"malformed grant token", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}, GrantTokens: []string{"not-a-token"}}, CodeInvalidGrantToken},
		{"eleven grant tokens", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}, GrantTokens: slices.Repeat([]string{tok}, 11)}, CodeValidation},
		{"dry run", CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}, DryRun: true}, CodeDryRunOperation},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := b.CreateGrant(bg, &c.in)
			if out != nil {
				t.Fatalf("CreateGrant answered %+v", out)
			}
			wantCode(t, err, c.code)
		})
	}
	// Nothing above made a grant.
	for _, k := range []string{sym, sign, hmac, rsa} {
		l, err := b.ListGrants(bg, &ListGrantsRequest{KeyId: k})
		if err != nil || len(l.Grants) != map[bool]int{true: 1, false: 0}[k == sym] {
			t.Fatalf("ListGrants of %s: %+v %v", k, l, err)
		}
	}
	// What fits: Sign/Verify/GetPublicKey/DescribeKey on a signing key,
	// MACs on an HMAC key, constraints with DescribeKey, RetireGrant and
	// CreateGrant next to Decrypt, and a service principal.
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: sign, GranteePrincipal: bobARN, Operations: []string{"Sign", "Verify", "GetPublicKey", "DescribeKey"}})
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: hmac, GranteePrincipal: bobARN, Operations: []string{"GenerateMac", "VerifyMac"}})
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Decrypt", "DescribeKey", "RetireGrant", "CreateGrant"}, Constraints: dept})
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: sym, GranteePrincipal: "ec2.amazonaws.com", Operations: []string{"Decrypt"}, RetiringPrincipal: carolARN})
	// Pending deletion.
	_, err := b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: sym})
	wantOK(t, err)
	_, err = b.CreateGrant(bg, &CreateGrantRequest{KeyId: sym, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}})
	wantCode(t, err, CodeKMSInvalidState)
}

func TestGrantAllowsExactlyItsOperations(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	g := mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"Encrypt", "DescribeKey"}})
	blob := mustEncrypt(t, b, md.KeyId, []byte("x"), nil)

	wantOK(t, encryptAs(b, asBob, md.KeyId, nil))
	d, err := b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: md.KeyId})
	if err != nil || d.KeyMetadata.KeyId != md.KeyId {
		t.Fatalf("DescribeKey as grantee: %v", err)
	}
	_, err = b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: blob})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.GenerateDataKey(asBob, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: DataKeySpecAES256})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.ListGrants(asBob, &ListGrantsRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeAccessDenied)
	wantCode(t, b.DisableKey(asBob, &DisableKeyRequest{KeyId: md.KeyId}), CodeAccessDenied)
	// Not carol; not bob on another key.
	wantCode(t, encryptAs(b, asCarol, md.KeyId, nil), CodeAccessDenied)
	other := mustCreate(t, b, "other")
	wantCode(t, encryptAs(b, asBob, other.KeyId, nil), CodeAccessDenied)

	// Grant tokens: a real one is accepted, a malformed one and more than
	// ten are refused before anything else.
	_, err = b.Encrypt(asBob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p"), GrantTokens: []string{g.GrantToken}})
	wantOK(t, err)
	_, err = b.Encrypt(asBob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p"), GrantTokens: []string{g.GrantToken[:len(g.GrantToken)-2]}})
	wantCode(t, err, CodeInvalidGrantToken)
	_, err = b.Encrypt(asBob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p"), GrantTokens: []string{"kagi-grant-1.AAAA"}})
	wantCode(t, err, CodeInvalidGrantToken)
	_, err = b.Encrypt(asBob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p"), GrantTokens: slices.Repeat([]string{g.GrantToken}, 11)})
	wantCode(t, err, CodeValidation)
	_, err = b.Decrypt(bg, &DecryptRequest{CiphertextBlob: blob, GrantTokens: []string{"x"}})
	wantCode(t, err, CodeInvalidGrantToken)

	// Revoked, it allows nothing.
	wantOK(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
}

// TestGrantConstraints: EncryptionContextSubset and EncryptionContextEquals,
// satisfied and not. Constraint keys match without regard to case, values
// exactly (AWS's GrantConstraints rule).
func TestGrantConstraints(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	type ec = map[string]string
	for _, c := range []struct {
		name string
		cons GrantConstraints
		ectx ec
		want bool
	}{
		{"subset exact", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"Dept": "IT"}, true},
		{"subset more pairs", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"Dept": "IT", "x": "y"}, true},
		{"subset missing", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"x": "y"}, false},
		{"subset no context", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, nil, false},
		{"subset other value", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"Dept": "HR"}, false},
		{"subset value case", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"Dept": "it"}, false},
		{"subset key case", GrantConstraints{EncryptionContextSubset: ec{"Dept": "IT"}}, ec{"DEPT": "IT"}, true},
		{"subset two pairs one missing", GrantConstraints{EncryptionContextSubset: ec{"a": "1", "b": "2"}}, ec{"a": "1"}, false},
		{"subset two pairs", GrantConstraints{EncryptionContextSubset: ec{"a": "1", "b": "2"}}, ec{"b": "2", "a": "1", "c": "3"}, true},
		{"equals exact", GrantConstraints{EncryptionContextEquals: ec{"Dept": "IT"}}, ec{"Dept": "IT"}, true},
		{"equals more pairs", GrantConstraints{EncryptionContextEquals: ec{"Dept": "IT"}}, ec{"Dept": "IT", "x": "y"}, false},
		{"equals fewer pairs", GrantConstraints{EncryptionContextEquals: ec{"a": "1", "b": "2"}}, ec{"a": "1"}, false},
		{"equals order", GrantConstraints{EncryptionContextEquals: ec{"a": "1", "b": "2"}}, ec{"b": "2", "a": "1"}, true},
		{"equals no context", GrantConstraints{EncryptionContextEquals: ec{"Dept": "IT"}}, nil, false},
		{"equals key case", GrantConstraints{EncryptionContextEquals: ec{"Dept": "IT"}}, ec{"dept": "IT"}, true},
		{"equals value case", GrantConstraints{EncryptionContextEquals: ec{"Dept": "IT"}}, ec{"Dept": "It"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			md := mustCreate(t, b, c.name)
			cons := c.cons
			mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN,
				Operations: []string{"Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey"}, Constraints: &cons})
			blob := mustEncrypt(t, b, md.KeyId, []byte("x"), c.ectx)
			errs := []error{encryptAs(b, asBob, md.KeyId, c.ectx)}
			_, err := b.Decrypt(asBob, &DecryptRequest{CiphertextBlob: blob, EncryptionContext: c.ectx})
			errs = append(errs, err)
			_, err = b.GenerateDataKey(asBob, &GenerateDataKeyRequest{KeyId: md.KeyId, KeySpec: DataKeySpecAES128, EncryptionContext: c.ectx})
			errs = append(errs, err)
			for i, err := range errs {
				if c.want && err != nil {
					t.Fatalf("operation %d: %v", i, err)
				}
				if !c.want {
					wantCode(t, err, CodeAccessDenied)
				}
			}
			// The constraint does not apply to DescribeKey.
			_, err = b.DescribeKey(asBob, &DescribeKeyRequest{KeyId: md.KeyId})
			wantOK(t, err)
		})
	}
}

func TestGrantReEncrypt(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	src := mustCreate(t, b, "src")
	dst := mustCreate(t, b, "dst")
	blob := mustEncrypt(t, b, src.KeyId, []byte("moving"), map[string]string{"a": "1"})
	reenc := func() (*ReEncryptResponse, error) {
		return b.ReEncrypt(asBob, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: map[string]string{"a": "1"},
			DestinationKeyId: dst.KeyId, DestinationEncryptionContext: map[string]string{"b": "2"}})
	}
	// Decrypt on the source and Encrypt on the destination are not enough.
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: src.KeyId, GranteePrincipal: bobARN, Operations: []string{"Decrypt"}})
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: dst.KeyId, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}})
	_, err := reenc()
	wantCode(t, err, CodeAccessDenied)
	// ReEncryptFrom on the source alone: still no.
	from := mustGrant(t, b, bg, CreateGrantRequest{KeyId: src.KeyId, GranteePrincipal: bobARN, Operations: []string{"ReEncryptFrom"}})
	_, err = reenc()
	wantCode(t, err, CodeAccessDenied)
	// ReEncryptTo on the destination too: yes.
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: dst.KeyId, GranteePrincipal: bobARN, Operations: []string{"ReEncryptTo"},
		Constraints: &GrantConstraints{EncryptionContextEquals: map[string]string{"b": "2"}}})
	out, err := reenc()
	wantOK(t, err)
	if got := mustDecrypt(t, b, out.CiphertextBlob, map[string]string{"b": "2"}); string(got) != "moving" {
		t.Fatalf("re-encrypted plaintext %q", got)
	}
	// ReEncryptTo's constraint applies to the destination context.
	_, err = b.ReEncrypt(asBob, &ReEncryptRequest{CiphertextBlob: blob, SourceEncryptionContext: map[string]string{"a": "1"}, DestinationKeyId: dst.KeyId})
	wantCode(t, err, CodeAccessDenied)
	// ReEncryptTo on the destination without ReEncryptFrom on the source: no.
	wantOK(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: src.KeyId, GrantId: from.GrantId}))
	_, err = reenc()
	wantCode(t, err, CodeAccessDenied)
}

// TestGrantCreateGrant: a grantee allowed CreateGrant by a grant passes on
// at most that grant's operations, under constraints as strict or stricter.
func TestGrantCreateGrant(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"CreateGrant", "Encrypt", "Decrypt"}})

	g := mustGrant(t, b, asBob, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"Encrypt"}})
	wantOK(t, encryptAs(b, asCarol, md.KeyId, nil))
	mustGrant(t, b, asBob, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"CreateGrant", "Decrypt"}})
	for _, ops := range [][]string{{"Encrypt", "GenerateDataKey"}, {"DescribeKey"}, {"RetireGrant"}} {
		_, err := b.CreateGrant(asBob, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: ops})
		wantCode(t, err, CodeAccessDenied)
	}
	// bob may not revoke or list.
	wantCode(t, b.RevokeGrant(asBob, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}), CodeAccessDenied)

	// A constrained CreateGrant grant.
	sub := map[string]string{"Dept": "IT"}
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: daveARN, Operations: []string{"CreateGrant", "Decrypt", "Encrypt"},
		Constraints: &GrantConstraints{EncryptionContextSubset: sub}})
	for _, c := range []struct {
		name string
		cons *GrantConstraints
		ok   bool
	}{
		{"none", nil, false},
		{"other value", &GrantConstraints{EncryptionContextSubset: map[string]string{"Dept": "HR"}}, false},
		{"other key", &GrantConstraints{EncryptionContextSubset: map[string]string{"Team": "IT"}}, false},
		{"same", &GrantConstraints{EncryptionContextSubset: sub}, true},
		{"same, key case", &GrantConstraints{EncryptionContextSubset: map[string]string{"dept": "IT"}}, true},
		{"stricter subset", &GrantConstraints{EncryptionContextSubset: map[string]string{"Dept": "IT", "Project": "x"}}, true},
		{"equals holding it", &GrantConstraints{EncryptionContextEquals: map[string]string{"Dept": "IT", "Project": "x"}}, true},
		{"equals without it", &GrantConstraints{EncryptionContextEquals: map[string]string{"Project": "x"}}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := b.CreateGrant(asDave, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"Decrypt"}, Constraints: c.cons})
			if c.ok {
				wantOK(t, err)
			} else {
				wantCode(t, err, CodeAccessDenied)
			}
		})
	}
	// Under an Equals grant only the same Equals passes.
	eq := map[string]string{"a": "1"}
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: erinARN, Operations: []string{"CreateGrant", "Decrypt"},
		Constraints: &GrantConstraints{EncryptionContextEquals: eq}})
	_, err := b.CreateGrant(asErin, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"Decrypt"},
		Constraints: &GrantConstraints{EncryptionContextSubset: eq}})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.CreateGrant(asErin, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"Decrypt"},
		Constraints: &GrantConstraints{EncryptionContextEquals: map[string]string{"a": "1", "b": "2"}}})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.CreateGrant(asErin, &CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: carolARN, Operations: []string{"Decrypt"},
		Constraints: &GrantConstraints{EncryptionContextEquals: eq}})
	wantOK(t, err)
}

func TestGrantNameIdempotent(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	in := CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, Operations: []string{"Encrypt", "Decrypt"}, Name: "app:role/1_x-y"}
	a := mustGrant(t, b, bg, in)
	in.Operations = []string{"Decrypt", "Encrypt", "Decrypt"} // same set
	again := mustGrant(t, b, bg, in)
	if again.GrantId != a.GrantId || again.GrantToken == a.GrantToken {
		t.Fatalf("retry: id %s (want %s), token repeated %v", again.GrantId, a.GrantId, again.GrantToken == a.GrantToken)
	}
	in.Operations = []string{"Encrypt"}
	other := mustGrant(t, b, bg, in)
	if other.GrantId == a.GrantId {
		t.Fatal("a named grant with other operations reused the first grant")
	}
	l, err := b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId})
	if err != nil || len(l.Grants) != 2 {
		t.Fatalf("ListGrants: %+v %v", l, err)
	}
}

func TestListGrants(t *testing.T) {
	b, _, _, c := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	other := mustCreate(t, b, "other")
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: other.KeyId, GranteePrincipal: bobARN, Operations: []string{"Encrypt"}})
	var ids []string
	for i, p := range []string{bobARN, bobARN, carolARN, bobARN, carolARN} {
		ids = append(ids, mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: p, Operations: []string{"Encrypt"},
			Name: "g" + string(rune('0'+i))}).GrantId)
	}
	cons := &GrantConstraints{EncryptionContextEquals: map[string]string{"k": "v"}}
	full := mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: daveARN, RetiringPrincipal: carolARN,
		Operations: []string{"Decrypt", "Encrypt"}, Constraints: cons, Name: "full"})
	ids = append(ids, full.GrantId)
	slices.Sort(ids)

	// Paging two at a time gives every grant once, in order.
	var got []string
	marker := ""
	for pages := 0; ; pages++ {
		l, err := b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, Limit: i32(2), Marker: marker})
		if err != nil || pages > 3 {
			t.Fatalf("ListGrants page %d: %v", pages, err)
		}
		for _, g := range l.Grants {
			got = append(got, g.GrantId)
		}
		if l.Truncated != (l.NextMarker != "") {
			t.Fatalf("Truncated %v with NextMarker %q", l.Truncated, l.NextMarker)
		}
		if !l.Truncated {
			break
		}
		marker = l.NextMarker
	}
	if !slices.Equal(got, ids) {
		t.Fatalf("paged grants %v, want %v", got, ids)
	}

	l, err := b.ListGrants(bg, &ListGrantsRequest{KeyId: md.Arn, GranteePrincipal: bobARN})
	if err != nil || len(l.Grants) != 3 {
		t.Fatalf("by grantee: %d %v", len(l.Grants), err)
	}
	l, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, GrantId: full.GrantId})
	if err != nil || len(l.Grants) != 1 {
		t.Fatalf("by id: %+v %v", l, err)
	}
	g := l.Grants[0]
	if g.KeyId != md.Arn || g.GrantId != full.GrantId || g.Name != "full" || g.GranteePrincipal != daveARN ||
		g.RetiringPrincipal != carolARN || g.IssuingAccount != rootARN || !slices.Equal(g.Operations, []string{"Decrypt", "Encrypt"}) ||
		g.Constraints == nil || g.Constraints.EncryptionContextEquals["k"] != "v" || !g.CreationDate.Equal(c.Now()) {
		t.Fatalf("grant entry %+v", g)
	}
	l, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, GranteePrincipal: erinARN})
	if err != nil || len(l.Grants) != 0 || l.Grants == nil {
		t.Fatalf("no grants: %+v %v", l, err)
	}

	_, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, GrantId: "nope"})
	wantCode(t, err, CodeInvalidGrantID)
	_, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, Marker: "nope"})
	wantCode(t, err, CodeInvalidMarker)
	_, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, Limit: i32(0)})
	wantCode(t, err, CodeValidation)
	_, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId, Limit: i32(1001)})
	wantCode(t, err, CodeValidation)
	_, err = b.ListGrants(bg, &ListGrantsRequest{KeyId: "alias/none"})
	wantCode(t, err, CodeNotFound)
	_, err = b.ListGrants(asBob, &ListGrantsRequest{KeyId: md.KeyId})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.ListGrants(asAlice, &ListGrantsRequest{KeyId: md.KeyId})
	wantOK(t, err)
}

func TestListRetirableGrants(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	k1 := mustCreate(t, b, "k1")
	k2 := mustCreate(t, b, "k2")
	want := []string{
		mustGrant(t, b, bg, CreateGrantRequest{KeyId: k1.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: carolARN, Operations: []string{"Encrypt"}}).GrantId,
		mustGrant(t, b, bg, CreateGrantRequest{KeyId: k2.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: carolARN, Operations: []string{"Decrypt"}}).GrantId,
	}
	slices.Sort(want)
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: k1.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: daveARN, Operations: []string{"Encrypt"}})
	mustGrant(t, b, bg, CreateGrantRequest{KeyId: k1.KeyId, GranteePrincipal: carolARN, Operations: []string{"Encrypt"}})

	// carol lists her own without any policy; alice (admin) and the root
	// may list hers; bob may not.
	for _, ctx := range []context.Context{asCarol, asAlice, bg} {
		l, err := b.ListRetirableGrants(ctx, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, g := range l.Grants {
			got = append(got, g.GrantId)
			if g.RetiringPrincipal != carolARN || !strings.HasPrefix(g.KeyId, "arn:aws:kms:") {
				t.Fatalf("entry %+v", g)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("retirable by carol: %v, want %v", got, want)
		}
	}
	l, err := b.ListRetirableGrants(bg, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN, Limit: i32(1)})
	if err != nil || len(l.Grants) != 1 || !l.Truncated || l.NextMarker != want[1] {
		t.Fatalf("first page: %+v %v", l, err)
	}
	_, err = b.ListRetirableGrants(asBob, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN})
	wantCode(t, err, CodeAccessDenied)
	_, err = b.ListRetirableGrants(bg, &ListRetirableGrantsRequest{RetiringPrincipal: "carol"})
	wantCode(t, err, CodeValidation)
	_, err = b.ListRetirableGrants(bg, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN, Marker: "x"})
	wantCode(t, err, CodeInvalidMarker)
}

func TestRetireGrant(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	newG := func(ops ...string) *CreateGrantResponse {
		return mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: carolARN, Operations: ops})
	}
	g := newG("Encrypt")
	// Neither a stranger, nor the grantee without RetireGrant, nor an admin
	// of the account who is not its root may retire it.
	for _, ctx := range []context.Context{asDave, asBob, asAlice} {
		wantCode(t, b.RetireGrant(ctx, &RetireGrantRequest{GrantToken: g.GrantToken}), CodeAccessDenied)
		wantCode(t, b.RetireGrant(ctx, &RetireGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}), CodeAccessDenied)
	}
	wantCode(t, b.RetireGrant(asCarol, &RetireGrantRequest{GrantToken: g.GrantToken, DryRun: true}), CodeDryRunOperation)
	wantOK(t, encryptAs(b, asBob, md.KeyId, nil))
	// The retiring principal, by token.
	wantOK(t, b.RetireGrant(asCarol, &RetireGrantRequest{GrantToken: g.GrantToken}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
	wantCode(t, b.RetireGrant(asCarol, &RetireGrantRequest{GrantToken: g.GrantToken}), CodeNotFound)

	// The grantee when the grant allows RetireGrant, by key and id.
	g = newG("Encrypt", "RetireGrant")
	wantOK(t, b.RetireGrant(asBob, &RetireGrantRequest{KeyId: md.Arn, GrantId: g.GrantId}))
	// The root, by id.
	g = newG("Encrypt")
	wantOK(t, b.RetireGrant(bg, &RetireGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}))
	l, _ := b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId})
	if len(l.Grants) != 0 {
		t.Fatalf("grants left: %+v", l.Grants)
	}

	g = newG("Encrypt")
	for _, c := range []struct {
		name string
		in   RetireGrantRequest
		code string
	}{
		{"nothing", RetireGrantRequest{}, CodeValidation},
		{"id without key", RetireGrantRequest{GrantId: g.GrantId}, CodeValidation},
		{"key without id", RetireGrantRequest{KeyId: md.KeyId}, CodeValidation},
		{"malformed id", RetireGrantRequest{KeyId: md.KeyId, GrantId: "xyz"}, CodeInvalidGrantID},
		{"malformed token", RetireGrantRequest{GrantToken: "kagi-grant-1.!!"}, CodeInvalidGrantToken},
		{"token of another grant id", RetireGrantRequest{GrantToken: g.GrantToken, GrantId: strings.Repeat("0", 64)}, CodeInvalidGrantID},
		{"unknown id", RetireGrantRequest{KeyId: md.KeyId, GrantId: strings.Repeat("0", 64)}, CodeNotFound},
		{"unknown key", RetireGrantRequest{KeyId: "00000000-0000-4000-8000-000000000000", GrantId: g.GrantId}, CodeNotFound},
		{"grant of another key", RetireGrantRequest{KeyId: mustCreate(t, b, "o").KeyId, GrantId: g.GrantId}, CodeNotFound},
	} {
		t.Run(c.name, func(t *testing.T) { wantCode(t, b.RetireGrant(asCarol, &c.in), c.code) })
	}
	wantOK(t, encryptAs(b, asBob, md.KeyId, nil)) // g is still there
}

func TestRevokeGrant(t *testing.T) {
	b, _, _, _ := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	g := mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: bobARN, Operations: []string{"Encrypt", "RetireGrant"}})
	// Retiring rights are not revoking rights: RevokeGrant needs the key
	// policy's kms:RevokeGrant.
	wantCode(t, b.RevokeGrant(asBob, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}), CodeAccessDenied)
	wantCode(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: "abc"}), CodeInvalidGrantID)
	wantCode(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: strings.Repeat("0", 64)}), CodeNotFound)
	wantCode(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: "00000000-0000-4000-8000-000000000000", GrantId: g.GrantId}), CodeNotFound)
	wantCode(t, b.RevokeGrant(asAlice, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId, DryRun: true}), CodeDryRunOperation)
	wantOK(t, encryptAs(b, asBob, md.KeyId, nil))
	wantOK(t, b.RevokeGrant(asAlice, &RevokeGrantRequest{KeyId: md.Arn, GrantId: g.GrantId}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
	wantCode(t, b.RevokeGrant(bg, &RevokeGrantRequest{KeyId: md.KeyId, GrantId: g.GrantId}), CodeNotFound)
}

func TestGrantsSurviveReopenAndDieWithKey(t *testing.T) {
	b, l, db, c := newAuthzBridge(t)
	md := mustCreate(t, b, "k")
	keep := mustCreate(t, b, "keep")
	g := mustGrant(t, b, bg, CreateGrantRequest{KeyId: md.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: carolARN,
		Operations: []string{"Encrypt"}, Constraints: &GrantConstraints{EncryptionContextSubset: map[string]string{"a": "1"}}})
	kept := mustGrant(t, b, bg, CreateGrantRequest{KeyId: keep.KeyId, GranteePrincipal: bobARN, RetiringPrincipal: carolARN, Operations: []string{"Encrypt"}})
	policy := keyPolicyText(rootAll, `{"Effect":"Allow","Principal":{"AWS":"`+carolARN+`"},"Action":"kms:DescribeKey","Resource":"*"}`)
	wantOK(t, b.PutKeyPolicy(bg, &PutKeyPolicyRequest{KeyId: md.KeyId, Policy: policy}))

	b, l = reopen(t, b, l, db, authzConfig(c))
	lg, err := b.ListGrants(bg, &ListGrantsRequest{KeyId: md.KeyId})
	if err != nil || len(lg.Grants) != 1 || lg.Grants[0].GrantId != g.GrantId || lg.Grants[0].Constraints.EncryptionContextSubset["a"] != "1" {
		t.Fatalf("after reopen: %+v %v", lg, err)
	}
	wantOK(t, encryptAs(b, asBob, md.KeyId, map[string]string{"a": "1"}))
	wantCode(t, encryptAs(b, asBob, md.KeyId, nil), CodeAccessDenied)
	pol, err := b.GetKeyPolicy(bg, &GetKeyPolicyRequest{KeyId: md.KeyId})
	if err != nil || pol.Policy != policy {
		t.Fatalf("policy after reopen: %v", err)
	}
	_, err = b.DescribeKey(asCarol, &DescribeKeyRequest{KeyId: md.KeyId})
	wantOK(t, err)
	if n := labelled(t, l, g.GrantId); n != 1 {
		t.Fatalf("%d objects labelled with the grant id", n)
	}

	// Deleting the key deletes its grants, at once and on the token.
	_, err = b.ScheduleKeyDeletion(bg, &ScheduleKeyDeletionRequest{KeyId: md.KeyId, PendingWindowInDays: i32(7)})
	wantOK(t, err)
	c.Advance(7*day + time.Second)
	wantOK(t, b.maintain(bg))
	if n := labelled(t, l, g.GrantId); n != 0 {
		t.Fatalf("%d objects labelled with the deleted key's grant id", n)
	}
	rl, err := b.ListRetirableGrants(asCarol, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN})
	if err != nil || len(rl.Grants) != 1 || rl.Grants[0].GrantId != kept.GrantId {
		t.Fatalf("retirable after deletion: %+v %v", rl, err)
	}
	wantCode(t, b.RetireGrant(asCarol, &RetireGrantRequest{GrantToken: g.GrantToken}), CodeNotFound)

	b, _ = reopen(t, b, l, db, authzConfig(c))
	rl, err = b.ListRetirableGrants(asCarol, &ListRetirableGrantsRequest{RetiringPrincipal: carolARN})
	if err != nil || len(rl.Grants) != 1 || rl.Grants[0].GrantId != kept.GrantId {
		t.Fatalf("retirable after reopen: %+v %v", rl, err)
	}
	// A token from before the restart still retires its grant.
	wantOK(t, b.RetireGrant(asCarol, &RetireGrantRequest{GrantToken: kept.GrantToken}))
}
