variable "region" {
  description = "AWS region of the IAM calls."
  type        = string
  default     = "eu-west-1"
}

variable "endpoint_url" {
  description = "Endpoint for every AWS service, e.g. a local emulator. Null means real AWS."
  type        = string
  default     = null
}

variable "name_prefix" {
  description = "Prefix of every group name (`<prefix>-<env>-<role>`)."
  type        = string
  default     = "hera"
}

variable "prod_ip_ranges" {
  description = "CIDR ranges prod requests must come from."
  type        = list(string)
  default     = ["203.0.113.0/24"]
}
