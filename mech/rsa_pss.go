package mech

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// RSASSA-PSS (RFC 8017 section 8.1): CKM_RSA_PKCS_PSS over a precomputed
// hash (PKCS#11 3.0 current mechanisms section 2.1.13, single-part) and
// CKM_SHA*_RSA_PKCS_PSS / CKM_SHA3_*_RSA_PKCS_PSS, which hash the data
// themselves (section 2.1.14, multi-part). Both take CK_RSA_PKCS_PSS_PARAMS:
// hashAlg, mgf (MGF1 over any SHA-1, SHA-2 or SHA-3 hash; SoftHSMv2 wants
// hashAlg's, RFC 8017 does not) and sLen, any length the key allows
// (emLen - hLen - 2, RFC 8017 section 9.1.1 step 3).
//
// Go's rsa.SignPSS has one hash for both roles and reads a salt length of 0
// as "as long as possible", so a zero-length salt (deterministic PSS,
// allowed by PKCS#11) or an MGF1 hash of its own is signed here with our
// EMSA-PSS encoding (emsaPSSEncode) and the raw private operation of
// rsa_crypt.go, and verified with our EMSA-PSS-VERIFY over the public
// operation, which checks the salt length exactly.

// rsaPSSMech is CKM_RSA_PKCS_PSS (alg nil: the input is the hash named by
// the parameter) or CKM_<alg>_RSA_PKCS_PSS.
type rsaPSSMech struct {
	alg *hashAlg
}

// params parses CK_RSA_PKCS_PSS_PARAMS for a key with modulus n bits: the
// hash, MGF1's hash and the salt length.
func (m *rsaPSSMech) params(param any, bits int) (alg, mgf *hashAlg, salt int, err error) {
	var p ck.RSAPKCSPSSParams
	switch v := param.(type) {
	case ck.RSAPKCSPSSParams:
		p = v
	case *ck.RSAPKCSPSSParams:
		if v == nil {
			return nil, nil, 0, errParam("CK_RSA_PKCS_PSS_PARAMS is NULL")
		}
		p = *v
	default:
		return nil, nil, 0, errParam("PSS needs CK_RSA_PKCS_PSS_PARAMS")
	}
	h, ok := hashByMech[p.Hash]
	if !ok {
		return nil, nil, 0, errParam("unsupported PSS hash")
	}
	alg = hashes[h]
	if m.alg != nil && alg != m.alg {
		return nil, nil, 0, errParam("PSS hashAlg differs from the mechanism's hash")
	}
	mh, ok := mgfHash[p.MGF]
	if !ok {
		return nil, nil, 0, errParam("unsupported PSS mask generation function")
	}
	if maxSalt := pssEmLen(bits) - alg.size - 2; p.SaltLen > ck.ULong(max(maxSalt, 0)) || maxSalt < 0 {
		return nil, nil, 0, errParam("PSS salt too long for the key")
	}
	return alg, hashes[mh], int(p.SaltLen), nil
}

// pssEmLen is emLen = ceil(emBits/8) with emBits = modBits - 1 (RFC 8017
// section 8.1.1 step 1).
func pssEmLen(bits int) int { return (bits - 1 + 7) / 8 }

func (m *rsaPSSMech) sign(k *Key, param any) (SignOp, error) {
	priv, err := k.rsaPrivate()
	if err != nil {
		return nil, err
	}
	alg, mgf, salt, err := m.params(param, priv.N.BitLen())
	if err != nil {
		return nil, err
	}
	return &pssSign{msgHash: msgHash{raw: m.alg == nil, alg: alg}, mgf: mgf, salt: salt, priv: priv}, nil
}

func (m *rsaPSSMech) verify(k *Key, param any) (VerifyOp, error) {
	pub, err := k.rsaPublic()
	if err != nil {
		return nil, err
	}
	alg, mgf, salt, err := m.params(param, pub.N.BitLen())
	if err != nil {
		return nil, err
	}
	return &pssVerify{msgHash: msgHash{raw: m.alg == nil, alg: alg}, mgf: mgf, salt: salt, pub: pub}, nil
}

// pssInput is the hash a PSS operation signs or verifies: the input itself
// for CKM_RSA_PKCS_PSS, which must be as long as hashAlg's output.
func pssInput(m *msgHash, data []byte) ([]byte, error) {
	if m.raw && len(data) != m.alg.size {
		return nil, fmt.Errorf("mech: CKM_RSA_PKCS_PSS input of %d bytes, %s is %d: %w", len(data), m.alg.name, m.alg.size, ck.CKR_DATA_LEN_RANGE)
	}
	return m.sum(data), nil
}

type pssSign struct {
	msgHash
	mgf  *hashAlg // MGF1's hash
	salt int
	priv *rsa.PrivateKey
}

func (o *pssSign) SigLen() int { return (o.priv.N.BitLen() + 7) / 8 }

func (o *pssSign) Sign(data []byte) ([]byte, error) {
	d, err := pssInput(&o.msgHash, data)
	if err != nil {
		return nil, err
	}
	return o.signDigest(d)
}

func (o *pssSign) Update(part []byte) error { return o.update(part) }

func (o *pssSign) Final() ([]byte, error) {
	d, err := o.final()
	if err != nil {
		return nil, err
	}
	return o.signDigest(d)
}

func (o *pssSign) signDigest(d []byte) ([]byte, error) {
	if o.salt == 0 || o.mgf != o.alg {
		salt := make([]byte, o.salt)
		if _, err := rand.Read(salt); err != nil {
			return nil, fmt.Errorf("mech: RSA-PSS salt: %w", ck.CKR_FUNCTION_FAILED)
		}
		em, err := emsaPSSEncode(o.alg, o.mgf, d, o.priv.N.BitLen()-1, salt)
		if err != nil {
			return nil, err
		}
		return rsaRawPrivate(o.priv, em, ck.CKR_FUNCTION_FAILED)
	}
	sig, err := rsa.SignPSS(rand.Reader, o.priv, o.alg.crypto, d, &rsa.PSSOptions{SaltLength: o.salt})
	if err != nil {
		return nil, fmt.Errorf("mech: RSA-PSS sign: %w", ck.CKR_FUNCTION_FAILED)
	}
	return sig, nil
}

type pssVerify struct {
	msgHash
	mgf  *hashAlg // MGF1's hash
	salt int
	pub  *rsa.PublicKey
}

func (o *pssVerify) sigLen(sig []byte) error {
	if k := (o.pub.N.BitLen() + 7) / 8; len(sig) != k {
		return fmt.Errorf("mech: RSA signature is %d bytes, want %d: %w", len(sig), k, ck.CKR_SIGNATURE_LEN_RANGE)
	}
	return nil
}

func (o *pssVerify) Verify(data, sig []byte) error {
	d, err := pssInput(&o.msgHash, data)
	if err != nil {
		return err
	}
	if err := o.sigLen(sig); err != nil {
		return err
	}
	return o.check(d, sig)
}

func (o *pssVerify) Update(part []byte) error { return o.update(part) }

func (o *pssVerify) Final(sig []byte) error {
	if err := o.sigLen(sig); err != nil {
		o.release()
		return err
	}
	d, err := o.final()
	if err != nil {
		return err
	}
	return o.check(d, sig)
}

var errPSSVerify = fmt.Errorf("mech: RSA-PSS verify: %w", ck.CKR_SIGNATURE_INVALID)

func (o *pssVerify) check(d, sig []byte) error {
	if o.salt == 0 || o.mgf != o.alg {
		em, err := rsaRawPublic(o.pub, sig, ck.CKR_SIGNATURE_INVALID)
		if err != nil {
			return errPSSVerify
		}
		// em is k bytes; EMSA-PSS-VERIFY takes emLen bytes (RFC 8017
		// section 8.1.2 step 2c): a leading zero byte when modBits-1 is a
		// multiple of 8.
		emBits := o.pub.N.BitLen() - 1
		emLen := (emBits + 7) / 8
		if len(em) > emLen {
			if em[0] != 0 {
				return errPSSVerify
			}
			em = em[len(em)-emLen:]
		}
		if emsaPSSVerify(o.alg, o.mgf, d, em, emBits, o.salt) != nil {
			return errPSSVerify
		}
		return nil
	}
	if rsa.VerifyPSS(o.pub, o.alg.crypto, d, sig, &rsa.PSSOptions{SaltLength: o.salt}) != nil {
		return errPSSVerify
	}
	return nil
}

// mgf1XOR xors MGF1(seed, len(out)) with hash alg into out (RFC 8017
// appendix B.2.1).
func mgf1XOR(alg *hashAlg, out, seed []byte) {
	h := alg.get()
	defer alg.put(h)
	var counter [4]byte
	var digest [64]byte
	for done := 0; done < len(out); {
		h.Reset()
		h.Write(seed)
		h.Write(counter[:])
		t := h.Sum(digest[:0])
		done += subtle.XORBytes(out[done:], out[done:], t)
		for i := 3; i >= 0; i-- {
			if counter[i]++; counter[i] != 0 {
				break
			}
		}
	}
}

// emsaPSSEncode is EMSA-PSS-ENCODE (RFC 8017 section 9.1.1) of the hash
// mHash with the given salt and MGF1 over mgf, for emBits bits.
func emsaPSSEncode(alg, mgf *hashAlg, mHash []byte, emBits int, salt []byte) ([]byte, error) {
	hLen, sLen := alg.size, len(salt)
	emLen := (emBits + 7) / 8
	// Step 3.
	if emLen < hLen+sLen+2 {
		return nil, fmt.Errorf("mech: PSS encoding: %w", ck.CKR_KEY_SIZE_RANGE)
	}
	em := make([]byte, emLen)
	psLen := emLen - sLen - hLen - 2
	db := em[:psLen+1+sLen]
	hOut := em[psLen+1+sLen : emLen-1]
	// Steps 5-6: H = Hash(0x00*8 || mHash || salt).
	h := alg.get()
	var prefix [8]byte
	h.Write(prefix[:])
	h.Write(mHash)
	h.Write(salt)
	h.Sum(hOut[:0])
	alg.put(h)
	// Steps 7-10: DB = PS || 0x01 || salt, masked with MGF1(H).
	db[psLen] = 0x01
	copy(db[psLen+1:], salt)
	mgf1XOR(mgf, db, hOut)
	// Step 11: clear the leftmost 8emLen - emBits bits.
	db[0] &= 0xff >> (8*emLen - emBits)
	// Step 12.
	em[emLen-1] = 0xbc
	return em, nil
}

// emsaPSSVerify is EMSA-PSS-VERIFY (RFC 8017 section 9.1.2) with an
// exact salt length sLen and MGF1 over mgf.
func emsaPSSVerify(alg, mgf *hashAlg, mHash, em []byte, emBits, sLen int) error {
	bad := errors.New("inconsistent")
	hLen := alg.size
	emLen := (emBits + 7) / 8
	if len(em) != emLen || emLen < hLen+sLen+2 || em[emLen-1] != 0xbc { // steps 3-4
		return bad
	}
	db := append([]byte(nil), em[:emLen-hLen-1]...)
	hh := em[emLen-hLen-1 : emLen-1]
	bitMask := byte(0xff >> (8*emLen - emBits))
	if db[0]&^bitMask != 0 { // step 6
		return bad
	}
	mgf1XOR(mgf, db, hh) // steps 7-8
	db[0] &= bitMask     // step 9
	psLen := emLen - hLen - sLen - 2
	for _, b := range db[:psLen] { // step 10
		if b != 0 {
			return bad
		}
	}
	if db[psLen] != 0x01 {
		return bad
	}
	salt := db[len(db)-sLen:] // step 11
	h := alg.get()
	var prefix [8]byte
	h.Write(prefix[:])
	h.Write(mHash)
	h.Write(salt)
	var digest [64]byte
	h2 := h.Sum(digest[:0])
	alg.put(h)
	if subtle.ConstantTimeCompare(h2, hh) != 1 { // step 14
		return bad
	}
	return nil
}
