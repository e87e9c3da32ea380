# By user id (`aws identitystore list-users --identity-store-id d-1234567890`):
terraform import jit_identity_center_user.ada 9067e1c2a4-0a1b2c3d-4e5f-6789-abcd-ef0123456789

# Or by user name:
terraform import jit_identity_center_user.ada ada@example.com
