terraform {
  required_version = ">= 1.0"

  required_providers {
    jit = {
      source  = "jit-access/jit"
      version = "~> 0.1"
    }
  }
}

# Credentials come from the standard AWS chain (environment, shared config
# and SSO profiles, container and instance roles). In CI that is the OIDC
# role the workflow assumed; see the CI credentials guide.
provider "jit" {
  region = "eu-west-1" # the IAM Identity Center home Region

  grant_policy {
    max_duration         = "1h"
    max_session_duration = "1h"
    default_risk         = "high"

    permission_set {
      name = "JIT-S3FullAccess"
      risk = "low"
    }

    permission_set {
      name      = "JIT-EmergencyAdmin"
      risk      = "high"
      approvers = ["manager@example.com"]
    }
  }

  # Approvers of high-risk grants must be in JIT_VERIFIED_APPROVERS at apply.
  require_verified_approvals = true

  revoker_role_arn       = "arn:aws:iam::123456789012:role/jit-revoker"
  schedule_group         = "jit-grants"
  notification_topic_arn = "arn:aws:sns:eu-west-1:123456789012:jit-access"
}
