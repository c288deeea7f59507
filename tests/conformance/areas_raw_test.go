package conformance

// C-level cases: what miekg/pkcs11 cannot express (NULL pointers, output
// buffers of chosen sizes, CK_C_INITIALIZE_ARGS with mutex callbacks,
// CK_KEY_DERIVATION_STRING_DATA), made through internal/craw on the same
// loaded module.

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"

	"github.com/kagi-hsm/kagi/tests/conformance/internal/craw"
	"github.com/miekg/pkcs11"
)

// raw returns the module's raw function list.
func (x *X) raw() *craw.Module {
	x.Helper()
	if x.m.raw == nil {
		r, err := craw.Open(x.m.path)
		x.must("loading the raw function list", err)
		x.m.raw = r
	}
	return x.m.raw
}

// rawRV checks a CK_RV returned by a raw call.
func (x *X) rawRV(label string, got, spec uint) bool {
	x.Helper()
	return x.rv(label, rvErr(got), spec)
}

// rvErr turns a raw CK_RV into the error miekg/pkcs11 would return.
func rvErr(rv uint) error {
	if rv == pkcs11.CKR_OK {
		return nil
	}
	return pkcs11.Error(rv)
}

func nullArgCases() []tcase {
	type nc struct {
		name string
		call func(x *X) uint
	}
	sess := func(x *X, c craw.NullCall, b, n uint) uint {
		sh := x.user()
		return x.raw().Null(c, uint(sh), b, n)
	}
	key := func(x *X) (pkcs11.SessionHandle, pkcs11.ObjectHandle) {
		sh := x.user()
		return sh, x.aesKey(sh, bytes.Repeat([]byte{7}, 16))
	}
	calls := []nc{
		{"GetSlotList(pulCount NULL)", func(x *X) uint { return x.raw().Null(craw.GetSlotListNullCount, 0, 0, 0) }},
		{"GetInfo(NULL)", func(x *X) uint { return x.raw().Null(craw.GetInfoNull, 0, 0, 0) }},
		{"GetSlotInfo(NULL)", func(x *X) uint { return x.raw().Null(craw.GetSlotInfoNull, x.slot, 0, 0) }},
		{"GetTokenInfo(NULL)", func(x *X) uint { return x.raw().Null(craw.GetTokenInfoNull, x.slot, 0, 0) }},
		{"GetMechanismList(pulCount NULL)", func(x *X) uint { return x.raw().Null(craw.GetMechanismListNullCount, x.slot, 0, 0) }},
		{"GetMechanismInfo(NULL)", func(x *X) uint {
			return x.raw().Null(craw.GetMechanismInfoNull, x.slot, pkcs11.CKM_SHA256, 0)
		}},
		{"OpenSession(phSession NULL)", func(x *X) uint { return x.raw().Null(craw.OpenSessionNullHandle, x.slot, 0, 0) }},
		{"GetSessionInfo(NULL)", func(x *X) uint { return sess(x, craw.GetSessionInfoNull, 0, 0) }},
		{"SignInit(pMechanism NULL)", func(x *X) uint {
			sh, k := key(x)
			return x.raw().Null(craw.SignInitNullMechanism, uint(sh), uint(k), 0)
		}},
		{"EncryptInit(pMechanism NULL)", func(x *X) uint {
			sh, k := key(x)
			return x.raw().Null(craw.EncryptInitNullMechanism, uint(sh), uint(k), 0)
		}},
		{"DigestInit(pMechanism NULL)", func(x *X) uint { return sess(x, craw.DigestInitNullMechanism, 0, 0) }},
		{"CreateObject(pTemplate NULL, 3)", func(x *X) uint { return sess(x, craw.CreateObjectNullTemplate, 0, 3) }},
		{"FindObjectsInit(pTemplate NULL, 2)", func(x *X) uint { return sess(x, craw.FindObjectsInitNullTemplate, 0, 2) }},
		{"GetAttributeValue(pTemplate NULL, 2)", func(x *X) uint {
			sh, k := key(x)
			return x.raw().Null(craw.GetAttributeValueNullTemplate, uint(sh), uint(k), 2)
		}},
		{"GenerateRandom(NULL, 16)", func(x *X) uint { return sess(x, craw.GenerateRandomNull, 0, 16) }},
		{"SeedRandom(NULL, 16)", func(x *X) uint { return sess(x, craw.SeedRandomNull, 0, 16) }},
		{"FindObjects(phObject NULL)", func(x *X) uint {
			sh := x.user()
			x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, nil))
			return x.raw().Null(craw.FindObjectsNullHandles, uint(sh), 0, 4)
		}},
		{"FindObjects(pulObjectCount NULL)", func(x *X) uint {
			sh := x.user()
			x.must("C_FindObjectsInit", x.p.FindObjectsInit(sh, nil))
			return x.raw().Null(craw.FindObjectsNullCount, uint(sh), 0, 1)
		}},
		{"Sign(pulSignatureLen NULL)", func(x *X) uint {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, bytes.Repeat([]byte{7}, 32), pkcs11.CKA_SIGN, true)
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_HMAC, nil), k))
			rv, _, _ := x.raw().Out(craw.Sign, sh, []byte("data"), 64, true)
			return rv
		}},
		{"Encrypt(pulEncryptedDataLen NULL)", func(x *X) uint {
			sh, k := key(x)
			x.must("C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_ECB, nil), k))
			rv, _, _ := x.raw().Out(craw.Encrypt, sh, make([]byte, 16), 64, true)
			return rv
		}},
		{"Digest(pulDigestLen NULL)", func(x *X) uint {
			sh := x.user()
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			rv, _, _ := x.raw().Out(craw.Digest, sh, []byte("data"), 64, true)
			return rv
		}},
	}
	var cs []tcase
	for _, c := range calls {
		cs = append(cs, tcase{name: c.name, run: func(x *X) {
			x.rawRV("C_"+c.name, c.call(x), pkcs11.CKR_ARGUMENTS_BAD)
		}})
	}
	cs = append(cs, tcase{name: "FindObjectsInit(pTemplate NULL, 0)", run: func(x *X) {
		sh := x.user()
		x.rawRV("C_FindObjectsInit(NULL, 0) matches everything", x.raw().Null(craw.FindObjectsInitNullTemplate, uint(sh), 0, 0), pkcs11.CKR_OK)
		_ = x.p.FindObjectsFinal(sh)
	}})
	return cs
}

// lengthCase runs the length convention on one single-part call whose
// operation init has started: NULL output gives the length and keeps the
// operation, a short buffer gives CKR_BUFFER_TOO_SMALL with the length and
// keeps it, a big enough buffer gives the output and ends it. exact reports
// whether the NULL-buffer length must be exact (else an upper bound is
// allowed). It returns the output.
func (x *X) lengthCase(c craw.OutCall, sh pkcs11.SessionHandle, in []byte, want int, exact bool) []byte {
	x.Helper()
	r := x.raw()
	rv, n, _ := r.Out(c, sh, in, craw.Null, false)
	if !x.rawRV("NULL output buffer", rv, pkcs11.CKR_OK) {
		return nil
	}
	if exact {
		x.eq("length for a NULL buffer", n, uint(want))
	} else {
		x.eq("length for a NULL buffer suffices", n >= uint(want) && n < uint(want)+64, true)
	}
	rv, n, _ = r.Out(c, sh, in, want-1, false)
	x.rawRV("buffer one byte short", rv, pkcs11.CKR_BUFFER_TOO_SMALL)
	if exact {
		x.eq("length after CKR_BUFFER_TOO_SMALL", n, uint(want))
	} else {
		x.eq("length after CKR_BUFFER_TOO_SMALL suffices", n >= uint(want) && n < uint(want)+64, true)
	}
	rv, n, out := r.Out(c, sh, in, want+32, false)
	if !x.rawRV("big enough buffer (the operation is still active)", rv, pkcs11.CKR_OK) {
		return nil
	}
	x.eq("output length", n, uint(want))
	rv, _, _ = r.Out(c, sh, in, want+32, false)
	x.rawRV("the same call again (the operation has ended)", rv, pkcs11.CKR_OPERATION_NOT_INITIALIZED)
	return out
}

func lengthCases() []tcase {
	aesValue := bytes.Repeat([]byte{0x42}, 16)
	iv := bytes.Repeat([]byte{0x24}, 16)
	plain := []byte("thirty-two bytes of plain text!!")
	return []tcase{
		{name: "Sign/RSA_SHA256", run: func(x *X) {
			sh := x.user()
			k := x.create(sh, rsaPrivateTemplate(false))
			x.must("C_SignInit", x.p.SignInit(sh, mech(pkcs11.CKM_SHA256_RSA_PKCS, nil), k))
			data := []byte("the length convention")
			sig := x.lengthCase(craw.Sign, sh, data, 256, true)
			if sig != nil {
				h := sha256.Sum256(data)
				x.eq("crypto/rsa verifies the signature", rsa.VerifyPKCS1v15(&rsaKey().PublicKey, crypto.SHA256, h[:], sig), error(nil))
			}
		}},
		{name: "Encrypt/AES_CBC_PAD", run: func(x *X) {
			sh := x.user()
			k := x.aesKey(sh, aesValue)
			x.must("C_EncryptInit", x.p.EncryptInit(sh, mech(pkcs11.CKM_AES_CBC_PAD, iv), k))
			ct := x.lengthCase(craw.Encrypt, sh, plain, 48, false)
			if ct != nil {
				b, _ := aes.NewCipher(aesValue)
				padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{16}, 16)...)
				want := make([]byte, 48)
				cipher.NewCBCEncrypter(b, iv).CryptBlocks(want, padded)
				x.eq("ciphertext equals crypto/aes CBC", ct, want)
			}
		}},
		{name: "Decrypt/AES_CBC_PAD", run: func(x *X) {
			sh := x.user()
			k := x.aesKey(sh, aesValue)
			b, _ := aes.NewCipher(aesValue)
			padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{16}, 16)...)
			ct := make([]byte, 48)
			cipher.NewCBCEncrypter(b, iv).CryptBlocks(ct, padded)
			x.must("C_DecryptInit", x.p.DecryptInit(sh, mech(pkcs11.CKM_AES_CBC_PAD, iv), k))
			// The NULL-buffer length may be an upper bound (48) for padded data.
			if pt := x.lengthCase(craw.Decrypt, sh, ct, 32, false); pt != nil {
				x.eq("plaintext", pt, plain)
			}
		}},
		{name: "Digest/SHA256", run: func(x *X) {
			sh := x.user()
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			if d := x.lengthCase(craw.Digest, sh, plain, 32, true); d != nil {
				want := sha256.Sum256(plain)
				x.eq("digest equals crypto/sha256", d, want[:])
			}
		}},
		{name: "GetAttributeValue/Value", run: func(x *X) {
			sh := x.user()
			k := x.secret(sh, pkcs11.CKK_AES, aesValue, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true)
			r := x.raw()
			a := []craw.Attr{{Type: pkcs11.CKA_VALUE, Len: craw.Null}}
			x.rawRV("NULL pValue", r.GetAttributeValue(sh, k, a), pkcs11.CKR_OK)
			x.eq("ulValueLen for a NULL pValue", a[0].RetLen, uint(16))
			a = []craw.Attr{{Type: pkcs11.CKA_VALUE, Len: 15}}
			x.rawRV("buffer one byte short", r.GetAttributeValue(sh, k, a), pkcs11.CKR_BUFFER_TOO_SMALL)
			x.eq("ulValueLen after CKR_BUFFER_TOO_SMALL", a[0].RetLen, unavailable)
			a = []craw.Attr{{Type: pkcs11.CKA_VALUE, Len: 40}}
			x.rawRV("big enough buffer", r.GetAttributeValue(sh, k, a), pkcs11.CKR_OK)
			x.eq("ulValueLen", a[0].RetLen, uint(16))
			x.eq("value", a[0].Value, aesValue)
		}},
	}
}

// attributePrecedenceCases: one C_GetAttributeValue with several attributes
// that cannot be returned, for different reasons, among good ones. The spec
// (PKCS#11 3.0 section 5.7.5) lets the module return any of
// CKR_ATTRIBUTE_SENSITIVE, CKR_ATTRIBUTE_TYPE_INVALID and
// CKR_BUFFER_TOO_SMALL, but the call must still process every attribute:
// each good one filled, each bad one's ulValueLen CK_UNAVAILABLE_INFORMATION.
func attributePrecedenceCases() []tcase {
	const invalidType = 0x7ffe0001
	label := []byte("precedence")
	id := []byte("an identifier of 24 b..")
	type bad struct{ sensitive, invalid, small bool }
	combos := []struct {
		name string
		bad
		spec uint // the code the suite pins (see DEVIATIONS.md when a module differs)
	}{
		{"Sensitive+Invalid", bad{true, true, false}, pkcs11.CKR_ATTRIBUTE_SENSITIVE},
		{"Sensitive+TooSmall", bad{true, false, true}, pkcs11.CKR_ATTRIBUTE_SENSITIVE},
		{"Invalid+TooSmall", bad{false, true, true}, pkcs11.CKR_ATTRIBUTE_TYPE_INVALID},
		{"All three", bad{true, true, true}, pkcs11.CKR_ATTRIBUTE_SENSITIVE},
	}
	var cs []tcase
	for _, c := range combos {
		cs = append(cs, tcase{name: c.name, run: func(x *X) {
			sh := x.user()
			k := x.create(sh, append(rsaPrivateTemplate(false), tmpl(pkcs11.CKA_LABEL, label, pkcs11.CKA_ID, id)...))
			a := []craw.Attr{{Type: pkcs11.CKA_LABEL, Len: 64}}
			bad := map[int]string{}
			if c.sensitive {
				bad[len(a)] = "CKA_PRIVATE_EXPONENT (sensitive)"
				a = append(a, craw.Attr{Type: pkcs11.CKA_PRIVATE_EXPONENT, Len: 512})
			}
			a = append(a, craw.Attr{Type: pkcs11.CKA_KEY_TYPE, Len: 8})
			if c.invalid {
				bad[len(a)] = "an invalid attribute type"
				a = append(a, craw.Attr{Type: invalidType, Len: 64})
			}
			if c.small {
				bad[len(a)] = "CKA_ID (buffer too small)"
				a = append(a, craw.Attr{Type: pkcs11.CKA_ID, Len: 4})
			}
			a = append(a, craw.Attr{Type: pkcs11.CKA_MODULUS, Len: 512})
			rv := x.raw().GetAttributeValue(sh, k, a)
			x.eq("the code is one of the three", rv == pkcs11.CKR_ATTRIBUTE_SENSITIVE ||
				rv == pkcs11.CKR_ATTRIBUTE_TYPE_INVALID || rv == pkcs11.CKR_BUFFER_TOO_SMALL, true)
			x.rawRV("C_GetAttributeValue", rv, c.spec)
			for i, at := range a {
				if why, isBad := bad[i]; isBad {
					x.eq(fmt.Sprintf("ulValueLen of %s", why), at.RetLen, unavailable)
					continue
				}
				var want []byte
				switch at.Type {
				case pkcs11.CKA_LABEL:
					want = label
				case pkcs11.CKA_KEY_TYPE:
					want = ulongBytes(pkcs11.CKK_RSA)
				case pkcs11.CKA_MODULUS:
					want = rsaKey().N.Bytes()
				}
				x.eq(fmt.Sprintf("attribute 0x%x filled", at.Type), at.Value, want)
			}
		}})
	}
	return cs
}

func initArgsCases() []tcase {
	all := func(flags uint) *craw.InitArgs { return craw.AllMutexes(flags) }
	cs := []struct {
		name string
		args *craw.InitArgs
		spec uint
	}{
		{"NullArgs", nil, pkcs11.CKR_OK},
		{"Callbacks", all(0), pkcs11.CKR_OK},
		{"CallbacksAndOSLocking", all(pkcs11.CKF_OS_LOCKING_OK), pkcs11.CKR_OK},
		{"OSLockingOnly", &craw.InitArgs{Flags: pkcs11.CKF_OS_LOCKING_OK}, pkcs11.CKR_OK},
		{"TwoOfFourCallbacks", &craw.InitArgs{Create: true, Destroy: true}, pkcs11.CKR_ARGUMENTS_BAD},
		{"ThreeOfFourCallbacks", &craw.InitArgs{Create: true, Destroy: true, Lock: true, Flags: pkcs11.CKF_OS_LOCKING_OK}, pkcs11.CKR_ARGUMENTS_BAD},
		{"CallbacksReservedNotNull", &craw.InitArgs{Create: true, Destroy: true, Lock: true, Unlock: true, Reserved: true}, pkcs11.CKR_ARGUMENTS_BAD},
		// The module may not create threads: a module that must (kagi's Go
		// runtime does) answers CKR_NEED_TO_CREATE_THREADS.
		{"CantCreateThreads", &craw.InitArgs{Flags: pkcs11.CKF_LIBRARY_CANT_CREATE_OS_THREADS}, pkcs11.CKR_OK},
		{"CantCreateThreadsOSLocking", &craw.InitArgs{Flags: pkcs11.CKF_LIBRARY_CANT_CREATE_OS_THREADS | pkcs11.CKF_OS_LOCKING_OK}, pkcs11.CKR_OK},
	}
	var out []tcase
	for _, c := range cs {
		out = append(out, tcase{name: c.name, run: func(x *X) {
			r := x.raw()
			x.must("C_Finalize", rvErr(r.Finalize()))
			before := craw.MutexesCreated()
			if !x.rawRV("C_Initialize", r.Initialize(c.args), c.spec) || c.spec != pkcs11.CKR_OK {
				return
			}
			// The module works: a session, a login, a digest.
			slot, err := x.m.findSlot()
			x.must("finding the token", err)
			x.slot = slot
			sh := x.user()
			x.must("C_DigestInit", x.p.DigestInit(sh, mech(pkcs11.CKM_SHA256, nil)))
			d, err := x.p.Digest(sh, []byte("abc"))
			if err == nil {
				want := sha256.Sum256([]byte("abc"))
				x.eq("digest after this C_Initialize", d, want[:])
			} else {
				x.must("C_Digest", err)
			}
			x.Logf("CreateMutex called %d time(s)", craw.MutexesCreated()-before)
		}})
	}
	return out
}

func deriveDataCases() []tcase {
	base := bytes.Repeat([]byte{0xa5}, 16)
	data := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	derived := func(extra ...any) []*pkcs11.Attribute {
		return append(tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_GENERIC_SECRET,
			pkcs11.CKA_TOKEN, false, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true), tmpl(extra...)...)
	}
	cat := func(a ...[]byte) []byte { return bytes.Join(a, nil) }
	xor := func(a, b []byte) []byte {
		n := min(len(a), len(b))
		out := make([]byte, n)
		for i := range out {
			out[i] = a[i] ^ b[i]
		}
		return out
	}
	ecb := func(k, d []byte) []byte {
		b, _ := aes.NewCipher(k)
		out := make([]byte, len(d))
		for i := 0; i < len(d); i += 16 {
			b.Encrypt(out[i:i+16], d[i:i+16])
		}
		return out
	}
	data32 := []byte("thirty-two bytes of derive data!")
	cs := []struct {
		name    string
		mech    uint
		keyType uint
		data    []byte
		tmpl    []*pkcs11.Attribute
		want    []byte
	}{
		{"ConcatenateBaseAndData", pkcs11.CKM_CONCATENATE_BASE_AND_DATA, pkcs11.CKK_GENERIC_SECRET, data, derived(), cat(base, data)},
		{"ConcatenateDataAndBase", pkcs11.CKM_CONCATENATE_DATA_AND_BASE, pkcs11.CKK_GENERIC_SECRET, data, derived(), cat(data, base)},
		{"ConcatenateBaseAndData/ValueLen", pkcs11.CKM_CONCATENATE_BASE_AND_DATA, pkcs11.CKK_GENERIC_SECRET, data,
			derived(pkcs11.CKA_VALUE_LEN, 20), cat(base, data)[:20]},
		{"XorBaseAndData/Equal", pkcs11.CKM_XOR_BASE_AND_DATA, pkcs11.CKK_GENERIC_SECRET, bytes.Repeat([]byte{0x3c}, 16), derived(),
			xor(base, bytes.Repeat([]byte{0x3c}, 16))},
		{"XorBaseAndData/ShortData", pkcs11.CKM_XOR_BASE_AND_DATA, pkcs11.CKK_GENERIC_SECRET, data, derived(), xor(base, data)},
		{"AES_ECB_EncryptData", pkcs11.CKM_AES_ECB_ENCRYPT_DATA, pkcs11.CKK_AES, data32, derived(pkcs11.CKA_VALUE_LEN, 32), ecb(base, data32)},
		{"AES_ECB_EncryptData/AESKey", pkcs11.CKM_AES_ECB_ENCRYPT_DATA, pkcs11.CKK_AES, data32[:16],
			tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_SECRET_KEY, pkcs11.CKA_KEY_TYPE, pkcs11.CKK_AES, pkcs11.CKA_TOKEN, false,
				pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true, pkcs11.CKA_ENCRYPT, true, pkcs11.CKA_VALUE_LEN, 16),
			ecb(base, data32[:16])},
	}
	var out []tcase
	for _, c := range cs {
		out = append(out, tcase{name: c.name, run: func(x *X) {
			sh := x.user()
			b := x.secret(sh, c.keyType, base, pkcs11.CKA_DERIVE, true, pkcs11.CKA_SENSITIVE, false, pkcs11.CKA_EXTRACTABLE, true)
			rv, k := x.raw().DeriveStringData(sh, c.mech, b, c.data, false, c.tmpl)
			if !x.initOK("C_DeriveKey", mech(c.mech, nil), rvErr(rv)) {
				return
			}
			x.eq("derived value", x.mustGet(sh, k, pkcs11.CKA_VALUE), c.want)
		}})
	}
	out = append(out, tcase{name: "NoParameter", run: func(x *X) {
		sh := x.user()
		b := x.secret(sh, pkcs11.CKK_AES, base, pkcs11.CKA_DERIVE, true)
		rv, _ := x.raw().DeriveStringData(sh, pkcs11.CKM_AES_ECB_ENCRYPT_DATA, b, nil, true, derived(pkcs11.CKA_VALUE_LEN, 16))
		x.rawRV("C_DeriveKey(no parameter)", rv, pkcs11.CKR_MECHANISM_PARAM_INVALID)
	}})
	// PKCS#11 3.0 section 2.43 (miscellaneous simple key derivation): a key
	// derived from a sensitive base key by a mechanism that keeps its bits is
	// sensitive whatever the template says.
	out = append(out, tcase{name: "SensitiveBaseGivesSensitiveKey", run: func(x *X) {
		sh := x.user()
		b := x.secret(sh, pkcs11.CKK_GENERIC_SECRET, base, pkcs11.CKA_DERIVE, true, pkcs11.CKA_SENSITIVE, true)
		rv, k := x.raw().DeriveStringData(sh, pkcs11.CKM_CONCATENATE_BASE_AND_DATA, b, data, false, derived())
		if !x.initOK("C_DeriveKey", mech(pkcs11.CKM_CONCATENATE_BASE_AND_DATA, nil), rvErr(rv)) {
			return
		}
		x.eq("CKA_SENSITIVE of the derived key", x.getBool(sh, k, pkcs11.CKA_SENSITIVE), true)
		_, err := x.get(sh, k, pkcs11.CKA_VALUE)
		x.rv("C_GetAttributeValue(CKA_VALUE)", err, pkcs11.CKR_ATTRIBUTE_SENSITIVE)
	}})
	return out
}
