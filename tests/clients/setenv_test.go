package clients

import (
	"fmt"
	"github.com/kagi-hsm/kagi/tests/internal/testmodule"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/miekg/pkcs11"
)

// setenvChildMarker, in the environment, makes the test binary act as the
// child of TestKAGIDBFromSetenv: the value is the database path to set.
const setenvChildMarker = "KAGI_CLIENTS_SETENV_CHILD"

// TestKAGIDBFromSetenv: a Go program that configures the module the way
// Go programs configure SoftHSMv2 (os.Setenv("SOFTHSM2_CONF", ...) before
// crypto11.Configure) must get the database it named. The child process
// starts without KAGI_DB, sets it with os.Setenv, loads the module and
// initialises it; the database file must then exist. (Its XDG_DATA_HOME is
// a temporary directory, so a module that misses the variable does not
// touch the user's default database.)
func TestKAGIDBFromSetenv(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "from-setenv.db")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self)
	cmd.Env = append(testmodule.WithoutEnv(os.Environ(), "KAGI_DB", "KAGI_CONF", "XDG_DATA_HOME", startedMarker),
		setenvChildMarker+"="+db, "XDG_DATA_HOME="+filepath.Join(dir, "xdg"), "KAGI_MODULE="+module)
	out, err := cmd.CombinedOutput()
	t.Logf("child:\n%s", out)
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	if _, err := os.Stat(db); err != nil {
		_, defErr := os.Stat(filepath.Join(dir, "xdg", "kagi", "kagi.db"))
		t.Errorf("KAGI_DB set with os.Setenv before loading the module was not used: %v (default database created: %v)",
			err, defErr == nil)
	}
}

// setenvChild is the child of TestKAGIDBFromSetenv.
func setenvChild(db string) int {
	os.Setenv("KAGI_DB", db)
	p := pkcs11.New(os.Getenv("KAGI_MODULE")) // never Destroy
	if p == nil {
		fmt.Println("cannot load the module")
		return 1
	}
	if err := p.Initialize(); err != nil {
		fmt.Println("C_Initialize:", err)
		return 1
	}
	if err := p.Finalize(); err != nil {
		fmt.Println("C_Finalize:", err)
		return 1
	}
	fmt.Println("C_Initialize and C_Finalize: CKR_OK")
	return 0
}
