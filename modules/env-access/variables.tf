################################################################################
# Environment
################################################################################

variable "name_prefix" {
  description = "Prefix of every group name, e.g. `hera` for `hera-prod-infra-manager`."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]+$", var.name_prefix))
    error_message = "The name_prefix may contain only letters, digits and +=,.@_- (it becomes part of IAM group names)."
  }
}

variable "environment" {
  description = "The environment these groups and users belong to: `dev`, `staging` or `prod`."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "The environment must be one of dev, staging or prod."
  }
}

################################################################################
# Groups
################################################################################

variable "group_roles" {
  description = "Roles to create a group for. Default (`null`): every role the environment allows, that is all four, without `developer` in `prod`."
  type        = list(string)
  default     = null

  validation {
    condition = var.group_roles == null ? true : alltrue([
      for role in var.group_roles : contains(["infra-manager", "infra-member", "developer", "security-engineer"], role)
    ])
    error_message = "Each group role must be one of infra-manager, infra-member, developer or security-engineer."
  }
}

variable "require_mfa" {
  description = "Deny everything but MFA set-up to members signed in without MFA. Must stay `true` in `prod` (the provider refuses `false` there)."
  type        = bool
  default     = true
}

variable "allowed_ip_ranges" {
  description = "CIDR ranges requests of group members must come from, e.g. the office and VPN egress ranges. Empty: no source-IP restriction."
  type        = list(string)
  default     = []
}

variable "allowed_vpc_endpoint_ids" {
  description = "VPC endpoint ids (`vpce-…`) whose calls are allowed although they carry no source IP. Needs `allowed_ip_ranges`."
  type        = list(string)
  default     = []
}

################################################################################
# Users
################################################################################

variable "users" {
  description = "IAM users by user name. `roles`: the role groups to join. `console_access` (default `true`): a console password, which needs `pgp_key`, the user's OpenPGP public key (`gpg --export <key-id> | base64 -w0`) that the initial password is encrypted to."
  type = map(object({
    roles          = list(string)
    console_access = optional(bool, true)
    pgp_key        = optional(string)
  }))
  default = {}

  validation {
    condition = alltrue(flatten([
      for user in values(var.users) : [
        for role in user.roles : contains(["infra-manager", "infra-member", "developer", "security-engineer"], role)
      ]
    ]))
    error_message = "Each user role must be one of infra-manager, infra-member, developer or security-engineer."
  }
}

variable "tags" {
  description = "Tags for every user. Keys starting with `jit:` are reserved for the provider."
  type        = map(string)
  default     = {}
}

variable "force_destroy" {
  description = "Let removing a user also delete the access keys, SSH keys, signing certificates and policies it got outside Terraform. Default `false`: removing such a user fails and lists them first."
  type        = bool
  default     = false
}
