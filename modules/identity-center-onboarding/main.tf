################################################################################
# Groups
################################################################################

# A module cannot create a group "only when missing" without a lookup whose
# answer flips once the group exists (the next plan would then destroy it).
# So ownership is explicit: `groups` are created here, `existing_groups` are
# only looked up.
data "jit_identity_center_group" "existing" {
  for_each = toset(var.existing_groups)

  name = each.value
}

resource "jit_identity_center_group" "this" {
  for_each = var.groups

  name        = each.key
  description = each.value.description

  lifecycle {
    precondition {
      condition     = !contains(var.existing_groups, each.key)
      error_message = "Group `${each.key}` is listed in both `groups` and `existing_groups`; keep it in one."
    }
  }
}

locals {
  group_ids = merge(
    { for name, group in data.jit_identity_center_group.existing : name => group.group_id },
    { for name, group in jit_identity_center_group.this : name => group.group_id },
  )
  known_groups = concat(keys(var.groups), var.existing_groups)
}

################################################################################
# People
################################################################################

locals {
  people = { for person in var.people : person.user_name => person }

  # One membership per person and group, keyed "<group>/<user_name>".
  memberships = merge([
    for person in var.people : {
      for group in coalesce(person.groups, var.default_groups) :
      "${group}/${person.user_name}" => {
        group     = group
        user_name = person.user_name
      }
    }
  ]...)
}

resource "jit_identity_center_user" "this" {
  for_each = local.people

  user_name    = each.key
  given_name   = each.value.given_name
  family_name  = each.value.family_name
  email        = each.value.email
  display_name = each.value.display_name
}

resource "jit_identity_center_group_membership" "this" {
  for_each = local.memberships

  group = local.group_ids[each.value.group]
  user  = jit_identity_center_user.this[each.value.user_name].user_id

  lifecycle {
    precondition {
      condition     = contains(local.known_groups, each.value.group)
      error_message = "Group `${each.value.group}` (for `${each.value.user_name}`) is in neither `groups` nor `existing_groups`."
    }
  }
}
