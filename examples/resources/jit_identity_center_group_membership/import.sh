# By membership id, which the AWS CLI finds from the group and user ids:
#   aws identitystore get-group-membership-id --identity-store-id d-1234567890 \
#     --group-id <group id> --member-id UserId=<user id>
terraform import jit_identity_center_group_membership.ada_kiro_pro 9067e1c2a4-2b3c4d5e-6f70-8901-abcd-ef0123456789
