//! `data "jit_access_review"`: the quarterly access review of one
//! environment in one `terraform output`. Every user of a `name_prefix` and
//! environment (tagged by `jit_iam_env_user`, or a member of one of its role
//! groups) with its groups, roles, MFA, console access and access keys, and
//! the findings a reviewer acts on.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use tf_provider::schema::{AttributeConstraint, AttributeType, Schema};
use tf_provider::value::Value;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::aws::iam::Iam;
use crate::error::Error;
use crate::framework::{DataSourceType, Errors, Op};
use crate::inputs::env_access::{parse_environment, parse_name_prefix};
use crate::policy::{group_name, roles_in_groups, Environment, Role};
use crate::policy::{TAG_ENVIRONMENT, TAG_NAME_PREFIX};
use crate::schema::*;
use crate::values::{str_list, StrList};

/// A credential unused for this long is a finding.
pub(crate) const UNUSED_DAYS: i64 = 90;

const SECONDS_PER_DAY: i64 = 86_400;

/// Finding codes: each finding starts with one, then `: ` and the detail.
pub(crate) mod code {
    /// The user has no MFA device.
    pub const NO_MFA: &str = "NO_MFA";
    /// An access key is older than the environment's rotation period.
    pub const KEY_ROTATION_OVERDUE: &str = "KEY_ROTATION_OVERDUE";
    /// An active access key has not been used for 90 days.
    pub const KEY_UNUSED: &str = "KEY_UNUSED";
    /// The console password has not been used for 90 days.
    pub const PASSWORD_UNUSED: &str = "PASSWORD_UNUSED";
    /// The user is in none of the environment's role groups.
    pub const NO_ROLE_GROUP: &str = "NO_ROLE_GROUP";
}

/// Data source state.
#[derive(Serialize, Deserialize, Default, Debug, Clone)]
#[serde(default)]
pub(crate) struct AccessReviewState {
    /// `dev` | `staging` | `prod`.
    pub environment: Value<String>,
    /// Every finding, as `<user>: <finding>`.
    pub findings: StrList,
    /// `<prefix>-<env>`.
    pub id: Value<String>,
    /// The environment's key rotation period.
    pub key_rotation_days: Value<i64>,
    /// Prefix of the role group names.
    pub name_prefix: Value<String>,
    /// One entry per user, by name.
    pub users: Value<Vec<Value<ReviewedUser>>>,
}

/// One reviewed user.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct ReviewedUser {
    /// The user's access keys, oldest first.
    pub access_keys: Value<Vec<Value<ReviewedKey>>>,
    /// User ARN.
    pub arn: Value<String>,
    /// Whether a console password exists.
    pub console_access: Value<bool>,
    /// Findings for this user.
    pub findings: StrList,
    /// Every group the user is in.
    pub groups: StrList,
    /// Whether an MFA device is enabled.
    pub mfa_enabled: Value<bool>,
    /// User name.
    pub name: Value<String>,
    /// Last console sign-in (RFC 3339), null when never.
    pub password_last_used: Value<String>,
    /// Roles from the environment's role groups.
    pub roles: StrList,
}

/// One reviewed access key.
#[derive(Serialize, Deserialize, Default, Debug, Clone, PartialEq)]
#[serde(default)]
pub(crate) struct ReviewedKey {
    /// Whole days since creation.
    pub age_days: Value<i64>,
    /// Access key id.
    pub id: Value<String>,
    /// Last use (RFC 3339), null when never.
    pub last_used: Value<String>,
    /// `Active` or `Inactive`.
    pub status: Value<String>,
}

/// The data source.
#[derive(Debug, Default)]
pub(crate) struct AccessReview;

fn object(fields: &[(&str, AttributeType)]) -> AttributeType {
    AttributeType::Object(
        fields
            .iter()
            .map(|(name, t)| (name.to_string(), t.clone()))
            .collect::<HashMap<_, _>>(),
    )
}

#[async_trait]
impl DataSourceType for AccessReview {
    type State = AccessReviewState;
    const NAME: &'static str = "access_review";

    fn schema() -> Schema {
        let key = object(&[
            ("age_days", AttributeType::Number),
            ("id", AttributeType::String),
            ("last_used", AttributeType::String),
            ("status", AttributeType::String),
        ]);
        let user = object(&[
            ("access_keys", AttributeType::List(Box::new(key))),
            ("arn", AttributeType::String),
            ("console_access", AttributeType::Bool),
            ("findings", crate::schema::str_list()),
            ("groups", crate::schema::str_list()),
            ("mfa_enabled", AttributeType::Bool),
            ("name", AttributeType::String),
            ("password_last_used", AttributeType::String),
            ("roles", crate::schema::str_list()),
        ]);
        schema(
            0,
            block(
                "The access review of one environment: every IAM user tagged by `jit_iam_env_user` for this `name_prefix` and `environment`, or a member of one of its role groups, with what a quarterly review checks and a list of findings.",
                [
                    ("environment", required_str("`dev`, `staging` or `prod`.")),
                    ("findings", computed_str_list("Every finding of every user, as `<user>: <CODE>: <detail>`; empty when the review is clean. Codes: `NO_MFA`, `KEY_ROTATION_OVERDUE` (older than `key_rotation_days`), `KEY_UNUSED` and `PASSWORD_UNUSED` (not used for 90 days), `NO_ROLE_GROUP`.")),
                    ("id", computed_str("`<name_prefix>-<environment>`.")),
                    ("key_rotation_days", computed_number("Maximum access key age in this environment: 60 days in `prod`, 90 elsewhere.")),
                    ("name_prefix", required_str("Prefix of the role group names, e.g. `hera`.")),
                    ("users", custom(AttributeType::List(Box::new(user)), AttributeConstraint::Computed, "One object per user, by name: `name`, `arn`, `groups` (every group), `roles` (from the environment's role groups), `mfa_enabled`, `console_access`, `password_last_used` (RFC 3339 or null), `access_keys` (each `id`, `status`, `age_days`, `last_used` as RFC 3339 or null) and `findings`.")),
                ],
                [],
            ),
        )
    }

    fn validate(config: &AccessReviewState) -> Result<(), Errors> {
        check(config).map(|_| ()).map_err(Errors::from)
    }

    async fn read(
        &self,
        op: &mut Op<'_>,
        mut config: AccessReviewState,
    ) -> Result<AccessReviewState, Errors> {
        let Some((prefix, environment)) = check(&config)? else {
            return Err(Error::incomplete(
                "Access review inputs unknown",
                "`name_prefix` and `environment` must be known to read the review.",
            )
            .into());
        };
        let facts = review(&op.ctx()?.aws.iam(), &prefix, environment).await?;
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let mut all_findings = Vec::new();
        let mut users = Vec::new();
        for user in &facts {
            let roles = roles_in_groups(&prefix, environment, &user.groups);
            let found = findings(user, &prefix, environment, &roles, now);
            all_findings.extend(found.iter().map(|f| format!("{}: {f}", user.name)));
            users.push(Value::Value(reviewed(user, &roles, found, now)));
        }
        config.id = Value::Value(format!("{prefix}-{environment}"));
        config.key_rotation_days = Value::Value(i64::from(environment.key_rotation_days()));
        config.users = Value::Value(users);
        config.findings = str_list(all_findings);
        Ok(config)
    }
}

/// The known scope, `None` while an input is unknown.
fn check(state: &AccessReviewState) -> Result<Option<(String, Environment)>, Vec<Error>> {
    let mut errors = Vec::new();
    let prefix = parse_name_prefix(&state.name_prefix)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let environment = parse_environment(&state.environment)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(prefix.zip(environment).map(|(p, e)| (p.to_string(), e)))
}

/// What AWS says about one access key.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KeyFacts {
    /// Access key id.
    pub id: String,
    /// `Active` or `Inactive`.
    pub status: String,
    /// Creation, Unix seconds.
    pub created: i64,
    /// Last use, Unix seconds.
    pub last_used: Option<i64>,
}

/// What AWS says about one user.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct UserFacts {
    /// User name.
    pub name: String,
    /// User ARN.
    pub arn: String,
    /// Every group, sorted.
    pub groups: Vec<String>,
    /// Enabled MFA devices.
    pub mfa_devices: usize,
    /// Creation of the console password (Unix seconds), when there is one.
    pub login_profile_created: Option<i64>,
    /// Last console sign-in, Unix seconds.
    pub password_last_used: Option<i64>,
    /// Access keys, oldest first.
    pub keys: Vec<KeyFacts>,
}

/// Whole days from `then` to `now` (never negative).
pub(crate) fn age_days(then: i64, now: i64) -> i64 {
    (now - then).div_euclid(SECONDS_PER_DAY).max(0)
}

/// The review's findings for one user, each `<CODE>: <detail>`.
pub(crate) fn findings(
    user: &UserFacts,
    prefix: &str,
    environment: Environment,
    roles: &[Role],
    now: i64,
) -> Vec<String> {
    let mut found = Vec::new();
    if user.mfa_devices == 0 {
        found.push(format!("{}: no MFA device", code::NO_MFA));
    }
    let rotation = i64::from(environment.key_rotation_days());
    for key in &user.keys {
        let age = age_days(key.created, now);
        if age > rotation {
            found.push(format!(
                "{}: access key {} ({}) is {age} days old; {environment} keys are rotated every {rotation} days",
                code::KEY_ROTATION_OVERDUE, key.id, key.status
            ));
        }
        if key.status == "Active" {
            match key.last_used {
                Some(used) if age_days(used, now) > UNUSED_DAYS => found.push(format!(
                    "{}: access key {} not used for {} days",
                    code::KEY_UNUSED,
                    key.id,
                    age_days(used, now)
                )),
                None if age > UNUSED_DAYS => found.push(format!(
                    "{}: access key {} never used in {age} days",
                    code::KEY_UNUSED,
                    key.id
                )),
                _ => {}
            }
        }
    }
    if let Some(created) = user.login_profile_created {
        match user.password_last_used {
            Some(used) if age_days(used, now) > UNUSED_DAYS => found.push(format!(
                "{}: console password not used for {} days",
                code::PASSWORD_UNUSED,
                age_days(used, now)
            )),
            None if age_days(created, now) > UNUSED_DAYS => found.push(format!(
                "{}: console password never used in {} days",
                code::PASSWORD_UNUSED,
                age_days(created, now)
            )),
            _ => {}
        }
    }
    if roles.is_empty() {
        found.push(format!(
            "{}: member of no {prefix}-{environment}-<role> group",
            code::NO_ROLE_GROUP
        ));
    }
    found
}

fn rfc3339(seconds: i64) -> Value<String> {
    OffsetDateTime::from_unix_timestamp(seconds)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .map_or(Value::Null, Value::Value)
}

/// One user as the data source shows it.
fn reviewed(user: &UserFacts, roles: &[Role], findings: Vec<String>, now: i64) -> ReviewedUser {
    let keys = user
        .keys
        .iter()
        .map(|key| {
            Value::Value(ReviewedKey {
                age_days: Value::Value(age_days(key.created, now)),
                id: Value::Value(key.id.clone()),
                last_used: key.last_used.map_or(Value::Null, rfc3339),
                status: Value::Value(key.status.clone()),
            })
        })
        .collect();
    ReviewedUser {
        access_keys: Value::Value(keys),
        arn: Value::Value(user.arn.clone()),
        console_access: Value::Value(user.login_profile_created.is_some()),
        findings: str_list(findings),
        groups: str_list(user.groups.iter().cloned()),
        mfa_enabled: Value::Value(user.mfa_devices > 0),
        name: Value::Value(user.name.clone()),
        password_last_used: user.password_last_used.map_or(Value::Null, rfc3339),
        roles: str_list(roles.iter().map(|role| role.to_string())),
    }
}

/// Finds the users of the scope and gathers their facts, sorted by name.
async fn review(
    iam: &Iam,
    prefix: &str,
    environment: Environment,
) -> Result<Vec<UserFacts>, Error> {
    let mut names: BTreeSet<String> = BTreeSet::new();
    for role in Role::ALL {
        match iam
            .find_group_by_name(&group_name(prefix, environment, role))
            .await
        {
            Ok(group) => names.extend(group.members),
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }
    }
    // Tagged users outside every role group: IAM lists users without their
    // tags, so each remaining user's tags are read.
    let others: Vec<String> = iam
        .list_users()
        .await?
        .into_iter()
        .filter(|name| !names.contains(name))
        .collect();
    for name in others {
        // A user deleted meanwhile has no tags.
        let tags: BTreeMap<String, String> = iam.list_user_tags(&name).await?;
        if tags.get(TAG_NAME_PREFIX).map(String::as_str) == Some(prefix)
            && tags.get(TAG_ENVIRONMENT).map(String::as_str) == Some(environment.as_str())
        {
            names.insert(name);
        }
    }
    let mut users = Vec::new();
    for name in names {
        match user_facts(iam, &name).await {
            Ok(facts) => users.push(facts),
            // Deleted while the review ran: not a user any more.
            Err(error) if error.is_not_found() => {}
            Err(error) => return Err(error),
        }
    }
    Ok(users)
}

async fn user_facts(iam: &Iam, name: &str) -> Result<UserFacts, Error> {
    let user = iam.find_user_by_name(name).await?;
    let mut groups = iam.list_groups_for_user(name).await?;
    groups.sort();
    let mut keys = Vec::new();
    for key in iam.list_access_keys(name).await? {
        keys.push(KeyFacts {
            last_used: iam.find_access_key_last_used(&key.id).await?,
            id: key.id,
            status: key.status,
            created: key.created,
        });
    }
    keys.sort_by_key(|key| key.created);
    Ok(UserFacts {
        name: user.name,
        arn: user.arn,
        groups,
        mfa_devices: iam.list_mfa_devices(name).await?.len(),
        login_profile_created: iam.find_login_profile(name).await?,
        password_last_used: user.password_last_used,
        keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000;
    const DAY: i64 = SECONDS_PER_DAY;

    fn key(id: &str, status: &str, age: i64, used_days_ago: Option<i64>) -> KeyFacts {
        KeyFacts {
            id: id.into(),
            status: status.into(),
            created: NOW - age * DAY,
            last_used: used_days_ago.map(|days| NOW - days * DAY),
        }
    }

    fn codes(found: &[String]) -> Vec<&str> {
        found
            .iter()
            .map(|f| f.split(':').next().unwrap_or_default())
            .collect()
    }

    fn clean_user() -> UserFacts {
        UserFacts {
            name: "alice".into(),
            arn: "arn:aws:iam::123456789012:user/alice".into(),
            groups: vec!["hera-prod-infra-manager".into()],
            mfa_devices: 1,
            login_profile_created: Some(NOW - 10 * DAY),
            password_last_used: Some(NOW - DAY),
            keys: vec![key("AKIA1", "Active", 10, Some(1))],
        }
    }

    fn review_of(user: &UserFacts, environment: Environment) -> Vec<String> {
        let roles = roles_in_groups("hera", environment, &user.groups);
        findings(user, "hera", environment, &roles, NOW)
    }

    #[test]
    fn a_clean_user_has_no_findings() {
        assert!(review_of(&clean_user(), Environment::Prod).is_empty());
    }

    #[test]
    fn key_rotation_is_60_days_in_prod_and_90_elsewhere() {
        let mut user = clean_user();
        user.groups = vec![
            "hera-prod-infra-manager".into(),
            "hera-dev-infra-manager".into(),
        ];
        user.keys = vec![key("AKIA1", "Active", 75, Some(1))];
        let prod = review_of(&user, Environment::Prod);
        assert_eq!(codes(&prod), vec![code::KEY_ROTATION_OVERDUE]);
        assert!(
            prod[0].contains("75 days old") && prod[0].contains("60 days"),
            "{prod:?}"
        );
        assert!(review_of(&user, Environment::Dev).is_empty());
        user.keys = vec![key("AKIA1", "Inactive", 91, None)];
        assert_eq!(
            codes(&review_of(&user, Environment::Dev)),
            vec![code::KEY_ROTATION_OVERDUE]
        );
        // Exactly at the limit is still fine.
        user.keys = vec![key("AKIA1", "Active", 60, Some(1))];
        assert!(review_of(&user, Environment::Prod).is_empty());
    }

    #[test]
    fn unused_credentials_are_findings_after_90_days() {
        let mut user = clean_user();
        user.groups = vec!["hera-dev-developer".into()];
        user.keys = vec![
            key("AKIA1", "Active", 89, Some(89)),
            key("AKIA2", "Active", 89, None),
        ];
        assert!(review_of(&user, Environment::Dev).is_empty());
        user.keys = vec![
            key("AKIA1", "Active", 80, Some(91)),
            key("AKIA2", "Active", 91, None),
            key("AKIA3", "Inactive", 80, Some(91)),
        ];
        let found = review_of(&user, Environment::Dev);
        assert_eq!(
            codes(&found),
            vec![
                code::KEY_UNUSED,
                code::KEY_ROTATION_OVERDUE,
                code::KEY_UNUSED
            ]
        );
        assert!(found[0].contains("AKIA1") && found[0].contains("91 days"));
        assert!(found[2].contains("never used"));

        user.keys.clear();
        user.password_last_used = Some(NOW - 100 * DAY);
        assert_eq!(
            codes(&review_of(&user, Environment::Dev)),
            vec![code::PASSWORD_UNUSED]
        );
        user.password_last_used = None;
        user.login_profile_created = Some(NOW - 5 * DAY);
        assert!(review_of(&user, Environment::Dev).is_empty());
        user.login_profile_created = Some(NOW - 95 * DAY);
        assert!(review_of(&user, Environment::Dev)[0].contains("never used in 95 days"));
        user.login_profile_created = None;
        assert!(review_of(&user, Environment::Dev).is_empty());
    }

    #[test]
    fn no_mfa_and_no_role_group_are_findings() {
        let mut user = clean_user();
        user.mfa_devices = 0;
        user.groups = vec!["hera-staging-developer".into(), "readers".into()];
        let found = review_of(&user, Environment::Prod);
        assert_eq!(codes(&found), vec![code::NO_MFA, code::NO_ROLE_GROUP]);
        assert!(found[1].contains("hera-prod-<role>"));
    }

    #[test]
    fn ages_are_whole_days_and_never_negative() {
        assert_eq!(age_days(NOW - DAY + 1, NOW), 0);
        assert_eq!(age_days(NOW - DAY, NOW), 1);
        assert_eq!(age_days(NOW + DAY, NOW), 0);
    }

    #[test]
    fn reviewed_users_show_keys_and_times() {
        let user = clean_user();
        let roles = roles_in_groups("hera", Environment::Prod, &user.groups);
        let shown = reviewed(&user, &roles, vec![], NOW);
        assert_eq!(shown.roles, str_list(["infra-manager".to_string()]));
        assert_eq!(shown.mfa_enabled, Value::Value(true));
        assert_eq!(shown.console_access, Value::Value(true));
        let keys = shown.access_keys.as_ref_option().unwrap();
        let first = keys[0].as_ref_option().unwrap();
        assert_eq!(first.age_days, Value::Value(10));
        assert_eq!(
            first.last_used,
            Value::Value("2027-01-14T08:00:00Z".to_string())
        );
        assert_eq!(rfc3339(0), Value::Value("1970-01-01T00:00:00Z".to_string()));
    }

    #[test]
    fn bad_inputs_point_at_their_attribute() {
        let state = AccessReviewState {
            name_prefix: Value::Value("he ra".into()),
            environment: Value::Value("qa".into()),
            ..Default::default()
        };
        let paths: Vec<String> = check(&state)
            .unwrap_err()
            .into_iter()
            .map(|e| {
                e.into_parts(tf_provider::AttributePath::default())
                    .2
                    .to_string()
            })
            .collect();
        assert_eq!(paths, vec!["name_prefix", "environment"]);
        let unknown = AccessReviewState {
            name_prefix: Value::Unknown,
            environment: Value::Value("dev".into()),
            ..Default::default()
        };
        assert_eq!(check(&unknown).unwrap(), None);
    }
}
