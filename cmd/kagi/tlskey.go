package main

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/kagi-hsm/kagi/kmsbridge"
	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// p384 is the DER OID of the NIST P-384 curve (CKA_EC_PARAMS).
var p384 = []byte{0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22}

// tlsKeyTypes are the key pairs kagi tls-key makes: those TLS clients and
// the token's signer (kmsbridge.SessionSigner) both handle.
var tlsKeyTypes = map[string]struct {
	ecParams []byte
	rsaBits  ck.ULong
}{
	"ec-p256":  {ecParams: p256},
	"ec-p384":  {ecParams: p384},
	"rsa-2048": {rsaBits: 2048},
	"rsa-3072": {rsaBits: 3072},
}

// listFlag is a flag that may be given more than once.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// cmdTLSKey makes the TLS key of kagi serve's "token_key_label" on the
// token, so that an operator needs no other tool: the key pair is generated
// there (the private half sensitive, never extractable, for signing only),
// and the certificate that goes with it is either self-signed or requested
// from the operator's CA, both signed on the token.
func cmdTLSKey(args []string, out io.Writer) error {
	fs := newFlags("tls-key", "--token LABEL --label KEYLABEL [--type T] (--cert-out FILE (--dns NAME | --ip ADDR)... [--days N] | --csr-out FILE --subject CN [--dns NAME]... [--ip ADDR]...) [--pin-file F]", out)
	tokenLabel := fs.String("token", "", "label of the token (the one kagi serve serves)")
	label := fs.String("label", "", "CKA_LABEL of the new key pair: the \"token_key_label\" of kagi serve")
	kind := fs.String("type", "ec-p256", "key type: "+strings.Join(tlsKeyTypeNames(), ", "))
	certOut := fs.String("cert-out", "", "write a self-signed certificate of the key to this new file (PEM)")
	csrOut := fs.String("csr-out", "", "write a certificate signing request (PKCS #10, PEM) for your CA to this new file")
	subject := fs.String("subject", "", "subject common name (for --cert-out, default the first --dns or --ip)")
	days := fs.Int("days", 365, "validity of the self-signed certificate in days")
	var dns, ips listFlag
	fs.Var(&dns, "dns", "a DNS name of the server (repeatable)")
	fs.Var(&ips, "ip", "an IP address of the server (repeatable)")
	pinFile := fs.String("pin-file", "", "file holding the user PIN (else $KAGI_PIN, else a prompt)")
	if err := parse(fs, args); err != nil {
		return err
	}
	daysSet := false
	fs.Visit(func(f *flag.Flag) { daysSet = daysSet || f.Name == "days" })
	req := &tlsKeyReq{token: *tokenLabel, label: *label, kind: *kind, subject: *subject, days: *days, dns: dns}
	if err := req.check(*certOut, *csrOut, daysSet, ips); err != nil {
		return err
	}
	pin, err := pinSource{"user PIN", *pinFile, "KAGI_PIN"}.read(false)
	if err != nil {
		return err
	}
	lib, err := openLibrary()
	if err != nil {
		return err
	}
	defer lib.Finalize()
	slot, err := findToken(lib, *tokenLabel)
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
	return req.make(lib, sh, out)
}

func tlsKeyTypeNames() []string {
	names := make([]string, 0, len(tlsKeyTypes))
	for n := range tlsKeyTypes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tlsKeyReq is a checked kagi tls-key request.
type tlsKeyReq struct {
	token, label, kind string
	path               string // the certificate's or the CSR's file
	selfSigned         bool
	subject            string
	days               int
	dns                []string
	ips                []net.IP
}

// check checks the flags, before a PIN is asked for or the token opened,
// and fills in the output path, the addresses and the default subject.
func (r *tlsKeyReq) check(certOut, csrOut string, daysSet bool, ips []string) error {
	if r.token == "" {
		return errors.New("--token is required")
	}
	if r.label == "" {
		return errors.New("--label is required")
	}
	if _, ok := tlsKeyTypes[r.kind]; !ok {
		return fmt.Errorf("unknown --type %q (one of %s)", r.kind, strings.Join(tlsKeyTypeNames(), ", "))
	}
	if (certOut == "") == (csrOut == "") {
		return errors.New("give exactly one of --cert-out (a self-signed certificate) and --csr-out (a request for your CA)")
	}
	for _, d := range r.dns {
		if d == "" || strings.ContainsAny(d, " /:") {
			return fmt.Errorf("--dns %q is not a DNS name", d)
		}
	}
	for _, s := range ips {
		ip := net.ParseIP(s)
		if ip == nil {
			return fmt.Errorf("--ip %q is not an IP address", s)
		}
		r.ips = append(r.ips, ip)
	}
	r.selfSigned = certOut != ""
	if !r.selfSigned {
		r.path = csrOut
		if r.subject == "" {
			return errors.New("--csr-out needs --subject, the common name your CA is to certify")
		}
		if daysSet {
			return errors.New("--days is for --cert-out; your CA chooses the validity of what it signs")
		}
		return nil
	}
	r.path = certOut
	names := r.names()
	if len(names) == 0 {
		return errors.New("--cert-out needs the server's names: at least one --dns or --ip")
	}
	if r.days <= 0 {
		return errors.New("--days must be positive")
	}
	if r.subject == "" {
		r.subject = names[0]
	}
	return nil
}

// make generates the key pair and writes the certificate or request. What
// fails after the key pair exists destroys it again, and the output file
// is made before the key pair, so a failed run leaves neither and can be
// run again with the same label.
func (r *tlsKeyReq) make(lib *token.Library, sh ck.SessionHandle, out io.Writer) (err error) {
	if err := refuseLabelled(lib, sh, r.label); err != nil {
		return err
	}
	f, err := os.OpenFile(r.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644) // a certificate is public
	if err != nil {
		return fmt.Errorf("output file: %w", err)
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(r.path)
		}
	}()
	pubH, privH, id, err := r.generate(lib, sh)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			lib.DestroyObject(sh, privH)
			lib.DestroyObject(sh, pubH)
		}
	}()
	vs, err := lib.GetAttributeValue(sh, pubH, []ck.AttributeType{ck.CKA_PUBLIC_KEY_INFO})
	if err == nil && vs[0].Err != 0 {
		err = vs[0].Err
	}
	if err != nil {
		return fmt.Errorf("reading the new public key: %w", explain(err))
	}
	pub, err := x509.ParsePKIXPublicKey(vs[0].Value)
	if err != nil {
		return fmt.Errorf("the token's public key: %w", err)
	}
	signer, err := kmsbridge.SessionSigner(lib, sh, r.label, pub)
	if err != nil {
		return err
	}
	block, err := r.sign(pub, signer)
	if err != nil {
		return err
	}
	if _, err := f.Write(pem.EncodeToMemory(block)); err != nil {
		return err
	}
	fmt.Fprintf(out, "generated %s key pair %q (id %s) on token %q; the private key is sensitive and never extractable\n", r.kind, r.label, hex.EncodeToString(id), r.token)
	serve := `"tls": {"cert_file": %q, "token_key_label": %q}`
	if r.selfSigned {
		fmt.Fprintf(out, "wrote a self-signed certificate for %s to %s, valid for %d days\n", strings.Join(r.names(), ", "), r.path, r.days)
		fmt.Fprintf(out, "serve with: "+serve+"\n", r.path, r.label)
	} else {
		fmt.Fprintf(out, "wrote a certificate signing request for CN=%s to %s\n", r.subject, r.path)
		fmt.Fprintf(out, "once your CA has signed it, serve with: "+serve+"\n", "<the certificate your CA issued, then its chain>", r.label)
	}
	return nil
}

func (r *tlsKeyReq) names() []string {
	n := append([]string(nil), r.dns...)
	for _, ip := range r.ips {
		n = append(n, ip.String())
	}
	return n
}

// refuseLabelled fails when a key of any class already has that label:
// kagi serve finds the TLS key by its label alone.
func refuseLabelled(lib *token.Library, sh ck.SessionHandle, label string) error {
	if err := lib.FindObjectsInit(sh, []ck.Attribute{{Type: ck.CKA_LABEL, Value: []byte(label)}}); err != nil {
		return explain(err)
	}
	hs, err := lib.FindObjects(sh, 256)
	lib.FindObjectsFinal(sh)
	if err != nil {
		return explain(err)
	}
	for _, h := range hs {
		vs, err := lib.GetAttributeValue(sh, h, []ck.AttributeType{ck.CKA_CLASS})
		if err != nil {
			return explain(err)
		}
		switch c, _ := ck.BytesULong(vs[0].Value); ck.ObjectClass(c) {
		case ck.CKO_PRIVATE_KEY, ck.CKO_PUBLIC_KEY, ck.CKO_SECRET_KEY:
			return fmt.Errorf("a key labelled %q exists already on the token; choose another --label", label)
		}
	}
	return nil
}

// generate makes the key pair on the token. The private key can sign and
// nothing else (no decrypt, unwrap or derive: the TLS handshakes kagi
// serves sign, and a key kept to one use cannot be turned to another);
// both halves share a random CKA_ID, which PKCS #11 tools use to pair them.
func (r *tlsKeyReq) generate(lib *token.Library, sh ck.SessionHandle) (pub, priv ck.ObjectHandle, id []byte, err error) {
	id = make([]byte, 16)
	if _, err := rand.Read(id); err != nil {
		return 0, 0, nil, err
	}
	a := func(t ck.AttributeType, v []byte) ck.Attribute { return ck.Attribute{Type: t, Value: v} }
	yes, no := ck.BoolBytes(true), ck.BoolBytes(false)
	pubT := []ck.Attribute{a(ck.CKA_TOKEN, yes), a(ck.CKA_PRIVATE, no), a(ck.CKA_VERIFY, yes), a(ck.CKA_ENCRYPT, no), a(ck.CKA_WRAP, no),
		a(ck.CKA_LABEL, []byte(r.label)), a(ck.CKA_ID, id)}
	privT := []ck.Attribute{a(ck.CKA_TOKEN, yes), a(ck.CKA_PRIVATE, yes), a(ck.CKA_SENSITIVE, yes), a(ck.CKA_EXTRACTABLE, no),
		a(ck.CKA_SIGN, yes), a(ck.CKA_DECRYPT, no), a(ck.CKA_UNWRAP, no), a(ck.CKA_DERIVE, no),
		a(ck.CKA_LABEL, []byte(r.label)), a(ck.CKA_ID, id)}
	t := tlsKeyTypes[r.kind]
	m := ck.Mechanism{Type: ck.CKM_EC_KEY_PAIR_GEN}
	if t.rsaBits != 0 {
		m = ck.Mechanism{Type: ck.CKM_RSA_PKCS_KEY_PAIR_GEN}
		pubT = append(pubT, a(ck.CKA_MODULUS_BITS, ck.ULongBytes(t.rsaBits)), a(ck.CKA_PUBLIC_EXPONENT, []byte{1, 0, 1}))
	} else {
		pubT = append(pubT, a(ck.CKA_EC_PARAMS, t.ecParams))
	}
	pub, priv, err = lib.GenerateKeyPair(sh, m, pubT, privT)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("generating the key pair: %w", explain(err))
	}
	return pub, priv, id, nil
}

// sign makes the self-signed certificate or the request, signed on the
// token. The certificate claims digitalSignature only, not
// keyEncipherment: the key cannot decrypt, so only (EC)DHE key exchange
// can use it.
func (r *tlsKeyReq) sign(pub crypto.PublicKey, signer crypto.Signer) (*pem.Block, error) {
	name := pkix.Name{CommonName: r.subject}
	if !r.selfSigned {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: name, DNSNames: r.dns, IPAddresses: r.ips}, signer)
		if err != nil {
			return nil, fmt.Errorf("making the certificate request: %w", err)
		}
		return &pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}, nil
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               name,
		NotBefore:             now.Add(-5 * time.Minute), // a client's clock a little behind still accepts it
		NotAfter:              now.AddDate(0, 0, r.days),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              r.dns,
		IPAddresses:           r.ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("making the certificate: %w", err)
	}
	return &pem.Block{Type: "CERTIFICATE", Bytes: der}, nil
}
