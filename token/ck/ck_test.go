package ck_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/kagi-hsm/kagi/token/ck"
)

func TestKnownValues(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uint64
	}{
		{"CKR_OK", uint64(ck.CKR_OK), 0},
		{"CKR_BUFFER_TOO_SMALL", uint64(ck.CKR_BUFFER_TOO_SMALL), 0x150},
		{"CKR_PIN_INCORRECT", uint64(ck.CKR_PIN_INCORRECT), 0xA0},
		{"CKR_VENDOR_DEFINED", uint64(ck.CKR_VENDOR_DEFINED), 0x80000000},
		{"CKM_AES_GCM", uint64(ck.CKM_AES_GCM), 0x1087},
		{"CKM_EC_EDWARDS_KEY_PAIR_GEN", uint64(ck.CKM_EC_EDWARDS_KEY_PAIR_GEN), 0x1055},
		{"CKM_EDDSA", uint64(ck.CKM_EDDSA), 0x1057},
		{"CKM_AES_KEY_WRAP_KWP", uint64(ck.CKM_AES_KEY_WRAP_KWP), 0x210B},
		{"CKM_HKDF_DERIVE", uint64(ck.CKM_HKDF_DERIVE), 0x402A},
		{"CKM_SP800_108_COUNTER_KDF", uint64(ck.CKM_SP800_108_COUNTER_KDF), 0x3AC},
		{"CKM_TLS10_MAC_SERVER", uint64(ck.CKM_TLS10_MAC_SERVER), 0x3D6},
		{"CKA_VALUE", uint64(ck.CKA_VALUE), 0x11},
		{"CKA_WRAP_TEMPLATE", uint64(ck.CKA_WRAP_TEMPLATE), 0x40000211},
		{"CKA_ALLOWED_MECHANISMS", uint64(ck.CKA_ALLOWED_MECHANISMS), 0x40000600},
		{"CKK_EC_EDWARDS", uint64(ck.CKK_EC_EDWARDS), 0x40},
		{"CKK_SHA3_256_HMAC", uint64(ck.CKK_SHA3_256_HMAC), 0x37},
		{"CKK_ECDSA", uint64(ck.CKK_ECDSA), uint64(ck.CKK_EC)},
		{"CKO_SECRET_KEY", uint64(ck.CKO_SECRET_KEY), 4},
		{"CKF_ARRAY_ATTRIBUTE", uint64(ck.CKF_ARRAY_ATTRIBUTE), 0x40000000},
		{"CKG_MGF1_SHA256", uint64(ck.CKG_MGF1_SHA256), 2},
		{"CKG_GENERATE_COUNTER_XOR", uint64(ck.CKG_GENERATE_COUNTER_XOR), 4},
		{"CKD_SHA256_KDF", uint64(ck.CKD_SHA256_KDF), 6},
		{"CKU_CONTEXT_SPECIFIC", uint64(ck.CKU_CONTEXT_SPECIFIC), 2},
		{"CK_UNAVAILABLE_INFORMATION", uint64(ck.CK_UNAVAILABLE_INFORMATION), ^uint64(0)},
		{"CRYPTOKI_VERSION_MAJOR", ck.CRYPTOKI_VERSION_MAJOR, 3},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{ck.CKR_OK.Error(), "CKR_OK"},
		{ck.CKR_BUFFER_TOO_SMALL.Error(), "CKR_BUFFER_TOO_SMALL"},
		{ck.RV(0x12345).Error(), "CKR_0x00012345"},
		{ck.CKM_AES_GCM.String(), "CKM_AES_GCM"},
		{ck.CKM_EC_KEY_PAIR_GEN.String(), "CKM_EC_KEY_PAIR_GEN"},
		{ck.CKA_EC_PARAMS.String(), "CKA_EC_PARAMS"},
		{ck.CKA_WRAP_TEMPLATE.String(), "CKA_WRAP_TEMPLATE"},
		{ck.CKA_SUBPRIME_BITS.String(), "CKA_SUBPRIME_BITS"},
		{ck.CKK_EC.String(), "CKK_EC"},
		{ck.CKO_PRIVATE_KEY.String(), "CKO_PRIVATE_KEY"},
		{fmt.Sprint(ck.CKM_SHA256_HMAC), "CKM_SHA256_HMAC"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestULongRoundTrip(t *testing.T) {
	for _, v := range []ck.ULong{0, 1, 0x1087, 0x80000000, ck.CK_UNAVAILABLE_INFORMATION} {
		b := ck.ULongBytes(v)
		if len(b) != 8 {
			t.Fatalf("ULongBytes(%d) has %d bytes", v, len(b))
		}
		got, ok := ck.BytesULong(b)
		if !ok || got != v {
			t.Errorf("BytesULong(ULongBytes(%d)) = %d, %v", v, got, ok)
		}
	}
	if _, ok := ck.BytesULong([]byte{1, 2, 3, 4}); ok {
		t.Error("BytesULong accepted 4 bytes")
	}
}

func TestErrorRV(t *testing.T) {
	if rv := ck.ErrorRV(nil); rv != ck.CKR_OK {
		t.Errorf("ErrorRV(nil) = %v", rv)
	}
	wrapped := fmt.Errorf("x: %w", ck.CKR_PIN_INCORRECT)
	if rv := ck.ErrorRV(wrapped); rv != ck.CKR_PIN_INCORRECT {
		t.Errorf("ErrorRV(wrapped) = %v", rv)
	}
	if !errors.Is(wrapped, ck.CKR_PIN_INCORRECT) {
		t.Error("errors.Is does not see the RV")
	}
	if rv := ck.ErrorRV(errors.New("plain")); rv != ck.CKR_GENERAL_ERROR {
		t.Errorf("ErrorRV(plain) = %v", rv)
	}
}

// TestGeneratedUpToDate runs the generator and compares its output with the
// checked-in zconst.go.
func TestGeneratedUpToDate(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go tool not found")
	}
	out := filepath.Join(t.TempDir(), "zconst.go")
	cmd := exec.Command(goTool, "run", "./gen", "-in", "../../pkcs11.h", "-out", out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generator: %v\n%s", err, b)
	}
	want, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("zconst.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Error("zconst.go is out of date with pkcs11.h: run go generate ./token/ck")
	}
}
