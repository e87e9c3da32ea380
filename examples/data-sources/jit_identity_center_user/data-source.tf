# By email (compared ignoring case; several users with the email is an error).
data "jit_identity_center_user" "ada" {
  email = "ada@example.com"
}

# Or by exact user name.
data "jit_identity_center_user" "grace" {
  user_name = "grace@example.com"
}

output "ada_user_id" {
  description = "Identity store user id of Ada, e.g. for a `jit_grant` principal."
  value       = data.jit_identity_center_user.ada.user_id
}
