package kmsbridge

import (
	"context"
	"encoding/json"
	"time"
)

// ErrorCode and ErrorMessage make *Error a CodedError, so the server sends
// its AWS exception name and message.
func (e *Error) ErrorCode() string    { return e.Code }
func (e *Error) ErrorMessage() string { return e.Message }

// Operations is the bridge's table for NewServer: each AWS KMS operation the
// bridge implements, by its name without the TrentService. prefix.
func (b *Bridge) Operations() map[string]Operation {
	ops := map[string]Operation{
		"CreateKey":                           withResult(b.CreateKey),
		"DescribeKey":                         withResult(b.DescribeKey),
		"ListKeys":                            withResult(b.ListKeys),
		"EnableKey":                           withoutResult(b.EnableKey),
		"DisableKey":                          withoutResult(b.DisableKey),
		"UpdateKeyDescription":                withoutResult(b.UpdateKeyDescription),
		"CreateAlias":                         withoutResult(b.CreateAlias),
		"UpdateAlias":                         withoutResult(b.UpdateAlias),
		"DeleteAlias":                         withoutResult(b.DeleteAlias),
		"ListAliases":                         withResult(b.ListAliases),
		"Encrypt":                             withResult(b.Encrypt),
		"Decrypt":                             withResult(b.Decrypt),
		"GenerateDataKey":                     withResult(b.GenerateDataKey),
		"GenerateDataKeyWithoutPlaintext":     withResult(b.GenerateDataKeyWithoutPlaintext),
		"ReEncrypt":                           withResult(b.ReEncrypt),
		"GenerateDataKeyPair":                 withResult(b.GenerateDataKeyPair),
		"GenerateDataKeyPairWithoutPlaintext": withResult(b.GenerateDataKeyPairWithoutPlaintext),
		"GenerateRandom":                      withResult(b.GenerateRandom),
		"GetPublicKey":                        withResult(b.GetPublicKey),
		"DeriveSharedSecret":                  withResult(b.DeriveSharedSecret),
		"Sign":                                withResult(b.Sign),
		"Verify":                              withResult(b.Verify),
		"GenerateMac":                         withResult(b.GenerateMac),
		"VerifyMac":                           withResult(b.VerifyMac),
		"TagResource":                         withoutResult(b.TagResource),
		"UntagResource":                       withoutResult(b.UntagResource),
		"ListResourceTags":                    withResult(b.ListResourceTags),
		"ScheduleKeyDeletion":                 withResult(b.ScheduleKeyDeletion),
		"CancelKeyDeletion":                   withResult(b.CancelKeyDeletion),
		"EnableKeyRotation":                   withoutResult(b.EnableKeyRotation),
		"DisableKeyRotation":                  withoutResult(b.DisableKeyRotation),
		"GetKeyRotationStatus":                withResult(b.GetKeyRotationStatus),
		"RotateKeyOnDemand":                   withResult(b.RotateKeyOnDemand),
		"ListKeyRotations":                    withResult(b.ListKeyRotations),
		"GetParametersForImport":              withResult(b.GetParametersForImport),
		"ImportKeyMaterial":                   withResult(b.ImportKeyMaterial),
		"DeleteImportedKeyMaterial":           withResult(b.DeleteImportedKeyMaterial),
		"GetKeyPolicy":                        withResult(b.GetKeyPolicy),
		"PutKeyPolicy":                        withoutResult(b.PutKeyPolicy),
		"ListKeyPolicies":                     withResult(b.ListKeyPolicies),
		"CreateGrant":                         withResult(b.CreateGrant),
		"ListGrants":                          withResult(b.ListGrants),
		"ListRetirableGrants":                 withResult(b.ListRetirableGrants),
		"RetireGrant":                         withoutResult(b.RetireGrant),
		"RevokeGrant":                         withoutResult(b.RevokeGrant),
	}
	for name, why := range notHere {
		ops[name] = func(context.Context, string, []byte) (any, error) {
			return nil, UnsupportedOperationException("%s is not supported by this KMS: %s", name, why)
		}
	}
	for name, op := range ops {
		ops[name] = b.called(name, op)
	}
	return ops
}

// notHere are the AWS KMS operations this bridge does not offer, with why:
// they answer UnsupportedOperationException (and are audited) rather than
// the UnknownOperationException of a name AWS does not have.
var notHere = map[string]string{
	"CreateCustomKeyStore":     "there are no custom key stores (CloudHSM or external, XKS); the token is the key store",
	"ConnectCustomKeyStore":    "there are no custom key stores",
	"DisconnectCustomKeyStore": "there are no custom key stores",
	"DeleteCustomKeyStore":     "there are no custom key stores",
	"DescribeCustomKeyStores":  "there are no custom key stores",
	"UpdateCustomKeyStore":     "there are no custom key stores",
	"ReplicateKey":             "multi-Region keys do not exist here",
	"UpdatePrimaryRegion":      "multi-Region keys do not exist here",
}

// called wraps an operation so that it runs as one call: for the caller's
// principal, noted by authorise, and recorded in the audit trail whatever
// its outcome.
func (b *Bridge) called(name string, op Operation) Operation {
	return func(ctx context.Context, principal string, body []byte) (any, error) {
		c := &call{principal: principal, operation: name, requestID: RequestID(ctx), start: time.Now()}
		out, err := op(withCall(ctx, c), principal, body)
		b.record(c, out, err)
		return out, err
	}
}

// decode reads an operation's JSON body into its request. A field of the
// wrong type or bad base64 in a blob is a SerializationException, as AWS
// answers it; the message names no value.
func decode[Req any](body []byte) (*Req, error) {
	in := new(Req)
	if err := json.Unmarshal(body, in); err != nil {
		return nil, &Error{Code: protoSerialization, Message: "the request body does not match the operation's input"}
	}
	return in, nil
}

func withResult[Req, Resp any](f func(context.Context, *Req) (*Resp, error)) Operation {
	return func(ctx context.Context, _ string, body []byte) (any, error) {
		in, err := decode[Req](body)
		if err != nil {
			return nil, err
		}
		out, err := f(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}

func withoutResult[Req any](f func(context.Context, *Req) error) Operation {
	return func(ctx context.Context, _ string, body []byte) (any, error) {
		in, err := decode[Req](body)
		if err != nil {
			return nil, err
		}
		return nil, f(ctx, in)
	}
}
