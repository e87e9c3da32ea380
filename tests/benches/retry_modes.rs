//! Benchmark (not a test): the AWS SDK's `adaptive` against its `standard`
//! retry mode (exponential backoff with full jitter), both with the
//! provider's own bounds (attempt and operation timeouts, 8 attempts, at
//! most 8 requests in flight per service: `AwsClients::with_limits`),
//! through the harness's proxy in front of moto.
//!
//! Scenarios (each cell in a fresh process, so no client rate limiter or
//! retry quota carries over from one cell to the next):
//! - `sequential`: 10 IAM calls one after the other (a user block's shape;
//!   its target is 60 s end to end), with 0, 1 or 3 of them throttled once;
//! - `100 grants`: 100 grant creations, 10 at a time (Terraform's
//!   parallelism), each the provider's own calls (`ListAccountAssignments`,
//!   `ListSchedules`, `CreateSchedule`, `CreateAccountAssignment` and its
//!   status polls, `UpdateSchedule`), while the proxy allows Identity
//!   Center 20 requests/s and 10 creations in progress (each held 2 s);
//! - `terraform 100 grants` (with `--terraform`): the same through
//!   Terraform 1.15.5 and the provider as built, whatever its retry mode.
//!
//! Run: `cargo bench -p tests --bench retry_modes` (add `-- --terraform`
//! for the Terraform row). `JIT_BENCH_RUNS` (1–10, default 3) sets the runs
//! per cell; their median is printed. `JIT_BENCH_ONLY=grants` skips the
//! sequential cells.

use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_config::retry::RetryConfig;
use terraform_provider_jit::aws::limits;
use terraform_provider_jit::aws::scheduler::{Schedule, ScheduleTarget};
use terraform_provider_jit::aws::{http_client, AwsClients};
use terraform_provider_jit::config::AwsLimits;
use terraform_provider_jit::policy::lease::AssignmentKey;
use tests::proxy::{Fault, Match, Proxy, When};
use tests::{Aws, Moto, Tf, TfVersion};

const CHILD_ENV: &str = "JIT_BENCH_RETRY_CELL";
const GROUP: &str = "jit-grants";

fn main() -> Result<(), String> {
    if let Ok(cell) = std::env::var(CHILD_ENV) {
        let (mode, scenario, moto_port) = parse_cell(&cell)?;
        let line = run_cell(&mode, &scenario, moto_port)?;
        println!("{line}");
        return Ok(());
    }
    let runs: usize = std::env::var("JIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .clamp(1, 10);
    let terraform = std::env::args().any(|a| a == "--terraform");
    let started = Instant::now();
    let moto = Moto::start();
    let mut rows: Vec<String> = Vec::new();
    let only = std::env::var("JIT_BENCH_ONLY").unwrap_or_default();
    let sequential: &[&str] = if only == "grants" {
        &[]
    } else {
        &["sequential-0", "sequential-1", "sequential-3"]
    };
    for scenario in sequential {
        for mode in ["adaptive", "standard"] {
            let mut samples = Vec::new();
            for _ in 0..runs {
                samples.push(child(mode, scenario, moto.port())?);
            }
            samples.sort_by(|a, b| a.0.total_cmp(&b.0));
            let (wall, rest) = &samples[samples.len() / 2];
            rows.push(format!("| {scenario} | {mode} | {wall:.2} s | {rest} |"));
        }
    }
    for mode in ["adaptive", "standard"] {
        let mut samples = Vec::new();
        for _ in 0..runs {
            samples.push(child(mode, "grants", moto.port())?);
        }
        samples.sort_by(|a, b| a.0.total_cmp(&b.0));
        let (wall, rest) = &samples[samples.len() / 2];
        rows.push(format!("| 100 grants | {mode} | {wall:.1} s | {rest} |"));
    }
    if terraform {
        rows.push(terraform_grants(&moto)?);
    }
    println!("\n### Retry modes (provider bounds: 8 attempts, 20 s attempt / 2 m operation timeouts, 8 in flight per service)\n");
    println!("| scenario | mode | wall (median) | details |");
    println!("| --- | --- | ---: | --- |");
    for row in rows {
        println!("{row}");
    }
    println!(
        "\nruns per sequential cell: {runs}; bench time {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn parse_cell(cell: &str) -> Result<(String, String, u16), String> {
    let parts: Vec<&str> = cell.split(',').collect();
    match parts.as_slice() {
        [mode, scenario, port] => Ok((
            mode.to_string(),
            scenario.to_string(),
            port.parse().map_err(|_| format!("bad port in {cell}"))?,
        )),
        _ => Err(format!("bad cell {cell}")),
    }
}

/// Runs one cell in a child process: `(wall seconds, details)`.
fn child(mode: &str, scenario: &str, moto_port: u16) -> Result<(f64, String), String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let output = Command::new(exe)
        .env(CHILD_ENV, format!("{mode},{scenario},{moto_port}"))
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find(|l| l.starts_with("cell "))
        .ok_or_else(|| {
            format!(
                "cell {mode} {scenario} printed nothing: {text}\n{}",
                String::from_utf8_lossy(&output.stderr)
            )
        })?;
    let rest = line.trim_start_matches("cell ");
    let (wall, details) = rest.split_once(' ').unwrap_or((rest, ""));
    Ok((wall.parse().unwrap_or(f64::NAN), details.to_string()))
}

/// Clients built the way the provider builds them, with `mode`.
fn clients(runtime: &tokio::runtime::Runtime, mode: &str, endpoint: &str) -> AwsClients {
    let bounds = AwsLimits::default();
    let retry = match mode {
        "adaptive" => RetryConfig::adaptive(),
        _ => RetryConfig::standard(),
    }
    .with_max_attempts(bounds.max_attempts);
    let loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("eu-west-1"))
        .endpoint_url(endpoint)
        .http_client(http_client())
        .credentials_provider(aws_sdk_iam::config::Credentials::new(
            "testing", "testing", None, None, "bench",
        ))
        .timeout_config(limits::timeouts(&bounds))
        .retry_config(retry);
    let sdk = runtime.block_on(loader.load());
    AwsClients::with_limits(&sdk, &bounds)
}

fn run_cell(mode: &str, scenario: &str, moto_port: u16) -> Result<String, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let proxy = Proxy::start(moto_port);
    let aws = clients(&runtime, mode, &proxy.endpoint());
    match scenario.strip_prefix("sequential-") {
        Some(throttles) => {
            let throttles: u32 = throttles.parse().unwrap_or(0);
            // Calls 1, 4, 7 (as many as asked) are throttled once each.
            for n in [1u32, 4, 7].into_iter().take(throttles as usize) {
                proxy.inject(Match::op("ListGroups"), When::nth(n), Fault::Throttle);
            }
            let started = Instant::now();
            let mut failed = 0;
            for _ in 0..10 {
                if runtime.block_on(aws.iam.list_groups().send()).is_err() {
                    failed += 1;
                }
            }
            let wall = started.elapsed().as_secs_f64();
            Ok(format!(
                "cell {wall:.3} calls {} throttled {} failed {failed}",
                proxy.count(&Match::op("ListGroups")),
                throttled(&proxy)
            ))
        }
        None => grants(&runtime, &aws, &proxy),
    }
}

fn throttled(proxy: &Proxy) -> usize {
    proxy
        .calls()
        .iter()
        .filter(|c| {
            c.fault.as_deref().is_some_and(|f| {
                f.contains("throttle") || f.contains("rate limit") || f.contains("limit")
            })
        })
        .count()
}

/// 100 grant creations, 10 at a time, under Identity Center's limits.
fn grants(
    runtime: &tokio::runtime::Runtime,
    aws: &AwsClients,
    proxy: &Proxy,
) -> Result<String, String> {
    let instance = runtime
        .block_on(aws.sso_admin.list_instances().send())
        .map_err(|e| format!("{e:?}"))?
        .instances()
        .first()
        .and_then(|i| i.instance_arn())
        .unwrap_or_default()
        .to_string();
    runtime
        .block_on(aws.scheduler().ensure_schedule_group(GROUP))
        .map_err(|e| e.to_string())?;
    let set = format!(
        "{}/ps-0000000000000001",
        instance.replace(":instance/", ":permissionSet/")
    );
    proxy.clear();
    proxy.rate_limit("sso-admin", 20.0);
    proxy.limit_assignment_creations(10, Duration::from_secs(2));
    let aws = Arc::new(aws.clone());
    let parallel = Arc::new(tokio::sync::Semaphore::new(10));
    let started = Instant::now();
    let outcomes = runtime.block_on(async {
        let mut tasks = Vec::new();
        for i in 0..100 {
            let (aws, parallel) = (Arc::clone(&aws), Arc::clone(&parallel));
            let principal = format!("u-bench-{}-{i:04}", std::process::id());
            let key = AssignmentKey::new(&instance, "123456789012", &set, "USER", &principal);
            tasks.push(tokio::spawn(async move {
                let _slot = parallel.acquire().await;
                one_grant(&aws, &key, i).await
            }));
        }
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap_or_else(|e| Err(e.to_string())));
        }
        outcomes
    });
    let wall = started.elapsed().as_secs_f64();
    let failures: Vec<&String> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    let first = failures
        .first()
        .map(|f| f.chars().take(120).collect::<String>())
        .unwrap_or_default();
    Ok(format!(
        "cell {wall:.3} calls {} throttled {} failed {} {first}",
        proxy.calls().len(),
        throttled(proxy),
        failures.len()
    ))
}

/// The calls of one grant creation, as the provider makes them.
async fn one_grant(aws: &AwsClients, key: &AssignmentKey, i: usize) -> Result<(), String> {
    let sso = aws.sso_admin();
    sso.list_account_assignments(key)
        .await
        .map_err(|e| e.to_string())?;
    aws.scheduler()
        .list_schedule_names(GROUP, &key.lease_prefix())
        .await
        .map_err(|e| e.to_string())?;
    let schedule = Schedule {
        name: key.lease_name(&format!("{i:016x}")),
        description: Some("jit_grant lease {}".into()),
        expression: "at(2099-01-01T00:00:00)".into(),
        timezone: Some("UTC".into()),
        enabled: true,
        target: ScheduleTarget {
            arn: "arn:aws:scheduler:::aws-sdk:ssoadmin:deleteAccountAssignment".into(),
            role_arn: "arn:aws:iam::123456789012:role/jit-revoker".into(),
            input: Some(key.to_input()),
            ..ScheduleTarget::default()
        },
        flexible_window_minutes: None,
        delete_after_completion: true,
    };
    aws.scheduler()
        .create_schedule(GROUP, &schedule)
        .await
        .map_err(|e| e.to_string())?;
    sso.create_account_assignment(key, Duration::from_secs(300))
        .await
        .map_err(|e| e.into_error().to_string())?;
    aws.scheduler()
        .update_schedule(GROUP, &schedule)
        .await
        .map_err(|e| e.to_string())
}

/// 100 `jit_grant`s through Terraform and the provider as built.
fn terraform_grants(moto: &Moto) -> Result<String, String> {
    let aws = Aws::new(&moto.endpoint());
    aws.run(async {
        let sso = &aws.clients.sso_admin;
        let instances = sso
            .list_instances()
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let instance = &instances.instances()[0];
        let store = instance.identity_store_id().unwrap_or_default();
        for i in 0..100 {
            let name = format!("tfbench{i}@example.com");
            aws.clients
                .identity_store
                .create_user()
                .identity_store_id(store)
                .user_name(&name)
                .display_name(&name)
                .name(
                    aws_sdk_identitystore::types::Name::builder()
                        .given_name("B")
                        .family_name("B")
                        .build(),
                )
                .emails(
                    aws_sdk_identitystore::types::Email::builder()
                        .value(&name)
                        .primary(true)
                        .build(),
                )
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
        }
        sso.create_permission_set()
            .instance_arn(instance.instance_arn().unwrap_or_default())
            .name("JIT-Bench")
            .session_duration("PT1H")
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        Ok::<(), String>(())
    })?;
    let proxy = Proxy::start(moto.port());
    let dir = tests::tools::tools()
        .work_root
        .join(format!("bench-retry-{}", std::process::id()));
    let tf = Tf::new(TfVersion::Latest, dir, moto, "rb");
    let mut main = tf
        .provider("  revoker_role_arn = \"arn:aws:iam::123456789012:role/jit-revoker\"\n  grant_policy {\n    permission_set {\n      name = \"JIT-Bench\"\n      risk = \"low\"\n    }\n  }\n")
        .replace(&tf.endpoint, &proxy.endpoint());
    for i in 0..100 {
        main.push_str(&format!("\nresource \"jit_grant\" \"g{i}\" {{\n  principal      = \"tfbench{i}@example.com\"\n  account_id     = \"123456789012\"\n  permission_set = \"JIT-Bench\"\n  duration       = \"1h\"\n  reason         = \"Benchmark of one hundred grants\"\n  requested_by   = \"tfbench{i}@example.com\"\n}}\n"));
    }
    tf.write_main(&[&main]);
    tf.init();
    proxy.rate_limit("sso-admin", 20.0);
    proxy.limit_assignment_creations(10, Duration::from_secs(2));
    proxy.clear();
    let started = Instant::now();
    let applied = tf.run(&["apply", "-auto-approve", "-no-color"]);
    let wall = started.elapsed().as_secs_f64();
    let errors = applied.all().matches("Error:").count();
    let row = format!(
        "| terraform 100 grants | as built | {wall:.1} s | calls {} throttled {} errors {errors} exit {} |",
        proxy.calls().len(),
        throttled(&proxy),
        applied.code
    );
    let _ = std::fs::remove_dir_all(&tf.dir);
    Ok(row)
}
