################################################################################
# Provider
################################################################################

# Credentials come from the standard AWS chain (CI: an assumed role of the
# dev account). Tests point the provider at an emulator with a
# provider_override.tf file instead of changing this block.
provider "jit" {
  region = var.region
}

################################################################################
# Access
################################################################################

module "env_access" {
  source = "../../modules/env-access"

  name_prefix              = var.name_prefix
  environment              = "dev"
  users                    = var.users
  require_mfa              = var.require_mfa
  allowed_ip_ranges        = var.allowed_ip_ranges
  allowed_vpc_endpoint_ids = var.allowed_vpc_endpoint_ids
  tags                     = var.tags
}
