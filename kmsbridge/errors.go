package kmsbridge

import (
	"errors"
	"fmt"

	"github.com/kagi-hsm/kagi/token/ck"
)

// AWS KMS exception names, exactly as the AWS KMS JSON protocol spells them
// in the "__type" of an error body. The HTTP layer (awserr.go) maps each Code
// to its HTTP status; this package only chooses the code.
const (
	CodeAlreadyExists         = "AlreadyExistsException"
	CodeDisabled              = "DisabledException"
	CodeIncorrectKey          = "IncorrectKeyException"
	CodeInvalidAliasName      = "InvalidAliasNameException"
	CodeInvalidArn            = "InvalidArnException"
	CodeInvalidCiphertext     = "InvalidCiphertextException"
	CodeInvalidKeyUsage       = "InvalidKeyUsageException"
	CodeInvalidMarker         = "InvalidMarkerException"
	CodeKMSInternal           = "KMSInternalException"
	CodeKMSInvalidState       = "KMSInvalidStateException"
	CodeLimitExceeded         = "LimitExceededException"
	CodeNotFound              = "NotFoundException"
	CodeUnsupportedOperation  = "UnsupportedOperationException"
	CodeValidation            = "ValidationException"
	CodeDependencyTimeout     = "DependencyTimeoutException"
	CodeKeyUnavailable        = "KeyUnavailableException"
	CodeInvalidGrantToken     = "InvalidGrantTokenException"
	CodeIncorrectKeyMaterial  = "IncorrectKeyMaterialException"
	CodeInvalidImportToken    = "InvalidImportTokenException"
	CodeExpiredImportToken    = "ExpiredImportTokenException"
	CodeMalformedPolicy       = "MalformedPolicyDocumentException"
	CodeTagException          = "TagException"
	CodeAccessDenied          = "AccessDeniedException"
	CodeKMSInvalidSignature   = "KMSInvalidSignatureException"
	CodeKMSInvalidMac         = "KMSInvalidMacException"
	CodeInvalidGrantID        = "InvalidGrantIdException"
	CodeDryRunOperation       = "DryRunOperationException"
	CodeCustomKeyStoreInvalid = "CustomKeyStoreInvalidStateException"
)

// Error is an AWS KMS error: Code is the AWS exception name, Message the
// human-readable text AWS puts in "message". Messages name keys and aliases
// but never carry plaintext, key material or ciphertext.
//
// errors.Is(err, &Error{Code: CodeNotFound}) matches any error of that code
// (a target with an empty Message matches every message).
type Error struct {
	Code    string
	Message string

	cause error // the token's error behind a KMSInternalException, if any
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Unwrap gives the token error (a ck.RV) behind an internal error, so the
// bridge and its tests can tell, e.g., a logged-out token from other faults.
func (e *Error) Unwrap() error { return e.cause }

// Is matches another *Error of the same Code (and the same Message, when the
// target has one).
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code && (t.Message == "" || t.Message == e.Message)
}

// ErrorCode returns the AWS exception name of err, or CodeKMSInternal for an
// error that is not an *Error.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeKMSInternal
}

func newError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Constructors, one per AWS exception the bridge raises.

func NotFoundException(format string, args ...any) *Error {
	return newError(CodeNotFound, format, args...)
}

func DisabledException(format string, args ...any) *Error {
	return newError(CodeDisabled, format, args...)
}

func KMSInvalidStateException(format string, args ...any) *Error {
	return newError(CodeKMSInvalidState, format, args...)
}

func InvalidCiphertextException(format string, args ...any) *Error {
	return newError(CodeInvalidCiphertext, format, args...)
}

func IncorrectKeyException(format string, args ...any) *Error {
	return newError(CodeIncorrectKey, format, args...)
}

func ValidationException(format string, args ...any) *Error {
	return newError(CodeValidation, format, args...)
}

func AlreadyExistsException(format string, args ...any) *Error {
	return newError(CodeAlreadyExists, format, args...)
}

func InvalidAliasNameException(format string, args ...any) *Error {
	return newError(CodeInvalidAliasName, format, args...)
}

func InvalidArnException(format string, args ...any) *Error {
	return newError(CodeInvalidArn, format, args...)
}

func InvalidMarkerException(format string, args ...any) *Error {
	return newError(CodeInvalidMarker, format, args...)
}

func InvalidKeyUsageException(format string, args ...any) *Error {
	return newError(CodeInvalidKeyUsage, format, args...)
}

func UnsupportedOperationException(format string, args ...any) *Error {
	return newError(CodeUnsupportedOperation, format, args...)
}

// DryRunOperationException is the answer to a request with DryRun set that
// would have succeeded: the checks ran, the operation did not.
func DryRunOperationException() *Error {
	return newError(CodeDryRunOperation, "The request would have succeeded, but the DryRun flag is set.")
}

func KMSInternalException(format string, args ...any) *Error {
	return newError(CodeKMSInternal, format, args...)
}

// tokenError turns an error from the token into a KMSInternalException that
// names what the bridge was doing and the CK_RV (never data): the token's
// own messages are for the token's log, not for KMS callers.
func tokenError(what string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	rv := ck.ErrorRV(err)
	e = KMSInternalException("token error %s: %v", what, rv)
	e.cause = rv
	return e
}
