package kmsbridge

import (
	"bytes"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"
	"github.com/kagi-hsm/kagi/token"
	_ "modernc.org/sqlite"
)

// auditBob is a configured principal that no policy names: denied.
var auditBob = Credential{
	AccessKeyID:     "AKIAKAGITESTAUDITBOB",
	SecretAccessKey: "bob/secret/access/key/000000000000000000",
	Principal:       "arn:aws:iam::111122223333:user/bob",
}

// auditServer serves b with its refused requests recorded, as kagi serve
// does, and returns the server's URL.
func auditServer(t *testing.T, b *Bridge) string {
	t.Helper()
	s, err := NewServer([]Credential{alice, auditBob}, b.Operations(), ServerConfig{Region: testRegion, Refused: b.RecordRefused})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts.URL
}

// rawCall posts a body signed as c with any X-Amz-Target, and returns the
// response's request id and status.
func rawCall(t *testing.T, base string, c Credential, target, body string) (string, int) {
	t.Helper()
	r, err := http.NewRequest("POST", base+"/", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", contentTypeJSON11)
	r.Header.Set("X-Amz-Target", target)
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}
	if err := v4.NewSigner().SignHTTP(bg, creds, r, hex.EncodeToString(sum[:]), "kms", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.Header.Get("X-Amzn-RequestId"), resp.StatusCode
}

func auditRecords(t *testing.T, l *token.Library, b *Bridge) []token.AuditRecord {
	t.Helper()
	slot, err := findToken(l, testLabel)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := l.AuditRecords(slot, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// TestAuditRecordsEveryCall drives the endpoint with the AWS SDK and raw
// requests and checks the trail: one record per call, in order, with its
// principal, operation, key, encryption context, request id and outcome,
// for calls that succeeded, failed, or were refused before an operation.
func TestAuditRecordsEveryCall(t *testing.T) {
	b, l, _ := newBridge(t)
	base := auditServer(t, b)
	var reqIDs []string
	c := newClient(base, alice, func(o *kms.Options) { o.Region = testRegion })
	keep := func(id string) { reqIDs = append(reqIDs, id) }

	created, err := c.CreateKey(bg, &kms.CreateKeyInput{Description: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	keep(requestIDOf(created.ResultMetadata))
	arn := aws.ToString(created.KeyMetadata.Arn)
	keyID := aws.ToString(created.KeyMetadata.KeyId)

	plaintext := []byte("the audit must never see this plaintext")
	ectx := map[string]string{"tenant": "42", "app": "billing"}
	enc, err := c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plaintext, EncryptionContext: ectx})
	if err != nil {
		t.Fatal(err)
	}
	keep(requestIDOf(enc.ResultMetadata))

	dk, err := c.GenerateDataKey(bg, &kms.GenerateDataKeyInput{KeyId: aws.String(keyID), KeySpec: "AES_256"})
	if err != nil {
		t.Fatal(err)
	}
	keep(requestIDOf(dk.ResultMetadata))

	_, err = c.Decrypt(bg, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"tenant": "43"}})
	keep(errRequestID(t, err, "InvalidCiphertextException"))

	_, err = c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String("alias/nope")})
	keep(errRequestID(t, err, "NotFoundException"))

	// Denied by the key policy: bob is nobody's grantee.
	bob := newClient(base, auditBob, func(o *kms.Options) { o.Region = testRegion })
	_, err = bob.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plaintext, EncryptionContext: map[string]string{"who": "bob"}})
	keep(errRequestID(t, err, "AccessDeniedException"))

	dis, err := c.DisableKey(bg, &kms.DisableKeyInput{KeyId: aws.String(keyID)})
	if err != nil {
		t.Fatal(err)
	}
	keep(requestIDOf(dis.ResultMetadata))
	_, err = c.Encrypt(bg, &kms.EncryptInput{KeyId: aws.String(keyID), Plaintext: plaintext})
	keep(errRequestID(t, err, "DisabledException"))

	// Refused before any operation: an unknown access key, a wrong
	// secret, an unknown operation, a body that is not JSON. A request
	// that names no credential at all is only logged.
	_, err = newClient(base, mallory, func(o *kms.Options) { o.Region = testRegion }).ListKeys(bg, &kms.ListKeysInput{})
	keep(errRequestID(t, err, "UnrecognizedClientException"))
	wrong := alice
	wrong.SecretAccessKey = "not/alice/secret/access/key/000000000000"
	id, status := rawCall(t, base, wrong, "TrentService.ListKeys", "{}")
	keep(id)
	id2, _ := rawCall(t, base, alice, "TrentService.Frobnicate", "{}")
	keep(id2)
	id3, _ := rawCall(t, base, alice, "TrentService.Encrypt", "{not json")
	keep(id3)
	resp, err := http.Post(base+"/", contentTypeJSON11, strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if status != http.StatusBadRequest || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("refused requests answered %d and %d", status, resp.StatusCode)
	}

	if err := b.SyncAudit(); err != nil {
		t.Fatal(err)
	}
	recs := auditRecords(t, l, b)
	aliceARN := alice.Principal
	want := []struct {
		principal, akid, op, resource, ctx, outcome string
	}{
		{aliceARN, "", "CreateKey", arn, "", ""},
		{aliceARN, "", "Encrypt", arn, `{"app":"billing","tenant":"42"}`, ""},
		{aliceARN, "", "GenerateDataKey", arn, "", ""},
		{aliceARN, "", "Decrypt", arn, `{"tenant":"43"}`, "InvalidCiphertextException"},
		{aliceARN, "", "DescribeKey", "", "", "NotFoundException"},
		{auditBob.Principal, "", "Encrypt", arn, `{"who":"bob"}`, "AccessDeniedException"},
		{aliceARN, "", "DisableKey", arn, "", ""},
		{aliceARN, "", "Encrypt", arn, "", "DisabledException"},
		{"", mallory.AccessKeyID, "ListKeys", "", "", "UnrecognizedClientException"},
		{"", alice.AccessKeyID, "ListKeys", "", "", "InvalidSignatureException"},
		{aliceARN, alice.AccessKeyID, "Frobnicate", "", "", "UnknownOperationException"},
		// A body that starts as an object reaches the operation, whose
		// decoding refuses it; operations' records carry no access key id.
		{aliceARN, "", "Encrypt", "", "", "SerializationException"},
	}
	if len(recs) != len(want) {
		for _, r := range recs {
			t.Logf("%d %s %s %s %s", r.Seq, r.Operation, r.Principal, r.AccessKeyID, r.Outcome)
		}
		t.Fatalf("%d records, want %d", len(recs), len(want))
	}
	for i, w := range want {
		r := recs[i]
		if r.Principal != w.principal || r.AccessKeyID != w.akid || r.Operation != w.op || r.Resource != w.resource ||
			r.Context != w.ctx || r.Outcome != w.outcome || r.RequestID != reqIDs[i] ||
			r.Region != testRegion || r.Account != testAccount || time.Since(r.Time) > time.Minute || r.Seq != int64(i+1) {
			t.Errorf("record %d: %+v\nwant %+v (request id %s)", i+1, r, w, reqIDs[i])
		}
	}

	// Nothing secret in any record: not the plaintext nor the data key, in
	// any of the spellings a request or response carries them, nor the
	// ciphertexts.
	secrets := map[string][]byte{
		"plaintext": plaintext, "data key": dk.Plaintext,
		"ciphertext": enc.CiphertextBlob, "data key blob": dk.CiphertextBlob,
	}
	for _, r := range recs {
		row := strings.Join([]string{r.Principal, r.AccessKeyID, r.Operation, r.Resource, r.Context,
			r.RequestID, r.Outcome, r.Region, r.Account, string(r.Hash), string(r.PrevHash)}, "\x00")
		for name, s := range secrets {
			for _, form := range []string{string(s), base64.StdEncoding.EncodeToString(s), hex.EncodeToString(s), string(s[:16])} {
				if strings.Contains(row, form) {
					t.Fatalf("record %d holds the %s", r.Seq, name)
				}
			}
		}
	}
	slot, _ := findToken(l, testLabel)
	if rep, err := l.VerifyAudit(slot); err != nil || rep.Records != int64(len(want)) {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// requestIDOf is the request id the SDK read from a response.
func requestIDOf(md middleware.Metadata) string {
	id, _ := awsmiddleware.GetRequestIDMetadata(md)
	return id
}

// errRequestID checks an SDK error's AWS code and returns its request id.
func errRequestID(t *testing.T, err error, code string) string {
	t.Helper()
	got, _, _ := apiError(t, err)
	if got != code {
		t.Fatalf("error %v, want %s", err, code)
	}
	var re interface{ ServiceRequestID() string }
	if !errors.As(err, &re) {
		t.Fatalf("error %v has no request id", err)
	}
	return re.ServiceRequestID()
}

// TestAuditSurvivesRestart: records written before Close are all there
// after reopening, and the chain continues from them.
func TestAuditSurvivesRestart(t *testing.T) {
	b, l, db := newBridge(t)
	base := auditServer(t, b)
	c := newClient(base, alice, func(o *kms.Options) { o.Region = testRegion })
	for i := 0; i < 5; i++ {
		if _, err := c.GenerateRandom(bg, &kms.GenerateRandomInput{NumberOfBytes: aws.Int32(8)}); err != nil {
			t.Fatal(err)
		}
	}
	// Close writes what is queued: no SyncAudit here.
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Finalize(); err != nil {
		t.Fatal(err)
	}
	l2 := openLib(t, db)
	b2, err := Open(l2, testConfig())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(auditRecords(t, l2, b2)); n != 5 {
		t.Fatalf("%d records after restart, want 5", n)
	}
	c2 := newClient(auditServer(t, b2), alice, func(o *kms.Options) { o.Region = testRegion })
	if _, err := c2.ListKeys(bg, &kms.ListKeysInput{}); err != nil {
		t.Fatal(err)
	}
	if err := b2.Close(); err != nil {
		t.Fatal(err)
	}
	recs := auditRecords(t, l2, b2)
	if len(recs) != 6 || recs[5].Operation != "ListKeys" || recs[5].Seq != 6 || !bytes.Equal(recs[5].PrevHash, recs[4].Hash) {
		t.Fatalf("after the restart the chain has %d records: %+v", len(recs), recs[len(recs)-1])
	}
	slot, _ := findToken(l2, testLabel)
	if rep, err := l2.VerifyAudit(slot); err != nil || rep.Records != 6 {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestRecordDoesNotWaitForTheDatabase holds the database's write lock from
// another connection (as another process would) while calls are recorded:
// record returns at once, and the records land once the lock is released.
func TestRecordDoesNotWaitForTheDatabase(t *testing.T) {
	b, l, db := newBridge(t)
	other, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: db}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(bg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(bg, "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	start := time.Now()
	for i := 0; i < n; i++ {
		b.record(&call{principal: alice.Principal, operation: "GenerateRandom", requestID: fmt.Sprint(i), start: time.Now()}, nil, nil)
	}
	elapsed := time.Since(start)
	// Let the writer try (and wait for the lock) for a while.
	time.Sleep(3 * auditInterval)
	if elapsed > time.Second {
		t.Fatalf("%d records took %v while the database was locked", n, elapsed)
	}
	if _, err := conn.ExecContext(bg, "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if err := b.SyncAudit(); err != nil {
		t.Fatal(err)
	}
	if got := len(auditRecords(t, l, b)); got != n {
		t.Fatalf("%d records written, want %d", got, n)
	}
}

// BenchmarkRecord measures what a request pays for its audit record: a
// queue send, not a database write.
func BenchmarkRecord(bm *testing.B) {
	db := filepath.Join(bm.TempDir(), "kagi.db")
	l, err := token.New(token.Config{DBPath: db, Iterations: 1000, MaxPINFailures: 3})
	if err != nil {
		bm.Fatal(err)
	}
	defer l.Finalize()
	slots, _ := l.Slots(true)
	if err := l.InitToken(slots[0], []byte(testSOPIN), testLabel); err != nil {
		bm.Fatal(err)
	}
	// record needs an initialised token and no login: no bridge Open.
	b := &Bridge{lib: l, cfg: testConfig(), slot: slots[0], audit: newAuditor(l, slots[0])}
	defer b.audit.close()
	c := &call{principal: alice.Principal, operation: "Encrypt", requestID: "bench", start: time.Now(),
		keyARN: "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-0000-0000-000000000000",
		ectx:   map[string]string{"tenant": "42"}}
	bm.ReportAllocs()
	bm.ResetTimer()
	bm.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			b.record(c, nil, nil)
		}
	})
	bm.StopTimer()
	if err := b.SyncAudit(); err != nil {
		bm.Fatal(err)
	}
}

// TestAuditRecordsGoAPICalls: calls made through the Go API, not the
// endpoint, are audited too, as the principal WithPrincipal names (the
// account root without it), with a request id of their own; a call through
// the endpoint is recorded once, not again by the method it runs.
func TestAuditRecordsGoAPICalls(t *testing.T) {
	b, l, _ := newBridge(t)
	md := mustCreate(t, b, "go api")
	bob := WithPrincipal(bg, "arn:aws:iam::111122223333:user/bob")
	if _, err := b.Encrypt(bob, &EncryptRequest{KeyId: md.KeyId, Plaintext: []byte("p"), EncryptionContext: map[string]string{"k": "v"}}); ErrorCode(err) != CodeAccessDenied {
		t.Fatalf("bob's Encrypt: %v", err)
	}
	c := newClient(auditServer(t, b), alice, func(o *kms.Options) { o.Region = testRegion })
	if _, err := c.DescribeKey(bg, &kms.DescribeKeyInput{KeyId: aws.String(md.KeyId)}); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	recs := auditRecords(t, l, b)
	type rec struct{ principal, op, resource, ctx, outcome string }
	want := []rec{
		{"arn:aws:iam::111122223333:root", "CreateKey", md.Arn, "", ""},
		{"arn:aws:iam::111122223333:user/bob", "Encrypt", md.Arn, `{"k":"v"}`, CodeAccessDenied},
		{alice.Principal, "DescribeKey", md.Arn, "", ""},
	}
	if len(recs) != len(want) {
		t.Fatalf("%d records, want %d: %+v", len(recs), len(want), recs)
	}
	for i, w := range want {
		r := recs[i]
		if got := (rec{r.Principal, r.Operation, r.Resource, r.Context, r.Outcome}); got != w {
			t.Errorf("record %d: %+v, want %+v", i+1, got, w)
		}
		if len(r.RequestID) != 36 || i > 0 && r.RequestID == recs[i-1].RequestID {
			t.Errorf("record %d: request id %q", i+1, r.RequestID)
		}
	}
}
