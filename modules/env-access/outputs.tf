################################################################################
# Groups
################################################################################

output "group_names" {
  description = "Group name by role, e.g. `{ infra-manager = \"hera-prod-infra-manager\" }`."
  value       = { for role, group in jit_iam_env_group.this : role => group.name }
}

output "group_arns" {
  description = "Group ARN by role."
  value       = { for role, group in jit_iam_env_group.this : role => group.arn }
}

################################################################################
# Users
################################################################################

output "user_arns" {
  description = "User ARN by user name."
  value       = { for name, user in jit_iam_env_user.this : name => user.arn }
}

output "console_login_url" {
  description = "The account's console sign-in URL; null when no user has console access."
  value       = one(distinct(compact([for user in values(jit_iam_env_user.this) : user.console_login_url])))
}

output "encrypted_passwords" {
  description = "Initial console password and key fingerprint by user name, for users with console access. Each password is encrypted to the user's `pgp_key`: `terraform output -json encrypted_passwords | jq -r '.alice.encrypted_password' | base64 -d | gpg --decrypt`. Null after import (the password is not readable from AWS)."
  value = {
    for name, user in jit_iam_env_user.this : name => {
      encrypted_password = user.encrypted_password
      key_fingerprint    = user.key_fingerprint
    } if user.console_access
  }
}

################################################################################
# Access review
################################################################################

output "access_review" {
  description = "Every user of this environment with groups, roles, MFA status, console access, access keys (status, age in days, last use) and findings: the quarterly review."
  value       = data.jit_access_review.this.users
}

output "access_review_findings" {
  description = "Every finding of the access review as `<user>: <CODE>: <detail>`; empty when the review is clean."
  value       = data.jit_access_review.this.findings
}
