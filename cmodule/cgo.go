// Command cmodule is libkagi.so, the PKCS#11 module: built with
// -buildmode=c-shared, it is a thin shim between the C ABI and the token
// engine.
//
// The exported C_* entry points, the function lists and the interface table
// are C (entry.c): they refuse at once in a process that forked since kagi
// was loaded, give SIGURG back to a Go host, and otherwise call the kagiGo_*
// functions of this package. Each of those checks the caller's pointers,
// converts C arguments to Go values, calls ONE method of token.Library,
// copies the result out with the PKCS#11 length conventions, and maps the Go
// error to a CK_RV in one place (errors.go). No crypto and no storage here.
//
// Memory rules. Input buffers (data to sign, encrypt, digest, PINs, seeds)
// are passed to token as views of the caller's memory, without a copy, so
// the per-call cost stays near zero: token must not retain them after it
// returns. Output buffers are views too (nil for a length query). Templates
// and mechanism parameters are copied into Go memory, since token keeps
// them (objects, operation state).
package main

/*
#cgo CFLAGS: -I${SRCDIR}/.. -O2 -Wall
#cgo LDFLAGS: -ldl -Wl,--wrap=pthread_create
#include "pkcs11.h"
*/
import "C"

// main is required by -buildmode=c-shared and never runs.
func main() {}
