package kmsbridge

import (
	"context"

	"github.com/kagi-hsm/kagi/token"
	"github.com/kagi-hsm/kagi/token/ck"
)

// keyCall is one single-part token operation with a KMS key's object: the
// object of the key's version and class, the operation's Init with the
// mechanism, then the call. Sign, Verify, the MACs and RSA encryption are
// each one of these.
type keyCall struct {
	class ck.ObjectClass
	mech  ck.Mechanism
	init  func(*token.Library, ck.SessionHandle, ck.Mechanism, ck.ObjectHandle) error
	what  string // names the operation in internal errors
	// refused maps the token's refusals of the caller's input (a bad
	// signature or ciphertext) to the AWS error; nil when there are none.
	refused func(ck.RV) error
}

// run starts the operation on a session and hands it to call.
func (b *Bridge) run(ctx context.Context, uk usableKey, c keyCall, call func(sh ck.SessionHandle) error) error {
	return b.withSession(ctx, func(sh ck.SessionHandle) error {
		// The handle may come from the cache: one that has gone stale is
		// looked up once more. Handles are never reused by the token, so a
		// stale one fails the Init and never names another object.
		for try := 0; ; try++ {
			h, err := b.cachedKeyObject(sh, uk.k, uk.version, c.class)
			if err != nil {
				return err
			}
			err = c.init(b.lib, sh, c.mech, h)
			if err == nil {
				break
			}
			if rv := ck.ErrorRV(err); try == 0 && (rv == ck.CKR_KEY_HANDLE_INVALID || rv == ck.CKR_OBJECT_HANDLE_INVALID) {
				b.forgetObject(uk.k, uk.version, c.class)
				continue
			}
			return tokenError("starting "+c.what, err)
		}
		err := call(sh)
		if err == nil {
			return nil
		}
		if c.refused != nil {
			if aws := c.refused(ck.ErrorRV(err)); aws != nil {
				return aws
			}
		}
		return tokenError(c.what, err)
	})
}

// produce runs an operation with output of at most size bytes (C_Sign,
// C_Encrypt, C_Decrypt) over in.
func (b *Bridge) produce(ctx context.Context, uk usableKey, c keyCall,
	call func(*token.Library, ck.SessionHandle, []byte, []byte) (int, error), in []byte, size int) ([]byte, error) {
	var out []byte
	err := b.run(ctx, uk, c, func(sh ck.SessionHandle) error {
		buf := make([]byte, size)
		n, err := call(b.lib, sh, in, buf)
		out = buf[:n]
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// check runs a verification (C_Verify) of sig over in.
func (b *Bridge) check(ctx context.Context, uk usableKey, c keyCall, in, sig []byte) error {
	return b.run(ctx, uk, c, func(sh ck.SessionHandle) error { return b.lib.Verify(sh, in, sig) })
}

// refusedSignature is a keyCall's refused for C_Verify: err for a
// signature the token found invalid.
func refusedSignature(err func() *Error) func(ck.RV) error {
	return func(rv ck.RV) error {
		if rv == ck.CKR_SIGNATURE_INVALID || rv == ck.CKR_SIGNATURE_LEN_RANGE {
			return err()
		}
		return nil
	}
}
