# The quarterly access review of one environment.
data "jit_access_review" "prod" {
  name_prefix = "hera"
  environment = "prod"
}

# Everything that needs action, e.g.
# "alice: KEY_ROTATION_OVERDUE: access key AKIA... (Active) is 75 days old; prod keys are rotated every 60 days"
output "findings" {
  description = "Findings of the quarterly review (no MFA, stale or unused keys, no role group)."
  value       = data.jit_access_review.prod.findings
}

# Every user with groups, roles, MFA, console access and access keys.
output "users" {
  description = "Every prod user with groups, MFA, console access and keys."
  value       = data.jit_access_review.prod.users
}

