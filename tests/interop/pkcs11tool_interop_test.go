package interop

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// What OpenSC 0.23's pkcs11-tool (Debian bookworm) cannot do, so these tests
// do not pretend to:
//   - --encrypt knows only AES-ECB, AES-CBC and AES-CBC-PAD: no AES-GCM (no
//     --aad / --tag-bits-len options yet) and no RSA encryption. AES-GCM is
//     checked through crypto11 (goclients_interop_test.go); RSA-OAEP is
//     checked one way: OpenSSL encrypts, pkcs11-tool decrypts.
//   - --decrypt knows RSA-PKCS, RSA-X-509, RSA-PKCS-OAEP and the AES modes
//     above, no AES-GCM.
//   - --read-object --type pubkey fails for a P-384 key with "cannot create
//     EVP_PKEY" (a pkcs11-tool bug: SoftHSMv2's P-384 keys fail the same
//     way); the P-384 public key is rebuilt from the CKA_EC_POINT and
//     CKA_EC_PARAMS that --list-objects prints.
//   - --wrap / --unwrap handle secret keys only (no private key wrapping).
//   - --derive knows ECDH1-DERIVE and ECDH1-COFACTOR-DERIVE only.

const (
	cliTokenLabel = "cli"
	cliSOPIN      = "87654321"
	cliFirstPIN   = "1111"
	cliPIN        = "246810"
	// cliIV is the AES-CBC IV used in every CBC test.
	cliIV = "000102030405060708090a0b0c0d0e0f"
)

var cliSlotLine = regexp.MustCompile(`(?m)^Slot \d+ \((0x[0-9a-fA-F]+)\):`)

// cliSlots splits --list-slots output into slot id -> its block of text.
func cliSlots(out string) map[string]string {
	slots := map[string]string{}
	idx := cliSlotLine.FindAllStringSubmatchIndex(out, -1)
	for i, m := range idx {
		end := len(out)
		if i+1 < len(idx) {
			end = idx[i+1][0]
		}
		slots[out[m[2]:m[3]]] = out[m[0]:end]
	}
	return slots
}

// cliNewToken initialises the free token of a fresh database through
// pkcs11-tool: --init-token, --init-pin (with a first PIN), --change-pin.
func cliNewToken(t *testing.T, p *cliP11) {
	t.Helper()
	free := ""
	for id, text := range cliSlots(p.must("--list-slots")) {
		if strings.Contains(text, "uninitialized") {
			free = id
		}
	}
	if free == "" {
		t.Fatalf("--list-slots on a fresh database shows no slot with an uninitialised token")
	}
	if out := p.must("--list-token-slots"); !strings.Contains(out, "("+free+")") {
		t.Errorf("--list-token-slots lacks the slot %s with its (uninitialised) token", free)
	}
	if out := p.must("--init-token", "--slot", free, "--label", p.token, "--so-pin", cliSOPIN); !strings.Contains(out, "Token successfully initialized") {
		t.Errorf("--init-token did not report success")
	}
	if out := p.must("--token-label", p.token, "--login", "--login-type", "so", "--so-pin", cliSOPIN,
		"--init-pin", "--pin", cliFirstPIN); !strings.Contains(out, "User PIN successfully initialized") {
		t.Errorf("--init-pin did not report success")
	}
	if out := p.must("--token-label", p.token, "--login", "--pin", cliFirstPIN, "--change-pin",
		"--new-pin", p.pin); !strings.Contains(out, "PIN successfully changed") {
		t.Errorf("--change-pin did not report success")
	}
	if out, err := p.run("--token-label", p.token, "--login", "--pin", cliFirstPIN, "--list-objects"); err == nil ||
		!strings.Contains(out, "CKR_PIN_INCORRECT") {
		t.Errorf("login with the PIN before --change-pin: err=%v, want a failure with CKR_PIN_INCORRECT", err)
	}
	p.user("--list-objects")
}

// TestPkcs11ToolInterop drives kagi with OpenSC's pkcs11-tool through the
// whole life of a token and checks every signature, ciphertext, shared secret
// and object it yields with OpenSSL.
func TestPkcs11ToolInterop(t *testing.T) {
	requireTools(t, "pkcs11-tool", "openssl")
	t.Parallel()
	dir := t.TempDir()
	p := &cliP11{t: t, dir: dir, env: cliEnv(filepath.Join(dir, "kagi.db")), module: moduleUnderTest(t),
		token: cliTokenLabel, pin: cliPIN}
	cliNewToken(t, p)

	out := p.must("--list-token-slots")
	slots := cliSlots(out)
	found := false
	for _, text := range slots {
		if regexp.MustCompile(`token label\s*:\s*` + cliTokenLabel + `\s*\n`).MatchString(text) {
			found = true
			for _, flag := range []string{"login required", "rng", "token initialized", "PIN initialized"} {
				if !strings.Contains(text, flag) {
					t.Errorf("--list-token-slots: token %s lacks the flag %q", cliTokenLabel, flag)
				}
			}
		}
	}
	if !found || len(slots) != 2 {
		t.Errorf("--list-token-slots: want the token %s and one new free slot, got %d slots (token found: %v)", cliTokenLabel, len(slots), found)
	}

	out = p.must("--token-label", cliTokenLabel, "--list-mechanisms")
	for _, m := range []string{"RSA-PKCS-KEY-PAIR-GEN", "RSA-PKCS,", "SHA256-RSA-PKCS,", "SHA256-RSA-PKCS-PSS",
		"RSA-PKCS-OAEP", "ECDSA-KEY-PAIR-GEN", "ECDSA,", "ECDSA-SHA256", "EC-EDWARDS-KEY-PAIR-GEN", "EDDSA",
		"ECDH1-DERIVE", "AES-KEY-GEN", "AES-CBC-PAD", "AES-GCM", "AES-KEY-WRAP", "GENERIC-SECRET-KEY-GEN",
		"SHA256-HMAC"} {
		if !strings.Contains(out, m) {
			t.Errorf("--list-mechanisms lacks %s", strings.TrimSuffix(m, ","))
		}
	}

	data := []byte("kagi interop: signed by pkcs11-tool, checked by openssl\n")
	digest := sha256.Sum256(data)

	// Independent scenarios on the one token, each in its own directory and
	// with its own object ids.
	t.Run("ops", func(t *testing.T) {
		t.Run("RSA", func(t *testing.T) { t.Parallel(); cliRSA(t, p.in(t), data) })
		t.Run("RSA4096", func(t *testing.T) { t.Parallel(); cliRSA4096(t, p.in(t), data) })
		for i, curve := range []string{"prime256v1", "secp384r1", "secp521r1"} {
			id := []string{"21", "22", "23"}[i]
			t.Run("EC-"+curve, func(t *testing.T) { t.Parallel(); cliEC(t, p.in(t), curve, id, data, digest[:]) })
		}
		t.Run("ECDH", func(t *testing.T) { t.Parallel(); cliECDH(t, p.in(t)) })
		t.Run("Ed25519", func(t *testing.T) { t.Parallel(); cliEd25519(t, p.in(t), data) })
		t.Run("AES", func(t *testing.T) { t.Parallel(); cliAES(t, p.in(t)) })
		t.Run("HMAC", func(t *testing.T) { t.Parallel(); cliHMAC(t, p.in(t), data) })
		t.Run("objects", func(t *testing.T) { t.Parallel(); cliObjects(t, p.in(t), data) })
		t.Run("random", func(t *testing.T) { t.Parallel(); cliRandom(t, p.in(t)) })
	})

	// pkcs11-tool's own self-test over every key now on the token. Without
	// --allow-sw it skips mechanisms without CKF_HW, which kagi (software)
	// never sets; run it both ways.
	for _, extra := range [][]string{nil, {"--allow-sw"}} {
		out := p.user(append([]string{"--test"}, extra...)...)
		if !strings.Contains(out, "No errors") {
			t.Errorf("pkcs11-tool --test --login %s: no \"No errors\" line", strings.Join(extra, " "))
		}
	}
}

// cliPubKey reads the public key with id through pkcs11-tool into
// name.der (DER or PEM, as pkcs11-tool writes it), has OpenSSL convert it to
// name.pem, and returns it parsed by Go.
func cliPubKey(t *testing.T, p *cliP11, id, name string) any {
	t.Helper()
	p.must("--token-label", p.token, "--read-object", "--type", "pubkey", "--id", id, "-o", name+".der")
	cliMustOpenSSL(t, p.dir, "pkey", "-pubin", "-in", name+".der", "-out", name+".pem")
	pub, err := cliParsePublicKey(cliRead(t, p.dir, name+".der"))
	if err != nil {
		t.Fatalf("the public key %s that pkcs11-tool read out does not parse: %v", id, err)
	}
	return pub
}

func cliKeyPair(t *testing.T, p *cliP11, keyType, id string, usage ...string) {
	t.Helper()
	out := p.user(append([]string{"--keypairgen", "--key-type", keyType, "--id", id, "--label", "kp-" + id}, usage...)...)
	if !strings.Contains(out, "Key pair generated") {
		t.Fatalf("--keypairgen %s did not report success", keyType)
	}
}

func cliRSA(t *testing.T, p *cliP11, data []byte) {
	cliKeyPair(t, p, "rsa:2048", "10", "--usage-sign", "--usage-decrypt")
	pub := cliPubKey(t, p, "10", "rsa")
	if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != 2048 {
		t.Fatalf("public key 10 is %T, want a 2048-bit RSA key", pub)
	}
	cliWrite(t, p.dir, "data", data)
	cliWrite(t, p.dir, "other", []byte("other data\n"))

	// RSA-PKCS signs the input as it is (no DigestInfo); openssl pkeyutl
	// without a digest checks exactly that.
	p.user("--sign", "--mechanism", "RSA-PKCS", "--id", "10", "-i", "data", "-o", "pkcs.sig")
	cliVerified(t, p.dir, "Signature Verified Successfully", "data", "other",
		"pkeyutl", "-verify", "-pubin", "-inkey", "rsa.pem", "-in", "data", "-sigfile", "pkcs.sig")

	p.user("--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "10", "-i", "data", "-o", "sha256.sig")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "rsa.pem", "-signature", "sha256.sig", "data")

	// PSS: hash SHA-256 (from the mechanism), MGF1-SHA256, salt length 32
	// (the digest length, pkcs11-tool's default).
	p.user("--sign", "--mechanism", "SHA256-RSA-PKCS-PSS", "--mgf", "MGF1-SHA256", "--id", "10", "-i", "data", "-o", "pss.sig")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32",
		"-sigopt", "rsa_mgf1_md:sha256", "-verify", "rsa.pem", "-signature", "pss.sig", "data")

	// pkcs11-tool's --verify (kagi verifies) on the same signatures.
	for _, c := range [][2]string{{"RSA-PKCS", "pkcs.sig"}, {"SHA256-RSA-PKCS", "sha256.sig"}} {
		if out := p.user("--verify", "--mechanism", c[0], "--id", "10", "-i", "data", "--signature-file", c[1]); !strings.Contains(out, "Signature is valid") {
			t.Errorf("pkcs11-tool --verify %s: not valid", c[0])
		}
		// (pkcs11-tool 0.23 exits 0 on a bad signature; its output tells.)
		if out := p.user("--verify", "--mechanism", c[0], "--id", "10", "-i", "other", "--signature-file", c[1]); strings.Contains(out, "Signature is valid") ||
			!strings.Contains(out, "Invalid signature") {
			t.Errorf("pkcs11-tool --verify %s accepted the signature over other data", c[0])
		}
	}

	// OpenSSL encrypts to the token's public key; pkcs11-tool decrypts.
	// (pkcs11-tool 0.23 cannot encrypt with RSA, so only this direction.)
	secret := []byte("a 32-byte secret for RSA padding")
	cliWrite(t, p.dir, "secret", secret)
	cases := []struct{ mech, file string }{
		{"RSA-PKCS", "pkcs1.ct"},
		{"RSA-PKCS-OAEP", "oaep256.ct"},
		{"RSA-PKCS-OAEP", "oaep1.ct"},
	}
	cliMustOpenSSL(t, p.dir, "pkeyutl", "-encrypt", "-pubin", "-inkey", "rsa.pem", "-in", "secret", "-out", "pkcs1.ct")
	cliMustOpenSSL(t, p.dir, "pkeyutl", "-encrypt", "-pubin", "-inkey", "rsa.pem", "-pkeyopt", "rsa_padding_mode:oaep",
		"-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256", "-in", "secret", "-out", "oaep256.ct")
	cliMustOpenSSL(t, p.dir, "pkeyutl", "-encrypt", "-pubin", "-inkey", "rsa.pem", "-pkeyopt", "rsa_padding_mode:oaep",
		"-in", "secret", "-out", "oaep1.ct")
	for i, c := range cases {
		args := []string{"--decrypt", "--mechanism", c.mech, "--id", "10", "-i", c.file, "-o", c.file + ".pt"}
		switch i {
		case 1:
			args = append(args, "--hash-algorithm", "SHA256", "--mgf", "MGF1-SHA256")
		case 2:
			args = append(args, "--hash-algorithm", "SHA-1", "--mgf", "MGF1-SHA1")
		}
		p.user(args...)
		if got := cliRead(t, p.dir, c.file+".pt"); !bytes.Equal(got, secret) {
			t.Errorf("pkcs11-tool --decrypt %s of OpenSSL's %s: got %x, want %x", c.mech, c.file, got, secret)
		}
	}
}

func cliRSA4096(t *testing.T, p *cliP11, data []byte) {
	cliKeyPair(t, p, "rsa:4096", "11", "--usage-sign")
	pub := cliPubKey(t, p, "11", "rsa4096")
	if k, ok := pub.(*rsa.PublicKey); !ok || k.N.BitLen() != 4096 {
		t.Fatalf("public key 11 is %T, want a 4096-bit RSA key", pub)
	}
	cliWrite(t, p.dir, "data", data)
	cliWrite(t, p.dir, "other", []byte("other data\n"))
	p.user("--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "11", "-i", "data", "-o", "sig")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "rsa4096.pem", "-signature", "sig", "data")
}

// cliECPointKey rebuilds the public key with id from the CKA_EC_POINT that
// --list-objects prints (see the note on P-384 at the top of this file) and
// writes it as name.der and name.pem.
func cliECPointKey(t *testing.T, p *cliP11, id, name string, curve ecdh.Curve) any {
	t.Helper()
	out := p.must("--token-label", p.token, "--list-objects", "--type", "pubkey")
	block := ""
	for _, b := range strings.Split(out, "Public Key Object") {
		if regexp.MustCompile(`(?m)^\s*ID:\s*` + id + `\s*$`).MatchString(b) {
			block = b
		}
	}
	m := regexp.MustCompile(`EC_POINT:\s*([0-9a-f]+)`).FindStringSubmatch(block)
	if m == nil {
		t.Fatalf("--list-objects shows no EC_POINT for the public key %s", id)
	}
	der, _ := hex.DecodeString(m[1])
	var point []byte
	if rest, err := asn1.Unmarshal(der, &point); err != nil || len(rest) != 0 {
		t.Fatalf("CKA_EC_POINT of %s is not one DER OCTET STRING: %v", id, err)
	}
	k, err := curve.NewPublicKey(point)
	if err != nil {
		t.Fatalf("CKA_EC_POINT of %s is not a point of the curve: %v", id, err)
	}
	spki, err := x509.MarshalPKIXPublicKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cliWrite(t, p.dir, name+".der", spki)
	cliMustOpenSSL(t, p.dir, "pkey", "-pubin", "-in", name+".der", "-out", name+".pem")
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		t.Fatal(err)
	}
	return pub
}

func cliEC(t *testing.T, p *cliP11, curve, id string, data, digest []byte) {
	cliKeyPair(t, p, "EC:"+curve, id, "--usage-sign")
	var pub any
	if curve == "secp384r1" {
		pub = cliECPointKey(t, p, id, "ec", ecdh.P384())
	} else {
		pub = cliPubKey(t, p, id, "ec")
	}
	want := map[string]elliptic.Curve{"prime256v1": elliptic.P256(), "secp384r1": elliptic.P384(), "secp521r1": elliptic.P521()}[curve]
	if k, ok := pub.(*ecdsa.PublicKey); !ok || k.Curve != want {
		t.Fatalf("public key %s is %T, want an ECDSA key on %s", id, pub, curve)
	}
	cliWrite(t, p.dir, "data", data)
	cliWrite(t, p.dir, "other", []byte("other data\n"))
	cliWrite(t, p.dir, "hash", digest)
	other := sha256.Sum256([]byte("other data\n"))
	cliWrite(t, p.dir, "otherhash", other[:])

	// CKM_ECDSA signs a given hash; --signature-format openssl gives DER.
	p.user("--sign", "--mechanism", "ECDSA", "--id", id, "-i", "hash", "-o", "ecdsa.sig", "--signature-format", "openssl")
	cliVerified(t, p.dir, "Signature Verified Successfully", "hash", "otherhash",
		"pkeyutl", "-verify", "-pubin", "-inkey", "ec.pem", "-in", "hash", "-sigfile", "ecdsa.sig")

	p.user("--sign", "--mechanism", "ECDSA-SHA256", "--id", id, "-i", "data", "-o", "ecdsa-sha256.sig", "--signature-format", "openssl")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "ec.pem", "-signature", "ecdsa-sha256.sig", "data")

	// The raw r||s form, checked by kagi through pkcs11-tool --verify.
	p.user("--sign", "--mechanism", "ECDSA-SHA256", "--id", id, "-i", "data", "-o", "rs.sig")
	if out := p.user("--verify", "--mechanism", "ECDSA-SHA256", "--id", id, "-i", "data", "--signature-file", "rs.sig"); !strings.Contains(out, "Signature is valid") {
		t.Errorf("pkcs11-tool --verify ECDSA-SHA256: not valid")
	}
}

func cliECDH(t *testing.T, p *cliP11) {
	cliKeyPair(t, p, "EC:prime256v1", "24", "--usage-derive")
	cliPubKey(t, p, "24", "token")
	cliMustOpenSSL(t, p.dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "peer.pem")
	cliMustOpenSSL(t, p.dir, "pkey", "-in", "peer.pem", "-pubout", "-outform", "DER", "-out", "peer.der")
	p.user("--derive", "--mechanism", "ECDH1-DERIVE", "--id", "24", "-i", "peer.der", "-o", "token.secret")
	cliMustOpenSSL(t, p.dir, "pkeyutl", "-derive", "-inkey", "peer.pem", "-peerkey", "token.pem", "-out", "openssl.secret")
	a, b := cliRead(t, p.dir, "token.secret"), cliRead(t, p.dir, "openssl.secret")
	if len(a) != 32 || !bytes.Equal(a, b) {
		t.Errorf("ECDH shared secret: pkcs11-tool %x, openssl %x", a, b)
	}
}

func cliEd25519(t *testing.T, p *cliP11, data []byte) {
	cliKeyPair(t, p, "EC:edwards25519", "25", "--usage-sign")
	pub := cliPubKey(t, p, "25", "ed")
	if _, ok := pub.(ed25519.PublicKey); !ok {
		t.Fatalf("public key 25 is %T, want Ed25519", pub)
	}
	cliWrite(t, p.dir, "data", data)
	cliWrite(t, p.dir, "other", []byte("other data\n"))
	p.user("--sign", "--mechanism", "EDDSA", "--id", "25", "-i", "data", "-o", "ed.sig")
	cliVerified(t, p.dir, "Signature Verified Successfully", "data", "other",
		"pkeyutl", "-verify", "-pubin", "-inkey", "ed.pem", "-rawin", "-in", "data", "-sigfile", "ed.sig")
	if !ed25519.Verify(pub.(ed25519.PublicKey), data, cliRead(t, p.dir, "ed.sig")) {
		t.Errorf("Go ed25519.Verify rejects the EDDSA signature")
	}
	if out := p.user("--verify", "--mechanism", "EDDSA", "--id", "25", "-i", "data", "--signature-file", "ed.sig"); !strings.Contains(out, "Signature is valid") {
		t.Errorf("pkcs11-tool --verify EDDSA: not valid")
	}
}

// cliKEK imports a known AES-256 key with id as a key-wrapping key and
// returns its value in hex.
func cliKEK(t *testing.T, p *cliP11, id string) string {
	t.Helper()
	kek := make([]byte, 32)
	for i := range kek {
		kek[i] = byte(0xa0 + i)
	}
	cliWrite(t, p.dir, "kek.bin", kek)
	out := p.user("--write-object", "kek.bin", "--type", "secrkey", "--key-type", "AES:32", "--id", id, "--label", "kek-"+id, "--usage-wrap")
	if !strings.Contains(out, "Secret Key Object; AES length 32") {
		t.Fatalf("--write-object secrkey AES:32 did not make a 32-byte AES key")
	}
	return hex.EncodeToString(kek)
}

// cliExport wraps the secret key keyID under the KEK (RFC 3394 AES key wrap
// by kagi) and unwraps it with OpenSSL: the key value, in hex.
func cliExport(t *testing.T, p *cliP11, kekID, kekHex, keyID string) string {
	t.Helper()
	if out := p.user("--wrap", "--mechanism", "AES-KEY-WRAP", "--id", kekID, "--application-id", keyID, "-o", keyID+".wrapped"); !strings.Contains(out, "Key wrapped") {
		t.Fatalf("--wrap did not report success")
	}
	cliMustOpenSSL(t, p.dir, "enc", "-d", "-id-aes256-wrap", "-K", kekHex, "-iv", "A6A6A6A6A6A6A6A6",
		"-in", keyID+".wrapped", "-out", keyID+".key")
	return hex.EncodeToString(cliRead(t, p.dir, keyID+".key"))
}

func cliAES(t *testing.T, p *cliP11) {
	kekHex := cliKEK(t, p, "30")
	plain := bytes.Repeat([]byte("AES-CBC-PAD through pkcs11-tool "), 5)[:150] // not a block multiple
	cliWrite(t, p.dir, "plain", plain)

	for _, c := range []struct{ keyType, id, cipher string }{
		{"AES:16", "31", "-aes-128-cbc"},
		{"AES:32", "32", "-aes-256-cbc"},
	} {
		out := p.user("--keygen", "--key-type", c.keyType, "--id", c.id, "--label", "aes-"+c.id, "--extractable")
		if !strings.Contains(out, "Secret Key Object; AES length "+strings.TrimPrefix(c.keyType, "AES:")) {
			t.Errorf("--keygen %s: no AES key of that length reported", c.keyType)
		}
		key := cliExport(t, p, "30", kekHex, c.id)
		if want := map[string]int{"AES:16": 16, "AES:32": 32}[c.keyType]; len(key) != 2*want {
			t.Fatalf("--keygen %s: the exported key is %d bytes, want %d", c.keyType, len(key)/2, want)
		}

		// pkcs11-tool encrypts, OpenSSL decrypts.
		p.user("--encrypt", "--mechanism", "AES-CBC-PAD", "--id", c.id, "--iv", cliIV, "-i", "plain", "-o", c.id+".ct")
		cliMustOpenSSL(t, p.dir, "enc", "-d", c.cipher, "-K", key, "-iv", cliIV, "-in", c.id+".ct", "-out", c.id+".openssl.pt")
		if got := cliRead(t, p.dir, c.id+".openssl.pt"); !bytes.Equal(got, plain) {
			t.Errorf("%s: OpenSSL decrypts pkcs11-tool's AES-CBC-PAD ciphertext to %q", c.keyType, got)
		}
		// OpenSSL encrypts, pkcs11-tool decrypts.
		cliMustOpenSSL(t, p.dir, "enc", "-e", c.cipher, "-K", key, "-iv", cliIV, "-in", "plain", "-out", c.id+".openssl.ct")
		if !bytes.Equal(cliRead(t, p.dir, c.id+".openssl.ct"), cliRead(t, p.dir, c.id+".ct")) {
			t.Errorf("%s: OpenSSL's AES-CBC ciphertext differs from kagi's under the same key and IV", c.keyType)
		}
		p.user("--decrypt", "--mechanism", "AES-CBC-PAD", "--id", c.id, "--iv", cliIV, "-i", c.id+".openssl.ct", "-o", c.id+".pt")
		if got := cliRead(t, p.dir, c.id+".pt"); !bytes.Equal(got, plain) {
			t.Errorf("%s: pkcs11-tool decrypts OpenSSL's AES-CBC ciphertext to %q", c.keyType, got)
		}
	}

	// A key wrapped by OpenSSL, unwrapped into the token by pkcs11-tool, used
	// by kagi and checked by OpenSSL with the known key.
	known := "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210"
	knownBin, _ := hex.DecodeString(known)
	cliWrite(t, p.dir, "known.key", knownBin)
	cliMustOpenSSL(t, p.dir, "enc", "-e", "-id-aes256-wrap", "-K", kekHex, "-iv", "A6A6A6A6A6A6A6A6",
		"-in", "known.key", "-out", "known.wrapped")
	if out := p.user("--unwrap", "--mechanism", "AES-KEY-WRAP", "--id", "30", "--key-type", "AES:32",
		"--application-id", "33", "--application-label", "unwrapped", "-i", "known.wrapped"); !strings.Contains(out, "Key unwrapped") {
		t.Fatalf("--unwrap did not report success")
	}
	p.user("--encrypt", "--mechanism", "AES-CBC-PAD", "--id", "33", "--iv", cliIV, "-i", "plain", "-o", "33.ct")
	cliMustOpenSSL(t, p.dir, "enc", "-d", "-aes-256-cbc", "-K", known, "-iv", cliIV, "-in", "33.ct", "-out", "33.pt")
	if got := cliRead(t, p.dir, "33.pt"); !bytes.Equal(got, plain) {
		t.Errorf("the unwrapped key does not encrypt as the known key: OpenSSL decrypts to %q", got)
	}
	// An unwrap with the wrong KEK fails the RFC 3394 integrity check.
	cliMustOpenSSL(t, p.dir, "enc", "-e", "-id-aes256-wrap", "-K", strings.Repeat("55", 32), "-iv", "A6A6A6A6A6A6A6A6",
		"-in", "known.key", "-out", "bad.wrapped")
	if out, err := p.run("--token-label", p.token, "--login", "--pin", p.pin, "--unwrap", "--mechanism", "AES-KEY-WRAP",
		"--id", "30", "--key-type", "AES:32", "--application-id", "34", "-i", "bad.wrapped"); err == nil || !strings.Contains(out, "CKR_WRAPPED_KEY_INVALID") {
		t.Errorf("--unwrap of a key wrapped under another KEK: err=%v, want CKR_WRAPPED_KEY_INVALID", err)
	}
}

func cliHMAC(t *testing.T, p *cliP11, data []byte) {
	kekHex := cliKEK(t, p, "40")
	out := p.user("--keygen", "--key-type", "GENERIC:32", "--id", "41", "--label", "hmac", "--extractable")
	if !strings.Contains(out, "Secret Key Object; Generic secret length 32") {
		t.Errorf("--keygen GENERIC:32: no 32-byte generic secret key reported")
	}
	key := cliExport(t, p, "40", kekHex, "41")
	if len(key) != 64 {
		t.Fatalf("GENERIC:32 key exported as %d bytes", len(key)/2)
	}
	cliWrite(t, p.dir, "data", data)
	p.user("--sign", "--mechanism", "SHA256-HMAC", "--id", "41", "-i", "data", "-o", "mac")
	got := hex.EncodeToString(cliRead(t, p.dir, "mac"))
	out = cliMustOpenSSL(t, p.dir, "dgst", "-sha256", "-mac", "HMAC", "-macopt", "hexkey:"+key, "data")
	if !strings.HasSuffix(strings.TrimSpace(out), "= "+got) {
		t.Errorf("SHA256-HMAC from kagi %s; OpenSSL says %s", got, out)
	}
	if out := p.user("--verify", "--mechanism", "SHA256-HMAC", "--id", "41", "-i", "data", "--signature-file", "mac"); !strings.Contains(out, "Signature is valid") {
		t.Errorf("pkcs11-tool --verify SHA256-HMAC: not valid")
	}
}

func cliObjects(t *testing.T, p *cliP11, data []byte) {
	cliWrite(t, p.dir, "data", data)
	cliWrite(t, p.dir, "other", []byte("other data\n"))

	// A certificate and its EC private key (PKCS#8 DER) made by OpenSSL.
	cliMustOpenSSL(t, p.dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
		"-keyout", "ec.key", "-out", "cert.pem", "-subj", "/CN=kagi pkcs11-tool interop", "-days", "2")
	cliMustOpenSSL(t, p.dir, "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der")
	cliMustOpenSSL(t, p.dir, "x509", "-in", "cert.pem", "-pubkey", "-noout", "-out", "ec.pub.pem")
	cliMustOpenSSL(t, p.dir, "pkcs8", "-topk8", "-nocrypt", "-in", "ec.key", "-outform", "DER", "-out", "ec.p8")
	p.user("--write-object", "cert.pem", "--type", "cert", "--id", "50", "--label", "cert50")
	p.user("--write-object", "ec.p8", "--type", "privkey", "--id", "50", "--label", "key50", "--usage-sign")
	// A certificate is public: read without login, byte for byte the DER.
	p.must("--token-label", p.token, "--read-object", "--type", "cert", "--id", "50", "-o", "cert.read")
	if !bytes.Equal(cliRead(t, p.dir, "cert.read"), cliRead(t, p.dir, "cert.der")) {
		t.Errorf("the certificate read back differs from the one written")
	}
	p.user("--sign", "--mechanism", "ECDSA-SHA256", "--id", "50", "-i", "data", "-o", "ec.sig", "--signature-format", "openssl")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "ec.pub.pem", "-signature", "ec.sig", "data")

	// An RSA private key (PKCS#8 DER) and its public key (SPKI DER).
	cliMustOpenSSL(t, p.dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa.key")
	cliMustOpenSSL(t, p.dir, "pkcs8", "-topk8", "-nocrypt", "-in", "rsa.key", "-outform", "DER", "-out", "rsa.p8")
	cliMustOpenSSL(t, p.dir, "pkey", "-in", "rsa.key", "-pubout", "-outform", "DER", "-out", "rsa.pub.der")
	p.user("--write-object", "rsa.p8", "--type", "privkey", "--id", "51", "--label", "key51", "--usage-sign")
	p.user("--write-object", "rsa.pub.der", "--type", "pubkey", "--id", "51", "--label", "pub51")
	p.must("--token-label", p.token, "--read-object", "--type", "pubkey", "--id", "51", "-o", "rsa.pub.read")
	if !bytes.Equal(cliRead(t, p.dir, "rsa.pub.read"), cliRead(t, p.dir, "rsa.pub.der")) {
		t.Errorf("the RSA public key read back differs from the one written")
	}
	p.user("--sign", "--mechanism", "SHA256-RSA-PKCS", "--id", "51", "-i", "data", "-o", "rsa.sig")
	cliVerified(t, p.dir, "Verified OK", "data", "other",
		"dgst", "-sha256", "-verify", "rsa.pub.der", "-signature", "rsa.sig", "data")
	// pkcs11-tool marks an imported private key sensitive (it cannot read
	// private keys out at all, so this is checked on the attributes).
	out := p.user("--list-objects", "--type", "privkey")
	seen := false
	for _, b := range strings.Split(out, "Private Key Object")[1:] {
		if strings.Contains(b, "label:      key51") {
			seen = true
			if !regexp.MustCompile(`Access:\s*sensitive`).MatchString(b) {
				t.Errorf("the imported RSA private key is not sensitive:\n%s", b)
			}
		}
	}
	if !seen {
		t.Errorf("--list-objects --type privkey does not show the imported key51")
	}

	// Data objects: a public one readable without login, a private one only
	// after login.
	p.user("--write-object", "data", "--type", "data", "--label", "pubdata", "--application-label", "kagi-cli")
	p.user("--write-object", "data", "--type", "data", "--label", "privdata", "--private")
	p.must("--token-label", p.token, "--read-object", "--type", "data", "--label", "pubdata", "-o", "pubdata.read")
	if !bytes.Equal(cliRead(t, p.dir, "pubdata.read"), data) {
		t.Errorf("the public data object read back differs")
	}
	if _, err := p.run("--token-label", p.token, "--read-object", "--type", "data", "--label", "privdata", "-o", "privdata.nologin"); err == nil {
		t.Errorf("a private data object was read without login")
	}
	p.user("--read-object", "--type", "data", "--label", "privdata", "-o", "privdata.read")
	if !bytes.Equal(cliRead(t, p.dir, "privdata.read"), data) {
		t.Errorf("the private data object read back differs")
	}

	// --delete-object: gone for good (a new process cannot find it).
	p.user("--delete-object", "--type", "data", "--label", "pubdata")
	p.user("--delete-object", "--type", "cert", "--id", "50")
	if _, err := p.run("--token-label", p.token, "--read-object", "--type", "data", "--label", "pubdata", "-o", "gone"); err == nil {
		t.Errorf("a deleted data object can still be read")
	}
	if _, err := p.run("--token-label", p.token, "--read-object", "--type", "cert", "--id", "50", "-o", "gone"); err == nil {
		t.Errorf("a deleted certificate can still be read")
	}
	if out := p.user("--list-objects", "--type", "data"); strings.Contains(out, "pubdata") || !strings.Contains(out, "privdata") {
		t.Errorf("--list-objects after deleting pubdata: want privdata only")
	}
}

func cliRandom(t *testing.T, p *cliP11) {
	p.must("--token-label", p.token, "--generate-random", "64", "-o", "r1")
	p.must("--token-label", p.token, "--generate-random", "64", "-o", "r2")
	r1, r2 := cliRead(t, p.dir, "r1"), cliRead(t, p.dir, "r2")
	if len(r1) != 64 || len(r2) != 64 {
		t.Fatalf("--generate-random 64 wrote %d and %d bytes", len(r1), len(r2))
	}
	if bytes.Equal(r1, r2) || bytes.Equal(r1, make([]byte, 64)) {
		t.Errorf("--generate-random gave %x then %x", r1, r2)
	}
}
