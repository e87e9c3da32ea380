resource "jit_identity_center_user" "ada" {
  user_name   = "ada@example.com"
  given_name  = "Ada"
  family_name = "Lovelace"
  email       = "ada@example.com"
  # display_name defaults to "Ada Lovelace".
}
