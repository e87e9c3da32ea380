resource "jit_identity_center_group" "kiro_pro" {
  name        = "Kiro Pro"
  description = "Developers with a Kiro Pro subscription"
}
