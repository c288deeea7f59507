package conformance

import (
	"strings"
	"unsafe"

	"github.com/miekg/pkcs11"
)

// areas are run in this order against each module.
var areas = []area{
	{"Init", initCases()},
	{"Token", tokenCases()},
	{"Session", sessionCases()},
	{"User", userCases()},
	{"Object", objectCases()},
	{"Find", findCases()},
	{"Attribute", attributeCases()},
	{"Random", randomCases()},
	{"Digest", digestCases()},
	{"SignVerify", signVerifyCases()},
	{"Symmetric", symmetricCases()},
	{"AsymEncrypt", asymEncryptCases()},
	{"Wrap", wrapCases()},
	{"Derive", deriveCases()},
	{"NullArgs", nullArgCases()},
	{"LengthConvention", lengthCases()},
	{"AttributePrecedence", attributePrecedenceCases()},
	{"InitArgs", initArgsCases()},
	{"DeriveData", deriveDataCases()},
	{"Fork", forkCases()},
}

func initCases() []tcase {
	cs := []tcase{
		{name: "InitializeTwice", run: func(x *X) {
			x.rv("second C_Initialize", x.p.Initialize(), pkcs11.CKR_CRYPTOKI_ALREADY_INITIALIZED)
		}},
		{name: "FinalizeTwice", run: func(x *X) {
			x.ok("C_Finalize", x.p.Finalize())
			x.rv("second C_Finalize", x.p.Finalize(), pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)
		}},
		{name: "InitializeNoLocking", run: func(x *X) {
			x.must("C_Finalize", x.p.Finalize())
			x.ok("C_Initialize(flags 0, no mutex functions)", x.p.Initialize(pkcs11.InitializeWithFlags(0)))
		}},
		{name: "InitializeReservedNotNull", run: func(x *X) {
			x.must("C_Finalize", x.p.Finalize())
			var b byte
			x.rv("C_Initialize(pReserved != NULL)", x.p.Initialize(pkcs11.InitializeWithReserved(unsafe.Pointer(&b))), pkcs11.CKR_ARGUMENTS_BAD)
		}},
		{name: "GetInfo", run: func(x *X) {
			info, err := x.p.GetInfo()
			if !x.ok("C_GetInfo", err) {
				return
			}
			x.eq("flags", info.Flags, uint(0))
			x.eq("cryptokiVersion.major >= 2", info.CryptokiVersion.Major >= 2, true)
			x.eq("manufacturerID set", strings.TrimSpace(info.ManufacturerID) != "", true)
		}},
	}
	// Every function before C_Initialize.
	before := []struct {
		name string
		call func(p *pkcs11.Ctx) error
	}{
		{"GetInfo", func(p *pkcs11.Ctx) error { _, err := p.GetInfo(); return err }},
		{"GetSlotList", func(p *pkcs11.Ctx) error { _, err := p.GetSlotList(false); return err }},
		{"GetSlotInfo", func(p *pkcs11.Ctx) error { _, err := p.GetSlotInfo(0); return err }},
		{"GetTokenInfo", func(p *pkcs11.Ctx) error { _, err := p.GetTokenInfo(0); return err }},
		{"GetMechanismList", func(p *pkcs11.Ctx) error { _, err := p.GetMechanismList(0); return err }},
		{"OpenSession", func(p *pkcs11.Ctx) error { _, err := p.OpenSession(0, pkcs11.CKF_SERIAL_SESSION); return err }},
		{"CloseSession", func(p *pkcs11.Ctx) error { return p.CloseSession(1) }},
		{"CloseAllSessions", func(p *pkcs11.Ctx) error { return p.CloseAllSessions(0) }},
		{"GetSessionInfo", func(p *pkcs11.Ctx) error { _, err := p.GetSessionInfo(1); return err }},
		{"Login", func(p *pkcs11.Ctx) error { return p.Login(1, pkcs11.CKU_USER, userPIN) }},
		{"Logout", func(p *pkcs11.Ctx) error { return p.Logout(1) }},
		{"InitToken", func(p *pkcs11.Ctx) error { return p.InitToken(0, soPIN, "x") }},
		{"InitPIN", func(p *pkcs11.Ctx) error { return p.InitPIN(1, userPIN) }},
		{"SetPIN", func(p *pkcs11.Ctx) error { return p.SetPIN(1, userPIN, userPIN) }},
		{"CreateObject", func(p *pkcs11.Ctx) error {
			_, err := p.CreateObject(1, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA))
			return err
		}},
		{"FindObjectsInit", func(p *pkcs11.Ctx) error { return p.FindObjectsInit(1, nil) }},
		{"DigestInit", func(p *pkcs11.Ctx) error { return p.DigestInit(1, mech(pkcs11.CKM_SHA256, nil)) }},
		{"GenerateRandom", func(p *pkcs11.Ctx) error { _, err := p.GenerateRandom(1, 8); return err }},
	}
	for _, b := range before {
		cs = append(cs, tcase{name: "NotInitialized/" + b.name, run: func(x *X) {
			x.must("C_Finalize", x.p.Finalize())
			x.rv("C_"+b.name+" before C_Initialize", b.call(x.p), pkcs11.CKR_CRYPTOKI_NOT_INITIALIZED)
		}})
	}
	return cs
}

func tokenCases() []tcase {
	return []tcase{
		{name: "FreshSlotList", fresh: true, run: func(x *X) {
			slots, err := x.p.GetSlotList(true)
			x.ok("C_GetSlotList(true)", err)
			x.eq("one slot with a token", len(slots), 1)
			all, err := x.p.GetSlotList(false)
			x.ok("C_GetSlotList(false)", err)
			x.eq("one slot in all", len(all), 1)
		}},
		{name: "FreshTokenFlags", fresh: true, run: func(x *X) {
			ti, err := x.p.GetTokenInfo(x.slot)
			x.ok("C_GetTokenInfo", err)
			x.eq("CKF_TOKEN_INITIALIZED", ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED, uint(0))
			x.eq("CKF_USER_PIN_INITIALIZED", ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED, uint(0))
			x.eq("CKF_RNG", ti.Flags&pkcs11.CKF_RNG, uint(pkcs11.CKF_RNG))
		}},
		{name: "OpenSessionUninitialisedToken", fresh: true, run: func(x *X) {
			_, err := x.p.OpenSession(x.slot, pkcs11.CKF_SERIAL_SESSION)
			x.rv("C_OpenSession", err, pkcs11.CKR_TOKEN_NOT_RECOGNIZED)
		}},
		{name: "InitTokenFlags", fresh: true, run: func(x *X) {
			x.ok("C_InitToken", x.p.InitToken(x.slot, soPIN, "flags"))
			x.m.label = "flags"
			slot, err := x.m.findSlot()
			x.must("finding the token", err)
			ti, err := x.p.GetTokenInfo(slot)
			x.ok("C_GetTokenInfo", err)
			x.eq("label", ti.Label, "flags")
			x.eq("CKF_TOKEN_INITIALIZED", ti.Flags&pkcs11.CKF_TOKEN_INITIALIZED != 0, true)
			x.eq("CKF_LOGIN_REQUIRED", ti.Flags&pkcs11.CKF_LOGIN_REQUIRED != 0, true)
			x.eq("CKF_USER_PIN_INITIALIZED", ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0, false)
			x.eq("ulMinPinLen <= ulMaxPinLen", ti.MinPinLen <= ti.MaxPinLen, true)
			x.eq("serial number set", strings.TrimSpace(ti.SerialNumber) != "", true)
		}},
		{name: "InitPINSetsFlag", fresh: true, run: func(x *X) {
			slot := x.initToken("pinflag")
			ti, err := x.p.GetTokenInfo(slot)
			x.ok("C_GetTokenInfo", err)
			x.eq("CKF_USER_PIN_INITIALIZED", ti.Flags&pkcs11.CKF_USER_PIN_INITIALIZED != 0, true)
		}},
		{name: "InitTokenInvalidSlot", run: func(x *X) {
			x.rv("C_InitToken", x.p.InitToken(badSlot, soPIN, "x"), pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "ReinitWrongSOPIN", run: func(x *X) {
			x.rv("C_InitToken", x.p.InitToken(x.slot, soPIN+"x", "conformance"), pkcs11.CKR_PIN_INCORRECT)
		}},
		{name: "ReinitWithSessionOpen", run: func(x *X) {
			x.ro()
			x.rv("C_InitToken", x.p.InitToken(x.slot, soPIN, "conformance"), pkcs11.CKR_SESSION_EXISTS)
		}},
		{name: "ReinitDestroysObjects", own: true, run: func(x *X) {
			sh := x.user()
			x.create(sh, tmpl(pkcs11.CKA_CLASS, pkcs11.CKO_DATA, pkcs11.CKA_TOKEN, true, pkcs11.CKA_LABEL, "gone"))
			x.must("C_CloseSession", x.p.CloseSession(sh))
			x.ok("C_InitToken", x.p.InitToken(x.slot, soPIN, "conformance"))
			slot, err := x.m.findSlot()
			x.must("finding the token", err)
			x.slot = slot
			sh = x.so()
			x.eq("objects after re-init", len(x.findAll(sh, nil)), 0)
		}},
		{name: "SlotInfoFlags", run: func(x *X) {
			si, err := x.p.GetSlotInfo(x.slot)
			x.ok("C_GetSlotInfo", err)
			x.eq("CKF_TOKEN_PRESENT", si.Flags&pkcs11.CKF_TOKEN_PRESENT != 0, true)
		}},
		{name: "SlotInfoInvalidSlot", run: func(x *X) {
			_, err := x.p.GetSlotInfo(badSlot)
			x.rv("C_GetSlotInfo", err, pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "TokenInfoInvalidSlot", run: func(x *X) {
			_, err := x.p.GetTokenInfo(badSlot)
			x.rv("C_GetTokenInfo", err, pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "MechanismListInvalidSlot", run: func(x *X) {
			_, err := x.p.GetMechanismList(badSlot)
			x.rv("C_GetMechanismList", err, pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "MechanismInfoInvalid", run: func(x *X) {
			_, err := x.p.GetMechanismInfo(x.slot, mech(0x7fff0001, nil))
			x.rv("C_GetMechanismInfo", err, pkcs11.CKR_MECHANISM_INVALID)
		}},
		{name: "MechanismInfoAESKeyGen", run: func(x *X) {
			mi, err := x.p.GetMechanismInfo(x.slot, mech(pkcs11.CKM_AES_KEY_GEN, nil))
			x.ok("C_GetMechanismInfo", err)
			x.eq("ulMinKeySize", mi.MinKeySize, uint(16))
			x.eq("ulMaxKeySize", mi.MaxKeySize, uint(32))
			x.eq("CKF_GENERATE", mi.Flags&pkcs11.CKF_GENERATE != 0, true)
		}},
		{name: "MechanismInfoSHA256", run: func(x *X) {
			mi, err := x.p.GetMechanismInfo(x.slot, mech(pkcs11.CKM_SHA256, nil))
			x.ok("C_GetMechanismInfo", err)
			x.eq("CKF_DIGEST", mi.Flags&pkcs11.CKF_DIGEST != 0, true)
		}},
		{name: "MechanismListHasCore", run: func(x *X) {
			ms, err := x.p.GetMechanismList(x.slot)
			x.ok("C_GetMechanismList", err)
			have := map[uint]bool{}
			for _, m := range ms {
				have[m.Mechanism] = true
			}
			for _, m := range []uint{pkcs11.CKM_SHA256, pkcs11.CKM_AES_KEY_GEN, pkcs11.CKM_AES_CBC_PAD, pkcs11.CKM_AES_GCM,
				pkcs11.CKM_RSA_PKCS, pkcs11.CKM_RSA_PKCS_OAEP, pkcs11.CKM_SHA256_RSA_PKCS_PSS, pkcs11.CKM_ECDSA,
				pkcs11.CKM_ECDH1_DERIVE, pkcs11.CKM_SHA256_HMAC, pkcs11.CKM_AES_KEY_WRAP, pkcs11.CKM_DES3_CBC} {
				x.eq("lists "+mechName(m), have[m], true)
			}
		}},
		{name: "SessionCounts", run: func(x *X) {
			x.ro()
			x.rw()
			x.rw()
			ti, err := x.p.GetTokenInfo(x.slot)
			x.ok("C_GetTokenInfo", err)
			// CK_UNAVAILABLE_INFORMATION is allowed here; see DEVIATIONS.md.
			x.eq("ulSessionCount", ti.SessionCount, uint(3))
			x.eq("ulRwSessionCount", ti.RwSessionCount, uint(2))
		}},
	}
}

func sessionCases() []tcase {
	state := func(x *X, label string, sh pkcs11.SessionHandle, want uint) {
		x.Helper()
		si, err := x.p.GetSessionInfo(sh)
		if x.ok("C_GetSessionInfo", err) {
			x.eq(label, si.State, want)
		}
	}
	return []tcase{
		{name: "OpenNoSerialFlag", run: func(x *X) {
			_, err := x.p.OpenSession(x.slot, pkcs11.CKF_RW_SESSION)
			x.rv("C_OpenSession(no CKF_SERIAL_SESSION)", err, pkcs11.CKR_SESSION_PARALLEL_NOT_SUPPORTED)
		}},
		{name: "OpenInvalidSlot", run: func(x *X) {
			_, err := x.p.OpenSession(badSlot, pkcs11.CKF_SERIAL_SESSION)
			x.rv("C_OpenSession", err, pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "CloseInvalid", run: func(x *X) {
			x.rv("C_CloseSession(0)", x.p.CloseSession(0), pkcs11.CKR_SESSION_HANDLE_INVALID)
			x.rv("C_CloseSession(bad)", x.p.CloseSession(badSession), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "CloseTwice", run: func(x *X) {
			sh := x.ro()
			x.ok("C_CloseSession", x.p.CloseSession(sh))
			x.rv("second C_CloseSession", x.p.CloseSession(sh), pkcs11.CKR_SESSION_HANDLE_INVALID)
			_, err := x.p.GetSessionInfo(sh)
			x.rv("C_GetSessionInfo after close", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "CloseAllInvalidSlot", run: func(x *X) {
			x.rv("C_CloseAllSessions", x.p.CloseAllSessions(badSlot), pkcs11.CKR_SLOT_ID_INVALID)
		}},
		{name: "CloseAll", run: func(x *X) {
			a, b := x.ro(), x.rw()
			x.ok("C_CloseAllSessions", x.p.CloseAllSessions(x.slot))
			x.rv("C_CloseSession(a)", x.p.CloseSession(a), pkcs11.CKR_SESSION_HANDLE_INVALID)
			x.rv("C_CloseSession(b)", x.p.CloseSession(b), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "GetSessionInfoInvalid", run: func(x *X) {
			_, err := x.p.GetSessionInfo(badSession)
			x.rv("C_GetSessionInfo", err, pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "InfoReadOnlyPublic", run: func(x *X) {
			sh := x.ro()
			si, err := x.p.GetSessionInfo(sh)
			x.ok("C_GetSessionInfo", err)
			x.eq("state", si.State, uint(pkcs11.CKS_RO_PUBLIC_SESSION))
			x.eq("flags", si.Flags, uint(pkcs11.CKF_SERIAL_SESSION))
			x.eq("slotID", si.SlotID, x.slot)
		}},
		{name: "InfoReadWritePublic", run: func(x *X) {
			sh := x.rw()
			si, err := x.p.GetSessionInfo(sh)
			x.ok("C_GetSessionInfo", err)
			x.eq("state", si.State, uint(pkcs11.CKS_RW_PUBLIC_SESSION))
			x.eq("flags", si.Flags, uint(pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION))
		}},
		{name: "InfoUserStates", run: func(x *X) {
			r, w := x.ro(), x.rw()
			x.must("C_Login", x.p.Login(r, pkcs11.CKU_USER, userPIN))
			state(x, "R/O session state", r, pkcs11.CKS_RO_USER_FUNCTIONS)
			state(x, "R/W session state", w, pkcs11.CKS_RW_USER_FUNCTIONS)
			n := x.rw()
			state(x, "state of a session opened after login", n, pkcs11.CKS_RW_USER_FUNCTIONS)
			x.must("C_Logout", x.p.Logout(w))
			state(x, "R/O state after logout", r, pkcs11.CKS_RO_PUBLIC_SESSION)
		}},
		{name: "InfoSOState", run: func(x *X) {
			sh := x.so()
			state(x, "state", sh, pkcs11.CKS_RW_SO_FUNCTIONS)
		}},
		{name: "SOLoginWithReadOnlySession", run: func(x *X) {
			w := x.rw()
			x.ro()
			x.rv("C_Login(SO)", x.p.Login(w, pkcs11.CKU_SO, soPIN), pkcs11.CKR_SESSION_READ_ONLY_EXISTS)
		}},
		{name: "ReadOnlyOpenWhileSO", run: func(x *X) {
			x.so()
			_, err := x.p.OpenSession(x.slot, pkcs11.CKF_SERIAL_SESSION)
			x.rv("C_OpenSession(R/O)", err, pkcs11.CKR_SESSION_READ_WRITE_SO_EXISTS)
		}},
		{name: "CloseAllLogsOut", run: func(x *X) {
			x.user()
			x.must("C_CloseAllSessions", x.p.CloseAllSessions(x.slot))
			state(x, "state of a new session", x.ro(), pkcs11.CKS_RO_PUBLIC_SESSION)
		}},
		{name: "CloseLastLogsOut", run: func(x *X) {
			sh := x.user()
			x.must("C_CloseSession", x.p.CloseSession(sh))
			state(x, "state of a new session", x.rw(), pkcs11.CKS_RW_PUBLIC_SESSION)
		}},
		{name: "ManySessions", run: func(x *X) {
			seen := map[pkcs11.SessionHandle]bool{}
			for i := 0; i < 64; i++ {
				sh := x.ro()
				if seen[sh] || sh == 0 {
					x.Errorf("session handle %d repeated or zero", sh)
				}
				seen[sh] = true
			}
		}},
	}
}

func userCases() []tcase {
	return []tcase{
		{name: "LoginBeforeInitPIN", fresh: true, run: func(x *X) {
			x.must("C_InitToken", x.p.InitToken(x.slot, soPIN, "nopin"))
			x.m.label = "nopin"
			slot, err := x.m.findSlot()
			x.must("finding the token", err)
			x.slot = slot
			x.rv("C_Login(USER)", x.p.Login(x.rw(), pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_PIN_NOT_INITIALIZED)
		}},
		{name: "InitPINNotLoggedIn", run: func(x *X) {
			x.rv("C_InitPIN", x.p.InitPIN(x.rw(), userPIN), pkcs11.CKR_USER_NOT_LOGGED_IN)
		}},
		{name: "InitPINAsUser", run: func(x *X) {
			x.rv("C_InitPIN", x.p.InitPIN(x.user(), userPIN), pkcs11.CKR_USER_NOT_LOGGED_IN)
		}},
		{name: "InitPINEmpty", own: true, run: func(x *X) {
			x.rv("C_InitPIN(\"\")", x.p.InitPIN(x.so(), ""), pkcs11.CKR_PIN_LEN_RANGE)
		}},
		{name: "InitPINInvalidSession", run: func(x *X) {
			x.rv("C_InitPIN", x.p.InitPIN(badSession, userPIN), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "LoginInvalidSession", run: func(x *X) {
			x.rv("C_Login", x.p.Login(badSession, pkcs11.CKU_USER, userPIN), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "LoginWrongPIN", run: func(x *X) {
			sh := x.rw()
			x.rv("C_Login(USER, wrong)", x.p.Login(sh, pkcs11.CKU_USER, userPIN+"x"), pkcs11.CKR_PIN_INCORRECT)
			x.rv("C_Login(SO, wrong)", x.p.Login(sh, pkcs11.CKU_SO, soPIN+"x"), pkcs11.CKR_PIN_INCORRECT)
			x.ok("C_Login(USER)", x.p.Login(sh, pkcs11.CKU_USER, userPIN))
		}},
		{name: "LoginTwice", run: func(x *X) {
			sh := x.user()
			x.rv("second C_Login(USER)", x.p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN)
			x.rv("C_Login(USER) on another session", x.p.Login(x.ro(), pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN)
		}},
		{name: "LoginSOWhileUser", run: func(x *X) {
			x.rv("C_Login(SO)", x.p.Login(x.user(), pkcs11.CKU_SO, soPIN), pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
		}},
		{name: "LoginUserWhileSO", run: func(x *X) {
			x.rv("C_Login(USER)", x.p.Login(x.so(), pkcs11.CKU_USER, userPIN), pkcs11.CKR_USER_ANOTHER_ALREADY_LOGGED_IN)
		}},
		{name: "LoginSOTwice", run: func(x *X) {
			x.rv("second C_Login(SO)", x.p.Login(x.so(), pkcs11.CKU_SO, soPIN), pkcs11.CKR_USER_ALREADY_LOGGED_IN)
		}},
		{name: "LoginBadUserType", run: func(x *X) {
			x.rv("C_Login(type 7)", x.p.Login(x.rw(), 7, userPIN), pkcs11.CKR_USER_TYPE_INVALID)
		}},
		{name: "LoginContextSpecificNoOperation", run: func(x *X) {
			sh := x.user()
			x.rv("C_Login(CONTEXT_SPECIFIC)", x.p.Login(sh, pkcs11.CKU_CONTEXT_SPECIFIC, userPIN), pkcs11.CKR_OPERATION_NOT_INITIALIZED)
		}},
		{name: "Logout", run: func(x *X) {
			sh := x.user()
			x.ok("C_Logout", x.p.Logout(sh))
		}},
		{name: "LogoutNotLoggedIn", run: func(x *X) {
			x.rv("C_Logout", x.p.Logout(x.rw()), pkcs11.CKR_USER_NOT_LOGGED_IN)
		}},
		{name: "LogoutInvalidSession", run: func(x *X) {
			x.rv("C_Logout", x.p.Logout(badSession), pkcs11.CKR_SESSION_HANDLE_INVALID)
		}},
		{name: "SetPINReadOnly", run: func(x *X) {
			x.rv("C_SetPIN in a R/O session", x.p.SetPIN(x.ro(), userPIN, userPIN+"2"), pkcs11.CKR_SESSION_READ_ONLY)
		}},
		{name: "SetPINWrongOld", run: func(x *X) {
			x.rv("C_SetPIN", x.p.SetPIN(x.rw(), userPIN+"x", userPIN+"2"), pkcs11.CKR_PIN_INCORRECT)
		}},
		{name: "SetPINTooShort", run: func(x *X) {
			x.rv("C_SetPIN(new \"\")", x.p.SetPIN(x.rw(), userPIN, ""), pkcs11.CKR_PIN_LEN_RANGE)
			x.rv("C_SetPIN(new \"ab\")", x.p.SetPIN(x.rw(), userPIN, "ab"), pkcs11.CKR_PIN_LEN_RANGE)
		}},
		{name: "SetUserPIN", own: true, run: func(x *X) {
			sh := x.rw()
			x.ok("C_SetPIN", x.p.SetPIN(sh, userPIN, "new-user-pin"))
			x.rv("C_Login(old PIN)", x.p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_INCORRECT)
			x.ok("C_Login(new PIN)", x.p.Login(sh, pkcs11.CKU_USER, "new-user-pin"))
			x.ok("C_SetPIN logged in", x.p.SetPIN(sh, "new-user-pin", userPIN))
		}},
		{name: "SetSOPIN", own: true, run: func(x *X) {
			sh := x.so()
			x.ok("C_SetPIN(SO)", x.p.SetPIN(sh, soPIN, "new-so-pin"))
			x.must("C_Logout", x.p.Logout(sh))
			x.rv("C_Login(SO, old)", x.p.Login(sh, pkcs11.CKU_SO, soPIN), pkcs11.CKR_PIN_INCORRECT)
			x.ok("C_Login(SO, new)", x.p.Login(sh, pkcs11.CKU_SO, "new-so-pin"))
		}},
		{name: "SOInitPINResetsUserPIN", own: true, run: func(x *X) {
			sh := x.so()
			x.ok("C_InitPIN", x.p.InitPIN(sh, "reset-user-pin"))
			x.must("C_Logout", x.p.Logout(sh))
			x.rv("C_Login(USER, old)", x.p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_INCORRECT)
			x.ok("C_Login(USER, new)", x.p.Login(sh, pkcs11.CKU_USER, "reset-user-pin"))
		}},
		{name: "WrongPINCountLow", own: true, run: func(x *X) {
			sh := x.rw()
			x.rv("C_Login(wrong)", x.p.Login(sh, pkcs11.CKU_USER, "wrong-pin"), pkcs11.CKR_PIN_INCORRECT)
			ti, err := x.p.GetTokenInfo(x.slot)
			x.must("C_GetTokenInfo", err)
			x.eq("CKF_USER_PIN_COUNT_LOW after one failure", ti.Flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0, true)
			x.ok("C_Login(right)", x.p.Login(sh, pkcs11.CKU_USER, userPIN))
			ti, err = x.p.GetTokenInfo(x.slot)
			x.must("C_GetTokenInfo", err)
			x.eq("CKF_USER_PIN_COUNT_LOW after success", ti.Flags&pkcs11.CKF_USER_PIN_COUNT_LOW != 0, false)
		}},
		{name: "UserPINLockout", own: true, run: func(x *X) {
			sh := x.rw()
			for i := 0; i < maxPINFailures; i++ {
				_ = x.p.Login(sh, pkcs11.CKU_USER, "wrong-pin")
			}
			ti, err := x.p.GetTokenInfo(x.slot)
			x.must("C_GetTokenInfo", err)
			x.eq("CKF_USER_PIN_LOCKED", ti.Flags&pkcs11.CKF_USER_PIN_LOCKED != 0, true)
			x.rv("C_Login(right PIN) when locked", x.p.Login(sh, pkcs11.CKU_USER, userPIN), pkcs11.CKR_PIN_LOCKED)
		}},
	}
}
