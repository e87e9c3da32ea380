# Import by IAM user name. The user's environment comes from its
# jit:name-prefix / jit:environment tags, else from its role groups.
terraform import jit_iam_env_user.alice alice
