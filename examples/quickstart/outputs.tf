output "group_arns" {
  description = "ARN of each group, by `<env>-<role>`."
  value       = { for key, group in jit_iam_env_group.this : key => group.arn }
}

output "prod_infra_member_policy_size" {
  description = "Characters (whitespace excluded) of the prod infra-member policy, against IAM's 5,120 limit."
  value       = data.jit_role_policy.prod_infra_member.size
}
