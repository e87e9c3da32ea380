//! `terraform apply` with the AWS calls delayed by a proxy: how long the
//! provider itself is on Terraform's critical path per resource, outside the
//! AWS round trips; and 100 grants under Identity Center's limits.

use std::time::{Duration, Instant};

use tests::{Moto, Tf, TfVersion};

use crate::fixtures::{self, Grants};
use crate::plan::{mirror, terraformrc};
use crate::proxy::{Faults, Proxy};
use crate::wrap::{self, busy_intervals, length, overlap, union};
use crate::{median, progress, Bench, Row};

/// Delay added to each AWS call, ms.
const DELAYS_MS: [u64; 3] = [0, 50, 200];
/// Goal: the provider's share of a user-block apply at 0 ms.
const USER_BLOCK_GOAL_MS: f64 = 100.0;

/// One measured apply.
#[derive(Debug, Clone, Copy, Default)]
struct Sample {
    wall_ms: f64,
    provider_ms: f64,
    cpu_ms: f64,
    calls: u32,
    throttled: u32,
    processes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Grants(usize),
    UserBlock,
}

impl Case {
    fn label(self) -> String {
        match self {
            Self::Grants(1) => "1 grant".into(),
            Self::Grants(n) => format!("{n} grants"),
            Self::UserBlock => "1 user block (IAM)".into(),
        }
    }
    fn resources(self) -> f64 {
        match self {
            Self::Grants(n) => n as f64,
            Self::UserBlock => 1.0,
        }
    }
}

struct Work<'a> {
    tf: Tf,
    case: Case,
    grants: Option<Grants>,
    aws: &'a tests::Aws,
    moto: &'a Moto,
    log: std::path::PathBuf,
}

impl Work<'_> {
    fn config(&self, endpoint: &str, user: &str) -> String {
        match &self.grants {
            Some(grants) => grants.config(endpoint),
            None => fixtures::user_block_config(endpoint, user),
        }
    }

    fn terraform(&self, args: &[&str], log: bool) -> Result<f64, String> {
        let _ = std::fs::remove_file(&self.log);
        let log_path = self.log.display().to_string();
        let env: Vec<(&str, &str)> = if log {
            vec![(wrap::LOG, log_path.as_str())]
        } else {
            vec![(wrap::LOG, "/dev/null")]
        };
        let started = Instant::now();
        let out = self.tf.run_env(args, &env);
        let wall = started.elapsed().as_secs_f64() * 1000.0;
        if !out.success() {
            return Err(format!("`{}` failed:\n{}", out.command, out.all()));
        }
        Ok(wall)
    }

    /// One apply through `proxy`, then a destroy straight at moto.
    fn measure(&self, proxy: &Proxy, user: &str) -> Result<Sample, String> {
        if self.case == Case::UserBlock {
            fixtures::iam_user(self.aws, user)?;
        }
        self.tf
            .write("main.tf", &self.config(&proxy.endpoint(), user));
        proxy.reset();
        let wall_ms = self.terraform(
            &["apply", "-auto-approve", "-no-color", "-input=false"],
            true,
        )?;
        let (calls, throttled, aws) = proxy.totals();
        let processes = wrap::read_log(&self.log);
        if std::env::var_os("JIT_BENCH_DEBUG").is_some() {
            for p in &processes {
                let ms = |a: u64, b: u64| b.saturating_sub(a) as f64 / 1000.0;
                let rpcs: Vec<String> = p
                    .rpcs
                    .iter()
                    .map(|(s, e, r)| {
                        format!(
                            "{}@{:.1}+{:.1}",
                            r.rsplit('/').next().unwrap_or(r),
                            ms(p.start_us, *s),
                            *e as f64 / 1000.0
                        )
                    })
                    .collect();
                progress!(
                    "  process: handshake {:.1} ms, life {:.1} ms, cpu {:.1} ms; rpcs: {}",
                    ms(p.start_us, p.handshake_us),
                    ms(p.start_us, p.exit_us),
                    p.cpu_us as f64 / 1000.0,
                    rpcs.join(" ")
                );
            }
        }
        let busy = union(busy_intervals(&processes));
        let aws = union(aws);
        let provider_us = length(&busy).saturating_sub(overlap(&busy, &aws));
        self.tf
            .write("main.tf", &self.config(&self.moto.endpoint(), user));
        self.terraform(
            &["destroy", "-auto-approve", "-no-color", "-input=false"],
            false,
        )?;
        Ok(Sample {
            wall_ms,
            provider_ms: provider_us as f64 / 1000.0,
            cpu_ms: processes.iter().map(|p| p.cpu_us).sum::<u64>() as f64 / 1000.0,
            calls,
            throttled,
            processes: processes.len(),
        })
    }
}

fn work<'a>(
    bench: &Bench,
    moto: &'a Moto,
    aws: &'a tests::Aws,
    case: Case,
    index: usize,
) -> Result<Work<'a>, String> {
    let wrapped = mirror(
        &bench.scratch.join("mirror-wrapped"),
        &bench.jit,
        &bench.null,
        true,
    )?;
    let prefix = format!("b{index}{:x}", std::process::id() % 4096);
    let mut tf = Tf::new(
        TfVersion::Latest,
        bench.scratch.join(format!("apply-{index}")),
        moto,
        &prefix,
    );
    tf.write("terraformrc", &terraformrc(&wrapped));
    tf.set_env(wrap::REAL_JIT, &bench.jit.display().to_string());
    tf.set_env(wrap::REAL_NULL, &bench.null.display().to_string());
    tf.set_env(wrap::RPC, "1");
    // Who applied comes from here, not from STS.
    tf.set_env("JIT_APPLIED_BY", "bench");
    let grants = match case {
        // 100 grants: 20 users × 5 permission sets in one account.
        Case::Grants(n) => {
            let users = if n >= 5 { n / 5 } else { n };
            let sets = if n >= 5 { 5 } else { 1 };
            Some(Grants::create(aws, &prefix, users, sets, 1)?)
        }
        Case::UserBlock => None,
    };
    let work = Work {
        tf,
        case,
        grants,
        aws,
        moto,
        log: bench.scratch.join(format!("apply-{index}.log")),
    };
    work.tf
        .write("main.tf", &work.config(&moto.endpoint(), "placeholder"));
    let init = work.tf.run(&["init", "-no-color", "-input=false"]);
    if !init.success() {
        return Err(format!("init failed:\n{}", init.all()));
    }
    Ok(work)
}

/// Every case at every delay, then the throttled apply.
pub fn run(bench: &mut Bench, moto: &Moto) -> Result<Vec<Row>, String> {
    let aws = tests::Aws::new(&moto.endpoint());
    let mut rows = Vec::new();
    let only = std::env::var("JIT_BENCH_APPLY").unwrap_or_default();
    for (index, case) in [Case::Grants(1), Case::Grants(100), Case::UserBlock]
        .into_iter()
        .enumerate()
    {
        if !only.is_empty() && !case.label().contains(only.as_str()) {
            continue;
        }
        let work = work(bench, moto, &aws, case, index)?;
        let runs = match case {
            Case::Grants(n) if n > 1 => 1,
            _ => bench.runs.unwrap_or(3),
        };
        for delay in DELAYS_MS {
            progress!(
                "apply: {}, +{delay} ms per AWS call, {runs} run(s)",
                case.label()
            );
            let proxy = Proxy::start(
                moto.port(),
                Faults {
                    delay: Duration::from_millis(delay),
                    ..Faults::default()
                },
            )?;
            let mut samples = Vec::new();
            for run in 0..runs {
                let user = format!("{}-d{delay}-r{run}", work.tf.prefix);
                samples.push(work.measure(&proxy, &user)?);
            }
            proxy.stop();
            let pick = |f: fn(&Sample) -> f64| median(samples.iter().map(f).collect());
            let per = case.resources();
            let provider = pick(|s| s.provider_ms) / per;
            let goal_met =
                (case == Case::UserBlock && delay == 0).then_some(provider <= USER_BLOCK_GOAL_MS);
            rows.push(Row::solo(
                format!(
                    "apply {}, +{delay} ms per AWS call: provider time per resource (CPU; whole apply; AWS calls; plugin processes)",
                    case.label()
                ),
                format!(
                    "{provider:.1} ms ({:.1} ms; {:.2} s; {:.0}; {})",
                    pick(|s| s.cpu_ms) / per,
                    pick(|s| s.wall_ms) / 1000.0,
                    pick(|s| f64::from(s.calls)),
                    samples.first().map_or(0, |s| s.processes),
                ),
                if case == Case::UserBlock && delay == 0 { "≤ 100 ms" } else { "— (reported)" },
                goal_met,
            ));
        }
        if case == Case::Grants(100) {
            rows.push(throttled(&work)?);
        }
        let _ = std::fs::remove_dir_all(&work.tf.dir);
    }
    Ok(rows)
}

/// 100 grants with Identity Center's limits enforced by the proxy.
fn throttled(work: &Work<'_>) -> Result<Row, String> {
    progress!("apply: 100 grants at 20 requests/s per service, ≤ 10 creations outstanding (each held 2 s)");
    let proxy = Proxy::start(
        work.moto.port(),
        Faults {
            delay: Duration::ZERO,
            rate_per_service: Some(20),
            hold_creations: Some(Duration::from_secs(2)),
            max_outstanding_creations: 10,
        },
    )?;
    let result = work.measure(&proxy, "unused");
    proxy.stop();
    let (text, met) = match result {
        Ok(s) => (
            format!(
                "succeeded: {:.1} s, {} calls, {} throttled and retried",
                s.wall_ms / 1000.0,
                s.calls,
                s.throttled
            ),
            true,
        ),
        Err(error) => {
            let summary = error
                .lines()
                .find(|l| l.contains("Error:"))
                .unwrap_or("apply failed")
                .trim()
                .replace('|', "/");
            // Leave nothing behind for the next case.
            work.tf
                .write("main.tf", &work.config(&work.moto.endpoint(), "unused"));
            let _ = work.terraform(
                &["destroy", "-auto-approve", "-no-color", "-input=false"],
                false,
            );
            (format!("failed: {summary}"), false)
        }
    };
    Ok(Row::solo(
        "apply 100 grants at 20 requests/s per service, ≤ 10 assignment creations outstanding",
        text,
        "no throttling failure",
        Some(met),
    ))
}
