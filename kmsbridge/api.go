package kmsbridge

import (
	"math"
	"strconv"
	"time"
)

// The request and response types follow the AWS KMS JSON 1.1 protocol field
// for field (names as in the AWS KMS API Reference), so the HTTP layer can
// json.Unmarshal a request body straight into them and json.Marshal the
// answer. []byte fields are base64 in JSON, as AWS's blobs are.

// Timestamp is an AWS JSON timestamp: seconds since the epoch as a JSON
// number with a fraction (e.g. 1700000000.123).
type Timestamp struct{ time.Time }

// MarshalJSON writes seconds since the epoch with millisecond precision.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	ms := t.UnixMilli()
	return strconv.AppendFloat(nil, float64(ms)/1000, 'f', -1, 64), nil
}

// UnmarshalJSON reads seconds since the epoch (the form MarshalJSON writes).
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return err
	}
	sec, frac := math.Modf(f)
	t.Time = time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC()
	return nil
}

func now() Timestamp { return Timestamp{time.Now().UTC().Truncate(time.Millisecond)} }

// Key specs, usages, states, origins and algorithms (AWS's spellings).
const (
	KeySpecSymmetricDefault = "SYMMETRIC_DEFAULT"

	KeyUsageEncryptDecrypt = "ENCRYPT_DECRYPT"

	KeyStateEnabled         = "Enabled"
	KeyStateDisabled        = "Disabled"
	KeyStatePendingDeletion = "PendingDeletion"
	KeyStatePendingImport   = "PendingImport"

	OriginAWSKMS   = "AWS_KMS"
	OriginExternal = "EXTERNAL"

	KeyManagerCustomer = "CUSTOMER"

	EncryptionAlgorithmSymmetricDefault = "SYMMETRIC_DEFAULT"

	DataKeySpecAES128 = "AES_128"
	DataKeySpecAES256 = "AES_256"
)

// KeyMetadata is AWS's KeyMetadata structure (DescribeKey, CreateKey).
type KeyMetadata struct {
	AWSAccountId          string
	KeyId                 string
	Arn                   string
	CreationDate          Timestamp
	Enabled               bool
	Description           string
	KeyUsage              string
	KeyState              string
	DeletionDate          *Timestamp `json:",omitempty"`
	ValidTo               *Timestamp `json:",omitempty"`
	Origin                string
	ExpirationModel       string `json:",omitempty"`
	KeyManager            string
	CustomerMasterKeySpec string
	KeySpec               string
	EncryptionAlgorithms  []string `json:",omitempty"`
	SigningAlgorithms     []string `json:",omitempty"`
	MacAlgorithms         []string `json:",omitempty"`
	// KEY_AGREEMENT keys only (keyagreement.go).
	KeyAgreementAlgorithms []string `json:",omitempty"`
	MultiRegion            bool

	// While KeyState is PendingDeletion (lifecycle.go).
	PendingDeletionWindowInDays *int32 `json:",omitempty"`
}

// Tag is one resource tag (CreateKey, TagResource, ListResourceTags).
type Tag struct {
	TagKey   string
	TagValue string
}

type CreateKeyRequest struct {
	Description                    string `json:",omitempty"`
	KeyUsage                       string `json:",omitempty"`
	KeySpec                        string `json:",omitempty"`
	CustomerMasterKeySpec          string `json:",omitempty"`
	Origin                         string `json:",omitempty"`
	Policy                         string `json:",omitempty"`
	BypassPolicyLockoutSafetyCheck bool   `json:",omitempty"`
	Tags                           []Tag  `json:",omitempty"`
	MultiRegion                    bool   `json:",omitempty"`
	CustomKeyStoreId               string `json:",omitempty"`
	XksKeyId                       string `json:",omitempty"`
}

type CreateKeyResponse struct {
	KeyMetadata KeyMetadata
}

type DescribeKeyRequest struct {
	KeyId       string
	GrantTokens []string `json:",omitempty"`
}

type DescribeKeyResponse struct {
	KeyMetadata KeyMetadata
}

type ListKeysRequest struct {
	Limit  *int32 `json:",omitempty"`
	Marker string `json:",omitempty"`
}

// KeyListEntry is AWS's KeyListEntry.
type KeyListEntry struct {
	KeyId  string
	KeyArn string
}

type ListKeysResponse struct {
	Keys       []KeyListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

// KeyIdRequest is the request of EnableKey and DisableKey.
type KeyIdRequest struct {
	KeyId string
}

type EnableKeyRequest = KeyIdRequest
type DisableKeyRequest = KeyIdRequest

type UpdateKeyDescriptionRequest struct {
	KeyId       string
	Description string
}

type CreateAliasRequest struct {
	AliasName   string
	TargetKeyId string
}

type UpdateAliasRequest struct {
	AliasName   string
	TargetKeyId string
}

type DeleteAliasRequest struct {
	AliasName string
}

type ListAliasesRequest struct {
	KeyId  string `json:",omitempty"`
	Limit  *int32 `json:",omitempty"`
	Marker string `json:",omitempty"`
}

// AliasListEntry is AWS's AliasListEntry.
type AliasListEntry struct {
	AliasName       string
	AliasArn        string
	TargetKeyId     string     `json:",omitempty"`
	CreationDate    *Timestamp `json:",omitempty"`
	LastUpdatedDate *Timestamp `json:",omitempty"`
}

type ListAliasesResponse struct {
	Aliases    []AliasListEntry
	NextMarker string `json:",omitempty"`
	Truncated  bool
}

type EncryptRequest struct {
	KeyId               string
	Plaintext           []byte
	EncryptionContext   map[string]string `json:",omitempty"`
	EncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens         []string          `json:",omitempty"`
	DryRun              bool              `json:",omitempty"`
}

type EncryptResponse struct {
	CiphertextBlob      []byte
	KeyId               string // the key's ARN, as AWS answers
	EncryptionAlgorithm string
}

type DecryptRequest struct {
	CiphertextBlob      []byte
	EncryptionContext   map[string]string `json:",omitempty"`
	KeyId               string            `json:",omitempty"`
	EncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens         []string          `json:",omitempty"`
	DryRun              bool              `json:",omitempty"`
}

type DecryptResponse struct {
	KeyId               string // ARN
	Plaintext           []byte
	EncryptionAlgorithm string
}

type GenerateDataKeyRequest struct {
	KeyId             string
	EncryptionContext map[string]string `json:",omitempty"`
	NumberOfBytes     *int32            `json:",omitempty"`
	KeySpec           string            `json:",omitempty"`
	GrantTokens       []string          `json:",omitempty"`
	DryRun            bool              `json:",omitempty"`
}

type GenerateDataKeyResponse struct {
	CiphertextBlob []byte
	Plaintext      []byte
	KeyId          string // ARN
}

type GenerateDataKeyWithoutPlaintextRequest = GenerateDataKeyRequest

type GenerateDataKeyWithoutPlaintextResponse struct {
	CiphertextBlob []byte
	KeyId          string // ARN
}

type ReEncryptRequest struct {
	CiphertextBlob                 []byte
	SourceEncryptionContext        map[string]string `json:",omitempty"`
	SourceKeyId                    string            `json:",omitempty"`
	DestinationKeyId               string
	DestinationEncryptionContext   map[string]string `json:",omitempty"`
	SourceEncryptionAlgorithm      string            `json:",omitempty"`
	DestinationEncryptionAlgorithm string            `json:",omitempty"`
	GrantTokens                    []string          `json:",omitempty"`
	DryRun                         bool              `json:",omitempty"`
}

type ReEncryptResponse struct {
	CiphertextBlob                 []byte
	SourceKeyId                    string // ARN
	KeyId                          string // ARN of the destination key
	SourceEncryptionAlgorithm      string
	DestinationEncryptionAlgorithm string
}

type GenerateRandomRequest struct {
	NumberOfBytes    *int32 `json:",omitempty"`
	CustomKeyStoreId string `json:",omitempty"`
}

type GenerateRandomResponse struct {
	Plaintext []byte
}
