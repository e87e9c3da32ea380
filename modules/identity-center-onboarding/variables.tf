################################################################################
# People
################################################################################

variable "people" {
  description = "People to onboard, one Identity Center user each. `user_name` is the unique sign-in name; `email` must not belong to any other Identity Center user (the apply fails and names the existing user otherwise); `display_name` defaults to `<given_name> <family_name>`; `groups` lists the group names the person joins (each from `groups` or `existing_groups`) and defaults to `default_groups`."
  type = list(object({
    user_name    = string
    given_name   = string
    family_name  = string
    email        = string
    display_name = optional(string)
    groups       = optional(list(string))
  }))
  default = []

  validation {
    condition     = alltrue([for person in var.people : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s.]{2,}$", person.email))])
    error_message = "Every email must look like `name@example.com`: one `@`, a dotted domain and no spaces."
  }

  validation {
    condition     = length(distinct([for person in var.people : person.user_name])) == length(var.people)
    error_message = "Each `user_name` may appear only once in `people`."
  }

  validation {
    condition     = length(distinct([for person in var.people : lower(person.email)])) == length(var.people)
    error_message = "Each email may appear only once in `people` (compared ignoring case): one person, one user."
  }
}

################################################################################
# Groups
################################################################################

variable "groups" {
  description = "Groups this module creates and owns, by name, each with an optional description, e.g. `{ \"Kiro Pro\" = { description = \"Kiro Pro seats\" } }`. A name that already exists in Identity Center fails the apply with the command to import it; list such groups in `existing_groups` instead."
  type = map(object({
    description = optional(string)
  }))
  default = {}
}

variable "existing_groups" {
  description = "Names of groups that already exist in Identity Center (made by hand or by another configuration). They are looked up, never created, changed or deleted; people can join them."
  type        = list(string)
  default     = []
}

variable "default_groups" {
  description = "Group names every person joins unless the person lists `groups`. Each must be in `groups` or `existing_groups`."
  type        = list(string)
  default     = []
}
