package mech

import (
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"math/big"

	"github.com/kagi-hsm/kagi/token/ck"
)

// RSA key pair generation for any public exponent Go can use.
//
// crypto/rsa.GenerateKey only makes e = 65537, and kagi keeps it for that
// exponent: it is Go's FIPS 140-3 module, with constant-time arithmetic
// and, at approved sizes, a pairwise consistency test. Callers that ask for
// another exponent (e = 3 for fast verification on small devices, 17, ...)
// get keys from generateRSAKey below, as SoftHSMv2 gives them. It follows FIPS 186-5
// Appendix A.1.3 (random probable primes) and the key pair criteria of
// A.1.1, but not section 5.5(e), which wants 2^16 < e: PKCS#11 puts no such
// bound on CKA_PUBLIC_EXPONENT. Such keys are outside FIPS 186-5, and in
// Go's FIPS 140-only mode (GODEBUG=fips140=only) crypto/rand.Prime refuses
// to run, so only 65537 can be generated there.

// Public exponent limits. The public exponent must be odd (it has to be
// invertible modulo lcm(p-1, q-1), which is even) and at least 3. Go holds
// it in an int and refuses anything above 2^31-1 in every RSA operation
// (checkPublicKey in crypto/internal/fips140/rsa) and in PKCS #1 parsing
// (crypto/x509), whatever the word size; a larger exponent would give a key
// kagi could not use, so it is neither generated nor imported.
const (
	rsaMinExponent = 3
	rsaMaxExponent = 1<<31 - 1
)

// checkRSAExponent says why e cannot be an RSA public exponent, wrapping
// rv, or returns nil. Messages name the rule, never the value.
func checkRSAExponent(e *big.Int, rv ck.RV) error {
	switch {
	case e.Cmp(big.NewInt(rsaMinExponent)) < 0:
		return fmt.Errorf("mech: RSA public exponent below %d: %w", rsaMinExponent, rv)
	case e.Cmp(big.NewInt(rsaMaxExponent)) > 0:
		return fmt.Errorf("mech: RSA public exponent of %d bits, above 2^31-1: %w", e.BitLen(), rv)
	case e.Bit(0) == 0:
		return fmt.Errorf("mech: RSA public exponent is even: %w", rv)
	}
	return nil
}

// rsaGenExponent reads CKA_PUBLIC_EXPONENT from a generation template:
// 65537 when absent. The value is a big-endian integer and may carry leading
// zero bytes. An empty value is no integer (CKR_ATTRIBUTE_VALUE_INVALID, as
// bigAttr says of every integer attribute); an integer kagi cannot generate
// a key for is CKR_TEMPLATE_INCONSISTENT.
func rsaGenExponent(t Attrs) (int, error) {
	v, ok := attr(t, ck.CKA_PUBLIC_EXPONENT)
	if !ok {
		return rsaF4, nil
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("mech: CKA_PUBLIC_EXPONENT is empty: %w", ck.CKR_ATTRIBUTE_VALUE_INVALID)
	}
	e := new(big.Int).SetBytes(v)
	if err := checkRSAExponent(e, ck.CKR_TEMPLATE_INCONSISTENT); err != nil {
		return 0, err
	}
	return int(e.Int64()), nil
}

// newRSAKey makes a precomputed RSA private key whose modulus has exactly
// bits bits and whose public exponent is e (checked by rsaGenExponent).
func newRSAKey(rnd io.Reader, bits, e int) (*rsa.PrivateKey, error) {
	if e != rsaF4 {
		return generateRSAKey(rnd, bits, e)
	}
	priv, err := rsa.GenerateKey(rnd, bits)
	if err != nil {
		return nil, err
	}
	priv.Precompute()
	return priv, nil
}

// Retry bounds of generateRSAKey. A.1.3 gives up after a bounded number of
// prime candidates; crypto/rand.Prime hides its candidates, so kagi bounds
// the primes it draws instead. A prime p passes the test gcd(e, p-1) = 1
// unless p ≡ 1 modulo one of e's prime factors; the worst exponent in range
// has the most small odd prime factors (3, 5, 7, ..., 23) and still lets
// more than one prime in five through, so 256 draws all fail with a
// probability below 2^-90. The whole pair is redrawn when |p-q| or d is too
// small, each less likely than 2^-90 at kagi's sizes.
const (
	rsaPrimeDraws = 256
	rsaPairDraws  = 8
)

var (
	errRSAKeygenExhausted = errors.New("mech: RSA key generation found no suitable primes")
	errRSAKeygenSize      = errors.New("mech: RSA key generation: modulus of the wrong size")
)

// generateRSAKey makes an RSA key pair with public exponent e (odd, 3 to
// 2^31-1) and a modulus of exactly bits bits, after FIPS 186-5 Appendix
// A.1.3, and returns it precomputed and validated. It uses math/big, whose
// arithmetic is not constant time; key generation runs once per key, in
// the token's own process, as Go's crypto/rsa did before Go 1.24.
func generateRSAKey(rnd io.Reader, bits, e int) (*rsa.PrivateKey, error) {
	eBig := big.NewInt(int64(e))
	one := big.NewInt(1)
	// Step 5.5: |p - q| > 2^(nlen/2 - 100); A.1.1: d > 2^(nlen/2). With an
	// odd nlen, nlen/2 rounds down as in crypto/rsa's own checks.
	minDiff := new(big.Int).Lsh(one, uint(bits/2-100))
	minD := new(big.Int).Lsh(one, uint(bits/2))

	for range rsaPairDraws {
		// Steps 4 and 5. p gets the extra bit of an odd nlen, as in
		// crypto/rsa.
		p, err := rsaPrime(rnd, bits-bits/2, eBig)
		if err != nil {
			return nil, err
		}
		q, err := rsaPrime(rnd, bits/2, eBig)
		if err != nil {
			zeroBig(p)
			return nil, err
		}
		// Step 5.5 (a rand.Prime result is never equal to another by
		// chance; p = q would fail here too).
		diff := new(big.Int).Sub(p, q)
		tooClose := diff.CmpAbs(minDiff) <= 0
		zeroBig(diff)
		if tooClose {
			zeroBigs(p, q)
			continue
		}
		n := new(big.Int).Mul(p, q)
		if n.BitLen() != bits {
			// Cannot happen: both primes have their top two bits set.
			zeroBigs(p, q)
			return nil, errRSAKeygenSize
		}
		d := rsaPrivateExponent(p, q, eBig)
		// A.1.1: a d at or below 2^(nlen/2) calls for new primes.
		if d == nil || d.Cmp(minD) <= 0 {
			zeroBigs(p, q, d)
			continue
		}
		priv := &rsa.PrivateKey{
			PublicKey: rsa.PublicKey{N: n, E: e},
			D:         d,
			Primes:    []*big.Int{p, q},
		}
		// Precompute derives the CRT values (dP, dQ, qInv) and builds
		// Go's own key, which checks p*q = n, d*e ≡ 1 mod p-1 and q-1,
		// |p - q| and d again; Validate reports what Precompute could not.
		priv.Precompute()
		if err := priv.Validate(); err != nil {
			zeroRSA(priv)
			return nil, fmt.Errorf("mech: generated RSA key fails validation: %w", err)
		}
		return priv, nil
	}
	return nil, errRSAKeygenExhausted
}

// rsaPrime is one prime of exactly bits bits with gcd(e, p-1) = 1: FIPS
// 186-5 A.1.3 step 4 for p, step 5 for q (except step 5.5, which
// generateRSAKey checks on the pair). crypto/rand.Prime draws odd
// candidates from the system CSPRNG and sets their top two bits, so
// p ≥ 3·2^(bits-2) > √2·2^(bits-1) (steps 4.4 and 5.4) and the product of
// two such primes has exactly the sum of their lengths in bits. Its
// primality test, 20 Miller-Rabin rounds and a Baillie-PSW test, errs on a
// random candidate far less often than the Miller-Rabin rounds of FIPS
// 186-5 Appendix B.3 allow.
func rsaPrime(rnd io.Reader, bits int, e *big.Int) (*big.Int, error) {
	pMinus1, gcd := new(big.Int), new(big.Int)
	defer zeroBig(pMinus1)
	for range rsaPrimeDraws {
		p, err := rand.Prime(rnd, bits)
		if err != nil {
			return nil, err
		}
		pMinus1.Sub(p, big.NewInt(1))
		// Steps 4.5 and 5.6: e must be invertible modulo p-1.
		if gcd.GCD(nil, nil, e, pMinus1).Cmp(big.NewInt(1)) == 0 {
			return p, nil
		}
		zeroBig(p)
	}
	return nil, errRSAKeygenExhausted
}

// rsaPrivateExponent is d = e^-1 mod lcm(p-1, q-1), as FIPS 186-5 A.1.1
// requires (not mod (p-1)(q-1)), or nil when e has no inverse.
func rsaPrivateExponent(p, q, e *big.Int) *big.Int {
	one := big.NewInt(1)
	pMinus1 := new(big.Int).Sub(p, one)
	qMinus1 := new(big.Int).Sub(q, one)
	gcd := new(big.Int).GCD(nil, nil, pMinus1, qMinus1)
	lambda := new(big.Int).Mul(pMinus1, qMinus1)
	lambda.Quo(lambda, gcd)
	d := new(big.Int).ModInverse(e, lambda)
	zeroBigs(pMinus1, qMinus1, gcd, lambda)
	return d
}

// zeroBigs clears intermediate values of a key generation (zeroBig).
func zeroBigs(xs ...*big.Int) {
	for _, x := range xs {
		zeroBig(x)
	}
}
