################################################################################
# People
################################################################################

output "user_ids" {
  description = "Identity Center user id of each person, by `user_name`."
  value       = { for user_name, user in jit_identity_center_user.this : user_name => user.user_id }
}

output "membership_ids" {
  description = "Membership id of each person in each group, by `<group>/<user_name>`."
  value       = { for key, membership in jit_identity_center_group_membership.this : key => membership.membership_id }
}

################################################################################
# Groups
################################################################################

output "group_ids" {
  description = "Identity Center group id of every group the module knows, created (`groups`) or looked up (`existing_groups`), by name."
  value       = local.group_ids
}

output "created_group_ids" {
  description = "Group ids of the groups this module created and owns (`groups`), by name."
  value       = { for name, group in jit_identity_center_group.this : name => group.group_id }
}
