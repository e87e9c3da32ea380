# Demo: the access changes a platform team reviews in one pull request.
# Onboard a user into Identity Center, give her one hour of low-risk access
# that AWS itself removes at expiry, and block a compromised IAM user.

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
  region           = "eu-west-1"
  endpoint_url     = var.endpoint_url
  revoker_role_arn = "arn:aws:iam::123456789012:role/jit-revoker"

  grant_policy {
    max_duration = "1h"

    permission_set {
      name = "JIT-S3FullAccess"
      risk = "low"
    }
  }
}

resource "jit_identity_center_user" "alice" {
  user_name   = "alice@example.com"
  given_name  = "Alice"
  family_name = "Example"
  email       = "alice@example.com"
}

resource "jit_grant" "alice_s3" {
  principal      = jit_identity_center_user.alice.user_name
  account_id     = "123456789012"
  permission_set = "JIT-S3FullAccess"
  duration       = "1h"
  reason         = "Investigate the failing lifecycle rule of the logs bucket"
  ticket         = "INC-42"
  requested_by   = "alice@example.com"
}

resource "jit_user_block" "mallory" {
  count = var.block_mallory ? 1 : 0

  iam {
    user_name = "mallory"
  }

  reason     = "Access keys found in a public repository"
  blocked_by = "secops@example.com"
  ticket     = "SEC-7"
}
