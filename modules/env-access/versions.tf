################################################################################
# Versions
################################################################################

terraform {
  # optional() attributes in object types need Terraform 1.3.
  required_version = ">= 1.3"

  required_providers {
    jit = {
      source  = "jit-access/jit"
      version = ">= 0.1.0"
    }
  }
}
