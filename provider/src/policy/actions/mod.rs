//! The provider's AWS permissions as data: every IAM action each resource
//! and data source needs, per step, and where each action comes from.
//!
//! Two tables, both in [`table`]:
//!
//! - [`ACTIONS`]: every IAM action the provider, its schedules or AWS on
//!   its behalf needs, with its access level, the resources it applies to
//!   ([`Scope`]) and its [`Origin`]: the SDK operations of `aws/` that it
//!   authorizes, a dependent action AWS checks besides an operation (from
//!   AWS's Service Authorization Reference), or the target of a lease
//!   schedule (run by EventBridge Scheduler with the revoker role).
//! - [`COMPONENTS`]: per resource and data source, per [`Step`], the actions
//!   it uses ([`Need`]), with when a conditional one is used.
//!
//! The CI role policies (`data "jit_ci_role_policy"`), the revoker role's
//! permission policy (`data "jit_revoker_role_policy"`) and
//! `docs/guides/permissions.md` are rendered from these tables. A test in
//! `tests/e2e/least_privilege.rs` reads `provider/src/aws/` and fails while
//! an operation the code calls is missing here, or an operation listed here
//! is never called; the end-to-end tests run every resource under moto's
//! IAM enforcement with exactly the rendered policies.

mod table;

pub use table::{ACTIONS, COMPONENTS};

/// A step of a resource or data source, as Terraform drives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    /// `plan` and refresh: plan a create or an update, read the object (and
    /// a data source's read). What a pull request's plan runs.
    Plan,
    /// `apply` of a new object.
    Create,
    /// `apply` of an in-place change.
    Update,
    /// `destroy` (or the destroy half of a replacement).
    Delete,
    /// `terraform import` or an `import {}` block (a plan runs it).
    Import,
    /// At a grant's expiry, EventBridge Scheduler runs the lease's target
    /// with the revoker role: no Terraform involved.
    Expire,
}

impl Step {
    /// Every step, in the order the docs show them.
    pub const ALL: [Step; 6] = [
        Step::Plan,
        Step::Create,
        Step::Update,
        Step::Delete,
        Step::Import,
        Step::Expire,
    ];

    /// The step's name in docs and messages.
    pub fn name(self) -> &'static str {
        match self {
            Step::Plan => "plan/read",
            Step::Create => "create",
            Step::Update => "update",
            Step::Delete => "delete",
            Step::Import => "import",
            Step::Expire => "expire",
        }
    }

    /// True for the steps a plan may run: the plan role's.
    pub fn runs_in_plan(self) -> bool {
        matches!(self, Step::Plan | Step::Import)
    }
}

/// What an action does, coarsely (AWS's access levels List and Read are
/// `Read`; Write, Permissions management and Tagging are `Write`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Access {
    /// Reads or lists.
    Read,
    /// Changes something.
    Write,
    /// Needs no permission (AWS allows it to every caller), e.g.
    /// `sts:GetCallerIdentity`. Listed for completeness, never rendered.
    Free,
}

/// The resources an action applies to: each becomes the `Resource` list of
/// one policy statement, narrowed by the scoping inputs when they are known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// `*`: the action supports no resource-level permissions.
    Everything,
    /// The Identity Center instance, its permission sets and the target
    /// accounts (`sso:` actions name all three or a subset).
    IdentityCenter,
    /// The identity store and its users, groups and memberships.
    IdentityStore,
    /// The grants' schedule group (`schedule-group/<group>`).
    ScheduleGroup,
    /// The schedules of that group (`schedule/<group>/*`).
    Schedules,
    /// IAM users (any name: users carry no prefix).
    IamUsers,
    /// The per-environment IAM groups (`group/<prefix>-*` when prefixes are
    /// given).
    IamEnvGroups,
    /// Any IAM group (a blocked user is removed from whatever groups it is
    /// in).
    IamAnyGroup,
    /// Virtual MFA devices (`mfa/*`).
    IamMfaDevices,
    /// Cognito user pools.
    UserPools,
    /// The notification topic (audit events and expiry notices).
    NotificationTopic,
    /// The audit log's bucket and the objects under its prefix.
    AuditLog,
    /// The revoker role, passed to EventBridge Scheduler.
    RevokerRole,
    /// The expiry dead-letter queue.
    DeadLetterQueue,
    /// The `AWSReservedSSO_*` roles Identity Center provisions in the
    /// account the provider runs in.
    SsoReservedRoles,
    /// The `AWSSSO_*` SAML provider Identity Center creates there.
    SsoSamlProvider,
}

impl Scope {
    /// A short statement id for this scope.
    pub fn sid(self) -> &'static str {
        match self {
            Scope::Everything => "NoResourceLevelPermissions",
            Scope::IdentityCenter => "IdentityCenter",
            Scope::IdentityStore => "IdentityStore",
            Scope::ScheduleGroup => "LeaseScheduleGroup",
            Scope::Schedules => "LeaseSchedules",
            Scope::IamUsers => "IamUsers",
            Scope::IamEnvGroups => "IamEnvironmentGroups",
            Scope::IamAnyGroup => "IamGroupsOfBlockedUsers",
            Scope::IamMfaDevices => "IamVirtualMfaDevices",
            Scope::UserPools => "CognitoUserPools",
            Scope::NotificationTopic => "NotificationTopic",
            Scope::AuditLog => "AuditLogBucket",
            Scope::RevokerRole => "PassRevokerRoleToScheduler",
            Scope::DeadLetterQueue => "ExpiryDeadLetterQueue",
            Scope::SsoReservedRoles => "IdentityCenterRolesInThisAccount",
            Scope::SsoSamlProvider => "IdentityCenterSamlProviderInThisAccount",
        }
    }
}

/// Where an action comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The SDK operations of `aws/` it authorizes: `(service, operation)`,
    /// the service as `aws/` names it in `aws_error` (`sso-admin`,
    /// `identitystore`, `iam`, …).
    Calls(&'static [(&'static str, &'static str)]),
    /// AWS checks it besides the operation's own action; the emulator does
    /// not. `of` names the actions it depends on.
    Dependent {
        /// The actions whose call needs it.
        of: &'static [&'static str],
        /// Where AWS documents it.
        reference: &'static str,
    },
    /// A lease schedule's target: EventBridge Scheduler calls it with the
    /// revoker role.
    ScheduleTarget {
        /// The target, as the provider writes it into the schedule.
        target: &'static str,
        /// Where AWS documents the permission.
        reference: &'static str,
    },
}

/// A condition the action's statement carries: `operator`, `key`, `value`.
pub type Condition = (&'static str, &'static str, &'static str);

/// One IAM action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    /// `service:Action`.
    pub name: &'static str,
    /// Read, write or free.
    pub access: Access,
    /// What resources it applies to.
    pub scope: Scope,
    /// Where it comes from (an action may be both called by `aws/` and a
    /// schedule's target).
    pub origins: &'static [Origin],
    /// A condition its statement must carry, e.g. `iam:PassedToService`.
    pub condition: Option<Condition>,
}

/// Whether a needed action goes into a rendered policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Gate {
    /// Always rendered.
    Always,
    /// Only with a notification topic (`notification_topic_arn`).
    Topic,
    /// Only with an S3 audit log (`audit_s3_bucket`).
    AuditBucket,
    /// Only with a dead-letter queue (`expiry_dead_letter_queue_arn`).
    DeadLetterQueue,
    /// Only when the CI role may create the schedule group
    /// (`create_schedule_group = true`; `examples/bootstrap` creates it).
    ScheduleGroupCreation,
    /// Only for grants into the account the provider runs in (the
    /// organization's management account):
    /// `management_account_assignments = true`.
    ManagementAccount,
    /// Only when a permission set of the grant policy has
    /// `end_sessions_on_revoke = true` (the data source's
    /// `end_sessions_on_revoke`, by default read from the provider block).
    EndSessions,
}

/// One action a component uses in one step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// `service:Action`, an entry of [`ACTIONS`].
    pub action: &'static str,
    /// When it is used, if not every time (for the docs).
    pub when: Option<&'static str>,
    /// Whether the rendered policy includes it.
    pub gate: Gate,
}

impl Need {
    /// Used every time.
    pub const fn always(action: &'static str) -> Self {
        Self {
            action,
            when: None,
            gate: Gate::Always,
        }
    }

    /// Used only `when` …; still always rendered.
    pub const fn when(action: &'static str, when: &'static str) -> Self {
        Self {
            action,
            when: Some(when),
            gate: Gate::Always,
        }
    }

    /// Used only `when` …, and rendered only through `gate`.
    pub const fn gated(action: &'static str, gate: Gate, when: &'static str) -> Self {
        Self {
            action,
            when: Some(when),
            gate,
        }
    }
}

/// What kind of thing a component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A resource (`jit_grant`).
    Resource,
    /// A data source (`data "jit_access_review"`).
    DataSource,
    /// The lease schedules of `jit_grant`, run by EventBridge Scheduler.
    Schedules,
}

/// A resource, data source or the grants' schedules, with its needs per
/// step. Each step lists groups of needs (shared groups such as the audit
/// sink's are written once).
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// `jit_grant`, `data.jit_access_review`, `jit_grant expiry`.
    pub name: &'static str,
    /// Resource, data source or schedules.
    pub kind: Kind,
    /// Needs per step; steps not listed need nothing.
    pub steps: &'static [(Step, &'static [&'static [Need]])],
}

impl Component {
    /// The needs of one step, in table order, without repeats.
    pub fn needs(&self, step: Step) -> Vec<Need> {
        let mut out: Vec<Need> = Vec::new();
        for (at, groups) in self.steps {
            if *at != step {
                continue;
            }
            for need in groups.iter().flat_map(|g| g.iter()) {
                if !out.iter().any(|n| n.action == need.action) {
                    out.push(*need);
                }
            }
        }
        out
    }

    /// Every need of every step.
    pub fn all_needs(&self) -> Vec<(Step, Need)> {
        Step::ALL
            .iter()
            .flat_map(|step| self.needs(*step).into_iter().map(move |n| (*step, n)))
            .collect()
    }
}

/// The action named `name`, if the table lists it.
pub fn action(name: &str) -> Option<&'static Action> {
    ACTIONS.iter().find(|a| a.name == name)
}

/// The component named `name` (`jit_grant`, `data.jit_access_review`, …).
pub fn component(name: &str) -> Option<&'static Component> {
    COMPONENTS.iter().find(|c| c.name == name)
}

/// Every `(service, operation)` the table says `aws/` calls.
pub fn calls() -> Vec<(&'static str, &'static str, &'static str)> {
    ACTIONS
        .iter()
        .flat_map(|a| {
            a.origins.iter().flat_map(move |origin| match origin {
                Origin::Calls(calls) => calls
                    .iter()
                    .map(|(service, operation)| (*service, *operation, a.name))
                    .collect::<Vec<_>>(),
                _ => Vec::new(),
            })
        })
        .collect()
}

/// The IAM action that authorizes `operation` of `service`, if listed.
pub fn action_of_call(service: &str, operation: &str) -> Option<&'static str> {
    calls()
        .into_iter()
        .find(|(s, o, _)| *s == service && *o == operation)
        .map(|(_, _, action)| action)
}

#[cfg(test)]
mod tests;
