# Optional second policy: lets the app add key versions itself (the rotation schedule
# KMS_ROTATION_SCHEDULE_ENABLED, POST /admin/kms/keys/{purpose}/rotate, `kms:rotate`).
#   vault policy write flickr-gateway-rotate docs/security/vault/flickr-gateway-rotate.hcl
# Leave it out to rotate only with an operator token (`vault write -f transit/keys/<key>/rotate`, then
# `node dist/cli.js kms:rewrap`). Rotating only adds a version; it cannot make old versions unreadable
# (that is keys/<key>/config, which no app policy grants).

path "transit/keys/fgw-user-tokens/rotate" {
  capabilities = ["update"]
}
path "transit/keys/fgw-app-credentials/rotate" {
  capabilities = ["update"]
}
