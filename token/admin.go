package token

import (
	"github.com/kagi-hsm/kagi/token/ck"
)

// DeleteToken removes an initialised token and all its objects (the
// equivalent of softhsm2-util --delete-token); its slot id is not reused.
// Whoever can write the database can do this, so no PIN is asked.
func (l *Library) DeleteToken(id ck.SlotID) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.refresh(); err != nil {
		return err
	}
	t, err := l.tokenBySlot(id)
	if err != nil {
		return err
	}
	if !t.rec.Initialized {
		return ck.CKR_TOKEN_NOT_RECOGNIZED
	}
	if t.sessionCount > 0 {
		return ck.CKR_SESSION_EXISTS
	}
	if err := l.st.DeleteToken(t.rec.ID); err != nil {
		return l.deviceError("deleting token", err)
	}
	return l.reloadTokens()
}
