# Add an existing person to a group that Terraform does not own.
data "jit_identity_center_group" "kiro_pro" {
  name = "Kiro Pro"
}

data "jit_identity_center_user" "ada" {
  user_name = "ada@example.com"
}

resource "jit_identity_center_group_membership" "ada_kiro_pro" {
  group = data.jit_identity_center_group.kiro_pro.group_id
  user  = data.jit_identity_center_user.ada.user_id
}
