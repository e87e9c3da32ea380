//! The tables themselves. To add an AWS call: add its operation to the
//! `Origin::Calls` of its action in [`ACTIONS`] (or a new action), then the
//! action to the steps that call it in [`COMPONENTS`]. The drift test names
//! what is missing.

use super::Access::{Free, Read, Write};
use super::Origin::{Calls, Dependent, ScheduleTarget};
use super::Scope::*;
use super::{Action, Component, Gate, Kind, Need, Step};

/// The Service Authorization Reference (SAR) chapters cited below.
const SAR_SCHEDULER: &str = "Service Authorization Reference, Amazon EventBridge Scheduler: CreateSchedule and UpdateSchedule, dependent action iam:PassRole (AWS managed policy AmazonEventBridgeSchedulerFullAccess grants it with iam:PassedToService = scheduler.amazonaws.com)";
const SAR_IAM_TAGS: &str = "Service Authorization Reference, IAM: CreateUser with tags (aws:RequestTag, aws:TagKeys) needs iam:TagUser";
const SSO_MANAGEMENT_ACCOUNT: &str = "IAM Identity Center User Guide, \"Delegate who can assign single sign-on access to users and groups in the management account\"; AWS managed policy AWSSSOServiceRolePolicy (v17) lets the service-linked role create these roles and the SAML provider in every account except the organization's management account, where the caller's own permissions are used";
const SCHEDULER_UNIVERSAL_TARGET: &str = "EventBridge Scheduler User Guide, universal targets: the execution role needs the target API's action";
const SCHEDULER_SNS_TARGET: &str =
    "EventBridge Scheduler User Guide, templated targets: Amazon SNS Publish needs sns:Publish";
const SCHEDULER_DLQ: &str = "EventBridge Scheduler User Guide, \"Configuring a schedule's dead-letter queue\": the execution role needs sqs:SendMessage";

/// Every IAM action the provider, its schedules or AWS on its behalf needs.
pub const ACTIONS: &[Action] = &[
    // ------------------------------------------------------------ sso-admin
    act(
        "sso:ListInstances",
        Read,
        Everything,
        &[Calls(&[("sso-admin", "ListInstances")])],
    ),
    act(
        "sso:ListPermissionSets",
        Read,
        IdentityCenter,
        &[Calls(&[("sso-admin", "ListPermissionSets")])],
    ),
    act(
        "sso:DescribePermissionSet",
        Read,
        IdentityCenter,
        &[Calls(&[("sso-admin", "DescribePermissionSet")])],
    ),
    act(
        "sso:ListAccountAssignments",
        Read,
        IdentityCenter,
        &[Calls(&[("sso-admin", "ListAccountAssignments")])],
    ),
    act(
        "sso:CreateAccountAssignment",
        Write,
        IdentityCenter,
        &[Calls(&[("sso-admin", "CreateAccountAssignment")])],
    ),
    act(
        "sso:DeleteAccountAssignment",
        Write,
        IdentityCenter,
        &[
            Calls(&[("sso-admin", "DeleteAccountAssignment")]),
            ScheduleTarget {
                target: "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment",
                reference: SCHEDULER_UNIVERSAL_TARGET,
            },
        ],
    ),
    act(
        "sso:DescribeAccountAssignmentCreationStatus",
        Read,
        IdentityCenter,
        &[Calls(&[(
            "sso-admin",
            "DescribeAccountAssignmentCreationStatus",
        )])],
    ),
    act(
        "sso:DescribeAccountAssignmentDeletionStatus",
        Read,
        IdentityCenter,
        &[Calls(&[(
            "sso-admin",
            "DescribeAccountAssignmentDeletionStatus",
        )])],
    ),
    act(
        "sso:ListAccountAssignmentsForPrincipal",
        Read,
        IdentityCenter,
        &[Calls(&[(
            "sso-admin",
            "ListAccountAssignmentsForPrincipal",
        )])],
    ),
    act(
        "sso:ListAccountsForProvisionedPermissionSet",
        Read,
        IdentityCenter,
        &[Calls(&[(
            "sso-admin",
            "ListAccountsForProvisionedPermissionSet",
        )])],
    ),
    act(
        "sso:GetInlinePolicyForPermissionSet",
        Read,
        IdentityCenter,
        &[Calls(&[("sso-admin", "GetInlinePolicyForPermissionSet")])],
    ),
    act(
        "sso:PutInlinePolicyToPermissionSet",
        Write,
        IdentityCenter,
        &[Calls(&[("sso-admin", "PutInlinePolicyToPermissionSet")])],
    ),
    act(
        "sso:DeleteInlinePolicyFromPermissionSet",
        Write,
        IdentityCenter,
        &[Calls(&[(
            "sso-admin",
            "DeleteInlinePolicyFromPermissionSet",
        )])],
    ),
    act(
        "sso:ProvisionPermissionSet",
        Write,
        IdentityCenter,
        &[Calls(&[("sso-admin", "ProvisionPermissionSet")])],
    ),
    // -------------------------------------------------------- identitystore
    act(
        "identitystore:GetUserId",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "GetUserId")])],
    ),
    act(
        "identitystore:DescribeUser",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "DescribeUser")])],
    ),
    act(
        "identitystore:ListUsers",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "ListUsers")])],
    ),
    act(
        "identitystore:GetGroupId",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "GetGroupId")])],
    ),
    act(
        "identitystore:DescribeGroup",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "DescribeGroup")])],
    ),
    act(
        "identitystore:ListGroupMemberships",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "ListGroupMemberships")])],
    ),
    act(
        "identitystore:ListGroupMembershipsForMember",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "ListGroupMembershipsForMember")])],
    ),
    act(
        "identitystore:GetGroupMembershipId",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "GetGroupMembershipId")])],
    ),
    act(
        "identitystore:DescribeGroupMembership",
        Read,
        IdentityStore,
        &[Calls(&[("identitystore", "DescribeGroupMembership")])],
    ),
    act(
        "identitystore:CreateUser",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "CreateUser")])],
    ),
    act(
        "identitystore:UpdateUser",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "UpdateUser")])],
    ),
    act(
        "identitystore:DeleteUser",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "DeleteUser")])],
    ),
    act(
        "identitystore:CreateGroup",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "CreateGroup")])],
    ),
    act(
        "identitystore:UpdateGroup",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "UpdateGroup")])],
    ),
    act(
        "identitystore:DeleteGroup",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "DeleteGroup")])],
    ),
    act(
        "identitystore:CreateGroupMembership",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "CreateGroupMembership")])],
    ),
    act(
        "identitystore:DeleteGroupMembership",
        Write,
        IdentityStore,
        &[Calls(&[("identitystore", "DeleteGroupMembership")])],
    ),
    // ------------------------------------------------------------ scheduler
    act(
        "scheduler:ListSchedules",
        Read,
        Everything,
        &[Calls(&[("scheduler", "ListSchedules")])],
    ),
    act(
        "scheduler:GetSchedule",
        Read,
        Schedules,
        &[Calls(&[("scheduler", "GetSchedule")])],
    ),
    act(
        "scheduler:CreateSchedule",
        Write,
        Schedules,
        &[Calls(&[("scheduler", "CreateSchedule")])],
    ),
    act(
        "scheduler:UpdateSchedule",
        Write,
        Schedules,
        &[Calls(&[("scheduler", "UpdateSchedule")])],
    ),
    act(
        "scheduler:DeleteSchedule",
        Write,
        Schedules,
        &[Calls(&[("scheduler", "DeleteSchedule")])],
    ),
    act(
        "scheduler:GetScheduleGroup",
        Read,
        ScheduleGroup,
        &[Calls(&[("scheduler", "GetScheduleGroup")])],
    ),
    act(
        "scheduler:CreateScheduleGroup",
        Write,
        ScheduleGroup,
        &[Calls(&[("scheduler", "CreateScheduleGroup")])],
    ),
    Action {
        name: "iam:PassRole",
        access: Write,
        scope: RevokerRole,
        origins: &[Dependent {
            of: &["scheduler:CreateSchedule", "scheduler:UpdateSchedule"],
            reference: SAR_SCHEDULER,
        }],
        condition: Some((
            "StringEquals",
            "iam:PassedToService",
            "scheduler.amazonaws.com",
        )),
    },
    // ------------------------------------------------------------------ iam
    act(
        "iam:GetUser",
        Read,
        IamUsers,
        &[Calls(&[("iam", "GetUser")])],
    ),
    act(
        "iam:ListUsers",
        Read,
        Everything,
        &[Calls(&[("iam", "ListUsers")])],
    ),
    act(
        "iam:ListUserTags",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListUserTags")])],
    ),
    act(
        "iam:CreateUser",
        Write,
        IamUsers,
        &[Calls(&[("iam", "CreateUser")])],
    ),
    act(
        "iam:DeleteUser",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteUser")])],
    ),
    act(
        "iam:TagUser",
        Write,
        IamUsers,
        &[
            Calls(&[("iam", "TagUser")]),
            Dependent {
                of: &["iam:CreateUser"],
                reference: SAR_IAM_TAGS,
            },
        ],
    ),
    act(
        "iam:UntagUser",
        Write,
        IamUsers,
        &[Calls(&[("iam", "UntagUser")])],
    ),
    act(
        "iam:ListGroupsForUser",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListGroupsForUser")])],
    ),
    act(
        "iam:GetUserPolicy",
        Read,
        IamUsers,
        &[Calls(&[("iam", "GetUserPolicy")])],
    ),
    act(
        "iam:PutUserPolicy",
        Write,
        IamUsers,
        &[Calls(&[("iam", "PutUserPolicy")])],
    ),
    act(
        "iam:DeleteUserPolicy",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteUserPolicy")])],
    ),
    act(
        "iam:ListUserPolicies",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListUserPolicies")])],
    ),
    act(
        "iam:ListAttachedUserPolicies",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListAttachedUserPolicies")])],
    ),
    act(
        "iam:DetachUserPolicy",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DetachUserPolicy")])],
    ),
    act(
        "iam:ListAccessKeys",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListAccessKeys")])],
    ),
    act(
        "iam:UpdateAccessKey",
        Write,
        IamUsers,
        &[Calls(&[("iam", "UpdateAccessKey")])],
    ),
    act(
        "iam:DeleteAccessKey",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteAccessKey")])],
    ),
    act(
        "iam:GetAccessKeyLastUsed",
        Read,
        IamUsers,
        &[Calls(&[("iam", "GetAccessKeyLastUsed")])],
    ),
    act(
        "iam:ListSSHPublicKeys",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListSSHPublicKeys")])],
    ),
    act(
        "iam:DeleteSSHPublicKey",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteSSHPublicKey")])],
    ),
    act(
        "iam:ListSigningCertificates",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListSigningCertificates")])],
    ),
    act(
        "iam:DeleteSigningCertificate",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteSigningCertificate")])],
    ),
    act(
        "iam:ListMFADevices",
        Read,
        IamUsers,
        &[Calls(&[("iam", "ListMFADevices")])],
    ),
    act(
        "iam:DeactivateMFADevice",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeactivateMFADevice")])],
    ),
    act(
        "iam:DeleteVirtualMFADevice",
        Write,
        IamMfaDevices,
        &[Calls(&[("iam", "DeleteVirtualMFADevice")])],
    ),
    act(
        "iam:GetLoginProfile",
        Read,
        IamUsers,
        &[Calls(&[("iam", "GetLoginProfile")])],
    ),
    act(
        "iam:CreateLoginProfile",
        Write,
        IamUsers,
        &[Calls(&[("iam", "CreateLoginProfile")])],
    ),
    act(
        "iam:UpdateLoginProfile",
        Write,
        IamUsers,
        &[Calls(&[("iam", "UpdateLoginProfile")])],
    ),
    act(
        "iam:DeleteLoginProfile",
        Write,
        IamUsers,
        &[Calls(&[("iam", "DeleteLoginProfile")])],
    ),
    act(
        "iam:GetAccountPasswordPolicy",
        Read,
        Everything,
        &[Calls(&[("iam", "GetAccountPasswordPolicy")])],
    ),
    act(
        "iam:GetGroup",
        Read,
        IamAnyGroup,
        &[Calls(&[("iam", "GetGroup")])],
    ),
    act(
        "iam:CreateGroup",
        Write,
        IamEnvGroups,
        &[Calls(&[("iam", "CreateGroup")])],
    ),
    act(
        "iam:DeleteGroup",
        Write,
        IamEnvGroups,
        &[Calls(&[("iam", "DeleteGroup")])],
    ),
    act(
        "iam:GetGroupPolicy",
        Read,
        IamEnvGroups,
        &[Calls(&[("iam", "GetGroupPolicy")])],
    ),
    act(
        "iam:PutGroupPolicy",
        Write,
        IamEnvGroups,
        &[Calls(&[("iam", "PutGroupPolicy")])],
    ),
    act(
        "iam:DeleteGroupPolicy",
        Write,
        IamEnvGroups,
        &[Calls(&[("iam", "DeleteGroupPolicy")])],
    ),
    act(
        "iam:ListGroupPolicies",
        Read,
        IamEnvGroups,
        &[Calls(&[("iam", "ListGroupPolicies")])],
    ),
    act(
        "iam:ListAttachedGroupPolicies",
        Read,
        IamEnvGroups,
        &[Calls(&[("iam", "ListAttachedGroupPolicies")])],
    ),
    act(
        "iam:DetachGroupPolicy",
        Write,
        IamEnvGroups,
        &[Calls(&[("iam", "DetachGroupPolicy")])],
    ),
    act(
        "iam:AddUserToGroup",
        Write,
        IamAnyGroup,
        &[Calls(&[("iam", "AddUserToGroup")])],
    ),
    act(
        "iam:RemoveUserFromGroup",
        Write,
        IamAnyGroup,
        &[Calls(&[("iam", "RemoveUserFromGroup")])],
    ),
    // Identity Center provisions AWSReservedSSO_* roles (and its SAML
    // provider) with the caller's permissions only in the management
    // account; elsewhere its service-linked role does it.
    mgmt("iam:CreateRole", SsoReservedRoles),
    mgmt("iam:AttachRolePolicy", SsoReservedRoles),
    mgmt("iam:PutRolePolicy", SsoReservedRoles),
    mgmt("iam:UpdateRole", SsoReservedRoles),
    mgmt("iam:UpdateRoleDescription", SsoReservedRoles),
    mgmt("iam:UpdateAssumeRolePolicy", SsoReservedRoles),
    mgmt("iam:PutRolePermissionsBoundary", SsoReservedRoles),
    mgmt("iam:DeleteRolePermissionsBoundary", SsoReservedRoles),
    mgmt("iam:CreateSAMLProvider", SsoSamlProvider),
    // ---------------------------------------------------------- cognito-idp
    act(
        "cognito-idp:DescribeUserPool",
        Read,
        UserPools,
        &[Calls(&[("cognito-idp", "DescribeUserPool")])],
    ),
    act(
        "cognito-idp:ListUserPoolClients",
        Read,
        UserPools,
        &[Calls(&[("cognito-idp", "ListUserPoolClients")])],
    ),
    act(
        "cognito-idp:DescribeUserPoolClient",
        Read,
        UserPools,
        &[Calls(&[("cognito-idp", "DescribeUserPoolClient")])],
    ),
    act(
        "cognito-idp:AdminGetUser",
        Read,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminGetUser")])],
    ),
    act(
        "cognito-idp:AdminUpdateUserAttributes",
        Write,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminUpdateUserAttributes")])],
    ),
    act(
        "cognito-idp:AdminDeleteUserAttributes",
        Write,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminDeleteUserAttributes")])],
    ),
    act(
        "cognito-idp:AdminUserGlobalSignOut",
        Write,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminUserGlobalSignOut")])],
    ),
    act(
        "cognito-idp:AdminDisableUser",
        Write,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminDisableUser")])],
    ),
    act(
        "cognito-idp:AdminEnableUser",
        Write,
        UserPools,
        &[Calls(&[("cognito-idp", "AdminEnableUser")])],
    ),
    // ------------------------------------------------------------ sns / sts
    act(
        "sns:Publish",
        Write,
        NotificationTopic,
        &[
            Calls(&[("sns", "Publish")]),
            ScheduleTarget {
                target: "notification_topic_arn",
                reference: SCHEDULER_SNS_TARGET,
            },
        ],
    ),
    // ------------------------------------------------------ s3 (audit log)
    act(
        "s3:PutObject",
        Write,
        AuditLog,
        &[Calls(&[("s3", "PutObject")])],
    ),
    act(
        "s3:GetObject",
        Read,
        AuditLog,
        &[Calls(&[("s3", "GetObject")])],
    ),
    act(
        "s3:ListBucket",
        Read,
        AuditLog,
        &[Calls(&[("s3", "ListObjectsV2")])],
    ),
    act(
        "sts:GetCallerIdentity",
        Free,
        Everything,
        &[Calls(&[("sts", "GetCallerIdentity")])],
    ),
    // ------------------------------------------ lease target (revoker role)
    Action {
        name: "sqs:SendMessage",
        access: Write,
        scope: DeadLetterQueue,
        origins: &[Dependent {
            of: &["sso:DeleteAccountAssignment", "sns:Publish"],
            reference: SCHEDULER_DLQ,
        }],
        condition: None,
    },
];

const fn act(
    name: &'static str,
    access: super::Access,
    scope: super::Scope,
    origins: &'static [super::Origin],
) -> Action {
    Action {
        name,
        access,
        scope,
        origins,
        condition: None,
    }
}

const fn mgmt(name: &'static str, scope: super::Scope) -> Action {
    Action {
        name,
        access: Write,
        scope,
        origins: &[Dependent {
            of: &["sso:CreateAccountAssignment"],
            reference: SSO_MANAGEMENT_ACCOUNT,
        }],
        condition: None,
    }
}

// ------------------------------------------------------------ shared needs

const CI_IDENTITY: &str =
    "no CI identity in the environment (`JIT_APPLIED_BY`, `GITHUB_ACTOR`, …): the audit event's `appliedBy`";

/// The audit sink, on every change it records.
const AUDIT: &[Need] = &[
    Need::gated(
        "sns:Publish",
        Gate::Topic,
        "`notification_topic_arn` is set: the audit event",
    ),
    Need::gated(
        "s3:PutObject",
        Gate::AuditBucket,
        "`audit_s3_bucket` is set: one object per audit event",
    ),
    Need::gated(
        "s3:ListBucket",
        Gate::AuditBucket,
        "`audit_s3_bucket` is set: the first event of a process finds the log's head",
    ),
    Need::gated(
        "s3:GetObject",
        Gate::AuditBucket,
        "`audit_s3_bucket` is set: the log's head, and an event whose answer was lost",
    ),
    Need::when("sts:GetCallerIdentity", CI_IDENTITY),
];

/// The Identity Center instance, discovered once per process.
const INSTANCE: &[Need] = &[Need::when(
    "sso:ListInstances",
    "`identity_center_instance_arn` and `identity_store_id` are not both set",
)];

/// A grant's permission set and principal.
const GRANT_LOOKUPS: &[Need] = &[
    Need::when(
        "sso:ListPermissionSets",
        "`permission_set` is a name: every set is described once per process",
    ),
    Need::always("sso:DescribePermissionSet"),
    Need::when(
        "identitystore:GetUserId",
        "`principal_type = \"USER\"` by user name",
    ),
    Need::when(
        "identitystore:DescribeUser",
        "`principal_type = \"USER\"`; or a group's members, below",
    ),
    Need::when(
        "identitystore:GetGroupId",
        "`principal_type = \"GROUP\"` by display name",
    ),
    Need::when(
        "identitystore:DescribeGroup",
        "`principal_type = \"GROUP\"`",
    ),
    Need::when(
        "identitystore:ListGroupMemberships",
        "`principal_type = \"GROUP\"` with `approved_by`: no approver may be a member",
    ),
];

/// The assignment and the leases of one assignment key.
const LEASES: &[Need] = &[
    Need::always("sso:ListAccountAssignments"),
    Need::always("scheduler:ListSchedules"),
    Need::when(
        "scheduler:GetSchedule",
        "a lease of the same access exists (and, when reading, the grant's own lease)",
    ),
];

/// A lease or notice written: Scheduler checks that the caller may pass
/// the revoker role.
const PASS_REVOKER: Need = Need::always("iam:PassRole");

/// Creating an assignment in the management account the provider runs in.
const MANAGEMENT_ACCOUNT: &[Need] = &[
    mgmt_need("iam:CreateRole"),
    mgmt_need("iam:AttachRolePolicy"),
    mgmt_need("iam:PutRolePolicy"),
    mgmt_need("iam:UpdateRole"),
    mgmt_need("iam:UpdateRoleDescription"),
    mgmt_need("iam:UpdateAssumeRolePolicy"),
    mgmt_need("iam:PutRolePermissionsBoundary"),
    mgmt_need("iam:DeleteRolePermissionsBoundary"),
    mgmt_need("iam:CreateSAMLProvider"),
];

const fn mgmt_need(action: &'static str) -> Need {
    Need::gated(
        action,
        Gate::ManagementAccount,
        "`account_id` is the management account the provider runs in",
    )
}

// ---------------------------------------------------------------- jit_grant

const GRANT_CREATE: &[Need] = &[
    Need::always("scheduler:GetScheduleGroup"),
    Need::gated(
        "scheduler:CreateScheduleGroup",
        Gate::ScheduleGroupCreation,
        "the schedule group does not exist yet",
    ),
    Need::always("scheduler:CreateSchedule"),
    PASS_REVOKER,
    Need::when(
        "sso:CreateAccountAssignment",
        "no grant of the same access holds the assignment already",
    ),
    Need::when(
        "sso:DescribeAccountAssignmentCreationStatus",
        "Identity Center answers `IN_PROGRESS`",
    ),
    Need::when(
        "scheduler:UpdateSchedule",
        "other leases of the same access: only the latest-expiring stays enabled",
    ),
    Need::when(
        "scheduler:DeleteSchedule",
        "the assignment failed (the lease is removed), or a replaced grant handed its lease over",
    ),
];

const GRANT_DELETE: &[Need] = &[
    Need::always("scheduler:ListSchedules"),
    Need::when(
        "scheduler:GetSchedule",
        "the grant's lease or another of the same access exists",
    ),
    Need::when(
        "scheduler:UpdateSchedule",
        "another live grant of the same access takes over, or a replacement is handed the lease",
    ),
    Need::when("iam:PassRole", "a lease is updated"),
    Need::when(
        "sso:DeleteAccountAssignment",
        "no other live grant of the same access remains",
    ),
    Need::when(
        "sso:DescribeAccountAssignmentDeletionStatus",
        "Identity Center answers `IN_PROGRESS`",
    ),
    Need::always("scheduler:DeleteSchedule"),
];

/// `end_sessions_on_revoke`: the deny statement of a revoke and the
/// pruning of expired ones, in the permission set's inline policy.
const END_SESSIONS: &[Need] = &[
    Need::gated(
        "sso:DescribePermissionSet",
        Gate::EndSessions,
        "`end_sessions_on_revoke`: the permission set's name and session duration",
    ),
    Need::gated(
        "sso:GetInlinePolicyForPermissionSet",
        Gate::EndSessions,
        "`end_sessions_on_revoke`: the statements already there",
    ),
    Need::gated(
        "sso:PutInlinePolicyToPermissionSet",
        Gate::EndSessions,
        "`end_sessions_on_revoke`: the revoke's deny statement, or expired ones pruned",
    ),
    Need::gated(
        "sso:DeleteInlinePolicyFromPermissionSet",
        Gate::EndSessions,
        "`end_sessions_on_revoke`: pruning left no statement",
    ),
];

/// The revoke's deny goes live in the grant's account.
const END_SESSIONS_PROVISION: &[Need] = &[Need::gated(
    "sso:ProvisionPermissionSet",
    Gate::EndSessions,
    "`end_sessions_on_revoke`: a revoke removed a USER grant's assignment",
)];

const GRANT_IMPORT: &[Need] = &[
    Need::always("scheduler:GetSchedule"),
    Need::always("sso:DescribePermissionSet"),
    Need::always("sso:ListAccountAssignments"),
    Need::when(
        "scheduler:ListSchedules",
        "the grant has expired but is still assigned",
    ),
];

const EXPIRY: &[Need] = &[
    Need::always("sso:DeleteAccountAssignment"),
    Need::gated(
        "sns:Publish",
        Gate::Topic,
        "`notification_topic_arn` is set: the expiry notice",
    ),
    Need::gated(
        "sqs:SendMessage",
        Gate::DeadLetterQueue,
        "`expiry_dead_letter_queue_arn` is set and an expiry failed for good",
    ),
];

// ----------------------------------------------------------- jit_user_block

const BLOCK_IAM_READ: &[Need] = &[
    Need::when("iam:GetUser", "`iam` block"),
    Need::when("iam:GetUserPolicy", "`iam` block: the block's deny policy"),
    Need::when("iam:ListUserPolicies", "`iam` block"),
    Need::when("iam:ListAccessKeys", "`iam` block"),
    Need::when("iam:ListGroupsForUser", "`iam` block"),
    Need::when(
        "iam:ListUserTags",
        "`iam` block: the records of this and of other blocks of the user",
    ),
];

const BLOCK_IC_READ: &[Need] = &[
    Need::when(
        "sso:ListInstances",
        "`identity_center` block, and `identity_center_instance_arn` and `identity_store_id` are not both set",
    ),
    Need::when(
        "identitystore:GetUserId",
        "`identity_center` block: `user` by user name",
    ),
    Need::when(
        "identitystore:DescribeUser",
        "`identity_center` block: `user` by id",
    ),
    Need::when(
        "identitystore:ListUsers",
        "`identity_center` block: `user` by email",
    ),
    Need::when(
        "sso:ListPermissionSets",
        "`identity_center` block: every permission set carries the deny statement",
    ),
    Need::when(
        "sso:GetInlinePolicyForPermissionSet",
        "`identity_center` block: the deny statement with the block's marker",
    ),
    Need::when(
        "sso:ListAccountsForProvisionedPermissionSet",
        "`identity_center` block: where the permission sets are provisioned",
    ),
    Need::when(
        "sso:ListAccountAssignmentsForPrincipal",
        "`identity_center` block: the user's assignments",
    ),
    Need::when(
        "identitystore:ListGroupMembershipsForMember",
        "`identity_center` block: the user's group memberships",
    ),
];

/// Writes of an Identity Center block and of its restore.
const BLOCK_IC_WRITE: &[Need] = &[
    Need::when(
        "sso:PutInlinePolicyToPermissionSet",
        "`identity_center` block: the deny statement",
    ),
    Need::when(
        "sso:DeleteInlinePolicyFromPermissionSet",
        "`identity_center` block: restore leaves no statement in the inline policy",
    ),
    Need::when(
        "sso:ProvisionPermissionSet",
        "`identity_center` block: push the changed policy to the accounts",
    ),
    Need::when(
        "scheduler:ListSchedules",
        "`identity_center` block of a user with assignments: which are JIT grants'",
    ),
    Need::when(
        "scheduler:GetSchedule",
        "`identity_center` block of a user with JIT grants' assignments",
    ),
];

const BLOCK_IC_BLOCK: &[Need] = &[
    Need::when(
        "identitystore:DeleteGroupMembership",
        "`identity_center` block of a user in groups",
    ),
    Need::when(
        "sso:DeleteAccountAssignment",
        "`identity_center` block of a user with assignments",
    ),
    Need::when(
        "sso:DescribeAccountAssignmentDeletionStatus",
        "Identity Center answers `IN_PROGRESS`",
    ),
];

const BLOCK_IC_RESTORE: &[Need] = &[
    Need::when(
        "identitystore:DescribeGroup",
        "`identity_center` block that removed group memberships",
    ),
    Need::when(
        "identitystore:CreateGroupMembership",
        "`identity_center` block that removed group memberships",
    ),
    Need::when(
        "sso:CreateAccountAssignment",
        "`identity_center` block that removed assignments",
    ),
    Need::when(
        "sso:DescribeAccountAssignmentCreationStatus",
        "Identity Center answers `IN_PROGRESS`",
    ),
];

/// The `jit_user_block`s of a user, read from the deny statement.
const USER_BLOCKS: &[Need] = &[
    Need::always("sso:ListPermissionSets"),
    Need::always("sso:GetInlinePolicyForPermissionSet"),
];

const BLOCK_COGNITO_READ: &[Need] = &[Need::when("cognito-idp:AdminGetUser", "`cognito` block")];

const BLOCK_COGNITO_POOL: &[Need] = &[
    Need::when(
        "cognito-idp:DescribeUserPool",
        "`cognito` block: the flag is in the pool's schema",
    ),
    Need::when(
        "cognito-idp:ListUserPoolClients",
        "`cognito` block: no app client may write the flag",
    ),
    Need::when("cognito-idp:DescribeUserPoolClient", "`cognito` block"),
];

const BLOCK_WRITE: &[Need] = &[
    Need::when("iam:PutUserPolicy", "`iam` block: the deny-all policy"),
    Need::when("iam:UpdateAccessKey", "`iam` block with active access keys"),
    Need::when("iam:RemoveUserFromGroup", "`iam` block of a user in groups"),
    Need::when(
        "iam:TagUser",
        "`iam` block: its record (what it changed), kept on the user",
    ),
    Need::when(
        "iam:UntagUser",
        "`iam` block: records of runs that ended before finishing",
    ),
    Need::when(
        "iam:DeleteUserPolicy",
        "`iam` block: a stale deny policy of an earlier block of this resource",
    ),
    Need::when(
        "cognito-idp:AdminUpdateUserAttributes",
        "`cognito` block: the flag",
    ),
    Need::when("cognito-idp:AdminUserGlobalSignOut", "`cognito` block"),
    Need::when("cognito-idp:AdminDisableUser", "`cognito` block"),
];

const BLOCK_UPDATE: &[Need] = &[Need::when(
    "cognito-idp:AdminDeleteUserAttributes",
    "`cognito` block whose `block_attribute` changes",
)];

const BLOCK_RESTORE: &[Need] = &[
    Need::when("iam:UpdateAccessKey", "`iam` block that deactivated keys"),
    Need::when(
        "iam:AddUserToGroup",
        "`iam` block that removed the user from groups",
    ),
    Need::when("iam:DeleteUserPolicy", "`iam` block"),
    Need::when("iam:UntagUser", "`iam` block: its record"),
    Need::when(
        "iam:TagUser",
        "`iam` block restored while another block of the user remains: the records it hands over",
    ),
    Need::when(
        "iam:GetGroup",
        "`iam` block that removed the user from groups: each group is still the one removed (same id)",
    ),
    Need::when(
        "cognito-idp:AdminEnableUser",
        "`cognito` block of a user that was enabled",
    ),
    Need::when("cognito-idp:AdminDeleteUserAttributes", "`cognito` block"),
    Need::when(
        "cognito-idp:AdminUpdateUserAttributes",
        "`cognito` block of a user whose flag had another value before",
    ),
];

// ----------------------------------------------------- IAM env groups/users

const ENV_GROUP_READ: &[Need] = &[
    Need::always("iam:GetGroup"),
    Need::always("iam:GetGroupPolicy"),
];

const ENV_USER_READ: &[Need] = &[
    Need::always("iam:GetUser"),
    Need::when("iam:ListUserTags", "`GetUser` returns no tags"),
    Need::always("iam:ListGroupsForUser"),
    Need::always("iam:GetLoginProfile"),
];

const ENV_USER_PASSWORD: Need = Need::when(
    "iam:GetAccountPasswordPolicy",
    "`console_access = true`: the password meets the account's minimum length",
);

// ------------------------------------------------- Identity Center objects

const IC_USER_LOOKUP: &[Need] = &[
    Need::when("identitystore:GetUserId", "no duplicate user name or email"),
    Need::when(
        "identitystore:DescribeUser",
        "an existing user with that name or email is named, or `CreateUser` answered a retry with `ConflictException` (was the user made by this create?)",
    ),
];

const IC_MEMBERSHIP_LOOKUP: &[Need] = &[
    Need::when("identitystore:GetGroupId", "`group` by display name"),
    Need::always("identitystore:DescribeGroup"),
    Need::when("identitystore:GetUserId", "`user` by user name"),
    Need::always("identitystore:DescribeUser"),
];

const IC_MEMBERSHIP_READ: &[Need] = &[
    Need::always("identitystore:DescribeGroupMembership"),
    Need::always("identitystore:DescribeGroup"),
    Need::always("identitystore:DescribeUser"),
];

/// Every resource and data source, and the grants' schedules.
pub const COMPONENTS: &[Component] = &[
    Component {
        name: "jit_grant",
        kind: Kind::Resource,
        steps: &[
            (Step::Plan, &[INSTANCE, GRANT_LOOKUPS, LEASES]),
            (
                Step::Create,
                &[
                    INSTANCE,
                    GRANT_LOOKUPS,
                    LEASES,
                    GRANT_CREATE,
                    USER_BLOCKS,
                    MANAGEMENT_ACCOUNT,
                    END_SESSIONS,
                    AUDIT,
                ],
            ),
            (Step::Update, &[AUDIT]),
            (
                Step::Delete,
                &[GRANT_DELETE, END_SESSIONS, END_SESSIONS_PROVISION, AUDIT],
            ),
            (Step::Import, &[INSTANCE, GRANT_IMPORT]),
        ],
    },
    Component {
        name: "jit_grant expiry",
        kind: Kind::Schedules,
        steps: &[(Step::Expire, &[EXPIRY])],
    },
    Component {
        name: "jit_user_block",
        kind: Kind::Resource,
        steps: &[
            (
                Step::Plan,
                &[
                    BLOCK_IAM_READ,
                    BLOCK_COGNITO_READ,
                    BLOCK_COGNITO_POOL,
                    BLOCK_IC_READ,
                ],
            ),
            (
                Step::Create,
                &[
                    BLOCK_IAM_READ,
                    BLOCK_COGNITO_READ,
                    BLOCK_COGNITO_POOL,
                    BLOCK_IC_READ,
                    BLOCK_WRITE,
                    BLOCK_IC_WRITE,
                    BLOCK_IC_BLOCK,
                    AUDIT,
                ],
            ),
            (
                Step::Update,
                &[
                    BLOCK_IAM_READ,
                    BLOCK_COGNITO_READ,
                    BLOCK_COGNITO_POOL,
                    BLOCK_IC_READ,
                    BLOCK_WRITE,
                    BLOCK_UPDATE,
                    BLOCK_IC_WRITE,
                    BLOCK_IC_BLOCK,
                    AUDIT,
                ],
            ),
            (
                Step::Delete,
                &[
                    BLOCK_IAM_READ,
                    BLOCK_COGNITO_READ,
                    BLOCK_RESTORE,
                    BLOCK_IC_READ,
                    BLOCK_IC_WRITE,
                    BLOCK_IC_RESTORE,
                    AUDIT,
                ],
            ),
            (
                Step::Import,
                &[
                    BLOCK_IAM_READ,
                    BLOCK_COGNITO_READ,
                    BLOCK_COGNITO_POOL,
                    BLOCK_IC_READ,
                ],
            ),
        ],
    },
    Component {
        name: "jit_iam_env_group",
        kind: Kind::Resource,
        steps: &[
            (Step::Plan, &[ENV_GROUP_READ]),
            (
                Step::Create,
                &[&[
                    Need::always("iam:CreateGroup"),
                    Need::when(
                        "iam:GetGroup",
                        "`CreateGroup` answered a retry with `EntityAlreadyExists`: was the group made by this create?",
                    ),
                    Need::when(
                        "iam:ListGroupPolicies",
                        "`CreateGroup` answered a retry with `EntityAlreadyExists`: is the group empty?",
                    ),
                    Need::when(
                        "iam:ListAttachedGroupPolicies",
                        "`CreateGroup` answered a retry with `EntityAlreadyExists`: is the group empty?",
                    ),
                    Need::always("iam:PutGroupPolicy"),
                ]],
            ),
            (Step::Update, &[&[Need::always("iam:PutGroupPolicy")]]),
            (
                Step::Delete,
                &[&[
                    Need::always("iam:GetGroup"),
                    Need::when("iam:RemoveUserFromGroup", "the group has members"),
                    Need::always("iam:ListGroupPolicies"),
                    Need::always("iam:DeleteGroupPolicy"),
                    Need::always("iam:ListAttachedGroupPolicies"),
                    Need::when(
                        "iam:DetachGroupPolicy",
                        "managed policies were attached outside Terraform",
                    ),
                    Need::always("iam:DeleteGroup"),
                ]],
            ),
            (Step::Import, &[ENV_GROUP_READ]),
        ],
    },
    Component {
        name: "jit_iam_env_user",
        kind: Kind::Resource,
        steps: &[
            (Step::Plan, &[ENV_USER_READ]),
            (
                Step::Create,
                &[
                    &[
                        Need::when(
                            "iam:GetGroup",
                            "`roles` is not empty: the role groups exist",
                        ),
                        ENV_USER_PASSWORD,
                        Need::always("iam:CreateUser"),
                        Need::when("iam:TagUser", "tags (always: the provider tags its users)"),
                        Need::when(
                            "iam:GetUser",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: was the user made by this create?",
                        ),
                        Need::when(
                            "iam:ListUserTags",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: are the tags the ones sent?",
                        ),
                        Need::when(
                            "iam:ListGroupsForUser",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: is the user untouched?",
                        ),
                        Need::when(
                            "iam:ListUserPolicies",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: is the user untouched?",
                        ),
                        Need::when(
                            "iam:ListAttachedUserPolicies",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: is the user untouched?",
                        ),
                        Need::when(
                            "iam:ListAccessKeys",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: is the user untouched?",
                        ),
                        Need::when(
                            "iam:GetLoginProfile",
                            "`CreateUser` answered a retry with `EntityAlreadyExists`: is the user untouched?",
                        ),
                        Need::when("iam:AddUserToGroup", "`roles` is not empty"),
                        Need::when("iam:CreateLoginProfile", "`console_access = true`"),
                    ],
                    AUDIT,
                ],
            ),
            (
                Step::Update,
                &[
                    &[
                        Need::when("iam:GetGroup", "roles are added"),
                        ENV_USER_PASSWORD,
                        Need::when("iam:UntagUser", "tags are removed"),
                        Need::when("iam:TagUser", "tags are added or changed"),
                        Need::when("iam:AddUserToGroup", "roles are added"),
                        Need::when("iam:RemoveUserFromGroup", "roles are removed"),
                        Need::when("iam:CreateLoginProfile", "`console_access` becomes `true`"),
                        Need::when(
                            "iam:UpdateLoginProfile",
                            "a new password is set (`pgp_key` changed)",
                        ),
                        Need::when("iam:DeleteLoginProfile", "`console_access` becomes `false`"),
                    ],
                    AUDIT,
                ],
            ),
            (
                Step::Delete,
                &[
                    &[
                        Need::always("iam:GetUser"),
                        Need::always("iam:ListAccessKeys"),
                        Need::always("iam:ListSSHPublicKeys"),
                        Need::always("iam:ListSigningCertificates"),
                        Need::always("iam:ListUserPolicies"),
                        Need::always("iam:ListAttachedUserPolicies"),
                        Need::always("iam:DeleteLoginProfile"),
                        Need::always("iam:ListMFADevices"),
                        Need::when("iam:DeactivateMFADevice", "the user has MFA devices"),
                        Need::when(
                            "iam:DeleteVirtualMFADevice",
                            "the user has virtual MFA devices",
                        ),
                        Need::always("iam:ListGroupsForUser"),
                        Need::when("iam:RemoveUserFromGroup", "the user is in groups"),
                        Need::when("iam:DeleteAccessKey", "`force_destroy` and access keys"),
                        Need::when("iam:DeleteSSHPublicKey", "`force_destroy` and SSH keys"),
                        Need::when(
                            "iam:DeleteSigningCertificate",
                            "`force_destroy` and signing certificates",
                        ),
                        Need::when(
                            "iam:DeleteUserPolicy",
                            "`force_destroy` and inline policies",
                        ),
                        Need::when(
                            "iam:DetachUserPolicy",
                            "`force_destroy` and managed policies",
                        ),
                        Need::always("iam:DeleteUser"),
                    ],
                    AUDIT,
                ],
            ),
            (Step::Import, &[ENV_USER_READ]),
        ],
    },
    Component {
        name: "jit_identity_center_group",
        kind: Kind::Resource,
        steps: &[
            (
                Step::Plan,
                &[
                    INSTANCE,
                    &[
                        Need::when(
                            "identitystore:GetGroupId",
                            "a new group: is the name taken?",
                        ),
                        Need::always("identitystore:DescribeGroup"),
                    ],
                ],
            ),
            (
                Step::Create,
                &[
                    INSTANCE,
                    &[
                        Need::always("identitystore:GetGroupId"),
                        Need::always("identitystore:CreateGroup"),
                        Need::when(
                            "identitystore:DescribeGroup",
                            "`CreateGroup` answered a retry with `ConflictException`: was the group made by this create?",
                        ),
                        Need::when(
                            "identitystore:ListGroupMemberships",
                            "`CreateGroup` answered a retry with `ConflictException`: is the group empty?",
                        ),
                    ],
                    AUDIT,
                ],
            ),
            (
                Step::Update,
                &[&[Need::always("identitystore:UpdateGroup")], AUDIT],
            ),
            (
                Step::Delete,
                &[&[Need::always("identitystore:DeleteGroup")], AUDIT],
            ),
            (
                Step::Import,
                &[
                    INSTANCE,
                    &[
                        Need::when("identitystore:GetGroupId", "imported by display name"),
                        Need::always("identitystore:DescribeGroup"),
                    ],
                ],
            ),
        ],
    },
    Component {
        name: "jit_identity_center_group_membership",
        kind: Kind::Resource,
        steps: &[
            (
                Step::Plan,
                &[
                    INSTANCE,
                    IC_MEMBERSHIP_READ,
                    IC_MEMBERSHIP_LOOKUP,
                    &[
                        Need::when(
                            "sso:ListPermissionSets",
                            "the membership is gone: a `jit_user_block` of the user may hold it",
                        ),
                        Need::when(
                            "sso:GetInlinePolicyForPermissionSet",
                            "the membership is gone: a `jit_user_block` of the user may hold it",
                        ),
                    ],
                ],
            ),
            (
                Step::Create,
                &[
                    INSTANCE,
                    IC_MEMBERSHIP_LOOKUP,
                    USER_BLOCKS,
                    &[
                        Need::always("identitystore:GetGroupMembershipId"),
                        Need::always("identitystore:CreateGroupMembership"),
                        Need::when(
                            "identitystore:DescribeGroupMembership",
                            "`CreateGroupMembership` answered a retry with `ConflictException`: was the membership made by this create?",
                        ),
                    ],
                    AUDIT,
                ],
            ),
            (
                Step::Delete,
                &[
                    &[Need::always("identitystore:DeleteGroupMembership")],
                    AUDIT,
                ],
            ),
            (Step::Import, &[INSTANCE, IC_MEMBERSHIP_READ]),
        ],
    },
    Component {
        name: "jit_identity_center_user",
        kind: Kind::Resource,
        steps: &[
            (
                Step::Plan,
                &[
                    INSTANCE,
                    IC_USER_LOOKUP,
                    &[Need::always("identitystore:DescribeUser")],
                ],
            ),
            (
                Step::Create,
                &[
                    INSTANCE,
                    IC_USER_LOOKUP,
                    &[Need::always("identitystore:CreateUser")],
                    AUDIT,
                ],
            ),
            (
                Step::Update,
                &[
                    IC_USER_LOOKUP,
                    &[Need::always("identitystore:UpdateUser")],
                    AUDIT,
                ],
            ),
            (
                Step::Delete,
                &[&[Need::always("identitystore:DeleteUser")], AUDIT],
            ),
            (
                Step::Import,
                &[
                    INSTANCE,
                    &[
                        Need::when("identitystore:GetUserId", "imported by user name"),
                        Need::always("identitystore:DescribeUser"),
                    ],
                ],
            ),
        ],
    },
    Component {
        name: "data.jit_access_review",
        kind: Kind::DataSource,
        steps: &[(
            Step::Plan,
            &[&[
                Need::always("iam:GetGroup"),
                Need::always("iam:ListUsers"),
                Need::always("iam:ListUserTags"),
                Need::always("iam:GetUser"),
                Need::always("iam:ListGroupsForUser"),
                Need::always("iam:ListAccessKeys"),
                Need::when("iam:GetAccessKeyLastUsed", "a user has access keys"),
                Need::always("iam:ListMFADevices"),
                Need::always("iam:GetLoginProfile"),
            ]],
        )],
    },
    Component {
        name: "data.jit_ci_role_policy",
        kind: Kind::DataSource,
        steps: &[],
    },
    Component {
        name: "data.jit_identity_center_group",
        kind: Kind::DataSource,
        steps: &[(
            Step::Plan,
            &[
                INSTANCE,
                &[
                    Need::always("identitystore:GetGroupId"),
                    Need::always("identitystore:DescribeGroup"),
                ],
            ],
        )],
    },
    Component {
        name: "data.jit_identity_center_user",
        kind: Kind::DataSource,
        steps: &[(
            Step::Plan,
            &[
                INSTANCE,
                &[
                    Need::when("identitystore:GetUserId", "looked up by `user_name`"),
                    Need::always("identitystore:DescribeUser"),
                    Need::when("identitystore:ListUsers", "looked up by `email`"),
                ],
            ],
        )],
    },
    Component {
        name: "data.jit_revoker_role_policy",
        kind: Kind::DataSource,
        steps: &[(
            Step::Plan,
            &[&[Need::when(
                "sso:ListInstances",
                "`identity_center_instance_arn` is set neither here nor in the provider block",
            )]],
        )],
    },
    Component {
        name: "data.jit_role_policy",
        kind: Kind::DataSource,
        steps: &[],
    },
];
