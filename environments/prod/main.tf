################################################################################
# Provider
################################################################################

# Credentials come from the standard AWS chain (CI: an assumed role of the
# prod account). Tests point the provider at an emulator with a
# provider_override.tf file instead of changing this block.
provider "jit" {
  region = var.region
}

################################################################################
# Access
################################################################################

module "env_access" {
  source = "../../modules/env-access"

  name_prefix = var.name_prefix
  environment = "prod"
  users       = var.users

  # MFA is mandatory in prod: not a variable here, and the provider refuses false.
  require_mfa              = true
  allowed_ip_ranges        = var.allowed_ip_ranges
  allowed_vpc_endpoint_ids = var.allowed_vpc_endpoint_ids
  tags                     = var.tags
}
