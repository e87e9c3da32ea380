variable "region" {
  description = "The IAM Identity Center home Region: the schedule group, topic and queue are created there, and the provider must run there (universal Scheduler targets call Identity Center in the schedule's own Region)."
  type        = string
}

variable "identity_center_instance_arn" {
  description = "ARN of the IAM Identity Center instance (`arn:aws:sso:::instance/ssoins-...`); the revoker and apply roles may change assignments of this instance only."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:sso:::instance/ssoins-[0-9a-f]{16}$", var.identity_center_instance_arn))
    error_message = "The identity_center_instance_arn must look like arn:aws:sso:::instance/ssoins-0123456789abcdef."
  }
}

variable "identity_store_id" {
  description = "Identity store id of the instance (`d-...`); scopes the `identitystore:` actions of the CI roles to it. Null: every identity store of the account."
  type        = string
  default     = null
}

variable "github_repository" {
  description = "GitHub repository `owner/name` of the access configuration, whose workflows assume the CI roles."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "The github_repository must be owner/name."
  }
}

variable "apply_github_environment" {
  description = "GitHub environment the apply job runs in; the apply role trusts only `repo:<github_repository>:environment:<this>`. Limit its deployment branches to `main`."
  type        = string
  default     = "jit-apply"
}

variable "create_github_oidc_provider" {
  description = "Create the IAM OIDC provider of `token.actions.githubusercontent.com`. Set to false when the account already has one, and give its ARN in `github_oidc_provider_arn`."
  type        = bool
  default     = true
}

variable "github_oidc_provider_arn" {
  description = "ARN of an existing IAM OIDC provider of `token.actions.githubusercontent.com`, used when `create_github_oidc_provider` is false."
  type        = string
  default     = null
}

variable "schedule_group_name" {
  description = "EventBridge Scheduler group of the grants' expiry schedules (the provider's `schedule_group`)."
  type        = string
  default     = "jit-grants"
}

variable "notification_topic_name" {
  description = "Name of the SNS topic of audit events and expiry notices (the provider's `notification_topic_arn`)."
  type        = string
  default     = "jit-access"
}

variable "create_dead_letter_queue" {
  description = "Create an SQS queue that receives the expiries EventBridge Scheduler failed to run (the provider's `expiry_dead_letter_queue_arn`). Without it a failed expiry is only visible as an OVERDUE grant."
  type        = bool
  default     = true
}

variable "dead_letter_queue_name" {
  description = "Name of the dead-letter queue of failed expiries."
  type        = string
  default     = "jit-expiry-dead-letters"
}

variable "revoker_role_name" {
  description = "Name of the role EventBridge Scheduler assumes to remove expired assignments (the provider's `revoker_role_arn`)."
  type        = string
  default     = "jit-revoker"
}

variable "plan_role_name" {
  description = "Name of the read-only role of the plan job of pull requests."
  type        = string
  default     = "jit-plan"
}

variable "apply_role_name" {
  description = "Name of the role of the apply job."
  type        = string
  default     = "jit-apply"
}

variable "resource_types" {
  description = "Resource types (`jit_grant`) and data sources (`data.jit_access_review`) the access configuration uses; the CI roles get the actions of these only. Null: all of them."
  type        = list(string)
  default     = null
}

variable "target_account_ids" {
  description = "Accounts grants may target. Null: every account."
  type        = list(string)
  default     = null
}

variable "iam_group_name_prefixes" {
  description = "`name_prefix`es of the `jit_iam_env_group`s; the apply role may change groups `<prefix>-*` only. Null: every group."
  type        = list(string)
  default     = null
}

variable "cognito_user_pool_ids" {
  description = "Cognito user pools `jit_user_block` may target. Null: every pool of the account."
  type        = list(string)
  default     = null
}

variable "management_account_assignments" {
  description = "Grants may target this account itself (when it is the organization's management account), which needs the IAM permissions Identity Center uses to provision its roles here. Prefer false."
  type        = bool
  default     = false
}

variable "state_bucket" {
  description = "S3 bucket of the access configuration's Terraform state; the plan role may read it and write its lock file, the apply role may also write the state. Null: no state permissions."
  type        = string
  default     = null
}

variable "state_key" {
  description = "Key of the state object in `state_bucket`, e.g. `access/terraform.tfstate`."
  type        = string
  default     = null
}

variable "state_lock_table" {
  description = "DynamoDB lock table, when the backend locks with one instead of the S3 lock file (`use_lockfile`)."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags of every resource created here."
  type        = map(string)
  default     = {}
}
