package mech

import "unsafe"

// inexactOverlap reports whether x and y share memory at different offsets,
// which Go's cipher implementations refuse (they allow only x and y starting
// at the same address). The caller's buffers come from C and may overlap.
func inexactOverlap(x, y []byte) bool {
	if len(x) == 0 || len(y) == 0 {
		return false
	}
	xs, ys := uintptr(unsafe.Pointer(&x[0])), uintptr(unsafe.Pointer(&y[0]))
	xe, ye := xs+uintptr(len(x)), ys+uintptr(len(y))
	return xs != ys && xs < ye && ys < xe
}
