package conformance

import (
	"github.com/miekg/pkcs11"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
)

// deviation is one check where a module does not give the spec's result,
// with what each module gives. DEVIATIONS.md explains each entry, under a
// heading that is its key.
type deviation struct {
	expect map[string]any // module name -> expected result (a CK_RV is a uint)
}

// deviations is keyed "Area/Case: check label".
var deviations = map[string]deviation{
	// kagi.
	"Find/ArrayAttributeNotAnArray: C_FindObjectsInit(array attribute, 1-byte value)": rvs(pkcs11.CKR_ATTRIBUTE_VALUE_INVALID, pkcs11.CKR_OK),
	"Derive/ConcatenateOtherKeyWithoutDerive: C_DeriveKey":                            rvs(pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED, pkcs11.CKR_MECHANISM_INVALID),

	// SoftHSMv2.
	"Token/SessionCounts: ulSessionCount":                               vals(uint(3), unavailable),
	"Token/SessionCounts: ulRwSessionCount":                             vals(uint(2), unavailable),
	"User/LogoutNotLoggedIn: C_Logout":                                  rvs(pkcs11.CKR_USER_NOT_LOGGED_IN, pkcs11.CKR_OK),
	"User/UserPINLockout: CKF_USER_PIN_LOCKED":                          vals(true, false),
	"User/UserPINLockout: C_Login(right PIN) when locked":               rvs(pkcs11.CKR_PIN_LOCKED, pkcs11.CKR_OK),
	"Object/CreateAESBadLength: C_CreateObject(15-byte AES key)":        rvs(pkcs11.CKR_ATTRIBUTE_VALUE_INVALID, pkcs11.CKR_OK),
	"SignVerify/RSA_PKCS/DataTooLong: C_Sign(246 bytes, 2048-bit key)":  rvs(pkcs11.CKR_DATA_LEN_RANGE, pkcs11.CKR_GENERAL_ERROR),
	"SignVerify/PSS/NoParams: C_SignInit(PSS without params)":           rvs(pkcs11.CKR_MECHANISM_PARAM_INVALID, pkcs11.CKR_ARGUMENTS_BAD),
	"SignVerify/KeyTypeInconsistent: C_SignInit(RSA mechanism, EC key)": rvs(pkcs11.CKR_KEY_TYPE_INCONSISTENT, pkcs11.CKR_OK),
	"SignVerify/InvalidKeyHandle: C_SignInit":                           rvs(pkcs11.CKR_KEY_HANDLE_INVALID, pkcs11.CKR_OBJECT_HANDLE_INVALID),
	"SignVerify/PrivateKeyNeedsLogin: C_SignInit after logout":          rvs(pkcs11.CKR_KEY_HANDLE_INVALID, pkcs11.CKR_OBJECT_HANDLE_INVALID),
	"Symmetric/AES128_CBC_PAD/BadPadding: C_Decrypt(garbled padding)":   rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Symmetric/AES192_CBC_PAD/BadPadding: C_Decrypt(garbled padding)":   rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Symmetric/AES256_CBC_PAD/BadPadding: C_Decrypt(garbled padding)":   rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Symmetric/DES3_CBC_PAD/BadPadding: C_Decrypt(garbled padding)":     rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Symmetric/GCM/BadTag: C_Decrypt(bad tag)":                          rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Symmetric/CBC/BadIVLength: C_EncryptInit(8-byte IV)":               rvs(pkcs11.CKR_MECHANISM_PARAM_INVALID, pkcs11.CKR_MECHANISM_INVALID),
	"AsymEncrypt/RSA_PKCS/TooLong: C_Encrypt(256 bytes)":                rvs(pkcs11.CKR_DATA_LEN_RANGE, pkcs11.CKR_GENERAL_ERROR),
	"AsymEncrypt/RSA_PKCS_OAEP_SHA1/TooLong: C_Encrypt(256 bytes)":      rvs(pkcs11.CKR_DATA_LEN_RANGE, pkcs11.CKR_GENERAL_ERROR),
	"AsymEncrypt/RSA_PKCS_OAEP_SHA256/EncryptGoDecrypts: C_EncryptInit": rvs(pkcs11.CKR_OK, pkcs11.CKR_ARGUMENTS_BAD),
	"AsymEncrypt/RSA_PKCS_OAEP_SHA256/GoEncryptsDecrypt: C_DecryptInit": rvs(pkcs11.CKR_OK, pkcs11.CKR_ARGUMENTS_BAD),
	"AsymEncrypt/RSA_PKCS_OAEP_SHA256/TooLong: C_EncryptInit":           rvs(pkcs11.CKR_OK, pkcs11.CKR_ARGUMENTS_BAD),
	"AsymEncrypt/OAEP/BadCiphertext: C_Decrypt(garbled)":                rvs(pkcs11.CKR_ENCRYPTED_DATA_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"AsymEncrypt/PublicKeyCannotDecrypt: C_DecryptInit(public key)":     rvs(pkcs11.CKR_KEY_TYPE_INCONSISTENT, pkcs11.CKR_KEY_FUNCTION_NOT_PERMITTED),
	"Wrap/UnwrapCorrupt: C_UnwrapKey(corrupt)":                          rvs(pkcs11.CKR_WRAPPED_KEY_INVALID, pkcs11.CKR_GENERAL_ERROR),
	"Wrap/UnwrappedKeyFlags: CKA_VALUE_LEN":                             vals(uint(32), uint(0)),
}

// unavailable is CK_UNAVAILABLE_INFORMATION.
const unavailable = ^uint(0)

// rvs is a deviation of a CK_RV: kagi's result, then SoftHSMv2's.
func rvs(kagi, softhsm uint) deviation { return vals(kagi, softhsm) }

// vals is a deviation of a value: kagi's, then SoftHSMv2's.
func vals(kagi, softhsm any) deviation {
	return deviation{expect: map[string]any{"kagi": kagi, "softhsm": softhsm}}
}

var (
	usedMu sync.Mutex
	used   = map[string]map[string]bool{} // module -> key -> consulted
)

func markUsed(module, key string) {
	usedMu.Lock()
	defer usedMu.Unlock()
	if used[module] == nil {
		used[module] = map[string]bool{}
	}
	used[module][key] = true
}

// checkDeviationsUsed fails when a deviation was never consulted in a full
// run against a module it names: a stale entry, or a renamed check.
func checkDeviationsUsed(t *testing.T, m *module) {
	if t.Failed() || testingShort() {
		return
	}
	usedMu.Lock()
	defer usedMu.Unlock()
	for key, d := range deviations {
		if _, named := d.expect[m.name]; named && !used[m.name][key] {
			t.Errorf("deviation %q names %s but no check consulted it", key, m.name)
		}
	}
	for key := range unsupported[m.name] {
		if !used[m.name]["unsupported "+key] {
			t.Errorf("unsupported %q of %s was never consulted", key, m.name)
		}
	}
}

// testingShort: a run filtered with -run does not consult every deviation.
func testingShort() bool {
	for _, a := range os.Args {
		if strings.HasPrefix(a, "-test.run") {
			return true
		}
	}
	return false
}

// TestDeviationsDocumented: every deviation has its section in
// DEVIATIONS.md, names both modules, and every section is a deviation.
func TestDeviationsDocumented(t *testing.T) {
	raw, err := os.ReadFile("DEVIATIONS.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := map[string]bool{}
	for _, line := range strings.Split(string(raw), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			headings[strings.Trim(strings.TrimSpace(h), "`")] = true
		}
	}
	var keys []string
	for k := range deviations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !headings[k] {
			t.Errorf("deviation %q has no section (### `%s`) in DEVIATIONS.md", k, k)
		}
		for _, m := range []string{"kagi", "softhsm"} {
			if _, ok := deviations[k].expect[m]; !ok {
				t.Errorf("deviation %q does not give %s's result", k, m)
			}
		}
	}
	for h := range headings {
		if _, ok := deviations[h]; !ok {
			t.Errorf("DEVIATIONS.md has a section %q that is no deviation", h)
		}
	}
}
