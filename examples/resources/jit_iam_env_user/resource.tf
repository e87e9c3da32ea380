variable "alice_pgp_key" {
  description = "Alice's OpenPGP public key: gpg --export alice@example.com | base64 -w0"
  type        = string
}

resource "jit_iam_env_group" "infra_manager" {
  name_prefix       = "hera"
  environment       = "prod"
  role              = "infra-manager"
  allowed_ip_ranges = ["203.0.113.0/24"]
}

resource "jit_iam_env_user" "alice" {
  name           = "alice"
  name_prefix    = "hera"
  environment    = "prod"
  roles          = ["infra-manager"]
  console_access = true
  pgp_key        = var.alice_pgp_key

  tags = {
    team = "platform"
  }

  # The user joins its role groups by name: they must exist first.
  depends_on = [jit_iam_env_group.infra_manager]
}

# terraform output -raw alice_password | base64 -d | gpg --decrypt
output "alice_password" {
  description = "Initial console password, PGP-encrypted to the given key (base64)."
  value       = jit_iam_env_user.alice.encrypted_password
}

output "console_login_url" {
  description = "Console sign-in URL of the account."
  value       = jit_iam_env_user.alice.console_login_url
}
