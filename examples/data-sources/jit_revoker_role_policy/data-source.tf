# The least-privilege policies of the role EventBridge Scheduler assumes to
# remove expired assignments. Create the role with them (aws_iam_role and
# aws_iam_role_policy of the hashicorp/aws provider, as examples/bootstrap
# does) and set its ARN as `revoker_role_arn` in the provider block.
data "jit_revoker_role_policy" "this" {
  account_id = "123456789012"
}

output "revoker_trust_policy" {
  description = "Trust policy of the revoker role: only EventBridge Scheduler, for the grants' schedule group."
  value       = data.jit_revoker_role_policy.this.trust_policy_json
}

output "revoker_permission_policy" {
  description = "Permission policy of the revoker role: delete account assignments, nothing else."
  value       = data.jit_revoker_role_policy.this.permission_policy_json
}
