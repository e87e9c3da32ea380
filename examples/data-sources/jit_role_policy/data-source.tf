# Review the policy a group would get, without calling AWS.
data "jit_role_policy" "prod_security" {
  environment       = "prod"
  role              = "security-engineer"
  allowed_ip_ranges = ["203.0.113.0/24"]
}

output "policy" {
  description = "The policy document a reviewer reads."
  value       = data.jit_role_policy.prod_security.json
}

output "policy_size" {
  description = "Characters without whitespace, against the 5,120 group limit."
  value       = data.jit_role_policy.prod_security.size # of 5,120 characters
}
