package kmsbridge

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/kagi-hsm/kagi/token"
)

// CloudTrail's shape for audit records, so that tools that read AWS
// CloudTrail logs of KMS calls read kagi's: a log file is {"Records": [...]}
// and each event has the fields AWS documents in "CloudTrail record
// contents" (userIdentity, eventTime, eventSource, eventName, awsRegion,
// requestParameters, requestID, eventID, readOnly, resources, eventType,
// errorCode, ...). Only what the audit record knows is filled in.

// CloudTrailLog is one CloudTrail log file.
type CloudTrailLog struct {
	Records []CloudTrailEvent `json:"Records"`
}

// CloudTrailEvent is one event.
type CloudTrailEvent struct {
	EventVersion       string                   `json:"eventVersion"`
	UserIdentity       CloudTrailIdentity       `json:"userIdentity"`
	EventTime          string                   `json:"eventTime"`
	EventSource        string                   `json:"eventSource"`
	EventName          string                   `json:"eventName"`
	AWSRegion          string                   `json:"awsRegion"`
	RequestParameters  *CloudTrailRequestParams `json:"requestParameters"`
	ResponseElements   any                      `json:"responseElements"`
	RequestID          string                   `json:"requestID"`
	EventID            string                   `json:"eventID"`
	ReadOnly           bool                     `json:"readOnly"`
	Resources          []CloudTrailResource     `json:"resources,omitempty"`
	EventType          string                   `json:"eventType"`
	ManagementEvent    bool                     `json:"managementEvent"`
	RecipientAccountID string                   `json:"recipientAccountId"`
	EventCategory      string                   `json:"eventCategory"`
	ErrorCode          string                   `json:"errorCode,omitempty"`
	// AuditSeq is the record's place in kagi's hash chain (not CloudTrail's).
	AuditSeq int64 `json:"kagiAuditSeq"`
}

// CloudTrailIdentity is userIdentity.
type CloudTrailIdentity struct {
	Type        string `json:"type"`
	ARN         string `json:"arn,omitempty"`
	AccountID   string `json:"accountId"`
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// CloudTrailRequestParams is requestParameters, as far as the audit record
// has them: the key and the encryption context.
type CloudTrailRequestParams struct {
	KeyID             string          `json:"keyId,omitempty"`
	EncryptionContext json.RawMessage `json:"encryptionContext,omitempty"`
}

// CloudTrailResource is one entry of resources.
type CloudTrailResource struct {
	ARN       string `json:"ARN"`
	AccountID string `json:"accountId"`
	Type      string `json:"type"`
}

// kmsMutating are the KMS operations that change something; CloudTrail
// marks every other KMS event readOnly (cryptographic operations included).
var kmsMutating = map[string]bool{
	"CancelKeyDeletion": true, "ConnectCustomKeyStore": true, "CreateAlias": true,
	"CreateCustomKeyStore": true, "CreateGrant": true, "CreateKey": true,
	"DeleteAlias": true, "DeleteCustomKeyStore": true, "DeleteImportedKeyMaterial": true,
	"DisableKey": true, "DisableKeyRotation": true, "DisconnectCustomKeyStore": true,
	"EnableKey": true, "EnableKeyRotation": true, "ImportKeyMaterial": true,
	"PutKeyPolicy": true, "ReplicateKey": true, "RetireGrant": true, "RevokeGrant": true,
	"RotateKeyOnDemand": true, "ScheduleKeyDeletion": true, "TagResource": true,
	"UntagResource": true, "UpdateAlias": true, "UpdateCustomKeyStore": true,
	"UpdateKeyDescription": true, "UpdatePrimaryRegion": true,
}

// CloudTrail turns audit records into a CloudTrail log.
func CloudTrail(recs []token.AuditRecord) CloudTrailLog {
	out := CloudTrailLog{Records: make([]CloudTrailEvent, 0, len(recs))}
	for i := range recs {
		out.Records = append(out.Records, cloudTrailEvent(&recs[i]))
	}
	return out
}

func cloudTrailEvent(r *token.AuditRecord) CloudTrailEvent {
	e := CloudTrailEvent{
		EventVersion: "1.08",
		UserIdentity: CloudTrailIdentity{
			Type:        identityType(r.Principal),
			ARN:         r.Principal,
			AccountID:   r.Account,
			AccessKeyID: r.AccessKeyID,
		},
		EventTime:          r.Time.UTC().Format(time.RFC3339),
		EventSource:        "kms.amazonaws.com",
		EventName:          r.Operation,
		AWSRegion:          r.Region,
		RequestID:          r.RequestID,
		EventID:            eventID(r.Hash),
		ReadOnly:           !kmsMutating[r.Operation],
		EventType:          "AwsApiCall",
		ManagementEvent:    true,
		RecipientAccountID: r.Account,
		EventCategory:      "Management",
		ErrorCode:          r.Outcome,
		AuditSeq:           r.Seq,
	}
	if r.Principal != "" {
		if acct := arnAccount(r.Principal); acct != "" {
			e.UserIdentity.AccountID = acct
		}
	}
	if r.Resource != "" || r.Context != "" {
		p := &CloudTrailRequestParams{KeyID: r.Resource}
		if r.Context != "" {
			if json.Valid([]byte(r.Context)) {
				p.EncryptionContext = json.RawMessage(r.Context)
			} else {
				// Clipped when recorded: keep it, as a string.
				p.EncryptionContext, _ = json.Marshal(r.Context)
			}
		}
		e.RequestParameters = p
	}
	if r.Resource != "" {
		e.Resources = []CloudTrailResource{{ARN: r.Resource, AccountID: r.Account, Type: "AWS::KMS::Key"}}
	}
	return e
}

// identityType is userIdentity.type for a principal ARN.
func identityType(arn string) string {
	switch {
	case arn == "":
		return "Unknown"
	case strings.HasSuffix(arn, ":root"):
		return "Root"
	case strings.Contains(arn, ":assumed-role/"):
		return "AssumedRole"
	case strings.Contains(arn, ":user/"):
		return "IAMUser"
	case strings.Contains(arn, ":role/"):
		return "AssumedRole"
	}
	return "Unknown"
}

// arnAccount is the account field of an ARN (arn:partition:service:region:account:...).
func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[4]
}

// eventID spells the first 16 bytes of the record's hash as a UUID
// (version 8, RFC 9562's custom form): unique per record and the same in
// every export.
func eventID(hash []byte) string {
	var b [16]byte
	copy(b[:], hash)
	b[6] = b[6]&0x0f | 0x80
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}
