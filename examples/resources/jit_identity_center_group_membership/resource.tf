resource "jit_identity_center_group" "kiro_pro" {
  name = "Kiro Pro"
}

resource "jit_identity_center_user" "ada" {
  user_name   = "ada@example.com"
  given_name  = "Ada"
  family_name = "Lovelace"
  email       = "ada@example.com"
}

# References (rather than names) make Terraform create the group and the
# user before the membership.
resource "jit_identity_center_group_membership" "ada_kiro_pro" {
  group = jit_identity_center_group.kiro_pro.group_id
  user  = jit_identity_center_user.ada.user_id
}
