# By group id:
terraform import jit_identity_center_group.kiro_pro 9067e1c2a4-1a2b3c4d-5e6f-7890-abcd-ef0123456789

# Or by the exact group name:
terraform import jit_identity_center_group.kiro_pro "Kiro Pro"
