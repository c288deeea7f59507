package awscli

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
)

// awsCommand returns the AWS CLI to test: $KAGI_AWS_CLI, else Debian's
// awscli (/usr/bin/aws, which a Python environment earlier in PATH may
// shadow with another version), else aws from PATH.
func awsCommand(t *testing.T) string {
	t.Helper()
	if c := os.Getenv("KAGI_AWS_CLI"); c != "" {
		return c
	}
	if _, err := os.Stat("/usr/bin/aws"); err == nil {
		return "/usr/bin/aws"
	}
	p, err := exec.LookPath("aws")
	if err != nil {
		missing(t, "the AWS CLI is not installed (Debian package awscli)")
	}
	return p
}

// TestAWSCLIEnvelope runs envelope.sh: the AWS CLI, pointed at kagi serve
// with --endpoint-url, does envelope encryption with a data key and
// openssl, then encryption context, sign/verify (checked by openssl with
// the public key), list-keys, list-aliases, rotation and deletion.
func TestAWSCLIEnvelope(t *testing.T) {
	aws := awsCommand(t)
	for _, tool := range []string{"jq", "openssl", "base64", "od", "cmp"} {
		if _, err := exec.LookPath(tool); err != nil {
			missing(t, tool+" is not installed")
		}
	}
	e := serve(t)
	root, err := testmodule.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command("bash", filepath.Join(root, "tests", "awscli", "envelope.sh"))
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN",
		"AWS_REGION", "AWS_CA_BUNDLE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_KMS"),
		"AWS="+aws, "KMS_ENDPOINT="+e.url, "KMS_ACCOUNT="+account, "WORK="+dir,
		"AWS_ACCESS_KEY_ID="+accessKey, "AWS_SECRET_ACCESS_KEY="+secretKey, "AWS_DEFAULT_REGION="+region,
		// The CLI reads none of the user's files and asks no pager.
		"AWS_CONFIG_FILE="+filepath.Join(dir, "no-config"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(dir, "no-credentials"),
		"AWS_PAGER=", "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1")
	out, err := cmd.CombinedOutput()
	t.Logf("envelope.sh:\n%s", out)
	if err != nil {
		t.Fatalf("envelope.sh: %v", err)
	}
}
