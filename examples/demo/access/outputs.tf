output "grant" {
  description = "What the grant gave, and when AWS takes it away."
  value = {
    status     = jit_grant.alice_s3.status
    risk       = jit_grant.alice_s3.risk
    expires_at = jit_grant.alice_s3.expires_at
    lease      = jit_grant.alice_s3.schedule_name
  }
}

output "mallory_block" {
  description = "The block of `mallory`, when present."
  value       = try(jit_user_block.mallory[0].status, "restored")
}
