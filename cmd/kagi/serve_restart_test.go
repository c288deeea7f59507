package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
)

const (
	appAKID      = "AKIAKAGISERVEAPP0000"
	appSecret    = "serve/app/secret/key/00000000000000000000"
	appPrincipal = "arn:aws:iam::123456789012:role/app"
	opsAKID      = "AKIAKAGISERVEOPS0000"
	opsSecret    = "serve/ops/secret/key/00000000000000000000"
	opsPrincipal = "arn:aws:iam::123456789012:user/ops"
)

// TestServeRestartKeepsState: what a KMS user set up — keys, aliases,
// rotated key material, grants, identity policies from the configuration —
// is all still in force after `kagi serve` restarts.
func TestServeRestartKeepsState(t *testing.T) {
	dir := setup(t)
	so, user := writePIN(t, dir, "so", "so-pin-1234"), writePIN(t, dir, "user", "user-pin-1234")
	if code, _, errs := kagi(t, "init-token", "--free", "--label", "kms", "--so-pin-file", so, "--pin-file", user); code != 0 {
		t.Fatalf("init-token: %s", errs)
	}
	// ops may describe keys through its identity policy (the default key
	// policy delegates to the account); app has no policy at all.
	conf := filepath.Join(dir, "serve.json")
	body := fmt.Sprintf(`{"listen": "127.0.0.1:0", "region": "eu-central-1", "account": "123456789012",
	  "token": "kms", "pin_file": %q,
	  "credentials": [
	    {"access_key_id": %q, "secret_access_key": %q, "principal": "arn:aws:iam::123456789012:root"},
	    {"access_key_id": %q, "secret_access_key": %q, "principal": %q},
	    {"access_key_id": %q, "secret_access_key": %q, "principal": %q,
	     "policy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["kms:Describe*", "kms:List*"], "Resource": "*"}]}}]}`,
		user, serveAKID, serveSecret, appAKID, appSecret, appPrincipal, opsAKID, opsSecret, opsPrincipal)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	client := func(url, akid, secret string) *kms.Client {
		return kms.NewFromConfig(aws.Config{
			Region:           "eu-central-1",
			Credentials:      credentials.NewStaticCredentialsProvider(akid, secret, ""),
			RetryMaxAttempts: 1,
		}, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
	}
	ctx := context.Background()
	appCtx := map[string]string{"tenant": "blue"}

	url, done := startServe(t, conf)
	root := client(url, serveAKID, serveSecret)
	key, err := root.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("restart")})
	if err != nil {
		t.Fatal(err)
	}
	id := key.KeyMetadata.KeyId
	if _, err := root.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/restart"), TargetKeyId: id}); err != nil {
		t.Fatal(err)
	}
	before, err := root.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("version 1"), EncryptionContext: appCtx})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.RotateKeyOnDemand(ctx, &kms.RotateKeyOnDemandInput{KeyId: id}); err != nil {
		t.Fatal(err)
	}
	grant, err := root.CreateGrant(ctx, &kms.CreateGrantInput{
		KeyId: id, GranteePrincipal: aws.String(appPrincipal),
		Operations:  []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt},
		Constraints: &types.GrantConstraints{EncryptionContextSubset: appCtx},
	})
	if err != nil {
		t.Fatal(err)
	}
	stopServe(t, done)

	url, done = startServe(t, conf)
	defer stopServe(t, done)
	root = client(url, serveAKID, serveSecret)
	app := client(url, appAKID, appSecret)
	ops := client(url, opsAKID, opsSecret)

	// The alias and both key material versions.
	d, err := root.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/restart")})
	if err != nil || aws.ToString(d.KeyMetadata.KeyId) != aws.ToString(id) {
		t.Fatalf("DescribeKey by alias after the restart: %v", err)
	}
	rot, err := root.ListKeyRotations(ctx, &kms.ListKeyRotationsInput{KeyId: id})
	if err != nil || len(rot.Rotations) != 1 {
		t.Fatalf("ListKeyRotations after the restart: %v (%d rotations)", err, len(rot.Rotations))
	}
	// The grant: app decrypts the version-1 blob and encrypts under its
	// context, and is refused without it or for another operation.
	dec, err := app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: before.CiphertextBlob, EncryptionContext: appCtx})
	if err != nil || string(dec.Plaintext) != "version 1" {
		t.Fatalf("the grantee's Decrypt after the restart: %v", err)
	}
	if _, err := app.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x"), EncryptionContext: map[string]string{"tenant": "red"}}); !isAccessDenied(err) {
		t.Fatalf("the grantee's Encrypt outside the grant's context: %v", err)
	}
	if _, err := app.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}); !isAccessDenied(err) {
		t.Fatalf("the grantee's DescribeKey (not granted): %v", err)
	}
	grants, err := root.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id})
	if err != nil || len(grants.Grants) != 1 || aws.ToString(grants.Grants[0].GrantId) != aws.ToString(grant.GrantId) {
		t.Fatalf("ListGrants after the restart: %v", err)
	}
	// ops's identity policy, from the configuration: describe yes, use no.
	if _, err := ops.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id}); err != nil {
		t.Fatalf("ops DescribeKey: %v", err)
	}
	if _, err := ops.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")}); !isAccessDenied(err) {
		t.Fatalf("ops Encrypt: %v", err)
	}
	if _, err := root.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: grant.GrantId}); err != nil {
		t.Fatal(err)
	}
	if _, err := app.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: before.CiphertextBlob, EncryptionContext: appCtx}); !isAccessDenied(err) {
		t.Fatalf("Decrypt after the grant was revoked: %v", err)
	}
}

// isAccessDenied: the SDK has no type for AccessDeniedException (AWS
// sends it from its authorisation layer), so it is a generic API error.
func isAccessDenied(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == "AccessDeniedException"
}
