################################################################################
# Versions
################################################################################

# Terraform >= 1.6: backend.tf.example uses the S3 backend's `assume_role`
# block, which 1.6 introduced (modules/env-access itself needs 1.3).
terraform {
  required_version = ">= 1.6"

  required_providers {
    jit = {
      source  = "jit-access/jit"
      version = "~> 0.1"
    }
  }
}
