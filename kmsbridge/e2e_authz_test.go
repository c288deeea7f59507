package kmsbridge

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

// bobCred signs as bob, who has no identity policy in testConfig.
var bobCred = Credential{
	AccessKeyID:     "AKIDBOBEXAMPLE000002",
	SecretAccessKey: "bob/secret/access/key/00000000000000000000",
	Principal:       bobARN,
}

// serveBridgeAs serves b's operations to every credential given and
// returns one SDK client per credential, in order.
func serveBridgeAs(t *testing.T, b *Bridge, creds ...Credential) []*kms.Client {
	t.Helper()
	s, err := NewServer(creds, b.Operations(), ServerConfig{Region: testRegion})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	var out []*kms.Client
	for _, c := range creds {
		out = append(out, kms.NewFromConfig(aws.Config{
			Region:           testRegion,
			Credentials:      credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, ""),
			RetryMaxAttempts: 1,
		}, func(o *kms.Options) { o.BaseEndpoint = aws.String(ts.URL) }))
	}
	return out
}

// wantAPIError checks that err is the AWS error code, as the SDK reports it.
func wantAPIError(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != code {
		t.Fatalf("err = %v; want %s", err, code)
	}
}

// TestSDKTwoPrincipals is the end-to-end authorisation test through
// the endpoint with the AWS SDK: bob is denied by default, allowed by a
// grant, and refused when the grant's encryption-context constraint is not
// met; alice (an admin through her identity policy) manages the grant.
func TestSDKTwoPrincipals(t *testing.T) {
	b, _, _ := newBridge(t)
	cs := serveBridgeAs(t, b, alice, bobCred)
	ac, bc := cs[0], cs[1]

	created, err := ac.CreateKey(bg, &kms.CreateKeyInput{Description: aws.String("shared")})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(created.KeyMetadata.KeyId)
	secret := []byte("tenant 42's letter")
	ctx42 := map[string]string{"tenant": "42"}
	enc, err := ac.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: secret, EncryptionContext: ctx42})
	if err != nil {
		t.Fatal(err)
	}

	// Denied by default: the default key policy names only the account,
	// and bob has no identity policy.
	_, err = bc.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: secret, EncryptionContext: ctx42})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = bc.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx42})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = bc.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = bc.CreateKey(bg, &kms.CreateKeyInput{})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = bc.CreateGrant(bg, &kms.CreateGrantInput{KeyId: aws.String(id), GranteePrincipal: aws.String(bobARN),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	wantAPIError(t, err, "AccessDeniedException")

	// alice grants bob Encrypt and Decrypt under tenant 42, retirable by him.
	g, err := ac.CreateGrant(bg, &kms.CreateGrantInput{
		KeyId:             aws.String(id),
		GranteePrincipal:  aws.String(bobARN),
		RetiringPrincipal: aws.String(bobARN),
		Operations:        []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt},
		Constraints:       &types.GrantConstraints{EncryptionContextSubset: ctx42},
		Name:              aws.String("tenant-42"),
	})
	if err != nil {
		t.Fatal(err)
	}
	tokens := []string{aws.ToString(g.GrantToken)}

	// Allowed by the grant under the constrained context.
	dec, err := bc.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx42, GrantTokens: tokens})
	if err != nil || string(dec.Plaintext) != string(secret) {
		t.Fatalf("Decrypt by bob through the grant: %v", err)
	}
	mine, err := bc.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("bob's"),
		EncryptionContext: map[string]string{"tenant": "42", "doc": "7"}})
	if err != nil {
		t.Fatal(err)
	}
	back, err := ac.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: mine.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "42", "doc": "7"}})
	if err != nil || string(back.Plaintext) != "bob's" {
		t.Fatalf("alice decrypting bob's blob: %v", err)
	}

	// Refused when the constraint is not met, though the blob is good.
	ctx7 := map[string]string{"tenant": "7"}
	other, err := ac.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: []byte("tenant 7's"), EncryptionContext: ctx7})
	if err != nil {
		t.Fatal(err)
	}
	_, err = bc.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: other.CiphertextBlob, EncryptionContext: ctx7, GrantTokens: tokens})
	wantAPIError(t, err, "AccessDeniedException")
	_, err = bc.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(id), Plaintext: secret})
	wantAPIError(t, err, "AccessDeniedException")
	// Nor does the grant allow what it does not name.
	_, err = bc.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: aws.String(id), KeySpec: types.DataKeySpecAes256, EncryptionContext: ctx42})
	wantAPIError(t, err, "AccessDeniedException")

	// The SDK's typed errors for grant mistakes.
	var badTok *types.InvalidGrantTokenException
	_, err = bc.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx42, GrantTokens: []string{"forged"}})
	if !errors.As(err, &badTok) {
		t.Fatalf("forged grant token: %v, want InvalidGrantTokenException", err)
	}
	_, err = ac.CreateGrant(bg, &kms.CreateGrantInput{KeyId: aws.String(id), GranteePrincipal: aws.String(bobARN),
		Operations: []types.GrantOperation{types.GrantOperationSign}})
	wantAPIError(t, err, "ValidationException")
	var dry *types.DryRunOperationException
	_, err = ac.CreateGrant(bg, &kms.CreateGrantInput{KeyId: aws.String(id), GranteePrincipal: aws.String(bobARN),
		Operations: []types.GrantOperation{types.GrantOperationEncrypt}, DryRun: aws.Bool(true)})
	if !errors.As(err, &dry) {
		t.Fatalf("DryRun CreateGrant: %v, want DryRunOperationException", err)
	}

	// The grant as ListGrants and ListRetirableGrants show it.
	lg, err := ac.ListGrants(bg, &kms.ListGrantsInput{KeyId: aws.String(id)})
	if err != nil || len(lg.Grants) != 1 {
		t.Fatalf("ListGrants: %v", err)
	}
	e := lg.Grants[0]
	if aws.ToString(e.GrantId) != aws.ToString(g.GrantId) || aws.ToString(e.GranteePrincipal) != bobARN ||
		aws.ToString(e.Name) != "tenant-42" || e.Constraints == nil || e.Constraints.EncryptionContextSubset["tenant"] != "42" ||
		len(e.Operations) != 2 || aws.ToString(e.KeyId) != aws.ToString(created.KeyMetadata.Arn) {
		t.Fatalf("grant entry %+v", e)
	}
	_, err = bc.ListGrants(bg, &kms.ListGrantsInput{KeyId: aws.String(id)})
	wantAPIError(t, err, "AccessDeniedException")
	rg, err := bc.ListRetirableGrants(bg, &kms.ListRetirableGrantsInput{RetiringPrincipal: aws.String(bobARN)})
	if err != nil || len(rg.Grants) != 1 || aws.ToString(rg.Grants[0].GrantId) != aws.ToString(g.GrantId) {
		t.Fatalf("ListRetirableGrants: %v", err)
	}

	// A key policy naming bob gives him DescribeKey; one that would lock
	// alice out is refused.
	pol := stmtPolicy(rootAll, `{"Effect":"Allow","Principal":{"AWS":"`+bobARN+`"},"Action":"kms:DescribeKey","Resource":"*"}`)
	if _, err := ac.PutKeyPolicy(bg, &kms.PutKeyPolicyInput{KeyId: aws.String(id), Policy: aws.String(pol), PolicyName: aws.String("default")}); err != nil {
		t.Fatal(err)
	}
	if _, err := bc.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	gp, err := ac.GetKeyPolicy(bg, &kms.GetKeyPolicyInput{KeyId: aws.String(id)})
	if err != nil || aws.ToString(gp.Policy) != pol {
		t.Fatalf("GetKeyPolicy: %v", err)
	}
	var malformed *types.MalformedPolicyDocumentException
	_, err = ac.PutKeyPolicy(bg, &kms.PutKeyPolicyInput{KeyId: aws.String(id),
		Policy: aws.String(stmtPolicy(`{"Effect":"Allow","Principal":{"AWS":"` + bobARN + `"},"Action":"kms:*","Resource":"*"}`))})
	if !errors.As(err, &malformed) {
		t.Fatalf("lockout: %v, want MalformedPolicyDocumentException", err)
	}

	// bob retires the grant with its token; then he is refused again.
	if _, err := bc.RetireGrant(bg, &kms.RetireGrantInput{GrantToken: g.GrantToken}); err != nil {
		t.Fatal(err)
	}
	_, err = bc.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: ctx42})
	wantAPIError(t, err, "AccessDeniedException")
	var nf *types.NotFoundException
	if _, err := ac.RevokeGrant(bg, &kms.RevokeGrantInput{KeyId: aws.String(id), GrantId: g.GrantId}); !errors.As(err, &nf) {
		t.Fatalf("RevokeGrant of a retired grant: %v, want NotFoundException", err)
	}
}
