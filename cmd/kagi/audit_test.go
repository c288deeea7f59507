package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	_ "modernc.org/sqlite"
)

// TestAuditCommands serves a token, makes calls that succeed, fail and are
// refused, and reads the trail back with kagi audit list, verify and
// export; then tampers with the database and expects verify to fail.
func TestAuditCommands(t *testing.T) {
	dir := setup(t)
	so, user := writePIN(t, dir, "so", "so-pin-1234"), writePIN(t, dir, "user", "user-pin-1234")
	if code, _, errs := kagi(t, "init-token", "--free", "--label", "kms", "--so-pin-file", so, "--pin-file", user); code != 0 {
		t.Fatalf("init-token: %s", errs)
	}
	const root = "arn:aws:iam::123456789012:root"
	conf := filepath.Join(dir, "serve.json")
	body := fmt.Sprintf(`{"listen": "127.0.0.1:0", "region": "eu-central-1", "account": "123456789012",
	  "token": "kms", "pin_file": %q,
	  "credentials": [{"access_key_id": %q, "secret_access_key": %q, "principal": %q}]}`, user, serveAKID, serveSecret, root)
	if err := os.WriteFile(conf, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	client := func(url, secret string) *kms.Client {
		return kms.NewFromConfig(aws.Config{
			Region:           "eu-central-1",
			Credentials:      credentials.NewStaticCredentialsProvider(serveAKID, secret, ""),
			RetryMaxAttempts: 1,
		}, func(o *kms.Options) { o.BaseEndpoint = aws.String(url) })
	}
	ctx := context.Background()
	endpoint, done := startServe(t, conf)
	c := client(endpoint, serveSecret)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("audited")})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(key.KeyMetadata.Arn)
	enc, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: key.KeyMetadata.KeyId, Plaintext: []byte("secret words"),
		EncryptionContext: map[string]string{"dept": "audit"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob}); err == nil {
		t.Fatal("Decrypt without the context succeeded")
	}
	if _, err := client(endpoint, "wrong/secret/key/0000000000000000000000").ListKeys(ctx, &kms.ListKeysInput{}); err == nil {
		t.Fatal("a wrong secret was accepted")
	}
	stopServe(t, done) // Close writes the queued records

	code, out, errs := kagi(t, "audit", "list")
	if code != 0 {
		t.Fatalf("audit list: %d %s", code, errs)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^ +1 \S+ CreateKey +OK +` + regexp.QuoteMeta(root) + ` key=` + regexp.QuoteMeta(arn) + ` request=\S+$`),
		regexp.MustCompile(`(?m)^ +2 \S+ Encrypt +OK .* context=\{"dept":"audit"\}`),
		regexp.MustCompile(`(?m)^ +3 \S+ Decrypt +InvalidCiphertextException +` + regexp.QuoteMeta(root)),
		regexp.MustCompile(`(?m)^ +4 \S+ ListKeys +InvalidSignatureException +access-key:` + serveAKID),
	} {
		if !want.MatchString(out) {
			t.Fatalf("audit list output lacks %s:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret words") {
		t.Fatal("a plaintext in the audit trail")
	}

	code, out, errs = kagi(t, "audit", "list", "--token", "kms", "--limit", "2", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 2 {
		t.Fatalf("audit list --limit 2 --json: %d %q %s", code, out, errs)
	}
	var last struct {
		Seq         int64  `json:"seq"`
		AccessKeyID string `json:"access_key_id"`
		Outcome     string `json:"outcome"`
		Hash        string `json:"hash"`
	}
	if err := json.Unmarshal([]byte(lines[1]), &last); err != nil || last.Seq != 4 || last.AccessKeyID != serveAKID || last.Outcome != "InvalidSignatureException" {
		t.Fatalf("last JSON record %s: %+v %v", lines[1], last, err)
	}

	code, out, errs = kagi(t, "audit", "verify")
	if code != 0 || !strings.Contains(out, `audit trail of token "kms": 4 records, chain intact`) || !strings.Contains(out, "head: 4:"+last.Hash) {
		t.Fatalf("audit verify: %d %s %s", code, out, errs)
	}
	if code, _, errs := kagi(t, "audit", "verify", "--anchor", "4:"+last.Hash); code != 0 {
		t.Fatalf("verify with the right anchor: %s", errs)
	}
	if code, _, errs := kagi(t, "audit", "verify", "--anchor", "4:"+strings.Repeat("0", 64)); code != 1 || !strings.Contains(errs, "BROKEN at record 4") {
		t.Fatalf("verify with a wrong anchor: %d %s", code, errs)
	}

	code, out, errs = kagi(t, "audit", "export", "--since", "1h")
	if code != 0 {
		t.Fatalf("audit export: %d %s", code, errs)
	}
	var trail struct {
		Records []map[string]any `json:"Records"`
	}
	if err := json.Unmarshal([]byte(out), &trail); err != nil || len(trail.Records) != 4 {
		t.Fatalf("export is not a CloudTrail log of 4 records: %v\n%s", err, out)
	}
	e := trail.Records[1]
	for field, want := range map[string]any{
		"eventVersion": "1.08", "eventSource": "kms.amazonaws.com", "eventName": "Encrypt",
		"awsRegion": "eu-central-1", "readOnly": true, "eventType": "AwsApiCall",
	} {
		if e[field] != want {
			t.Fatalf("export field %s = %v, want %v\n%s", field, e[field], want, out)
		}
	}
	ident, _ := e["userIdentity"].(map[string]any)
	params, _ := e["requestParameters"].(map[string]any)
	ectx, _ := params["encryptionContext"].(map[string]any)
	res, _ := e["resources"].([]any)
	if ident["type"] != "Root" || ident["arn"] != root || ident["accountId"] != "123456789012" ||
		params["keyId"] != arn || ectx["dept"] != "audit" || len(res) != 1 ||
		res[0].(map[string]any)["ARN"] != arn || res[0].(map[string]any)["type"] != "AWS::KMS::Key" ||
		e["requestID"] == "" || e["eventID"] == "" || e["eventTime"] == "" || e["errorCode"] != nil {
		t.Fatalf("export of the Encrypt event: %v", e)
	}
	if trail.Records[2]["errorCode"] != "InvalidCiphertextException" || trail.Records[0]["readOnly"] != false {
		t.Fatalf("export of CreateKey/Decrypt: %v %v", trail.Records[0], trail.Records[2])
	}
	if code, out, _ := kagi(t, "audit", "export", "--since", "2999-01-01T00:00:00Z"); code != 0 || !strings.Contains(out, `"Records": []`) {
		t.Fatalf("export --since the future: %d %s", code, out)
	}

	// Someone who can write the file edits record 3's outcome.
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: os.Getenv("KAGI_DB")}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{`DROP TRIGGER audit_no_update`, `UPDATE audit SET outcome = '' WHERE seq = 3`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs = kagi(t, "audit", "verify", "--token", "kms")
	if code != 1 || !strings.Contains(errs, `audit trail of token "kms" is BROKEN at record 3: its fields do not match its hash`) {
		t.Fatalf("verify after tampering: %d %q", code, errs)
	}

	if code, _, errs := kagi(t, "audit", "list", "--token", "nope"); code != 1 || !strings.Contains(errs, `no token labelled "nope"`) {
		t.Fatalf("unknown token: %d %s", code, errs)
	}
	if code, _, errs := kagi(t, "audit", "frob"); code != 1 || !strings.Contains(errs, "unknown subcommand") {
		t.Fatalf("unknown subcommand: %d %s", code, errs)
	}
}
