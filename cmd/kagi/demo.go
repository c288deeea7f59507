package main

import (
	"crypto/ecdsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// p256 is the DER OID of the NIST P-256 curve (CKA_EC_PARAMS).
var p256 = []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}

// cmdDemo is the quick start: it makes sure a demo token with an EC key
// exists, signs with the key on the token, and checks the signature with Go's
// standard library, so a newcomer sees the whole path work.
func cmdDemo(args []string, out io.Writer) error {
	fs := newFlags("demo", "[--token LABEL] [--so-pin-file F] [--pin-file F]", out)
	label := fs.String("token", "kagi-demo", "label of the demo token (created if missing)")
	soFile := fs.String("so-pin-file", "", "file holding the SO PIN (else $KAGI_SO_PIN, else a prompt)")
	pinFile := fs.String("pin-file", "", "file holding the user PIN (else $KAGI_PIN, else a prompt)")
	if err := parse(fs, args); err != nil {
		return err
	}
	cfg, err := token.ConfigFromEnv()
	if err != nil {
		return err
	}
	lib, err := token.New(cfg)
	if err != nil {
		return err
	}
	defer lib.Finalize()
	fmt.Fprintf(out, "database: %s\n", cfg.DBPath)

	slot, err := findToken(lib, *label)
	if err != nil {
		so, err := pinSource{"SO PIN", *soFile, "KAGI_SO_PIN"}.read(true)
		if err != nil {
			return err
		}
		user, err := pinSource{"user PIN", *pinFile, "KAGI_PIN"}.read(true)
		if err != nil {
			return err
		}
		if slot, err = freeSlot(lib); err != nil {
			return err
		}
		if err := lib.InitToken(slot, so, *label); err != nil {
			return explain(err)
		}
		if err := setUserPIN(lib, slot, so, user); err != nil {
			return err
		}
		fmt.Fprintf(out, "initialised token %q in slot %d\n", *label, slot)
	} else {
		fmt.Fprintf(out, "using token %q in slot %d\n", *label, slot)
	}
	pin, err := pinSource{"user PIN", *pinFile, "KAGI_PIN"}.read(false)
	if err != nil {
		return err
	}
	sh, err := lib.OpenSession(slot, ck.CKF_SERIAL_SESSION|ck.CKF_RW_SESSION)
	if err != nil {
		return explain(err)
	}
	defer lib.CloseSession(sh)
	if err := lib.Login(sh, ck.CKU_USER, pin); err != nil {
		return explain(err)
	}
	pub, priv, err := demoKey(lib, sh, out)
	if err != nil {
		return err
	}
	msg := []byte("hello from kagi")
	digest := sha256.Sum256(msg)
	if err := lib.SignInit(sh, ck.Mechanism{Type: ck.CKM_ECDSA}, priv); err != nil {
		return explain(err)
	}
	sig := make([]byte, 132)
	n, err := lib.Sign(sh, digest[:], sig)
	if err != nil {
		return explain(err)
	}
	sig = sig[:n]
	vals, err := lib.GetAttributeValue(sh, pub, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	if err != nil {
		return explain(err)
	}
	key, err := x509.ParsePKIXPublicKey(vals[0].Value)
	if err != nil {
		return fmt.Errorf("public key from the token: %w", err)
	}
	ecKey, ok := key.(*ecdsa.PublicKey)
	if !ok {
		return errors.New("demo key is not an EC key")
	}
	r, s := new(big.Int).SetBytes(sig[:n/2]), new(big.Int).SetBytes(sig[n/2:])
	if !ecdsa.Verify(ecKey, digest[:], r, s) {
		return errors.New("the token's signature did not verify")
	}
	fmt.Fprintf(out, "signed %q on the token with ECDSA P-256 (%d-byte signature)\n", msg, n)
	fmt.Fprintln(out, "signature verified with Go's crypto/ecdsa: OK")
	fmt.Fprintln(out, "next: pkcs11-tool --module build/libkagi.so --list-objects --login")
	return nil
}

// demoKey finds the demo key pair, generating it on first use.
func demoKey(lib *token.Library, sh ck.SessionHandle, out io.Writer) (pub, priv ck.ObjectHandle, err error) {
	const label = "demo-ec"
	find := func(class ck.ObjectClass) (ck.ObjectHandle, error) {
		tmpl := []ck.Attribute{
			{Type: ck.CKA_CLASS, Value: ck.ULongBytes(ck.ULong(class))},
			{Type: ck.CKA_LABEL, Value: []byte(label)},
		}
		if err := lib.FindObjectsInit(sh, tmpl); err != nil {
			return 0, explain(err)
		}
		defer lib.FindObjectsFinal(sh)
		hs, err := lib.FindObjects(sh, 1)
		if err != nil || len(hs) == 0 {
			return 0, explain(err)
		}
		return hs[0], nil
	}
	if pub, err = find(ck.CKO_PUBLIC_KEY); err != nil {
		return 0, 0, err
	}
	if priv, err = find(ck.CKO_PRIVATE_KEY); err != nil {
		return 0, 0, err
	}
	if pub != 0 && priv != 0 {
		fmt.Fprintf(out, "found key pair %q\n", label)
		return pub, priv, nil
	}
	common := []ck.Attribute{
		{Type: ck.CKA_TOKEN, Value: ck.BoolBytes(true)},
		{Type: ck.CKA_LABEL, Value: []byte(label)},
		{Type: ck.CKA_ID, Value: []byte{0xde, 0x30}},
	}
	pubT := append([]ck.Attribute{{Type: ck.CKA_EC_PARAMS, Value: p256}}, common...)
	privT := append([]ck.Attribute{{Type: ck.CKA_SENSITIVE, Value: ck.BoolBytes(true)}}, common...)
	pub, priv, err = lib.GenerateKeyPair(sh, ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN}, pubT, privT)
	if err != nil {
		return 0, 0, explain(err)
	}
	fmt.Fprintf(out, "generated EC P-256 key pair %q as token objects\n", label)
	return pub, priv, nil
}
