terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100.0, < 7.0.0"
    }
    jit = {
      source  = "jit-access/jit"
      version = "~> 0.1"
    }
  }
}

provider "aws" {
  region = var.region
}

# The jit provider only renders policies here (no AWS call when
# identity_center_instance_arn is set); it does not need to reach AWS.
provider "jit" {
  region = var.region
}
