# Block a user of a Cognito-backed application. The pool's schema must have
# the flag attribute (a mutable String), no app client may write it, and the
# application must refuse, server-side, every user whose flag is set.
resource "jit_user_block" "mallory_app" {
  cognito {
    user_pool_id    = "eu-west-1_AbCdEf123"
    username        = "mallory"
    block_attribute = "custom:access_revoked"
  }

  reason     = "Account compromise"
  blocked_by = "secops@example.com"
  ticket     = "SEC-7"
}

# Block an IAM user: an inline deny-all policy first, then its active access
# keys deactivated and its groups left. Destroy restores exactly that.
resource "jit_user_block" "mallory_iam" {
  iam {
    user_name = "mallory"
  }

  reason     = "Account compromise"
  blocked_by = "secops@example.com"
  ticket     = "SEC-7"
}

# Block an IAM Identity Center user (user name, email or id): the user's id
# goes into the provider's deny statement (Sid `JitBlockedUsers`) of every
# permission set's inline policy and the permission sets are provisioned
# again, so live role sessions stop after AWS's propagation; the user's
# account assignments and group memberships are removed. Destroy restores
# exactly those and takes the user out of the statement.
resource "jit_user_block" "mallory_sso" {
  identity_center {
    user = "mallory@example.com"
  }

  reason     = "Account compromise"
  blocked_by = "secops@example.com"
  ticket     = "SEC-7"
}
