package mech

import "hash"

// msgHash is the message side of a hash-then-sign operation, shared by
// ECDSA, DSA, RSA PKCS #1 v1.5 and PSS. With raw set the mechanism takes
// a precomputed hash (CKM_ECDSA, CKM_DSA, CKM_RSA_PKCS, CKM_RSA_PKCS_PSS):
// single-part only, and the caller checks the input's length. Otherwise
// the data is hashed with alg, in one call or in parts. The digest buffer
// lives here so that a hash does not allocate per call; what sum and final
// return is only valid until the next call.
type msgHash struct {
	raw    bool
	alg    *hashAlg
	h      hash.Hash
	digest [64]byte
}

// sum is the one-shot hash of data, or data itself when raw.
func (m *msgHash) sum(data []byte) []byte {
	if m.raw {
		return data
	}
	h := m.alg.get()
	h.Write(data)
	d := h.Sum(m.digest[:0])
	m.alg.put(h)
	return d
}

func (m *msgHash) update(part []byte) error {
	if m.raw {
		return errNoMultiPart
	}
	if m.h == nil {
		m.h = m.alg.get()
	}
	m.h.Write(part)
	return nil
}

// final is the hash of the parts given to update (of nothing if none).
func (m *msgHash) final() ([]byte, error) {
	if m.raw {
		return nil, errNoMultiPart
	}
	if m.h == nil {
		m.h = m.alg.get()
	}
	d := m.h.Sum(m.digest[:0])
	m.alg.put(m.h)
	m.h = nil
	return d, nil
}

// release returns a partial hash state to its pool when an operation ends
// before final.
func (m *msgHash) release() {
	if m.h != nil {
		m.alg.put(m.h)
		m.h = nil
	}
}
