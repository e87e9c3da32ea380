################################################################################
# Provider
################################################################################

variable "region" {
  description = "AWS region the provider calls (IAM itself is global)."
  type        = string
  default     = "eu-west-1"
}

################################################################################
# Access
################################################################################

variable "name_prefix" {
  description = "Prefix of the group names, e.g. `hera` for `hera-dev-developer`."
  type        = string
}

variable "users" {
  description = "dev IAM users by user name. `roles` from infra-manager, infra-member, developer and security-engineer. `console_access` defaults to `true` and needs `pgp_key` (`gpg --export <key-id> | base64 -w0`)."
  type = map(object({
    roles          = list(string)
    console_access = optional(bool, true)
    pgp_key        = optional(string)
  }))
}

variable "require_mfa" {
  description = "Deny everything but MFA set-up to users signed in without MFA."
  type        = bool
  default     = true
}

variable "allowed_ip_ranges" {
  description = "CIDR ranges requests must come from. Empty: no source-IP restriction."
  type        = list(string)
  default     = []
}

variable "allowed_vpc_endpoint_ids" {
  description = "VPC endpoint ids whose calls are allowed although they carry no source IP. Needs `allowed_ip_ranges`."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every user."
  type        = map(string)
  default     = {}
}
