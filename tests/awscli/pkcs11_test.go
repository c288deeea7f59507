package awscli

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"math/big"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/miekg/pkcs11"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// TestKMSKeysSignThroughPKCS11 is the cross-check: KMS signing keys
// created through kagi serve are objects on the token, labelled with the
// key id, that sign through build/libkagi.so; those signatures verify with
// GetPublicKey's key, and KMS Sign's signatures verify with the PKCS#11
// public key object, in Go's crypto and with C_Verify. The server keeps
// running: the module and kagi serve share the database file.
func TestKMSKeysSignThroughPKCS11(t *testing.T) {
	e := serve(t)
	c := e.client()
	msg := []byte("signed by a KMS key through PKCS#11")
	digest := sha256.Sum256(msg)

	type kmsKey struct {
		spec    types.KeySpec
		alg     types.SigningAlgorithmSpec
		id      string
		pub     crypto.PublicKey // from GetPublicKey
		kmsSig  []byte           // KMS Sign over msg
		p11Mech uint
	}
	keys := []*kmsKey{
		{spec: types.KeySpecEccNistP256, alg: types.SigningAlgorithmSpecEcdsaSha256, p11Mech: pkcs11.CKM_ECDSA},
		{spec: types.KeySpecRsa2048, alg: types.SigningAlgorithmSpecRsassaPkcs1V15Sha256, p11Mech: pkcs11.CKM_SHA256_RSA_PKCS},
	}
	for _, k := range keys {
		out, err := c.CreateKey(bg, &kms.CreateKeyInput{KeySpec: k.spec, KeyUsage: types.KeyUsageTypeSignVerify})
		if err != nil {
			t.Fatalf("CreateKey %s: %v", k.spec, err)
		}
		k.id = aws.ToString(out.KeyMetadata.KeyId)
		pk, err := c.GetPublicKey(bg, &kms.GetPublicKeyInput{KeyId: aws.String(k.id)})
		if err != nil {
			t.Fatal(err)
		}
		if k.pub, err = x509.ParsePKIXPublicKey(pk.PublicKey); err != nil {
			t.Fatalf("GetPublicKey %s: %v", k.spec, err)
		}
		s, err := c.Sign(bg, &kms.SignInput{KeyId: aws.String(k.id), Message: msg, MessageType: types.MessageTypeRaw, SigningAlgorithm: k.alg})
		if err != nil {
			t.Fatalf("Sign %s: %v", k.spec, err)
		}
		k.kmsSig = s.Signature
	}

	// The module on the same database, as a PKCS#11 application loads it.
	module, err := testmodule.Path(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("KAGI_DB", e.db)
	p := pkcs11.New(module)
	if p == nil {
		t.Fatalf("cannot load %s", module)
	}
	if err := p.Initialize(); err != nil {
		t.Fatal(err)
	}
	defer p.Destroy()
	defer p.Finalize()
	sh := openTokenSession(t, p)

	for _, k := range keys {
		t.Run(string(k.spec), func(t *testing.T) {
			priv := findOne(t, p, sh, pkcs11.CKO_PRIVATE_KEY, k.id)
			pubObj := findOne(t, p, sh, pkcs11.CKO_PUBLIC_KEY, k.id)

			// PKCS#11 signs; GetPublicKey's key verifies.
			in := msg
			if k.p11Mech == pkcs11.CKM_ECDSA {
				in = digest[:] // CKM_ECDSA signs a digest
			}
			if err := p.SignInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(k.p11Mech, nil)}, priv); err != nil {
				t.Fatalf("C_SignInit: %v", err)
			}
			sig, err := p.Sign(sh, in)
			if err != nil {
				t.Fatalf("C_Sign: %v", err)
			}
			switch pub := k.pub.(type) {
			case *ecdsa.PublicKey:
				if len(sig) != 64 {
					t.Fatalf("CKM_ECDSA signature of %d bytes, want r||s of 64", len(sig))
				}
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				if !ecdsa.Verify(pub, digest[:], r, s) {
					t.Fatal("the PKCS#11 ECDSA signature does not verify with GetPublicKey's key")
				}
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
					t.Fatalf("the PKCS#11 RSA signature does not verify with GetPublicKey's key: %v", err)
				}
			default:
				t.Fatalf("GetPublicKey gave a %T", k.pub)
			}

			// The PKCS#11 public key object is GetPublicKey's key, and KMS
			// Sign's signature verifies with it.
			objPub := publicKeyOf(t, p, sh, pubObj)
			if !objPub.(interface{ Equal(crypto.PublicKey) bool }).Equal(k.pub) {
				t.Fatal("the PKCS#11 public key object is not GetPublicKey's key")
			}
			kmsSig := k.kmsSig
			switch pub := objPub.(type) {
			case *ecdsa.PublicKey:
				if !ecdsa.VerifyASN1(pub, digest[:], kmsSig) {
					t.Fatal("KMS Sign's signature does not verify with the PKCS#11 public key")
				}
				kmsSig = rawECDSA(t, kmsSig) // C_Verify with CKM_ECDSA takes r||s
			case *rsa.PublicKey:
				if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], kmsSig); err != nil {
					t.Fatalf("KMS Sign's signature does not verify with the PKCS#11 public key: %v", err)
				}
			}
			verify := func(data, sig []byte) error {
				if err := p.VerifyInit(sh, []*pkcs11.Mechanism{pkcs11.NewMechanism(k.p11Mech, nil)}, pubObj); err != nil {
					t.Fatalf("C_VerifyInit: %v", err)
				}
				return p.Verify(sh, data, sig)
			}
			if err := verify(in, kmsSig); err != nil {
				t.Fatalf("C_Verify of KMS Sign's signature: %v", err)
			}
			bad := bytes.Clone(kmsSig)
			bad[len(bad)/2] ^= 1
			if err := verify(in, bad); err == nil || !strings.Contains(err.Error(), "CKR_SIGNATURE_INVALID") {
				t.Fatalf("C_Verify of an altered signature: %v, want CKR_SIGNATURE_INVALID", err)
			}

			// And KMS Verify accepts the PKCS#11 signature.
			kmsIn := &kms.VerifyInput{KeyId: aws.String(k.id), Message: msg, MessageType: types.MessageTypeRaw, SigningAlgorithm: k.alg, Signature: sig}
			if k.p11Mech == pkcs11.CKM_ECDSA {
				kmsIn.Signature = derECDSA(t, sig)
			}
			v, err := c.Verify(bg, kmsIn)
			if err != nil || !v.SignatureValid {
				t.Fatalf("KMS Verify of the PKCS#11 signature: %v", err)
			}
		})
	}
}

var bg = context.Background()

// openTokenSession opens a session on the token labelled label and logs the
// user in.
func openTokenSession(t *testing.T, p *pkcs11.Ctx) pkcs11.SessionHandle {
	t.Helper()
	slots, err := p.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		info, err := p.GetTokenInfo(s)
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimRight(info.Label, " ") != label {
			continue
		}
		sh, err := p.OpenSession(s, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.CloseSession(sh) })
		if err := p.Login(sh, pkcs11.CKU_USER, userPIN); err != nil {
			t.Fatalf("C_Login: %v", err)
		}
		return sh
	}
	t.Fatalf("no token labelled %q among slots %v", label, slots)
	return 0
}

// findOne finds the one object of class labelled with the key id.
func findOne(t *testing.T, p *pkcs11.Ctx, sh pkcs11.SessionHandle, class uint, keyID string) pkcs11.ObjectHandle {
	t.Helper()
	tmpl := []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_CLASS, class), pkcs11.NewAttribute(pkcs11.CKA_LABEL, keyID)}
	if err := p.FindObjectsInit(sh, tmpl); err != nil {
		t.Fatal(err)
	}
	hs, _, err := p.FindObjects(sh, 10)
	if ferr := p.FindObjectsFinal(sh); err == nil {
		err = ferr
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 {
		t.Fatalf("%d objects of class %d labelled %s, want 1", len(hs), class, keyID)
	}
	return hs[0]
}

// publicKeyOf reads a PKCS#11 public key object into a Go public key.
func publicKeyOf(t *testing.T, p *pkcs11.Ctx, sh pkcs11.SessionHandle, h pkcs11.ObjectHandle) crypto.PublicKey {
	t.Helper()
	kt, err := p.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, nil)})
	if err != nil {
		t.Fatal(err)
	}
	switch new(big.Int).SetBytes(reverse(kt[0].Value)).Uint64() {
	case pkcs11.CKK_EC:
		a, err := p.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, nil), pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, nil)})
		if err != nil {
			t.Fatal(err)
		}
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(a[0].Value, &oid); err != nil || !oid.Equal(asn1.ObjectIdentifier{1, 2, 840, 10045, 3, 1, 7}) {
			t.Fatalf("CKA_EC_PARAMS %x is not P-256's OID (%v)", a[0].Value, err)
		}
		var point []byte
		if _, err := asn1.Unmarshal(a[1].Value, &point); err != nil {
			t.Fatalf("CKA_EC_POINT is not a DER OCTET STRING: %v", err)
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), point)
		if err != nil {
			t.Fatalf("CKA_EC_POINT: %v", err)
		}
		return pub
	case pkcs11.CKK_RSA:
		a, err := p.GetAttributeValue(sh, h, []*pkcs11.Attribute{pkcs11.NewAttribute(pkcs11.CKA_MODULUS, nil), pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, nil)})
		if err != nil {
			t.Fatal(err)
		}
		e := new(big.Int).SetBytes(a[1].Value)
		return &rsa.PublicKey{N: new(big.Int).SetBytes(a[0].Value), E: int(e.Int64())}
	}
	t.Fatalf("public key object of key type %x", kt[0].Value)
	return nil
}

// reverse turns a little-endian CK_ULONG into big-endian bytes.
func reverse(b []byte) []byte {
	r := make([]byte, len(b))
	for i := range b {
		r[len(b)-1-i] = b[i]
	}
	return r
}

// rawECDSA converts an ASN.1 ECDSA-Sig-Value (AWS's form) to P-256's r||s
// (PKCS#11's).
func rawECDSA(t *testing.T, der []byte) []byte {
	t.Helper()
	var sig struct{ R, S *big.Int }
	if rest, err := asn1.Unmarshal(der, &sig); err != nil || len(rest) != 0 {
		t.Fatalf("KMS signature is not an ECDSA-Sig-Value: %v", err)
	}
	out := make([]byte, 64)
	sig.R.FillBytes(out[:32])
	sig.S.FillBytes(out[32:])
	return out
}

// derECDSA converts P-256's r||s to an ASN.1 ECDSA-Sig-Value.
func derECDSA(t *testing.T, raw []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct{ R, S *big.Int }{new(big.Int).SetBytes(raw[:32]), new(big.Int).SetBytes(raw[32:])})
	if err != nil {
		t.Fatal(err)
	}
	return der
}
