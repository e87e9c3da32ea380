//! Benchmark (not a test): wall time of `terraform apply` of one
//! `jit_user_block` (and of the `terraform destroy` that restores it), for a
//! Cognito, an IAM and an IAM Identity Center user (three permission sets,
//! one group membership and one account assignment), with every AWS call delayed by 0, 50 and 200 ms
//! by the harness's proxy ([`tests::proxy`]) between the provider and moto.
//!
//! Columns:
//! - `wall`: the Terraform command, end to end (median of the runs);
//! - `aws calls` / `aws time`: requests through the proxy, and the time at
//!   least one was in flight (the AWS round trips, delay included);
//! - `provider ops`: the provider's own share inside the resource's
//!   operations, from its `jit_user_block timing` spans: time in plan,
//!   create, read, destroy minus the time they waited on AWS;
//! - `provider life`: the rest of the provider's share, from Terraform's
//!   `TF_LOG=trace` timestamps (ms resolution): each plugin process from
//!   start to handshake, `ConfigureProvider` to the provider's "provider
//!   configured" line, and `Close` to exit (Terraform starts the provider
//!   four times per apply);
//! - `rest`: wall − aws time − provider ops − provider life: Terraform
//!   itself.
//!
//! Run: `cargo bench -p tests --bench user_block` (add `--profile dev` to
//! skip the release build of the benchmark itself; the provider measured is
//! the debug build the e2e harness uses, unless `JIT_BENCH_PROVIDER` names
//! another binary). `JIT_BENCH_RUNS` (1–10, default 3) sets the runs per
//! cell; `JIT_BENCH_TF=1.0.3` uses Terraform 1.0.3 instead of 1.15.5.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use aws_sdk_cognitoidentityprovider::types::{
    AttributeDataType, ExplicitAuthFlowsType, MessageActionType, SchemaAttributeType,
};
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_iam::types::StatusType;
use terraform_provider_jit::aws::aws_error;
use tests::proxy::{Fault, Match, Proxy, When};
use tests::tools::{tools, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};
use tests::{Aws, Moto, Tf, TfVersion};

/// Delays per AWS call, in milliseconds.
const DELAYS_MS: [u64; 3] = [0, 50, 200];

fn main() -> Result<(), String> {
    let runs: usize = std::env::var("JIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .clamp(1, 10);
    let version = match std::env::var("JIT_BENCH_TF").as_deref() {
        Ok("1.0.3") => TfVersion::Oldest,
        _ => TfVersion::Latest,
    };
    let moto = Moto::start();
    let aws = Aws::new(&moto.endpoint());
    let mirror = provider_mirror()?;
    let started = Instant::now();

    let mut rows = Vec::new();
    for kind in [Kind::Cognito, Kind::Iam, Kind::IdentityCenter] {
        let mut tf = working_dir(version, &moto, &mirror, kind);
        let pool = match kind {
            Kind::Cognito => Some(cognito_pool(&aws, &tf.prefix)?),
            Kind::Iam => None,
            Kind::IdentityCenter => Some(ic_instance(&aws, &tf.prefix)?),
        };
        tf.write_main(&[
            &tf.provider(""),
            &config(kind, "placeholder", pool.as_deref()),
        ]);
        tf.init();
        for delay in DELAYS_MS {
            let proxy = Proxy::start(moto.port());
            if delay > 0 {
                proxy.inject(
                    Match::any(),
                    When::every(),
                    Fault::Delay(Duration::from_millis(delay)),
                );
            }
            tf.endpoint = proxy.endpoint();
            let mut block = Vec::new();
            let mut restore = Vec::new();
            for run in 0..runs {
                let user = format!("{}-u{delay}-{run}", tf.prefix);
                match (kind, &pool) {
                    (Kind::Cognito, Some(pool)) => cognito_user(&aws, pool, &user)?,
                    (Kind::IdentityCenter, Some(setup)) => ic_user(&aws, setup, &user)?,
                    _ => iam_user(&aws, &user)?,
                }
                tf.write_main(&[&tf.provider(""), &config(kind, &user, pool.as_deref())]);
                block.push(measure(
                    &tf,
                    &proxy,
                    &["apply", "-auto-approve", "-no-color"],
                )?);
                restore.push(measure(
                    &tf,
                    &proxy,
                    &["destroy", "-auto-approve", "-no-color"],
                )?);
            }
            rows.push(Row::median(kind, "block (apply)", delay, block));
            rows.push(Row::median(kind, "restore (destroy)", delay, restore));
            drop(proxy);
        }
        let _ = std::fs::remove_dir_all(&tf.dir);
    }
    print_table(version, runs, &rows, started.elapsed());
    Ok(())
}

/// A failed step of the benchmark, with what it was.
fn fail(what: &str) -> impl Fn(String) -> String + '_ {
    move |error| format!("{what}: {error}")
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Cognito,
    Iam,
    IdentityCenter,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::Cognito => "cognito",
            Self::Iam => "iam",
            Self::IdentityCenter => "identity_center",
        }
    }
}

fn config(kind: Kind, user: &str, pool: Option<&str>) -> String {
    let target = match kind {
        Kind::Cognito => format!(
            "  cognito {{\n    user_pool_id = \"{}\"\n    username     = \"{user}\"\n  }}",
            pool.unwrap_or_default()
        ),
        Kind::Iam => format!("  iam {{\n    user_name = \"{user}\"\n  }}"),
        Kind::IdentityCenter => format!("  identity_center {{\n    user = \"{user}\"\n  }}"),
    };
    format!(
        "\nresource \"jit_user_block\" \"b\" {{\n{target}\n  reason     = \"Benchmark\"\n  blocked_by = \"bench@example.com\"\n}}\n"
    )
}

// ---------------------------------------------------------------------------
// Terraform working directories.

/// The provider binary to measure, in a mirror of its own.
fn provider_mirror() -> Result<PathBuf, String> {
    let binary = std::env::var_os("JIT_BENCH_PROVIDER")
        .map(PathBuf::from)
        .unwrap_or_else(|| tools().provider_binary.clone());
    let mirror = tools().work_root.join("bench-mirror");
    let version = terraform_provider_jit::VERSION;
    let dir = mirror
        .join(PROVIDER_HOST)
        .join(PROVIDER_NAMESPACE)
        .join(PROVIDER_TYPE)
        .join(version)
        .join("linux_amd64");
    std::fs::create_dir_all(&dir).map_err(|e| fail("mirror directory")(e.to_string()))?;
    let target = dir.join(format!("terraform-provider-{PROVIDER_TYPE}_v{version}"));
    let _ = std::fs::remove_file(&target);
    std::fs::copy(&binary, &target)
        .map_err(|e| fail("copy the provider into the bench mirror")(e.to_string()))?;
    Ok(mirror)
}

fn working_dir(version: TfVersion, moto: &Moto, mirror: &std::path::Path, kind: Kind) -> Tf {
    let dir = tools().work_root.join(format!(
        "bench-user-block-{}-{}",
        kind.name(),
        std::process::id()
    ));
    let mut tf = Tf::new(
        version,
        dir,
        moto,
        &format!("b{:x}", std::process::id() % 4096),
    );
    let address = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
    tf.write(
        "terraformrc",
        &format!(
            "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{address}\"]\n  }}\n  direct {{\n    exclude = [\"{address}\"]\n  }}\n}}\n",
            mirror.display()
        ),
    );
    // The audit log file is written; who applied comes from here, not STS.
    tf.set_env("JIT_APPLIED_BY", "bench");
    tf
}

// ---------------------------------------------------------------------------
// One measured Terraform command.

#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    wall: Duration,
    aws_calls: usize,
    aws_time: Duration,
    provider_ops: Duration,
    provider_life: Duration,
}

fn measure(tf: &Tf, proxy: &Proxy, args: &[&str]) -> Result<Sample, String> {
    proxy.clear();
    let started = Instant::now();
    let out = tf.run_env(args, &[("TF_LOG", "trace")]);
    let wall = started.elapsed();
    if !out.success() {
        return Err(format!("`{}` failed:\n{}", out.command, out.stdout));
    }
    let (aws_calls, aws_time) = proxy.busy();
    Ok(Sample {
        wall,
        aws_calls,
        aws_time,
        provider_ops: provider_ops(&out.stderr),
        provider_life: provider_life(&out.stderr),
    })
}

/// Sum of `own_us` over the provider's `jit_user_block timing` lines.
fn provider_ops(log: &str) -> Duration {
    let micros: u64 = log
        .lines()
        .filter(|line| line.contains("jit_user_block timing"))
        .filter_map(|line| {
            line.split_whitespace()
                .find_map(|field| field.strip_prefix("own_us="))
                .and_then(|v| v.trim_matches('"').parse::<u64>().ok())
        })
        .sum();
    Duration::from_micros(micros)
}

/// Provider process time outside the operations, from Terraform's log:
/// start to handshake, configure, close to exit.
fn provider_life(log: &str) -> Duration {
    let mut total = 0u64;
    let (mut started, mut configuring, mut closing) = (None, None, None);
    let mut last = 0u64;
    let mut wraps = 0u64;
    for line in log.lines() {
        let Some(at) = timestamp_ms(line) else {
            continue;
        };
        // Past midnight the time of day starts again.
        if at + wraps < last {
            wraps += 86_400_000;
        }
        let at = at + wraps;
        last = at;
        let since = |start: &mut Option<u64>| start.take().map_or(0, |s| at.saturating_sub(s));
        if line.contains("provider: starting plugin:") {
            started = Some(at);
        } else if line.contains("provider: using plugin:") {
            total += since(&mut started);
        } else if line.contains("GRPCProvider.v6: ConfigureProvider") {
            configuring = Some(at);
        } else if line.contains(": provider configured:") {
            total += since(&mut configuring);
        } else if line.contains("GRPCProvider.v6: Close") {
            closing = Some(at);
        } else if line.contains("provider: plugin process exited:") {
            total += since(&mut closing);
        }
    }
    Duration::from_millis(total)
}

/// Milliseconds since midnight of a Terraform log line
/// (`2026-11-23T13:21:17.252Z [DEBUG] ...`).
fn timestamp_ms(line: &str) -> Option<u64> {
    let time = line.get(11..23)?;
    if line.get(10..11) != Some("T") || line.get(23..24) != Some("Z") {
        return None;
    }
    let number = |range: std::ops::Range<usize>| time.get(range)?.parse::<u64>().ok();
    Some(((number(0..2)? * 60 + number(3..5)?) * 60 + number(6..8)?) * 1000 + number(9..12)?)
}

struct Row {
    kind: Kind,
    op: &'static str,
    delay_ms: u64,
    median: Sample,
}

impl Row {
    fn median(kind: Kind, op: &'static str, delay_ms: u64, mut samples: Vec<Sample>) -> Self {
        samples.sort_by_key(|s| s.wall);
        let median = samples.get(samples.len() / 2).copied().unwrap_or_default();
        Self {
            kind,
            op,
            delay_ms,
            median,
        }
    }
}

fn print_table(version: TfVersion, runs: usize, rows: &[Row], total: Duration) {
    let ms = |d: Duration| format!("{:.0}", d.as_secs_f64() * 1000.0);
    println!(
        "\njit_user_block: Terraform {}, moto behind a delaying proxy, median of {runs} run(s) (all times ms)\n",
        version.as_str()
    );
    println!(
        "| kind    | operation         | delay/call | wall  | aws calls | aws time | provider ops | provider life | provider total | rest  |"
    );
    println!(
        "|---------|-------------------|-----------:|------:|----------:|---------:|-------------:|--------------:|---------------:|------:|"
    );
    for row in rows {
        let s = row.median;
        let provider = s.provider_ops + s.provider_life;
        let rest = s.wall.saturating_sub(s.aws_time).saturating_sub(provider);
        println!(
            "| {:<7} | {:<17} | {:>10} | {:>5} | {:>9} | {:>8} | {:>12} | {:>13} | {:>14} | {:>5} |",
            row.kind.name(),
            row.op,
            row.delay_ms,
            ms(s.wall),
            s.aws_calls,
            ms(s.aws_time),
            ms(s.provider_ops),
            ms(s.provider_life),
            ms(provider),
            ms(rest),
        );
    }
    println!("\nbenchmark took {:.0} s", total.as_secs_f64());
}

// ---------------------------------------------------------------------------
// Fixtures, straight at moto.

/// An SDK result, its error as AWS's code and message.
fn sdk<T, E, R>(operation: &'static str, result: Result<T, SdkError<E, R>>) -> Result<T, String>
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    result.map_err(|error| aws_error("bench", operation, error).to_string())
}

fn cognito_pool(aws: &Aws, prefix: &str) -> Result<String, String> {
    let c = &aws.clients.cognito;
    let created = sdk(
        "CreateUserPool",
        aws.run(
            c.create_user_pool()
                .pool_name(format!("{prefix}-bench"))
                .schema(
                    SchemaAttributeType::builder()
                        .name("access_revoked")
                        .attribute_data_type(AttributeDataType::String)
                        .mutable(true)
                        .build(),
                )
                .send(),
        ),
    )?;
    let pool = created
        .user_pool
        .and_then(|p| p.id)
        .ok_or("CreateUserPool returned no pool id")?;
    sdk(
        "CreateUserPoolClient",
        aws.run(
            c.create_user_pool_client()
                .user_pool_id(&pool)
                .client_name("web")
                .explicit_auth_flows(ExplicitAuthFlowsType::AllowUserPasswordAuth)
                .explicit_auth_flows(ExplicitAuthFlowsType::AllowRefreshTokenAuth)
                .write_attributes("email")
                .send(),
        ),
    )?;
    Ok(pool)
}

fn cognito_user(aws: &Aws, pool: &str, user: &str) -> Result<(), String> {
    sdk(
        "AdminCreateUser",
        aws.run(
            aws.clients
                .cognito
                .admin_create_user()
                .user_pool_id(pool)
                .username(user)
                .message_action(MessageActionType::Suppress)
                .send(),
        ),
    )
    .map(|_| ())
}

/// An IAM user in two groups with two access keys, one of them inactive.
fn iam_user(aws: &Aws, user: &str) -> Result<(), String> {
    let iam = aws.iam();
    sdk(
        "CreateUser",
        aws.run(iam.create_user().user_name(user).send()),
    )?;
    for group in ["ops", "dev"] {
        let group = format!("{user}-{group}");
        sdk(
            "CreateGroup",
            aws.run(iam.create_group().group_name(&group).send()),
        )?;
        sdk(
            "AddUserToGroup",
            aws.run(
                iam.add_user_to_group()
                    .group_name(&group)
                    .user_name(user)
                    .send(),
            ),
        )?;
    }
    let mut keys = Vec::new();
    for _ in 0..2 {
        let created = sdk(
            "CreateAccessKey",
            aws.run(iam.create_access_key().user_name(user).send()),
        )?;
        keys.extend(created.access_key.map(|k| k.access_key_id));
    }
    let inactive = keys.get(1).ok_or("CreateAccessKey returned no key id")?;
    sdk(
        "UpdateAccessKey",
        aws.run(
            iam.update_access_key()
                .user_name(user)
                .access_key_id(inactive)
                .status(StatusType::Inactive)
                .send(),
        ),
    )
    .map(|_| ())
}

const IC_ACCOUNT: &str = "123456789012";

/// Three permission sets (the first provisioned) and a group; returns
/// `<instance ARN> <identity store id> <group id> <permission set ARN>`.
fn ic_instance(aws: &Aws, prefix: &str) -> Result<String, String> {
    let sso = &aws.clients.sso_admin;
    let store = &aws.clients.identity_store;
    let instances = sdk("ListInstances", aws.run(sso.list_instances().send()))?;
    let instance = instances
        .instances()
        .first()
        .ok_or("no Identity Center instance")?;
    let instance_arn = instance.instance_arn().unwrap_or_default().to_string();
    let store_id = instance.identity_store_id().unwrap_or_default().to_string();
    let mut sets = Vec::new();
    for n in 0..3 {
        let created = sdk(
            "CreatePermissionSet",
            aws.run(
                sso.create_permission_set()
                    .instance_arn(&instance_arn)
                    .name(format!("{prefix}-ps{n}"))
                    .session_duration("PT1H")
                    .send(),
            ),
        )?;
        sets.push(
            created
                .permission_set()
                .and_then(|p| p.permission_set_arn())
                .unwrap_or_default()
                .to_string(),
        );
    }
    sdk(
        "ProvisionPermissionSet",
        aws.run(
            sso.provision_permission_set()
                .instance_arn(&instance_arn)
                .permission_set_arn(&sets[0])
                .target_type(aws_sdk_ssoadmin::types::ProvisionTargetType::AwsAccount)
                .target_id(IC_ACCOUNT)
                .send(),
        ),
    )?;
    let group = sdk(
        "CreateGroup",
        aws.run(
            store
                .create_group()
                .identity_store_id(&store_id)
                .display_name(format!("{prefix}-oncall"))
                .send(),
        ),
    )?
    .group_id;
    Ok(format!("{instance_arn} {store_id} {group} {}", sets[0]))
}

/// An Identity Center user in the group, assigned the first permission set.
fn ic_user(aws: &Aws, setup: &str, user: &str) -> Result<(), String> {
    let parts: Vec<&str> = setup.split(' ').collect();
    let [instance, store_id, group, set] = parts[..] else {
        return Err(format!("bad Identity Center setup `{setup}`"));
    };
    let store = &aws.clients.identity_store;
    let email = format!("{user}@example.com");
    let user_id = sdk(
        "CreateUser",
        aws.run(
            store
                .create_user()
                .identity_store_id(store_id)
                .user_name(user)
                .display_name(user)
                .name(
                    aws_sdk_identitystore::types::Name::builder()
                        .given_name(user)
                        .family_name("Bench")
                        .build(),
                )
                .emails(
                    aws_sdk_identitystore::types::Email::builder()
                        .value(&email)
                        .primary(true)
                        .build(),
                )
                .send(),
        ),
    )?
    .user_id;
    sdk(
        "CreateGroupMembership",
        aws.run(
            store
                .create_group_membership()
                .identity_store_id(store_id)
                .group_id(group)
                .member_id(aws_sdk_identitystore::types::MemberId::UserId(
                    user_id.clone(),
                ))
                .send(),
        ),
    )?;
    sdk(
        "CreateAccountAssignment",
        aws.run(
            aws.clients
                .sso_admin
                .create_account_assignment()
                .instance_arn(instance)
                .target_id(IC_ACCOUNT)
                .target_type(aws_sdk_ssoadmin::types::TargetType::AwsAccount)
                .permission_set_arn(set)
                .principal_type(aws_sdk_ssoadmin::types::PrincipalType::User)
                .principal_id(&user_id)
                .send(),
        ),
    )
    .map(|_| ())
}
