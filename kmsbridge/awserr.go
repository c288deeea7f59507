package kmsbridge

import (
	"encoding/json"
	"errors"
	"net/http"
)

// CodedError is what the HTTP layer needs from an error to answer with an
// AWS error shape: the exception name exactly as AWS spells it (the SDK maps
// it to its typed error, e.g. "NotFoundException" -> *types.NotFoundException)
// and a human-readable message. The bridge's own error type satisfies it by
// having these two methods; the names are those of smithy.APIError, so the
// SDK's error types satisfy it too.
//
// The message is sent to the client: it must never carry plaintext, key
// material or internal detail.
type CodedError interface {
	error
	ErrorCode() string
	ErrorMessage() string
}

// awsErrorStatus is the HTTP status AWS KMS answers with for each exception
// (AWS KMS API Reference, the "Errors" section of every action, and the
// common errors of the JSON 1.1 protocol services). A code missing here is a
// client error (400), as most of AWS's are.
var awsErrorStatus = map[string]int{
	// Operation errors.
	"AlreadyExistsException":           http.StatusBadRequest,
	"ConflictException":                http.StatusConflict,
	"DependencyTimeoutException":       http.StatusInternalServerError,
	"DisabledException":                http.StatusBadRequest,
	"DryRunOperationException":         http.StatusPreconditionFailed,
	"ExpiredImportTokenException":      http.StatusBadRequest,
	"IncorrectKeyException":            http.StatusBadRequest,
	"IncorrectKeyMaterialException":    http.StatusBadRequest,
	"InvalidAliasNameException":        http.StatusBadRequest,
	"InvalidArnException":              http.StatusBadRequest,
	"InvalidCiphertextException":       http.StatusBadRequest,
	"InvalidGrantIdException":          http.StatusBadRequest,
	"InvalidGrantTokenException":       http.StatusBadRequest,
	"InvalidImportTokenException":      http.StatusBadRequest,
	"InvalidKeyUsageException":         http.StatusBadRequest,
	"InvalidMarkerException":           http.StatusBadRequest,
	"KeyUnavailableException":          http.StatusInternalServerError,
	"KMSInvalidMacException":           http.StatusBadRequest,
	"KMSInvalidSignatureException":     http.StatusBadRequest,
	"KMSInvalidStateException":         http.StatusBadRequest,
	"LimitExceededException":           http.StatusBadRequest,
	"MalformedPolicyDocumentException": http.StatusBadRequest,
	"NotFoundException":                http.StatusBadRequest,
	"TagException":                     http.StatusBadRequest,
	"UnsupportedOperationException":    http.StatusBadRequest,
	// Common errors. KMS answers a policy denial with 400, not 403.
	"AccessDeniedException": http.StatusBadRequest,
	"ThrottlingException":   http.StatusBadRequest,
	"ValidationException":   http.StatusBadRequest,
	// Protocol errors of the JSON 1.1 services, as KMS returns them.
	protoMissingAuth:      http.StatusBadRequest,
	protoIncompleteSig:    http.StatusBadRequest,
	protoInvalidSig:       http.StatusBadRequest,
	protoUnrecognized:     http.StatusBadRequest,
	protoSerialization:    http.StatusBadRequest,
	protoUnknownOperation: http.StatusBadRequest,
	protoRequestTooLarge:  http.StatusRequestEntityTooLarge,
	protoMethodNotAllowed: http.StatusMethodNotAllowed,
	protoInternal:         http.StatusInternalServerError,
}

// The exceptions the protocol layer itself raises.
const (
	// No Authorization header at all.
	protoMissingAuth = "MissingAuthenticationTokenException"
	// An Authorization header that is not a complete SigV4 header.
	protoIncompleteSig = "IncompleteSignatureException"
	// A complete header whose signature, scope or date is wrong; AWS uses it
	// for stale requests too ("Signature expired: ...").
	protoInvalidSig = "InvalidSignatureException"
	// An access key id that is not configured.
	protoUnrecognized = "UnrecognizedClientException"
	// A body that is not a JSON object, or the wrong Content-Type.
	protoSerialization = "SerializationException"
	// An X-Amz-Target that names no operation of TrentService.
	protoUnknownOperation = "UnknownOperationException"
	// A body over the server's limit. AWS's front end answers 413; the code
	// is not one of KMS's modelled exceptions, so the SDK reports it as a
	// generic API error with this code.
	protoRequestTooLarge = "RequestEntityTooLargeException"
	// Anything but POST.
	protoMethodNotAllowed = "MethodNotAllowedException"
	// An error without a code: the detail stays in the server.
	protoInternal = "KMSInternalException"
)

// StatusForCode returns the HTTP status AWS KMS uses for an exception name.
func StatusForCode(code string) int {
	if s, ok := awsErrorStatus[code]; ok {
		return s
	}
	return http.StatusBadRequest
}

// protocolError is an error the HTTP layer raises before any operation runs.
type protocolError struct {
	code, message string
}

func newProtocolError(code, message string) *protocolError {
	return &protocolError{code: code, message: message}
}

func (e *protocolError) Error() string        { return e.code + ": " + e.message }
func (e *protocolError) ErrorCode() string    { return e.code }
func (e *protocolError) ErrorMessage() string { return e.message }

// errorBody is the JSON 1.1 error shape. The SDK takes the code from the
// X-Amzn-ErrorType header first and from "__type" otherwise, and the message
// from "message" (smithy-go transport/http/protocol/awsjson).
type errorBody struct {
	Type    string `json:"__type"`
	Message string `json:"message,omitempty"`
}

// toCoded turns any error into the code and message sent to the client. An
// error that carries no code becomes KMSInternalException with a fixed
// message: its text may hold internal detail and must not leave the server.
func toCoded(err error) (code, message string) {
	var c CodedError
	if errors.As(err, &c) && c.ErrorCode() != "" {
		return c.ErrorCode(), c.ErrorMessage()
	}
	return protoInternal, "The request failed because of an internal error."
}

// writeError answers with the AWS error shape for err.
func writeError(w http.ResponseWriter, requestID string, err error) (code string, status int) {
	code, message := toCoded(err)
	status = StatusForCode(code)
	body, _ := json.Marshal(errorBody{Type: code, Message: message})
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON11)
	h.Set("X-Amzn-ErrorType", code)
	h.Set("X-Amzn-RequestId", requestID)
	if status == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return code, status
}
