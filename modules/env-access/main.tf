################################################################################
# Groups
################################################################################

locals {
  all_roles = ["infra-manager", "infra-member", "developer", "security-engineer"]

  # Developers get no standing prod access: time-limited access goes through jit_grant.
  group_roles = var.group_roles != null ? var.group_roles : [
    for role in local.all_roles : role if !(var.environment == "prod" && role == "developer")
  ]
}

resource "jit_iam_env_group" "this" {
  for_each = toset(local.group_roles)

  name_prefix              = var.name_prefix
  environment              = var.environment
  role                     = each.key
  require_mfa              = var.require_mfa
  allowed_ip_ranges        = length(var.allowed_ip_ranges) > 0 ? var.allowed_ip_ranges : null
  allowed_vpc_endpoint_ids = length(var.allowed_vpc_endpoint_ids) > 0 ? var.allowed_vpc_endpoint_ids : null
}

################################################################################
# Users
################################################################################

resource "jit_iam_env_user" "this" {
  for_each = var.users

  name           = each.key
  name_prefix    = var.name_prefix
  environment    = var.environment
  roles          = each.value.roles
  console_access = each.value.console_access
  pgp_key        = each.value.pgp_key
  tags           = var.tags
  force_destroy  = var.force_destroy

  # Users join groups by name: the groups must exist first.
  depends_on = [jit_iam_env_group.this]
}

################################################################################
# Access review
################################################################################

data "jit_access_review" "this" {
  name_prefix = var.name_prefix
  environment = var.environment

  # Read after the users changed, so the review shows this apply's result.
  depends_on = [jit_iam_env_user.this]
}
