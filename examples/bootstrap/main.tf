# Bootstrap of one Identity Center account: everything the provider and its
# CI need that the access configuration itself must not be able to change.
# An administrator applies it once per Identity Center administration account
# (management or delegated administrator account), in the Identity Center
# home Region, from outside the access repository's CI.
#
# Every policy comes from the provider's own table of the AWS actions it
# calls (data sources jit_revoker_role_policy and jit_ci_role_policy): nothing
# here is written by hand, so upgrading the provider and re-applying keeps
# the roles exactly as wide as the provider needs.

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # ARNs built from names, so that the policies are known at plan time and
  # the reviewer of this plan reads them in full.
  revoker_role_arn        = "arn:${local.partition}:iam::${local.account_id}:role/${var.revoker_role_name}"
  notification_topic_arn  = "arn:${local.partition}:sns:${var.region}:${local.account_id}:${var.notification_topic_name}"
  dead_letter_queue_arn   = "arn:${local.partition}:sqs:${var.region}:${local.account_id}:${var.dead_letter_queue_name}"
  github_oidc_provider_id = "arn:${local.partition}:iam::${local.account_id}:oidc-provider/token.actions.githubusercontent.com"
  github_oidc_provider_arn = (
    var.create_github_oidc_provider ? local.github_oidc_provider_id : var.github_oidc_provider_arn
  )
}

################################################################################
# Leases: the schedule group, the SNS topic and the dead-letter queue
################################################################################

resource "aws_scheduler_schedule_group" "grants" {
  name = var.schedule_group_name
  tags = var.tags
}

resource "aws_sns_topic" "notifications" {
  name = var.notification_topic_name
  tags = var.tags
}

# Failed expiries land here instead of being dropped; alarm on its depth.
resource "aws_sqs_queue" "expiry_dead_letters" {
  count = var.create_dead_letter_queue ? 1 : 0

  name                      = var.dead_letter_queue_name
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

################################################################################
# Revoker role: EventBridge Scheduler removes expired assignments with it
################################################################################

data "jit_revoker_role_policy" "this" {
  account_id                   = local.account_id
  region                       = var.region
  schedule_group               = var.schedule_group_name
  identity_center_instance_arn = var.identity_center_instance_arn
  notification_topic_arn       = local.notification_topic_arn
  expiry_dead_letter_queue_arn = var.create_dead_letter_queue ? local.dead_letter_queue_arn : null
}

resource "aws_iam_role" "revoker" {
  name               = var.revoker_role_name
  description        = "EventBridge Scheduler removes expired jit_grant assignments with this role."
  assume_role_policy = data.jit_revoker_role_policy.this.trust_policy_json
  tags               = var.tags
}

resource "aws_iam_role_policy" "revoker" {
  name   = "jit-revoker"
  role   = aws_iam_role.revoker.id
  policy = data.jit_revoker_role_policy.this.permission_policy_json
}

################################################################################
# CI roles: plan (pull requests, read only) and apply (the jit-apply
# environment, main only), assumed through GitHub OIDC
################################################################################

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = var.tags
}

data "jit_ci_role_policy" "plan" {
  role                         = "plan"
  account_id                   = local.account_id
  region                       = var.region
  repository                   = var.github_repository
  github_oidc_provider_arn     = local.github_oidc_provider_arn
  identity_center_instance_arn = var.identity_center_instance_arn
  identity_store_id            = var.identity_store_id
  schedule_group               = var.schedule_group_name
  resource_types               = var.resource_types
  state_bucket                 = var.state_bucket
  state_key                    = var.state_key
  state_lock_table             = var.state_lock_table
}

data "jit_ci_role_policy" "apply" {
  role                           = "apply"
  account_id                     = local.account_id
  region                         = var.region
  repository                     = var.github_repository
  github_environment             = var.apply_github_environment
  github_oidc_provider_arn       = local.github_oidc_provider_arn
  identity_center_instance_arn   = var.identity_center_instance_arn
  identity_store_id              = var.identity_store_id
  schedule_group                 = var.schedule_group_name
  revoker_role_arn               = local.revoker_role_arn
  notification_topic_arn         = local.notification_topic_arn
  resource_types                 = var.resource_types
  target_account_ids             = var.target_account_ids
  iam_group_name_prefixes        = var.iam_group_name_prefixes
  cognito_user_pool_ids          = var.cognito_user_pool_ids
  management_account_assignments = var.management_account_assignments
  state_bucket                   = var.state_bucket
  state_key                      = var.state_key
  state_lock_table               = var.state_lock_table
}

resource "aws_iam_role" "plan" {
  name               = var.plan_role_name
  description        = "Plan job of pull requests of ${var.github_repository}: reads only."
  assume_role_policy = data.jit_ci_role_policy.plan.trust_policy_json
  tags               = var.tags

  depends_on = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "plan" {
  name   = "jit-plan"
  role   = aws_iam_role.plan.id
  policy = data.jit_ci_role_policy.plan.permission_policy_json
}

resource "aws_iam_role" "apply" {
  name               = var.apply_role_name
  description        = "Apply job of ${var.github_repository} in the ${var.apply_github_environment} environment."
  assume_role_policy = data.jit_ci_role_policy.apply.trust_policy_json
  tags               = var.tags

  depends_on = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "apply" {
  name   = "jit-apply"
  role   = aws_iam_role.apply.id
  policy = data.jit_ci_role_policy.apply.permission_policy_json
}
