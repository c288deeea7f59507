//go:build tools

// Package tools pins the modules the design names before code imports them.
package tools

import (
	_ "github.com/ThalesGroup/crypto11"
	_ "github.com/miekg/pkcs11"
	_ "modernc.org/sqlite"
)
