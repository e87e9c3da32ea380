################################################################################
# Groups
################################################################################

output "group_names" {
  description = "Group name by role."
  value       = module.env_access.group_names
}

output "group_arns" {
  description = "Group ARN by role."
  value       = module.env_access.group_arns
}

################################################################################
# Users
################################################################################

output "user_arns" {
  description = "User ARN by user name."
  value       = module.env_access.user_arns
}

output "console_login_url" {
  description = "The account's console sign-in URL."
  value       = module.env_access.console_login_url
}

output "encrypted_passwords" {
  description = "Initial console passwords, each encrypted to its user's PGP key, with the key fingerprint."
  value       = module.env_access.encrypted_passwords
}

################################################################################
# Access review
################################################################################

output "access_review" {
  description = "The quarterly access review: every user with groups, roles, MFA, console access, access keys and findings."
  value       = module.env_access.access_review
}

output "access_review_findings" {
  description = "Every finding of the access review; empty when the review is clean."
  value       = module.env_access.access_review_findings
}
