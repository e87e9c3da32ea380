################################################################################
# Versions
################################################################################

terraform {
  # optional() object attributes and lifecycle preconditions.
  required_version = ">= 1.3"

  required_providers {
    jit = {
      source  = "jit-access/jit"
      version = ">= 0.1.0"
    }
  }
}
