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
  description = "Prefix of the group names, e.g. `hera` for `hera-prod-infra-manager`."
  type        = string
}

variable "users" {
  description = "Production IAM users by user name: keep this list minimal. `roles` from infra-manager, infra-member and security-engineer (developers have no standing prod access; they use `jit_grant`). `console_access` defaults to `true` and needs `pgp_key` (`gpg --export <key-id> | base64 -w0`)."
  type = map(object({
    roles          = list(string)
    console_access = optional(bool, true)
    pgp_key        = optional(string)
  }))

  validation {
    condition     = alltrue([for user in values(var.users) : !contains(user.roles, "developer")])
    error_message = "Developers get no standing prod access: grant time-limited access with a jit_grant instead."
  }
}

variable "allowed_ip_ranges" {
  description = "CIDR ranges (office, VPN egress) every production request must come from. Required in prod."
  type        = list(string)

  validation {
    condition     = length(var.allowed_ip_ranges) > 0
    error_message = "Production access is restricted by source IP: list the office and VPN egress ranges."
  }
}

variable "allowed_vpc_endpoint_ids" {
  description = "VPC endpoint ids whose calls are allowed although they carry no source IP (e.g. CI runners inside a VPC)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags for every user."
  type        = map(string)
  default     = {}
}
