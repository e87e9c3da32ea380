//! `terraform plan` of 1,000 data sources: `jit_role_policy` (pure, no AWS)
//! against HashiCorp's `null_data_source`, on both Terraform versions.

use std::path::{Path, PathBuf};
use std::time::Instant;

use tests::tools::{PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};
use tests::{Moto, Tf, TfVersion};

use crate::wrap::{self, Process};
use crate::{median, progress, write, Bench, Row, Unit};

/// Data sources per plan.
const COUNT: usize = 1000;
/// Plans per cell unless `JIT_BENCH_RUNS` says otherwise.
const DEFAULT_RUNS: usize = 5;

/// `(address, file name)` of both providers in a filesystem mirror.
fn mirror_entries() -> [(String, String); 2] {
    let version = terraform_provider_jit::VERSION;
    [
        (
            format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}/{version}/linux_amd64"),
            format!("terraform-provider-{PROVIDER_TYPE}_v{version}"),
        ),
        (
            format!("{PROVIDER_HOST}/hashicorp/null/2.1.2/linux_amd64"),
            "terraform-provider-null_v2.1.2_x4".to_string(),
        ),
    ]
}

/// A mirror holding `jit` and `null`: the real binaries, or (wrapped) the
/// bench binary standing in for both.
pub fn mirror(root: &Path, jit: &Path, null: &Path, wrapped: bool) -> Result<PathBuf, String> {
    let this = std::env::current_exe().map_err(|e| format!("current exe: {e}"))?;
    for ((dir, name), real) in mirror_entries().iter().zip([jit, null]) {
        let dir = root.join(dir);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let target = dir.join(name);
        let _ = std::fs::remove_file(&target);
        let source = if wrapped { this.as_path() } else { real };
        if std::fs::hard_link(source, &target).is_err() {
            std::fs::copy(source, &target).map_err(|e| format!("{}: {e}", target.display()))?;
        }
    }
    Ok(root.to_path_buf())
}

/// CLI configuration installing both providers from `mirror` only.
pub fn terraformrc(mirror: &Path) -> String {
    let jit = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
    let null = format!("{PROVIDER_HOST}/hashicorp/null");
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{jit}\", \"{null}\"]\n  }}\n  direct {{\n    exclude = [\"{jit}\", \"{null}\"]\n  }}\n}}\n",
        mirror.display()
    )
}

fn config(provider: &str) -> String {
    let cidr = "\"10.${floor(count.index / 256)}.${count.index % 256}.0/24\"";
    match provider {
        "jit" => format!(
            "terraform {{\n  required_providers {{\n    jit = {{\n      source = \"{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}\"\n    }}\n  }}\n}}\n\nprovider \"jit\" {{\n  region = \"eu-west-1\"\n}}\n\ndata \"jit_role_policy\" \"p\" {{\n  count             = {COUNT}\n  environment       = \"prod\"\n  role              = \"security-engineer\"\n  allowed_ip_ranges = [{cidr}]\n}}\n"
        ),
        _ => format!(
            "terraform {{\n  required_providers {{\n    null = {{\n      source = \"hashicorp/null\"\n    }}\n  }}\n}}\n\ndata \"null_data_source\" \"p\" {{\n  count = {COUNT}\n  inputs = {{\n    cidr = {cidr}\n  }}\n}}\n"
        ),
    }
}

/// CPU time of every reaped child so far (µs).
pub fn children_cpu_us() -> u64 {
    // SAFETY: rusage is plain data; getrusage fills it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: valid out-pointer.
    unsafe { libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage) };
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// One Terraform working directory of the plan bench.
struct Dir {
    tf: Tf,
    provider: &'static str,
    wrapped: bool,
}

#[derive(Default)]
struct Cell {
    wall_ms: Vec<f64>,
    cpu_ms: Vec<f64>,
    provider_cpu_ms: Vec<f64>,
    provider_rss_kb: Vec<f64>,
    processes: usize,
}

/// Measures one plan; wrapped plans yield the plugin processes too.
fn plan_once(dir: &Dir, log: &Path) -> Result<(f64, f64, Vec<Process>), String> {
    let _ = std::fs::remove_file(log);
    let log_text = log.display().to_string();
    let env: Vec<(&str, &str)> = if dir.wrapped {
        vec![(wrap::LOG, log_text.as_str())]
    } else {
        Vec::new()
    };
    let cpu_before = children_cpu_us();
    let started = Instant::now();
    let out = dir.tf.run_env(&["plan", "-no-color", "-input=false"], &env);
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let cpu = (children_cpu_us() - cpu_before) as f64 / 1000.0;
    if !out.success() {
        return Err(format!("`{}` failed:\n{}", out.command, out.all()));
    }
    Ok((wall, cpu, wrap::read_log(log)))
}

/// Every cell on both Terraform versions.
pub fn run(bench: &mut Bench, moto: &Moto) -> Result<Vec<Row>, String> {
    let runs = bench.runs.unwrap_or(DEFAULT_RUNS);
    let plain = mirror(
        &bench.scratch.join("mirror-plain"),
        &bench.jit,
        &bench.null,
        false,
    )?;
    let wrapped = mirror(
        &bench.scratch.join("mirror-wrapped"),
        &bench.jit,
        &bench.null,
        true,
    )?;
    let mut rows = Vec::new();
    for version in [TfVersion::Latest, TfVersion::Oldest] {
        progress!(
            "plan: {COUNT} data sources, Terraform {}, {runs} runs per cell",
            version.as_str()
        );
        let mut dirs = Vec::new();
        for provider in ["jit", "null"] {
            for is_wrapped in [false, true] {
                let name = format!(
                    "plan-{}-{provider}-{}",
                    version.as_str(),
                    if is_wrapped { "wrapped" } else { "plain" }
                );
                let mut tf = Tf::new(version, bench.scratch.join(&name), moto, "p");
                tf.write(
                    "terraformrc",
                    &terraformrc(if is_wrapped { &wrapped } else { &plain }),
                );
                tf.set_env(wrap::REAL_JIT, &bench.jit.display().to_string());
                tf.set_env(wrap::REAL_NULL, &bench.null.display().to_string());
                write(&tf.dir.join("main.tf"), &config(provider))?;
                let init = tf.run(&["init", "-no-color", "-input=false"]);
                if !init.success() {
                    return Err(format!("init of {name} failed:\n{}", init.all()));
                }
                dirs.push(Dir {
                    tf,
                    provider,
                    wrapped: is_wrapped,
                });
            }
        }
        let log = bench.scratch.join("wrap.log");
        // Warm-up: page cache, and Terraform's own first-run work.
        for dir in &dirs {
            plan_once(dir, &log)?;
        }
        let mut cells: Vec<Cell> = dirs.iter().map(|_| Cell::default()).collect();
        for _ in 0..runs {
            for (dir, cell) in dirs.iter().zip(cells.iter_mut()) {
                let (wall, cpu, processes) = plan_once(dir, &log)?;
                if dir.wrapped {
                    cell.provider_cpu_ms
                        .push(processes.iter().map(|p| p.cpu_us).sum::<u64>() as f64 / 1000.0);
                    cell.provider_rss_kb
                        .push(processes.iter().map(|p| p.maxrss_kb).max().unwrap_or(0) as f64);
                    cell.processes = processes.len();
                } else {
                    cell.wall_ms.push(wall);
                    cell.cpu_ms.push(cpu);
                }
            }
        }
        let cell = |provider: &str, is_wrapped: bool| {
            dirs.iter()
                .position(|d| d.provider == provider && d.wrapped == is_wrapped)
                .map(|i| &cells[i])
        };
        let (Some(jit), Some(null), Some(jit_w), Some(null_w)) = (
            cell("jit", false),
            cell("null", false),
            cell("jit", true),
            cell("null", true),
        ) else {
            return Err("plan cells missing".into());
        };
        let v = version.as_str();
        rows.push(Row::versus(
            format!("`terraform plan` wall, {COUNT} data sources, TF {v} (median of {runs})"),
            median(jit.wall_ms.clone()),
            median(null.wall_ms.clone()),
            Unit::S,
            Some(0.7),
            "ratio ≤ 0.7",
        ));
        rows.push(Row::versus(
            format!("`terraform plan` CPU (Terraform + plugins, user+sys), TF {v}"),
            median(jit.cpu_ms.clone()),
            median(null.cpu_ms.clone()),
            Unit::Ms,
            None,
            "— (reported)",
        ));
        rows.push(Row::versus(
            format!(
                "provider CPU in that plan (all {}/{} plugin processes), TF {v}",
                jit_w.processes, null_w.processes
            ),
            median(jit_w.provider_cpu_ms.clone()),
            median(null_w.provider_cpu_ms.clone()),
            Unit::Ms,
            Some(0.25),
            "ratio ≤ 0.25",
        ));
        rows.push(Row::versus(
            format!("provider peak RSS in that plan, TF {v}"),
            median(jit_w.provider_rss_kb.clone()),
            median(null_w.provider_rss_kb.clone()),
            Unit::MiB,
            Some(0.5),
            "ratio ≤ 0.5",
        ));
    }
    Ok(rows)
}
