# Low risk (`risk = "low"` in the provider's grant_policy): no approver needed.
resource "jit_grant" "alice_s3" {
  principal      = "alice@example.com"
  account_id     = "123456789012"
  permission_set = "JIT-S3FullAccess"
  duration       = "1h"
  reason         = "Investigate the failing lifecycle rule of the logs bucket"
  ticket         = "INC-42"
  requested_by   = "alice@example.com"
}

# High risk: an approver from the permission set's `approvers` list, who is
# neither the requester, the principal nor the pull request's author. With
# verified approvals on, the apply checks that the approver approved the
# pull request (JIT_VERIFIED_APPROVERS).
resource "jit_grant" "alice_emergency" {
  principal      = "alice@example.com"
  account_id     = "123456789012"
  permission_set = "JIT-EmergencyAdmin"
  duration       = "30m"
  reason         = "Restore the deleted KMS key policy of the payments bucket"
  ticket         = "INC-4711"
  requested_by   = "alice@example.com"
  approved_by    = ["manager@example.com"]
}

# A group of on-call engineers; no member of the group may approve.
resource "jit_grant" "oncall_readonly" {
  principal      = "Oncall"
  principal_type = "GROUP"
  account_id     = "123456789012"
  permission_set = "JIT-ReadOnly"
  duration       = "1h"
  reason         = "Read-only look at the payments account during the incident"
  ticket         = "INC-4711"
  requested_by   = "alice@example.com"
  approved_by    = ["bob@example.com"]
}
