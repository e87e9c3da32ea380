# A block placed by another state, by IAM user name:
terraform import jit_user_block.mallory_iam iam:mallory

# or by Cognito user pool id and user name:
terraform import jit_user_block.mallory_app cognito:eu-west-1_AbCdEf123:mallory

# or by Identity Center user name, email or id (add /<marker> when the user
# has several blocks):
terraform import jit_user_block.mallory_sso identity_center:mallory@example.com
