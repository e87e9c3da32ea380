resource "jit_iam_env_group" "prod_infra_member" {
  name_prefix       = "hera"
  environment       = "prod"
  role              = "infra-member"
  allowed_ip_ranges = ["203.0.113.0/24", "2001:db8::/32"]

  # Calls through these VPC endpoints carry no source IP: let them through.
  allowed_vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
}

resource "jit_iam_env_group" "dev_developer" {
  name_prefix = "hera"
  environment = "dev"
  role        = "developer"
  require_mfa = true
}
