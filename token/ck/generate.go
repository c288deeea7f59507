package ck

// zconst.go holds the constants of ../../pkcs11.h and their name tables.
//go:generate go run ./gen -in ../../pkcs11.h -out zconst.go
