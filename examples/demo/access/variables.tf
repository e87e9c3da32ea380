variable "endpoint_url" {
  description = "Endpoint for every AWS service (the local emulator in the demo). Null means real AWS."
  type        = string
  default     = null
}

variable "block_mallory" {
  description = "Whether the IAM user `mallory` is blocked; false restores exactly what the block changed."
  type        = bool
  default     = true
}
