package kmsbridge

import "testing"

// TestDataKeyPairAndReEncryptAuthorised: a principal the default key policy
// does not name is refused (before any state check), and grants for exactly
// kms:GenerateDataKeyPair, kms:ReEncryptFrom on the source and
// kms:ReEncryptTo on the destination (under its context constraint) let it
// through.
func TestDataKeyPairAndReEncryptAuthorised(t *testing.T) {
	b, _, _ := newBridge(t)
	bob := WithPrincipal(bg, "arn:aws:iam::"+testAccount+":user/bob")
	grant := func(keyID string, c *GrantConstraints, ops ...string) {
		t.Helper()
		if _, err := b.CreateGrant(bg, &CreateGrantRequest{KeyId: keyID, GranteePrincipal: "arn:aws:iam::" + testAccount + ":user/bob",
			Operations: ops, Constraints: c}); err != nil {
			t.Fatal(err)
		}
	}
	sym := mustCreate(t, b, "pairs").KeyId
	disabled := mustCreate(t, b, "disabled").KeyId
	if err := b.DisableKey(bg, &DisableKeyRequest{KeyId: disabled}); err != nil {
		t.Fatal(err)
	}

	req := &GenerateDataKeyPairRequest{KeyId: sym, KeyPairSpec: "ECC_NIST_P256"}
	_, err := b.GenerateDataKeyPair(bob, req)
	wantCode(t, err, CodeAccessDenied)
	_, err = b.GenerateDataKeyPair(bob, &GenerateDataKeyPairRequest{KeyId: disabled, KeyPairSpec: "ECC_NIST_P256"})
	wantCode(t, err, CodeAccessDenied)
	grant(sym, nil, "GenerateDataKeyPair")
	if _, err := b.GenerateDataKeyPair(bob, req); err != nil {
		t.Fatalf("with a GenerateDataKeyPair grant: %v", err)
	}
	_, err = b.GenerateDataKeyPairWithoutPlaintext(bob, req)
	wantCode(t, err, CodeAccessDenied)

	// ReEncrypt symmetric -> RSA needs From on the source, To on the
	// destination; the destination grant's context constraint holds too.
	rsaKey := mustCreateSpec(t, b, "RSA_2048", KeyUsageEncryptDecrypt).KeyId
	dst := mustCreate(t, b, "dst").KeyId
	blob := mustEncrypt(t, b, sym, []byte("moving"), nil)
	toRSA := &ReEncryptRequest{CiphertextBlob: blob, DestinationKeyId: rsaKey, DestinationEncryptionAlgorithm: "RSAES_OAEP_SHA_256"}
	grant(rsaKey, nil, "ReEncryptTo")
	_, err = b.ReEncrypt(bob, toRSA)
	wantCode(t, err, CodeAccessDenied)
	grant(sym, nil, "ReEncryptFrom")
	out, err := b.ReEncrypt(bob, toRSA)
	if err != nil {
		t.Fatalf("with ReEncryptFrom and ReEncryptTo grants: %v", err)
	}

	// RSA -> symmetric: From on the RSA key, To on dst only for tenant 1.
	back := &ReEncryptRequest{CiphertextBlob: out.CiphertextBlob, SourceKeyId: rsaKey, SourceEncryptionAlgorithm: "RSAES_OAEP_SHA_256",
		DestinationKeyId: dst, DestinationEncryptionContext: map[string]string{"tenant": "1"}}
	grant(dst, &GrantConstraints{EncryptionContextEquals: map[string]string{"tenant": "1"}}, "ReEncryptTo")
	_, err = b.ReEncrypt(bob, back)
	wantCode(t, err, CodeAccessDenied) // no ReEncryptFrom on the RSA key yet
	grant(rsaKey, nil, "ReEncryptFrom")
	res, err := b.ReEncrypt(bob, back)
	if err != nil {
		t.Fatal(err)
	}
	if got := mustDecrypt(t, b, res.CiphertextBlob, map[string]string{"tenant": "1"}); string(got) != "moving" {
		t.Fatalf("plaintext %q", got)
	}
	back.DestinationEncryptionContext = map[string]string{"tenant": "2"}
	_, err = b.ReEncrypt(bob, back)
	wantCode(t, err, CodeAccessDenied)
}
