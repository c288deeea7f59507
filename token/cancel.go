package token

import "github.com/kagi-hsm/kagi/token/ck"

// SessionCancel is C_SessionCancel (PKCS#11 3.0 section 5.6): it ends the
// active operations the flags name; naming an inactive one is not an error.
func (l *Library) SessionCancel(sh ck.SessionHandle, flags ck.Flags) error {
	s, err := l.lockedSession(sh)
	if err != nil {
		return err
	}
	defer s.mu.Unlock()
	cancel := []struct {
		flag ck.Flags
		end  func()
	}{
		{ck.CKF_FIND_OBJECTS, func() { s.find = nil }},
		{ck.CKF_ENCRYPT, func() { s.encrypt = nil }},
		{ck.CKF_DECRYPT, func() { s.decrypt = nil }},
		{ck.CKF_DIGEST, func() { s.digest = nil }},
		{ck.CKF_SIGN, func() { s.sign = nil }},
		{ck.CKF_VERIFY, func() { s.verify = nil }},
		{ck.CKF_SIGN_RECOVER, func() { s.signRecover = nil }},
		{ck.CKF_VERIFY_RECOVER, func() { s.verifyRecover = nil }},
		{ck.CKF_MESSAGE_ENCRYPT, func() { s.msgEncrypt = nil }},
		{ck.CKF_MESSAGE_DECRYPT, func() { s.msgDecrypt = nil }},
	}
	for _, c := range cancel {
		if flags&c.flag != 0 {
			c.end()
		}
	}
	return nil
}
