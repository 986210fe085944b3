# Vault / OpenBao policy of the flickr-gateway application (API, worker, CLI).
#   vault policy write flickr-gateway docs/security/vault/flickr-gateway.hcl
#
# Exactly the transit calls the app makes (src/kms/vault-transit.kms-provider.ts), on its two keys by name:
#   datakey/plaintext  a fresh data key for writing records
#   decrypt            unwrap a stored data key for reading
#   rewrap             move stored data keys to the newest key version (the rewrap job; plaintext never leaves Vault)
#   read keys/<key>    key versions and min_decryption_version (rewrap target, /admin/kms/keys, rotation schedule)
#
# Deliberately absent:
#   keys/<key>/config  min_decryption_version, exportable, allow_plaintext_backup, deletion_allowed: operator only
#   keys/<key>/rotate  new key versions: an operator token, or the separate policy flickr-gateway-rotate.hcl
#   keys/<key> update  (would create or re-create keys), export/*, backup/*, encrypt (the app never uses it)
# Key names are exact, not globs: a glob such as "transit/keys/fgw-*" also matches "transit/keys/fgw-x/config".
# With other key names (KMS_KEY_USER_TOKENS, KMS_KEY_APP_CREDENTIALS) or another mount, edit the paths.

path "transit/datakey/plaintext/fgw-user-tokens" {
  capabilities = ["update"]
}
path "transit/datakey/plaintext/fgw-app-credentials" {
  capabilities = ["update"]
}

path "transit/decrypt/fgw-user-tokens" {
  capabilities = ["update"]
}
path "transit/decrypt/fgw-app-credentials" {
  capabilities = ["update"]
}

path "transit/rewrap/fgw-user-tokens" {
  capabilities = ["update"]
}
path "transit/rewrap/fgw-app-credentials" {
  capabilities = ["update"]
}

path "transit/keys/fgw-user-tokens" {
  capabilities = ["read"]
}
path "transit/keys/fgw-app-credentials" {
  capabilities = ["read"]
}
