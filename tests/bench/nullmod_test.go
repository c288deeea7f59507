package main

import (
	"errors"
	"testing"

	"github.com/miekg/pkcs11"
)

// TestNullModule builds nullmod.c and drives it through miekg/pkcs11, as
// the bench does: the length convention of C_Encrypt, and one op of every
// crypto case's worker (each checks its output's length).
func TestNullModule(t *testing.T) {
	lib, err := buildNullModule(t.TempDir())
	if errors.Is(err, errNoCC) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	std, err := newStdlib()
	if err != nil {
		t.Fatal(err)
	}
	// The null module is loaded once per process (its state is global).
	m, err := setUpFloor(lib, std)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("identified by C_GetInfo", func(t *testing.T) {
		if !isNullModule(m.ctx) {
			t.Fatal("isNullModule is false for the null module")
		}
	})

	// C_Encrypt(CKM_AES_GCM): miekg asks the length with a NULL buffer,
	// then encrypts into a buffer of that length. The first call must give
	// in+16 and leave the operation active, the second must end it.
	t.Run("C_Encrypt length convention", func(t *testing.T) {
		s, err := m.ctx.OpenSession(m.slot, pkcs11.CKF_SERIAL_SESSION)
		if err != nil {
			t.Fatal(err)
		}
		defer m.ctx.CloseSession(s)
		params := pkcs11.NewGCMParams(make([]byte, 12), nil, 128)
		defer params.Free()
		if err := m.ctx.EncryptInit(s, []*pkcs11.Mechanism{pkcs11.NewMechanism(pkcs11.CKM_AES_GCM, params)}, m.aesKey); err != nil {
			t.Fatal(err)
		}
		in := fill(1000, 9)
		ct, err := m.ctx.Encrypt(s, in)
		if err != nil {
			t.Fatalf("C_Encrypt: %v", err)
		}
		if len(ct) != len(in)+16 {
			t.Fatalf("C_Encrypt gave %d bytes, want %d", len(ct), len(in)+16)
		}
		if _, err := m.ctx.Encrypt(s, in); !errors.Is(err, pkcs11.Error(pkcs11.CKR_OPERATION_NOT_INITIALIZED)) {
			t.Fatalf("C_Encrypt after the operation ended: %v, want CKR_OPERATION_NOT_INITIALIZED", err)
		}
	})

	for _, c := range cryptoCases {
		t.Run(c.name, func(t *testing.T) {
			o, cleanup, err := c.p11(m)(0)
			if err != nil {
				t.Fatal(err)
			}
			defer cleanup()
			for range 2 {
				if err := o(); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}
