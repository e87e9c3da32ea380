# Quickstart: the standing groups of three environments, each with the
# library's role policy inline (MFA everywhere, source IPs in prod, no
# developer group in prod), and the policy a reviewer reads in the plan.

terraform {
  required_version = ">= 1.0"

  required_providers {
    jit = {
      source  = "jit-access/jit"
      version = "~> 0.1"
    }
  }
}

provider "jit" {
  region       = var.region
  endpoint_url = var.endpoint_url
}

locals {
  roles = {
    dev     = ["infra-manager", "infra-member", "developer", "security-engineer"]
    staging = ["infra-manager", "infra-member", "developer", "security-engineer"]
    prod    = ["infra-manager", "infra-member", "security-engineer"]
  }
  groups = merge([
    for environment, roles in local.roles : {
      for role in roles : "${environment}-${role}" => {
        environment = environment
        role        = role
      }
    }
  ]...)
}

resource "jit_iam_env_group" "this" {
  for_each = local.groups

  name_prefix       = var.name_prefix
  environment       = each.value.environment
  role              = each.value.role
  allowed_ip_ranges = each.value.environment == "prod" ? var.prod_ip_ranges : null
}

data "jit_role_policy" "prod_infra_member" {
  environment       = "prod"
  role              = "infra-member"
  allowed_ip_ranges = var.prod_ip_ranges
}
