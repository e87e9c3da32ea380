# Import by group name, <name_prefix>-<environment>-<role>.
terraform import jit_iam_env_group.prod_infra_member hera-prod-infra-member
