package mech

// asymRegistry holds the rows of the RSA encryption and PSS mechanisms,
// EdDSA, and the digests and HMACs beyond SHA-1/SHA-2.
var asymRegistry = []*Spec{}
