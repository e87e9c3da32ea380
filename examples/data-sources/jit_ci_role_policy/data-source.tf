# The CI roles of the access repository: the plan role (pull requests, read
# only) and the apply role (the protected apply job), each trusted by exactly
# one GitHub OIDC subject. Create them with the hashicorp/aws provider from a
# separate bootstrap configuration such as examples/bootstrap, not from the
# configuration they apply.
data "jit_ci_role_policy" "plan" {
  role         = "plan"
  account_id   = "123456789012"
  repository   = "example-org/access"
  state_bucket = "example-org-terraform-state"
  state_key    = "access/terraform.tfstate"
}

data "jit_ci_role_policy" "apply" {
  role               = "apply"
  account_id         = "123456789012"
  repository         = "example-org/access"
  github_environment = "jit-apply"
  revoker_role_arn   = "arn:aws:iam::123456789012:role/jit-revoker"
  target_account_ids = ["210987654321"]
  resource_types     = ["jit_grant", "jit_user_block"]
  state_bucket       = "example-org-terraform-state"
  state_key          = "access/terraform.tfstate"
}

output "apply_role_permission_policy" {
  description = "Permission policy of the apply role: exactly the actions the chosen resources call."
  value       = data.jit_ci_role_policy.apply.permission_policy_json
}

output "apply_role_trust_policy" {
  description = "Trust policy of the apply role: only jobs of the jit-apply environment of the repository."
  value       = data.jit_ci_role_policy.apply.trust_policy_json
}

output "plan_role_permission_policy" {
  description = "Permission policy of the plan role: reads only."
  value       = data.jit_ci_role_policy.plan.permission_policy_json
}
