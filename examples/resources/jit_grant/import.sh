# A grant is imported from its lease: the schedule name in the provider's
# schedule_group (the grant's `schedule_name`, `jit-<key hash>-<grant id>`).
# `reason`, `ticket`, `requested_by` and `approved_by` are then taken from the
# configuration by the next apply, in place.
terraform import jit_grant.alice_s3 jit-4f1c2a9e8b7d6c5a-0123456789abcdef
