#!/usr/bin/env bash
# envelope.sh — the AWS CLI against `kagi serve`: the envelope-encryption
# workflow users learn first, then encryption context, sign/verify, listing,
# rotation and deletion. Every step checks its output; the first failure
# ends the script with a message naming the step.
#
# cli_test.go runs it with: AWS (the aws command), KMS_ENDPOINT (the
# endpoint URL), WORK (an empty directory), AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY and AWS_DEFAULT_REGION, and the CLI's own files
# pointed away from the user's.
set -euo pipefail

: "${AWS:?}" "${KMS_ENDPOINT:?}" "${WORK:?}"
cd "$WORK"

step() { printf '== %s\n' "$*"; }
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}
kms() { "$AWS" --endpoint-url "$KMS_ENDPOINT" --output json kms "$@"; }
# kms_blob OP FIELD ARGS...: the base64 blob FIELD of OP's output, decoded.
kms_blob() {
	local op=$1 field=$2
	shift 2
	"$AWS" --endpoint-url "$KMS_ENDPOINT" kms "$op" "$@" --output text --query "$field" | base64 -d
}
# expect_error CODE CMD...: CMD fails, and says CODE.
expect_error() {
	local code=$1
	shift
	if "$@" >out.txt 2>err.txt; then
		fail "$* succeeded; want $code"
	fi
	grep -q "$code" err.txt || fail "$* failed without $code: $(cat err.txt)"
}
hex() { od -An -v -tx1 "$1" | tr -d ' \n'; }

step "create-key and create-alias"
kms create-key --description "envelope workflow" >key.json
key_id=$(jq -r .KeyMetadata.KeyId key.json)
key_arn=$(jq -r .KeyMetadata.Arn key.json)
[ "$(jq -r .KeyMetadata.KeyState key.json)" = Enabled ] || fail "new key is not Enabled: $(cat key.json)"
[ "$(jq -r .KeyMetadata.KeySpec key.json)" = SYMMETRIC_DEFAULT ] || fail "new key spec: $(cat key.json)"
[ "$key_arn" = "arn:aws:kms:$AWS_DEFAULT_REGION:$KMS_ACCOUNT:key/$key_id" ] || fail "key ARN $key_arn"
kms create-alias --alias-name alias/envelope --target-key-id "$key_id"

step "generate-data-key --key-spec AES_256"
kms generate-data-key --key-id alias/envelope --key-spec AES_256 >datakey.json
[ "$(jq -r .KeyId datakey.json)" = "$key_arn" ] || fail "GenerateDataKey names $(jq -r .KeyId datakey.json)"
jq -r .Plaintext datakey.json | base64 -d >datakey.bin
jq -r .CiphertextBlob datakey.json | base64 -d >datakey.enc
[ "$(stat -c %s datakey.bin)" = 32 ] || fail "data key is $(stat -c %s datakey.bin) bytes"
rm datakey.json

step "openssl enc -aes-256-cbc with the plaintext data key"
head -c 100000 /dev/urandom >document.bin
openssl rand -hex 16 >iv.hex
openssl enc -aes-256-cbc -K "$(hex datakey.bin)" -iv "$(cat iv.hex)" -in document.bin -out document.enc
cmp -s document.bin document.enc && fail "openssl did not encrypt"
# Only the encrypted data key is kept beside the encrypted file.
rm datakey.bin

step "decrypt --ciphertext-blob fileb://, then openssl enc -d"
kms decrypt --ciphertext-blob fileb://datakey.enc >decrypted.json
[ "$(jq -r .KeyId decrypted.json)" = "$key_arn" ] || fail "Decrypt names $(jq -r .KeyId decrypted.json)"
[ "$(jq -r .EncryptionAlgorithm decrypted.json)" = SYMMETRIC_DEFAULT ] || fail "Decrypt algorithm: $(jq -r .EncryptionAlgorithm decrypted.json)"
rm decrypted.json
kms_blob decrypt Plaintext --ciphertext-blob fileb://datakey.enc >datakey.bin
openssl enc -d -aes-256-cbc -K "$(hex datakey.bin)" -iv "$(cat iv.hex)" -in document.enc -out document.out
rm datakey.bin
cmp document.bin document.out || fail "the document did not come back byte for byte"

step "encrypt and decrypt with --encryption-context"
printf 'the envelope letter\n' >letter.txt
kms_blob encrypt CiphertextBlob --key-id alias/envelope --plaintext fileb://letter.txt \
	--encryption-context purpose=cli-test,tenant=42 >letter.enc
kms_blob decrypt Plaintext --ciphertext-blob fileb://letter.enc \
	--encryption-context tenant=42,purpose=cli-test >letter.out
cmp letter.txt letter.out || fail "decrypt with the context gave another plaintext"
expect_error InvalidCiphertextException kms decrypt --ciphertext-blob fileb://letter.enc
expect_error InvalidCiphertextException kms decrypt --ciphertext-blob fileb://letter.enc \
	--encryption-context purpose=cli-test,tenant=43

step "sign and verify (ECC_NIST_P256), checked by openssl with get-public-key"
sign_id=$(kms create-key --key-spec ECC_NIST_P256 --key-usage SIGN_VERIFY | jq -r .KeyMetadata.KeyId)
printf 'a message to sign\n' >message.txt
kms_blob sign Signature --key-id "$sign_id" --message fileb://message.txt --message-type RAW \
	--signing-algorithm ECDSA_SHA_256 >message.sig
kms verify --key-id "$sign_id" --message fileb://message.txt --message-type RAW \
	--signing-algorithm ECDSA_SHA_256 --signature fileb://message.sig >verify.json
[ "$(jq -r .SignatureValid verify.json)" = true ] || fail "verify: $(cat verify.json)"
kms_blob get-public-key PublicKey --key-id "$sign_id" >public.der
openssl pkey -pubin -inform DER -in public.der -out public.pem
openssl dgst -sha256 -verify public.pem -signature message.sig message.txt >/dev/null ||
	fail "openssl does not verify kagi's signature with get-public-key's key"
printf 'a tampered message\n' >tampered.txt
# AWS answers an invalid signature with KMSInvalidSignatureException rather
# than SignatureValid false; so does kagi, and openssl agrees it is invalid.
expect_error KMSInvalidSignatureException kms verify --key-id "$sign_id" --message fileb://tampered.txt \
	--message-type RAW --signing-algorithm ECDSA_SHA_256 --signature fileb://message.sig
if openssl dgst -sha256 -verify public.pem -signature message.sig tampered.txt >/dev/null 2>&1; then
	fail "openssl verifies the signature over the tampered message"
fi

step "list-keys and list-aliases"
kms list-keys >keys.json
jq -e --arg id "$key_id" '[.Keys[].KeyId] | index($id) != null' keys.json >/dev/null || fail "list-keys lacks $key_id"
jq -e --arg id "$sign_id" '[.Keys[].KeyId] | index($id) != null' keys.json >/dev/null || fail "list-keys lacks $sign_id"
kms list-aliases >aliases.json
[ "$(jq -r '.Aliases[] | select(.AliasName == "alias/envelope") | .TargetKeyId' aliases.json)" = "$key_id" ] ||
	fail "list-aliases: $(cat aliases.json)"

step "enable-key-rotation"
kms get-key-rotation-status --key-id "$key_id" | jq -e '.KeyRotationEnabled == false' >/dev/null ||
	fail "rotation enabled before enable-key-rotation"
kms enable-key-rotation --key-id "$key_id"
kms get-key-rotation-status --key-id "$key_id" | jq -e '.KeyRotationEnabled == true' >/dev/null ||
	fail "rotation not enabled after enable-key-rotation"

step "schedule-key-deletion"
kms schedule-key-deletion --key-id alias/envelope --pending-window-in-days 7 >deletion.json
[ "$(jq -r .KeyState deletion.json)" = PendingDeletion ] || fail "schedule-key-deletion: $(cat deletion.json)"
[ "$(jq -r .PendingWindowInDays deletion.json)" = 7 ] || fail "schedule-key-deletion: $(cat deletion.json)"
[ "$(kms describe-key --key-id "$key_id" | jq -r .KeyMetadata.KeyState)" = PendingDeletion ] ||
	fail "describe-key after schedule-key-deletion"
expect_error KMSInvalidStateException kms encrypt --key-id "$key_id" --plaintext fileb://letter.txt
# A key pending deletion cannot decrypt either: the data key is locked away.
expect_error KMSInvalidStateException kms decrypt --ciphertext-blob fileb://datakey.enc

echo "envelope.sh: all steps passed"
