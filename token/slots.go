package token

import (
	"bytes"
	"strings"
	"time"

	"github.com/kagi-hsm/kagi/mech"
	"github.com/kagi-hsm/kagi/store"
	"github.com/kagi-hsm/kagi/token/ck"
)

// notLoggedIn is the login state of a token nobody is logged in to.
const notLoggedIn = ^ck.UserType(0)

// tokenState is one token as the library holds it.
type tokenState struct {
	lib *Library
	rec store.Token

	login  ck.UserType   // CKU_SO, CKU_USER or notLoggedIn
	tmk    []byte        // the unsealed token master key while logged in
	sealer *store.Sealer // AES-GCM under the TMK while logged in

	objects map[uint64]*object // token objects by store id
	// byLabel indexes readable token objects by CKA_LABEL; nil when stale.
	byLabel map[string][]*object

	sessionCount, rwCount int
}

func (t *tokenState) slotID() ck.SlotID { return ck.SlotID(t.rec.SlotID) }

// logout forgets the master key and every plaintext secret of the token.
// Caller holds l.mu for writing.
func (t *tokenState) logout() {
	if t.login == notLoggedIn {
		return
	}
	t.login = notLoggedIn
	for _, o := range t.objects {
		o.lock()
	}
	t.byLabel = nil
	if t.sealer != nil {
		t.sealer.Zero()
		t.sealer = nil
	}
	clear(t.tmk)
	t.tmk = nil
}

// Slots lists the slot ids (C_GetSlotList). Every slot has a token, so
// tokenPresent changes nothing.
func (l *Library) Slots(tokenPresent bool) ([]ck.SlotID, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(); err != nil {
		return nil, err
	}
	ids := make([]ck.SlotID, len(l.slots))
	for i, t := range l.slots {
		ids[i] = t.slotID()
	}
	return ids, nil
}

// SlotInfo is C_GetSlotInfo.
func (l *Library) SlotInfo(id ck.SlotID) (SlotInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, err := l.tokenBySlot(id); err != nil {
		return SlotInfo{}, err
	}
	return SlotInfo{
		Description:     SlotDescription,
		ManufacturerID:  ManufacturerID,
		Flags:           ck.CKF_TOKEN_PRESENT,
		HardwareVersion: LibraryVersion,
		FirmwareVersion: LibraryVersion,
	}, nil
}

// TokenInfo is C_GetTokenInfo.
func (l *Library) TokenInfo(id ck.SlotID) (TokenInfo, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(); err != nil {
		return TokenInfo{}, err
	}
	t, err := l.tokenBySlot(id)
	if err != nil {
		return TokenInfo{}, err
	}
	r := t.rec
	flags := ck.CKF_RNG | ck.CKF_LOGIN_REQUIRED | ck.CKF_RESTORE_KEY_NOT_NEEDED | ck.CKF_CLOCK_ON_TOKEN
	if r.Initialized {
		flags |= ck.CKF_TOKEN_INITIALIZED
	}
	if r.UserSealedTMK != nil {
		flags |= ck.CKF_USER_PIN_INITIALIZED
	}
	flags |= pinCountFlags(r.UserFails, l.cfg.MaxPINFailures, ck.CKF_USER_PIN_COUNT_LOW, ck.CKF_USER_PIN_FINAL_TRY, ck.CKF_USER_PIN_LOCKED)
	flags |= pinCountFlags(r.SOFails, l.cfg.MaxPINFailures, ck.CKF_SO_PIN_COUNT_LOW, ck.CKF_SO_PIN_FINAL_TRY, ck.CKF_SO_PIN_LOCKED)
	return TokenInfo{
		Label:              r.Label,
		ManufacturerID:     ManufacturerID,
		Model:              TokenModel,
		SerialNumber:       r.Serial,
		Flags:              flags,
		MaxSessionCount:    ck.CK_EFFECTIVELY_INFINITE,
		SessionCount:       ck.ULong(t.sessionCount),
		MaxRwSessionCount:  ck.CK_EFFECTIVELY_INFINITE,
		RwSessionCount:     ck.ULong(t.rwCount),
		MaxPinLen:          MaxPINLen,
		MinPinLen:          MinPINLen,
		TotalPublicMemory:  ck.CK_UNAVAILABLE_INFORMATION,
		FreePublicMemory:   ck.CK_UNAVAILABLE_INFORMATION,
		TotalPrivateMemory: ck.CK_UNAVAILABLE_INFORMATION,
		FreePrivateMemory:  ck.CK_UNAVAILABLE_INFORMATION,
		HardwareVersion:    LibraryVersion,
		FirmwareVersion:    LibraryVersion,
		UTCTime:            time.Now().UTC().Format("20060102150405") + "00",
	}, nil
}

// pinCountFlags are the CKF_*_PIN_COUNT_LOW / FINAL_TRY / LOCKED flags.
func pinCountFlags(fails, max int, low, final, locked ck.Flags) ck.Flags {
	switch {
	case fails >= max:
		return locked
	case fails == max-1:
		return low | final
	case fails > 0:
		return low
	}
	return 0
}

// Mechanisms is C_GetMechanismList.
func (l *Library) Mechanisms(id ck.SlotID) ([]ck.MechanismType, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, err := l.tokenBySlot(id); err != nil {
		return nil, err
	}
	return mech.Types(), nil
}

// MechanismInfo is C_GetMechanismInfo.
func (l *Library) MechanismInfo(id ck.SlotID, m ck.MechanismType) (ck.MechanismInfo, error) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if _, err := l.tokenBySlot(id); err != nil {
		return ck.MechanismInfo{}, err
	}
	spec, ok := mech.Lookup(m)
	if !ok {
		return ck.MechanismInfo{}, ck.CKR_MECHANISM_INVALID
	}
	return spec.Info, nil
}

// InitToken is C_InitToken: on the free slot it creates a token (and a new
// free slot); on an initialised token it checks the SO PIN and starts over,
// keeping the slot id and serial number.
func (l *Library) InitToken(id ck.SlotID, soPIN []byte, label string) error {
	if err := checkPINLen(soPIN); err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(); err != nil {
		return err
	}
	t, err := l.tokenBySlot(id)
	if err != nil {
		return err
	}
	if t.sessionCount > 0 {
		return ck.CKR_SESSION_EXISTS
	}
	if t.rec.Initialized {
		if _, err := l.checkPIN(t, ck.CKU_SO, soPIN); err != nil {
			return err
		}
	}
	rec := t.rec
	rec.Label = strings.TrimRight(label, " ")
	rec.Iterations = l.cfg.Iterations
	rec.UserSalt, rec.UserSealedTMK = nil, nil
	rec.SOFails, rec.UserFails = 0, 0
	fresh, err := l.random(16 + 16 + 32)
	if err != nil {
		return err
	}
	defer clear(fresh)
	rec.UUID, rec.SOSalt = bytes.Clone(fresh[:16]), bytes.Clone(fresh[16:32])
	tmk := fresh[32:]
	kek := mech.PINKey(soPIN, rec.SOSalt, rec.Iterations)
	defer clear(kek)
	rec.SOSealedTMK, err = store.SealTMK(kek, rec.UUID, "so", tmk)
	if err != nil {
		return err
	}
	if t.rec.Initialized {
		err = l.st.ReinitToken(rec)
	} else {
		rec.Initialized = true
		_, err = l.st.InitFreeToken(rec)
	}
	if err == store.ErrConflict {
		// Another process initialised this free token first.
		l.reloadTokens() //nolint:errcheck
		return ck.CKR_PIN_INCORRECT
	}
	if err != nil {
		return l.deviceError("initialising token", err)
	}
	l.dropTokenObjects(t)
	t.logout()
	return l.reloadTokens()
}

// random draws n bytes from the DRBG. It fails only when the OS entropy
// source does.
func (l *Library) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := l.rng.Read(b); err != nil {
		l.log.Printf("DRBG: %v", err)
		return nil, ck.CKR_GENERAL_ERROR
	}
	return b, nil
}

func checkPINLen(pin []byte) error {
	if len(pin) < MinPINLen || len(pin) > MaxPINLen {
		return ck.CKR_PIN_LEN_RANGE
	}
	return nil
}
