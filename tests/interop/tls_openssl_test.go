package interop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// tlsEngineKey is a key pair that pkcs11-tool made on the token for the
// OpenSSL scenario.
type tlsEngineKey struct {
	name    string // object label
	id      string // CKA_ID, hex
	keyType string // pkcs11-tool --key-type
	// peerSig is what s_client prints as "Peer signature type" for a
	// TLS 1.3 handshake with this key.
	peerSig13 string
}

var tlsEngineKeys = []tlsEngineKey{
	{"rsa", "01", "rsa:2048", "RSA-PSS"},
	{"ec", "02", "EC:prime256v1", "ECDSA"},
}

// TestTLSOpenSSLEngine is scenario 2 of issue 5: OpenSSL 3 uses token keys
// through libp11's pkcs11 engine (Debian libengine-pkcs11-openssl), with
// the engine configured by an OPENSSL_CONF file pointing at libkagi.so.
// With an RSA-2048 and a P-256 key made on the token by pkcs11-tool:
// openssl req makes a self-signed certificate signed on the token
// (checked with openssl verify and against the token's public key),
// pkeyutl signs and decrypts with the token key (checked with openssl's
// own code on the public key), and s_server serves TLS 1.3 and TLS 1.2
// with the token key to s_client, which checks the certificate, the
// protocol and the application data.
func TestTLSOpenSSLEngine(t *testing.T) {
	t.Parallel()
	requireTools(t, "openssl", "pkcs11-tool")
	engine := tlsEnginePath(t)
	k := tlsNewToken(t, "ossl-engine")

	k.engineConf(engine, false)

	out := k.must("openssl", "engine", "-t", "pkcs11")
	if !strings.Contains(out, "[ available ]") {
		t.Fatalf("openssl engine -t pkcs11: the engine is not available")
	}

	for _, key := range tlsEngineKeys {
		k.must("pkcs11-tool", "--module", k.module, "--token-label", k.label, "--login", "--pin", tlsPIN,
			"--keypairgen", "--key-type", key.keyType, "--label", key.name, "--id", key.id)
		k.tokenPubPEM(key.id, key.name+"-pub.pem")
	}

	for _, key := range tlsEngineKeys {
		uri := fmt.Sprintf("pkcs11:token=%s;object=%s;type=private", k.label, key.name)
		crt := key.name + ".crt"
		pub := key.name + "-pub.pem"
		engineKey := []string{"-engine", "pkcs11", "-keyform", "engine"}

		ok := t.Run(key.name+"/req-x509", func(t *testing.T) {
			k := k.in(t)
			k.engineCert(uri, "kagi "+key.name, crt)
			k.samePub(crt, pub)
			k.verifySelfSigned(crt)
		})
		if !ok {
			continue // the other subtests need the certificate
		}

		t.Run(key.name+"/pkeyutl-sign", func(t *testing.T) {
			k := k.in(t)
			digest := make([]byte, 32)
			rand.Read(digest)
			k.write("digest.bin", digest)
			other := append([]byte(nil), digest...)
			other[0] ^= 1
			k.write("other.bin", other)
			modes := [][]string{nil}
			if key.name == "rsa" {
				modes = [][]string{
					{"-pkeyopt", "rsa_padding_mode:pkcs1"},
					{"-pkeyopt", "rsa_padding_mode:pss", "-pkeyopt", "rsa_pss_saltlen:32"},
				}
			}
			for _, mode := range modes {
				opts := append([]string{"-pkeyopt", "digest:sha256"}, mode...)
				k.must("openssl", append(append(append([]string{"pkeyutl", "-sign"}, engineKey...),
					"-inkey", uri, "-in", "digest.bin", "-out", "sig.bin"), opts...)...)
				verify := append([]string{"pkeyutl", "-verify", "-pubin", "-inkey", pub, "-sigfile", "sig.bin"}, opts...)
				out := k.must("openssl", append(verify, "-in", "digest.bin")...)
				if !strings.Contains(out, "Signature Verified Successfully") {
					t.Errorf("pkeyutl -verify %v of the token's signature: not verified", opts)
				}
				if out, err := k.run("openssl", append(verify, "-in", "other.bin")...); err == nil ||
					strings.Contains(out, "Signature Verified Successfully") {
					t.Errorf("pkeyutl -verify %v accepted the token's signature over another digest", opts)
				}
			}
		})

		if key.name == "rsa" {
			t.Run(key.name+"/pkeyutl-decrypt", func(t *testing.T) {
				k := k.in(t)
				for _, mode := range [][]string{
					{"-pkeyopt", "rsa_padding_mode:pkcs1"},
					{"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"},
				} {
					pt := []byte(fmt.Sprintf("encrypted by openssl %v, decrypted on the token", mode))
					k.write("pt.bin", pt)
					k.must("openssl", append([]string{"pkeyutl", "-encrypt", "-pubin", "-inkey", pub,
						"-in", "pt.bin", "-out", "ct.bin"}, mode...)...)
					k.must("openssl", append(append(append([]string{"pkeyutl", "-decrypt"}, engineKey...),
						"-inkey", uri, "-in", "ct.bin", "-out", "back.bin"), mode...)...)
					if got := k.read("back.bin"); !bytes.Equal(got, pt) {
						t.Errorf("pkeyutl -decrypt %v on the token:\n got %q\nwant %q", mode, got, pt)
					}
				}
			})
		}

		for _, c := range tlsHandshakes(key) {
			t.Run(key.name+"/"+c.name, func(t *testing.T) {
				k := k.in(t)
				k.handshake(uri, crt, c)
			})
		}
	}
}

// engineConf writes openssl.cnf, which has OpenSSL load libp11's engine
// (at engine) at start-up with kagi as its module and the token's user PIN,
// and points OPENSSL_CONF at it in the tools' environment. With init the
// engine is also initialised then, as a program that loads engine keys
// without ENGINE_init (nginx) needs.
func (k *tlsToken) engineConf(engine string, init bool) {
	k.t.Helper()
	initLine := "init = 0"
	if init {
		initLine = "init = 1"
	}
	conf := fmt.Sprintf(`openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = %s
MODULE_PATH = %s
PIN = %s
%s

[req]
distinguished_name = req_dn

[req_dn]
`, engine, k.module, tlsPIN, initLine)
	k.write("openssl.cnf", []byte(conf))
	k.env = append(k.env, "OPENSSL_CONF="+k.path("openssl.cnf"))
}

// engineCert has openssl req make crt, a self-signed CA certificate for
// 127.0.0.1 with the common name cn, signed on the token with the key uri
// through the engine (engineConf).
func (k *tlsToken) engineCert(uri, cn, crt string) {
	k.t.Helper()
	k.must("openssl", "req", "-new", "-x509", "-engine", "pkcs11", "-keyform", "engine",
		"-key", uri, "-sha256", "-days", "2", "-subj", "/CN="+cn,
		"-addext", "subjectAltName=IP:127.0.0.1",
		"-addext", "basicConstraints=critical,CA:TRUE",
		"-addext", "keyUsage=critical,digitalSignature,keyCertSign",
		"-out", crt)
}

// tlsHandshake is one s_server/s_client run.
type tlsHandshake struct {
	name     string
	client   []string // s_client options that choose the protocol
	protocol string   // as s_client prints it ("Protocol  : TLSv1.3")
	peerSig  string   // "Peer signature type", "" when there is none
	cipher   string   // negotiated cipher, "" for any
}

func tlsHandshakes(key tlsEngineKey) []tlsHandshake {
	hs := []tlsHandshake{{name: "tls1.3", client: []string{"-tls1_3"}, protocol: "TLSv1.3", peerSig: key.peerSig13}}
	if key.name == "rsa" {
		hs = append(hs,
			// The client asks for PKCS#1 v1.5 signatures: the token signs
			// with CKM_RSA_PKCS.
			tlsHandshake{name: "tls1.2-ecdhe-rsa-pkcs1", client: []string{"-tls1_2", "-sigalgs", "RSA+SHA256"},
				protocol: "TLSv1.2", peerSig: "RSA"},
			tlsHandshake{name: "tls1.2-ecdhe-rsa-pss", client: []string{"-tls1_2", "-sigalgs", "RSA-PSS+SHA256"},
				protocol: "TLSv1.2", peerSig: "RSA-PSS"},
		)
		// No TLS 1.2 RSA key transport (e.g. AES128-GCM-SHA256): OpenSSL 3's
		// server asks for RSA_PKCS1_WITH_TLS_PADDING, which OpenSSL refuses
		// for every engine key before the engine is called
		// (openssl/openssl#21062, #25791). Decryption with the token key is
		// checked by pkeyutl-decrypt.
	} else {
		hs = append(hs, tlsHandshake{name: "tls1.2-ecdhe-ecdsa", client: []string{"-tls1_2"},
			protocol: "TLSv1.2", peerSig: "ECDSA", cipher: "ECDHE-ECDSA-AES256-GCM-SHA384"})
	}
	return hs
}

// tlsAcceptLine is s_server's line naming the address it listens on.
var tlsAcceptLine = regexp.MustCompile(`^ACCEPT (127\.0\.0\.1:\d+)`)

// handshake runs s_server with the token key uri and the certificate crt
// on a free port of 127.0.0.1 (port 0: s_server says which port it got),
// and s_client against it with c's options. s_client checks the
// certificate (-verify_return_error, -verify_ip); the test checks the
// protocol, the peer's signature type, the cipher, and that the HTTP
// response of s_server -www came through.
func (k *tlsToken) handshake(uri, crt string, c tlsHandshake) {
	t := k.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), tlsToolTimeout)
	defer cancel()
	srv := k.command(ctx, nil, "openssl", "s_server", "-engine", "pkcs11", "-keyform", "engine", "-key", uri,
		"-cert", crt, "-accept", "127.0.0.1:0", "-www", "-naccept", "1")
	stdout, err := srv.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	srv.Stderr = &stderr
	if err := srv.Start(); err != nil {
		t.Fatalf("openssl s_server: %v", err)
	}
	// The server is killed (its whole process group) and reaped whatever
	// happens below; the log has what it said.
	var srvOut bytes.Buffer
	var srvMu sync.Mutex
	addr := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			srvMu.Lock()
			srvOut.WriteString(line + "\n")
			srvMu.Unlock()
			if m := tlsAcceptLine.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	defer func() {
		cancel()
		<-copied
		srv.Wait()
		srvMu.Lock()
		t.Logf("openssl s_server (key %s):\n%s%s", uri, srvOut.String(), stderr.String())
		srvMu.Unlock()
	}()

	var hostport string
	select {
	case hostport = <-addr:
	case <-copied:
		t.Fatalf("openssl s_server exited before it listened")
	case <-time.After(30 * time.Second):
		t.Fatalf("openssl s_server did not say where it listens within 30 s")
	}

	args := append([]string{"s_client", "-connect", hostport, "-CAfile", crt, "-verify_return_error",
		"-verify_ip", "127.0.0.1", "-ign_eof"}, c.client...)
	out, err := k.runEnv(nil, []byte("GET / HTTP/1.0\r\n\r\n"), "openssl", args...)
	if err != nil {
		t.Fatalf("openssl s_client: %v", err)
	}
	for _, want := range []string{
		"Verify return code: 0 (ok)",
		"Protocol  : " + c.protocol,
		// s_server -www answers with its own view of the session: the
		// application data went both ways.
		"HTTP/1.0 200 ok",
		"New, " + c.protocol + ", Cipher is ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("s_client %v: output lacks %q", c.client, want)
		}
	}
	if c.peerSig != "" && !regexp.MustCompile(`(?m)^Peer signature type: `+regexp.QuoteMeta(c.peerSig)+`$`).MatchString(out) {
		t.Errorf("s_client %v: peer signature type is not %s", c.client, c.peerSig)
	}
	if c.cipher != "" && !strings.Contains(out, "Cipher is "+c.cipher) {
		t.Errorf("s_client %v: cipher is not %s", c.client, c.cipher)
	}
}

// in returns k for the subtest t: the same token and files, failures
// reported on t.
func (k *tlsToken) in(t *testing.T) *tlsToken {
	c := *k
	c.t = t
	return &c
}

// tlsEnginePath finds libp11's engine in OpenSSL's engines directory.
func tlsEnginePath(t *testing.T) string {
	t.Helper()
	out, err := tlsOutput("openssl", "version", "-e")
	if err != nil {
		t.Fatalf("openssl version -e: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`ENGINESDIR: "([^"]+)"`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("openssl version -e does not name the engines directory:\n%s", out)
	}
	p := filepath.Join(m[1], "pkcs11.so")
	if _, err := os.Stat(p); err != nil {
		missing(t, fmt.Sprintf("libp11's OpenSSL engine %s is not installed (Debian package libengine-pkcs11-openssl)", p))
	}
	return p
}

// tlsOutput runs a short query command outside any scenario.
func tlsOutput(name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tlsToolTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}
