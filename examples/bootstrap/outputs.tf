output "provider_settings" {
  description = "The settings of the access configuration's `provider \"jit\"` block that this bootstrap created."
  value = {
    region                       = var.region
    identity_center_instance_arn = var.identity_center_instance_arn
    schedule_group               = aws_scheduler_schedule_group.grants.name
    revoker_role_arn             = aws_iam_role.revoker.arn
    notification_topic_arn       = aws_sns_topic.notifications.arn
    expiry_dead_letter_queue_arn = var.create_dead_letter_queue ? aws_sqs_queue.expiry_dead_letters[0].arn : null
  }
}

output "plan_role_arn" {
  description = "ARN of the plan role: the repository variable `JIT_PLAN_ROLE_ARN` of the example workflows."
  value       = aws_iam_role.plan.arn
}

output "apply_role_arn" {
  description = "ARN of the apply role: the repository variable `JIT_APPLY_ROLE_ARN` of the example workflows."
  value       = aws_iam_role.apply.arn
}

output "revoker_role_arn" {
  description = "ARN of the revoker role: the provider's `revoker_role_arn`."
  value       = aws_iam_role.revoker.arn
}

output "github_oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider of GitHub Actions the CI roles trust."
  value       = var.create_github_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.github_oidc_provider_arn
}

output "plan_role_actions" {
  description = "Every action the plan role may call, sorted: read this list in the plan."
  value       = data.jit_ci_role_policy.plan.actions
}

output "apply_role_actions" {
  description = "Every action the apply role may call, sorted: read this list in the plan."
  value       = data.jit_ci_role_policy.apply.actions
}

output "apply_role_policy_size" {
  description = "Size of the apply role's permission policy in characters without whitespace; IAM allows 10,240 for a role's inline policies."
  value       = data.jit_ci_role_policy.apply.size
}
