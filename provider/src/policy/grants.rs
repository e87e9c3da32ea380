//! What each role may do in each environment: its `Allow` statements and its
//! guard-rail `Deny` statements.
//!
//! Lists are kept sorted so that diffs of this file and of the generated JSON
//! stay readable. A deny is a guard rail against mistakes and against grants from
//! other policies, not a boundary against an administrator: `infra-manager` holds
//! `iam:*` and could rewrite its own group policy. Such changes go through the
//! reviewed Terraform code, which is the boundary.

use super::document::{strings, Actions, Effect, Resources, Statement};
use super::{Environment, Role};

/// Audit evidence: trails, event data stores, flow logs and log groups.
const AUDIT_PROTECTION: &[&str] = &[
    "cloudtrail:DeleteEventDataStore",
    "cloudtrail:DeleteTrail",
    "cloudtrail:PutEventSelectors",
    "cloudtrail:StopEventDataStoreIngestion",
    "cloudtrail:StopLogging",
    "cloudtrail:UpdateTrail",
    "ec2:DeleteFlowLogs",
    "logs:DeleteLogGroup",
    "logs:DeleteLogStream",
];

/// Detective security services: switching them off or leaving their administrator.
const SECURITY_SERVICE_PROTECTION: &[&str] = &[
    "access-analyzer:DeleteAnalyzer",
    "config:DeleteConfigurationRecorder",
    "config:DeleteDeliveryChannel",
    "config:StopConfigurationRecorder",
    "guardduty:DeleteDetector",
    "guardduty:DisassociateFromAdministratorAccount",
    "guardduty:DisassociateFromMasterAccount",
    "guardduty:UpdateDetector",
    "inspector2:Disable",
    "macie2:DisableMacie",
    "securityhub:BatchDisableStandards",
    "securityhub:DisableSecurityHub",
    "securityhub:DisassociateFromAdministratorAccount",
    "securityhub:DisassociateFromMasterAccount",
];

/// Leaving or reshaping the AWS Organization and its guard-rail policies.
const ORGANIZATION_PROTECTION: &[&str] = &[
    "organizations:CloseAccount",
    "organizations:DeleteOrganization",
    "organizations:DeletePolicy",
    "organizations:DetachPolicy",
    "organizations:DisableAWSServiceAccess",
    "organizations:DisablePolicyType",
    "organizations:LeaveOrganization",
    "organizations:MoveAccount",
    "organizations:RemoveAccountFromOrganization",
    "organizations:UpdatePolicy",
];

/// Deleting clusters, databases and their snapshots.
const DESTRUCTIVE: &[&str] = &[
    "ecs:DeleteCluster",
    "eks:DeleteCluster",
    "eks:DeleteNodegroup",
    "elasticache:DeleteCacheCluster",
    "elasticache:DeleteReplicationGroup",
    "rds:DeleteDBCluster",
    "rds:DeleteDBClusterSnapshot",
    "rds:DeleteDBInstance",
    "rds:DeleteDBSnapshot",
    "rds:DeleteGlobalCluster",
];

/// IAM writes, denied to `infra-member` everywhere except on the caller's own
/// user and MFA device (self-service). `iam:PassRole` is here too: passing an
/// arbitrary role to a service is a privilege escalation.
const IAM_WRITES: &[&str] = &[
    "iam:Add*",
    "iam:Attach*",
    "iam:Change*",
    "iam:Create*",
    "iam:Deactivate*",
    "iam:Delete*",
    "iam:Detach*",
    "iam:Enable*",
    "iam:PassRole",
    "iam:Put*",
    "iam:Remove*",
    "iam:Reset*",
    "iam:Resync*",
    "iam:Set*",
    "iam:Tag*",
    "iam:Untag*",
    "iam:Update*",
    "iam:Upload*",
];

/// Self-service resources exempt from the `infra-member` IAM-write deny.
const OWN_IAM_RESOURCES: &[&str] = &[
    "arn:aws:iam::*:mfa/${aws:username}",
    "arn:aws:iam::*:user/${aws:username}",
];

/// `infra-member`: reads outside the edited services.
const INFRA_READ: &[&str] = &[
    "cloudtrail:LookupEvents",
    "iam:Get*",
    "iam:List*",
    "kms:Describe*",
    "kms:List*",
    "s3:Get*",
    "s3:List*",
    "tag:Get*",
];

/// `infra-member`: common infrastructure services (reads and edits), and S3
/// object writes (no deletes: buckets may hold evidence).
const INFRA_EDIT: &[&str] = &[
    "autoscaling:*",
    "cloudformation:*",
    "cloudwatch:*",
    "ec2:*",
    "ecr:*",
    "ecs:*",
    "eks:*",
    "elasticache:*",
    "elasticloadbalancing:*",
    "events:*",
    "lambda:*",
    "logs:*",
    "rds:*",
    "route53:*",
    "s3:PutObject",
    "s3:PutObjectTagging",
    "sns:*",
    "sqs:*",
    "ssm:*",
];

/// `developer` in `dev`: application services, fully.
const DEV_APP_SERVICES: &[&str] = &[
    "apigateway:*",
    "cloudformation:*",
    "cloudwatch:*",
    "dynamodb:*",
    "ecr:*",
    "ecs:*",
    "events:*",
    "lambda:*",
    "logs:*",
    "s3:*",
    "scheduler:*",
    "secretsmanager:*",
    "sns:*",
    "sqs:*",
    "ssm:*",
    "states:*",
    "xray:*",
];

/// `developer` in `dev`: reads of the platform around the application.
const DEV_PLATFORM_READ: &[&str] = &[
    "cloudtrail:LookupEvents",
    "ec2:Describe*",
    "elasticloadbalancing:Describe*",
    "iam:Get*",
    "iam:List*",
    "kms:Describe*",
    "kms:List*",
    "rds:Describe*",
];

/// `developer` in `staging`: reads of application services.
const STAGING_APP_READ: &[&str] = &[
    "apigateway:GET",
    "cloudformation:Describe*",
    "cloudformation:Get*",
    "cloudformation:List*",
    "cloudwatch:Describe*",
    "cloudwatch:Get*",
    "cloudwatch:List*",
    "dynamodb:Describe*",
    "dynamodb:List*",
    "ecr:Describe*",
    "ecr:List*",
    "ecs:Describe*",
    "ecs:List*",
    "events:Describe*",
    "events:List*",
    "lambda:Get*",
    "lambda:List*",
    "logs:Describe*",
    "logs:FilterLogEvents",
    "logs:Get*",
    "logs:StartQuery",
    "logs:StopQuery",
    "s3:Get*",
    "s3:List*",
    "sns:Get*",
    "sns:List*",
    "sqs:Get*",
    "sqs:List*",
    "states:Describe*",
    "states:List*",
    "xray:BatchGet*",
    "xray:Get*",
];

/// `developer` in `staging`: the few operations needed to test a release.
const STAGING_APP_OPERATE: &[&str] = &[
    "ecs:UpdateService",
    "lambda:InvokeFunction",
    "sqs:SendMessage",
    "states:StartExecution",
];

/// `security-engineer`: read-only security services, IAM and audit trails. Only
/// finding-level Macie reads: no sensitive-data samples.
const SECURITY_READ: &[&str] = &[
    "access-analyzer:Get*",
    "access-analyzer:List*",
    "access-analyzer:ValidatePolicy",
    "cloudtrail:Describe*",
    "cloudtrail:Get*",
    "cloudtrail:List*",
    "cloudtrail:LookupEvents",
    "config:BatchGet*",
    "config:Describe*",
    "config:Get*",
    "config:List*",
    "config:Select*",
    "ec2:Describe*",
    "guardduty:Describe*",
    "guardduty:Get*",
    "guardduty:List*",
    "iam:GenerateCredentialReport",
    "iam:GenerateServiceLastAccessedDetails",
    "iam:Get*",
    "iam:List*",
    "iam:Simulate*",
    "inspector2:BatchGet*",
    "inspector2:Describe*",
    "inspector2:Get*",
    "inspector2:List*",
    "kms:Describe*",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:List*",
    "logs:Describe*",
    "logs:FilterLogEvents",
    "logs:GetLogEvents",
    "logs:GetQueryResults",
    "logs:StartQuery",
    "logs:StopQuery",
    "macie2:Describe*",
    "macie2:GetFindingStatistics",
    "macie2:GetFindings",
    "macie2:List*",
    "organizations:Describe*",
    "organizations:List*",
    "s3:GetAccountPublicAccessBlock",
    "s3:GetBucket*",
    "s3:GetEncryptionConfiguration",
    "s3:ListAllMyBuckets",
    "securityhub:BatchGet*",
    "securityhub:Describe*",
    "securityhub:Get*",
    "securityhub:List*",
];

/// The role's own statements for one environment. The caller has already refused
/// `developer` in `prod`; asked anyway, it gets no statement.
pub(crate) fn role_statements(environment: Environment, role: Role) -> Vec<Statement> {
    match (role, environment) {
        (Role::InfraManager, _) => vec![
            allow("FullAccess", &["*"]),
            deny(
                "DenySecurityTampering",
                &[
                    AUDIT_PROTECTION,
                    SECURITY_SERVICE_PROTECTION,
                    ORGANIZATION_PROTECTION,
                ],
            ),
        ],
        (Role::InfraMember, _) => vec![
            allow("InfraRead", INFRA_READ),
            allow("InfraEdit", INFRA_EDIT),
            deny("DenyDestructiveAndAudit", &[AUDIT_PROTECTION, DESTRUCTIVE]),
            Statement::new(
                "DenyIamWrites",
                Effect::Deny,
                Actions::Action(strings(IAM_WRITES)),
                Resources::NotResource(strings(OWN_IAM_RESOURCES)),
            ),
        ],
        (Role::Developer, Environment::Dev) => vec![
            allow("AppServices", DEV_APP_SERVICES),
            allow("PlatformRead", DEV_PLATFORM_READ),
            deny("DenyAuditTampering", &[AUDIT_PROTECTION]),
        ],
        (Role::Developer, Environment::Staging) => vec![
            allow("AppRead", STAGING_APP_READ),
            allow("AppOperate", STAGING_APP_OPERATE),
            deny("DenyAuditTampering", &[AUDIT_PROTECTION]),
        ],
        (Role::Developer, Environment::Prod) => Vec::new(),
        (Role::SecurityEngineer, _) => vec![allow("SecurityRead", SECURITY_READ)],
    }
}

/// `Allow` of `actions` on every resource.
fn allow(sid: &str, actions: &[&str]) -> Statement {
    Statement::new(
        sid,
        Effect::Allow,
        Actions::Action(strings(actions)),
        Resources::Resource(strings(&["*"])),
    )
}

/// `Deny` of the sorted union of `lists` on every resource.
fn deny(sid: &str, lists: &[&[&str]]) -> Statement {
    let mut actions: Vec<String> = lists.iter().flat_map(|list| strings(list)).collect();
    actions.sort();
    actions.dedup();
    Statement::new(
        sid,
        Effect::Deny,
        Actions::Action(actions),
        Resources::Resource(strings(&["*"])),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTS: &[(&str, &[&str])] = &[
        ("AUDIT_PROTECTION", AUDIT_PROTECTION),
        ("SECURITY_SERVICE_PROTECTION", SECURITY_SERVICE_PROTECTION),
        ("ORGANIZATION_PROTECTION", ORGANIZATION_PROTECTION),
        ("DESTRUCTIVE", DESTRUCTIVE),
        ("IAM_WRITES", IAM_WRITES),
        ("OWN_IAM_RESOURCES", OWN_IAM_RESOURCES),
        ("INFRA_READ", INFRA_READ),
        ("INFRA_EDIT", INFRA_EDIT),
        ("DEV_APP_SERVICES", DEV_APP_SERVICES),
        ("DEV_PLATFORM_READ", DEV_PLATFORM_READ),
        ("STAGING_APP_READ", STAGING_APP_READ),
        ("STAGING_APP_OPERATE", STAGING_APP_OPERATE),
        ("SECURITY_READ", SECURITY_READ),
    ];

    #[test]
    fn lists_are_sorted_and_unique() {
        for (name, list) in LISTS {
            assert!(
                list.windows(2).all(|w| w[0] < w[1]),
                "{name} is not strictly sorted"
            );
        }
    }

    #[test]
    fn actions_are_service_prefixed() {
        for (name, list) in LISTS
            .iter()
            .filter(|(name, _)| *name != "OWN_IAM_RESOURCES")
        {
            for action in *list {
                let (service, operation) = action.split_once(':').unwrap_or(("", ""));
                let ok = !service.is_empty()
                    && service
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !operation.is_empty()
                    && operation
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '*');
                assert!(ok, "{name}: `{action}` is not `service:Action`");
            }
        }
    }

    #[test]
    fn security_engineer_has_no_write_action() {
        let read_prefixes = [
            "Get",
            "List",
            "Describe",
            "BatchGet",
            "LookupEvents",
            "Select",
            "Generate",
            "Simulate",
            "ValidatePolicy",
            "FilterLogEvents",
            "StartQuery",
            "StopQuery",
        ];
        for action in SECURITY_READ {
            let operation = action.split_once(':').map(|(_, op)| op).unwrap_or("");
            assert!(
                read_prefixes.iter().any(|p| operation.starts_with(p)),
                "`{action}` is not a read"
            );
        }
    }

    #[test]
    fn infra_member_cannot_delete_clusters_or_audit() {
        let statements = role_statements(Environment::Prod, Role::InfraMember);
        let denied: Vec<&String> = statements
            .iter()
            .filter(|s| {
                s.effect == Effect::Deny && s.resource == Resources::Resource(strings(&["*"]))
            })
            .flat_map(|s| match &s.action {
                Actions::Action(a) => a.iter(),
                Actions::NotAction(a) => a.iter(),
            })
            .collect();
        for action in [
            "rds:DeleteDBCluster",
            "rds:DeleteDBInstance",
            "eks:DeleteCluster",
            "ecs:DeleteCluster",
            "cloudtrail:DeleteTrail",
            "cloudtrail:StopLogging",
            "logs:DeleteLogGroup",
        ] {
            assert!(
                denied.iter().any(|d| *d == action),
                "{action} is not denied"
            );
        }
    }

    #[test]
    fn developer_in_prod_gets_nothing() {
        assert!(role_statements(Environment::Prod, Role::Developer).is_empty());
    }
}
