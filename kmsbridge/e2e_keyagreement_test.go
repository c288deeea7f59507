package kmsbridge

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/x509"
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
)

// TestSDKDeriveSharedSecret: a KEY_AGREEMENT key through the endpoint with
// the AWS SDK for Go v2, as two peers use it: each takes the other's public
// key (GetPublicKey for the KMS key, crypto/ecdh for the peer) and both
// arrive at the same secret. Errors come back as the SDK's typed errors.
func TestSDKDeriveSharedSecret(t *testing.T) {
	b, _, _ := newBridge(t)
	c := serveBridge(t, b)

	created, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP384, KeyUsage: types.KeyUsageTypeKeyAgreement})
	if err != nil {
		t.Fatal(err)
	}
	md := created.KeyMetadata
	ecdhOnly := []types.KeyAgreementAlgorithmSpec{types.KeyAgreementAlgorithmSpecEcdh}
	if md.KeyUsage != types.KeyUsageTypeKeyAgreement || !slices.Equal(md.KeyAgreementAlgorithms, ecdhOnly) || len(md.SigningAlgorithms) != 0 {
		t.Fatalf("CreateKey metadata: %+v", md)
	}
	d, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: md.KeyId})
	if err != nil || !slices.Equal(d.KeyMetadata.KeyAgreementAlgorithms, ecdhOnly) {
		t.Fatalf("DescribeKey: %v", err)
	}
	gp, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: md.KeyId})
	if err != nil || !slices.Equal(gp.KeyAgreementAlgorithms, ecdhOnly) || gp.KeyUsage != types.KeyUsageTypeKeyAgreement {
		t.Fatalf("GetPublicKey: %+v %v", gp, err)
	}
	pk, err := x509.ParsePKIXPublicKey(gp.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	kmsPub, err := pk.(*ecdsa.PublicKey).ECDH()
	if err != nil {
		t.Fatal(err)
	}

	peer, spki := peerKey(t, ecdh.P384())
	out, err := c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{
		KeyId: aws.String("alias/agree"), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: spki})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) {
		t.Fatalf("unknown alias: %v, want NotFoundException", err)
	}
	if _, err := c.CreateAlias(bg, &kms.CreateAliasInput{AliasName: aws.String("alias/agree"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	out, err = c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{
		KeyId: aws.String("alias/agree"), KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: spki})
	if err != nil {
		t.Fatal(err)
	}
	want, err := peer.ECDH(kmsPub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.SharedSecret, want) {
		t.Fatal("the shared secret differs from the peer's crypto/ecdh one")
	}
	if aws.ToString(out.KeyId) != aws.ToString(md.Arn) || out.KeyAgreementAlgorithm != types.KeyAgreementAlgorithmSpecEcdh ||
		out.KeyOrigin != types.OriginTypeAwsKms || out.CiphertextForRecipient != nil {
		t.Fatalf("response: %+v", out)
	}

	// A peer on another curve is a ValidationException (no typed error in
	// the SDK); a signing key an InvalidKeyUsageException; a dry run and a
	// recipient their own.
	_, p256 := peerKey(t, ecdh.P256())
	_, err = c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: p256})
	var coded interface{ ErrorCode() string }
	if !errors.As(err, &coded) || coded.ErrorCode() != CodeValidation {
		t.Fatalf("peer on P-256: %v, want ValidationException", err)
	}
	signing, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: types.KeySpecEccNistP384, KeyUsage: types.KeyUsageTypeSignVerify})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{KeyId: signing.KeyMetadata.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: spki})
	var usage *types.InvalidKeyUsageException
	if !errors.As(err, &usage) {
		t.Fatalf("signing key: %v, want InvalidKeyUsageException", err)
	}
	_, err = c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: spki, DryRun: aws.Bool(true)})
	var dry *types.DryRunOperationException
	if !errors.As(err, &dry) {
		t.Fatalf("dry run: %v, want DryRunOperationException", err)
	}
	_, err = c.DeriveSharedSecret(bg, &kms.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: types.KeyAgreementAlgorithmSpecEcdh, PublicKey: spki,
		Recipient: &types.RecipientInfo{AttestationDocument: []byte("doc"), KeyEncryptionAlgorithm: types.KeyEncryptionMechanismRsaesOaepSha256}})
	var unsupported *types.UnsupportedOperationException
	if !errors.As(err, &unsupported) {
		t.Fatalf("recipient: %v, want UnsupportedOperationException", err)
	}
}
