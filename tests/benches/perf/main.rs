//! Benchmark (never part of the test command): the provider side by side with
//! HashiCorp's Go null provider 2.1.2, printed as one Markdown table with the
//! goals of issue 15 beside each figure.
//!
//! Run it with `bash scripts/bench.sh` (installs the null provider, then
//! `cargo bench -p tests --bench perf --profile dev`). Sections, in order:
//!
//! - `build`: cold `cargo build --release` of the provider in a fresh target
//!   directory, an incremental one (after touching `provider/src/lib.rs`),
//!   and the release binary's size;
//! - `handshake`: process start → go-plugin handshake line (AutoMTLS), median
//!   of 30, and the CPU the plugin used until then;
//! - `plan`: `terraform plan` of 1,000 `jit_role_policy` vs 1,000
//!   `null_data_source` on Terraform 1.15.5 and 1.0.3: wall, CPU of the whole
//!   command, CPU and peak RSS of the plugin processes alone;
//! - `apply`: `terraform apply` of 1 and 100 `jit_grant` and one
//!   `jit_user_block` with 0/50/200 ms added to each AWS call by a proxy:
//!   the provider's time on Terraform's critical path outside AWS calls,
//!   per resource; and 100 grants under 20 requests/s per service with at
//!   most 10 assignment creations outstanding;
//! - `refresh`: AWS calls per operation (moto's request recorder) of a
//!   refresh of 1,000 grants over 10 accounts × 5 permission sets.
//!
//! `bash scripts/bench.sh plan handshake` runs only the named sections.
//! Environment: `JIT_BENCH_RUNS` (plan/apply runs per cell, default 5/3),
//! `JIT_BENCH_PROVIDER` (measure this binary instead of building the
//! release one), `JIT_BENCH_NULL` (the null provider binary),
//! `JIT_BENCH_REFRESH_GRANTS` (default 1000), `JIT_BENCH_COLD=0` (skip the
//! cold build), `JIT_BENCH_APPLY=grant|user block` (one apply case),
//! `JIT_BENCH_DEBUG=1` (print every plugin process of each apply: handshake,
//! life, CPU, each RPC with its start and duration).

mod apply;
mod build;
mod fixtures;
mod handshake;
mod plan;
mod proxy;
mod refresh;
mod wrap;

use std::path::{Path, PathBuf};
use std::time::Instant;

use tests::tools::tools;
use tests::Moto;

/// Every section, in the order they run.
const SECTIONS: [&str; 5] = ["build", "handshake", "plan", "apply", "refresh"];

/// One line of the table.
#[derive(Debug, Clone)]
pub struct Row {
    /// What is measured.
    pub figure: String,
    /// The jit provider's figure.
    pub jit: String,
    /// The Go null provider's figure, or `—`.
    pub null: String,
    /// jit / null, or `—`.
    pub ratio: String,
    /// The goal.
    pub goal: String,
    /// `yes`, `no` or `—` (no goal).
    pub met: &'static str,
}

impl Row {
    /// A figure with no peer.
    pub fn solo(
        figure: impl Into<String>,
        jit: impl Into<String>,
        goal: &str,
        met: Option<bool>,
    ) -> Self {
        Self {
            figure: figure.into(),
            jit: jit.into(),
            null: "—".into(),
            ratio: "—".into(),
            goal: goal.into(),
            met: verdict(met),
        }
    }

    /// A figure with the null provider beside it; the goal is a ratio bound.
    pub fn versus(
        figure: impl Into<String>,
        jit: f64,
        null: f64,
        unit: Unit,
        max_ratio: Option<f64>,
        goal: &str,
    ) -> Self {
        let ratio = if null > 0.0 { jit / null } else { f64::NAN };
        Self {
            figure: figure.into(),
            jit: unit.show(jit),
            null: unit.show(null),
            ratio: if ratio.is_finite() {
                format!("{ratio:.2}")
            } else {
                "—".into()
            },
            goal: goal.into(),
            met: verdict(max_ratio.map(|max| ratio.is_finite() && ratio <= max)),
        }
    }
}

/// `yes` / `no` / `—`.
pub fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "yes",
        Some(false) => "**no**",
        None => "—",
    }
}

/// How a number is shown.
#[derive(Debug, Clone, Copy)]
pub enum Unit {
    /// Milliseconds, from ms.
    Ms,
    /// Seconds, from ms.
    S,
    /// MiB, from KiB.
    MiB,
    /// MB, from bytes.
    MB,
}

impl Unit {
    /// The value with its unit.
    pub fn show(self, value: f64) -> String {
        match self {
            Self::Ms if value < 10.0 => format!("{value:.2} ms"),
            Self::Ms => format!("{value:.0} ms"),
            Self::S => format!("{:.2} s", value / 1000.0),
            Self::MiB => format!("{:.1} MiB", value / 1024.0),
            Self::MB => format!("{:.1} MB", value / 1e6),
        }
    }
}

/// The median of some samples (0 when empty).
pub fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    match samples.len() {
        0 => 0.0,
        n if n % 2 == 1 => samples[n / 2],
        n => (samples[n / 2 - 1] + samples[n / 2]) / 2.0,
    }
}

/// Progress on stderr (the table alone goes to stdout).
#[macro_export]
macro_rules! progress {
    ($($arg:tt)*) => {
        eprintln!("bench: {}", format!($($arg)*))
    };
}

/// What every section shares.
pub struct Bench {
    /// The release provider binary measured.
    pub jit: PathBuf,
    /// The Go null provider binary.
    pub null: PathBuf,
    /// Runs per cell.
    pub runs: Option<usize>,
    /// Scratch directory of this run.
    pub scratch: PathBuf,
    /// Load averages noted at the start of each section.
    pub loads: Vec<(String, String)>,
}

impl Bench {
    /// Notes the machine's load before a section.
    pub fn note_load(&mut self, section: &str) {
        self.loads.push((section.to_string(), load_average()));
    }
}

fn main() {
    if wrap::is_wrapper() {
        std::process::exit(wrap::run());
    }
    if let Err(error) = run() {
        eprintln!("bench failed: {error}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let started = Instant::now();
    let wanted: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with("--"))
        .collect();
    for section in &wanted {
        if !SECTIONS.contains(&section.as_str()) {
            return Err(format!(
                "unknown section `{section}`; sections: {}",
                SECTIONS.join(", ")
            ));
        }
    }
    let wants = |section: &str| wanted.is_empty() || wanted.iter().any(|w| w == section);
    let repo = tools().repo.clone();
    let scratch = tools()
        .work_root
        .join(format!("bench-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).map_err(|e| format!("scratch directory: {e}"))?;
    // moto's request recorder writes here (inherited by every moto started).
    std::env::set_var("MOTO_RECORDER_FILEPATH", scratch.join("moto_recording"));
    let runs = std::env::var("JIT_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(|n: usize| n.clamp(1, 30));
    let null = std::env::var_os("JIT_BENCH_NULL")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join(".tools/bench/terraform-provider-null_v2.1.2_x4"));
    if !null.exists() {
        return Err(format!(
            "{} is missing: run the bench through `bash scripts/bench.sh`, which installs it",
            null.display()
        ));
    }
    let mut rows = Vec::new();
    let mut bench = Bench {
        jit: PathBuf::new(),
        null,
        runs,
        scratch: scratch.clone(),
        loads: Vec::new(),
    };
    let start_load = load_average();
    if wants("build") {
        bench.note_load("build");
        rows.extend(build::run(&repo, &bench)?);
    }
    bench.jit = match std::env::var_os("JIT_BENCH_PROVIDER") {
        Some(path) => PathBuf::from(path),
        None => build::release_binary(&repo)?,
    };
    if !wanted.is_empty() && !wants("build") {
        rows.push(build::size_row(&bench));
    }
    if wants("handshake") {
        bench.note_load("handshake");
        rows.extend(handshake::run(&bench)?);
    }
    if wants("plan") || wants("apply") {
        let moto = Moto::start();
        if wants("plan") {
            bench.note_load("plan");
            rows.extend(plan::run(&mut bench, &moto)?);
        }
        if wants("apply") {
            bench.note_load("apply");
            rows.extend(apply::run(&mut bench, &moto)?);
        }
    }
    if wants("refresh") {
        bench.note_load("refresh");
        rows.extend(refresh::run(&mut bench)?);
    }
    let end_load = load_average();
    print_report(
        &bench,
        &rows,
        &start_load,
        &end_load,
        started.elapsed().as_secs_f64(),
    );
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

fn print_report(bench: &Bench, rows: &[Row], start: &str, end: &str, seconds: f64) {
    println!("\n## terraform-provider-jit vs Go null provider 2.1.2\n");
    println!("Machine: {}", machine());
    println!(
        "Load average (1/5/15 min): at start {start}; at end {end}; per section: {}.",
        bench
            .loads
            .iter()
            .map(|(section, load)| format!("{section} {load}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "With load above the core count, wall times are inflated and noisy; CPU times and call counts are the figures to compare.\n"
    );
    println!("| figure | jit | Go null | ratio | goal | met |");
    println!("| --- | ---: | ---: | ---: | --- | :---: |");
    for row in rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            row.figure, row.jit, row.null, row.ratio, row.goal, row.met
        );
    }
    println!(
        "\nProvider binary: `{}`. Bench took {:.0} s.",
        bench.jit.display(),
        seconds
    );
}

/// `0.52 0.58 0.59` from /proc/loadavg.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<u64>().ok())
        .map_or(String::new(), |kb| {
            format!(", {:.0} GiB RAM", kb as f64 / 1048576.0)
        });
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let rustc = command_line("rustc", &["--version"]);
    format!(
        "{model}, {cores} cores{memory}, Linux {}, {rustc}",
        kernel.trim()
    )
}

/// The first line a command prints, or `?`.
pub fn command_line(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Writes `content` to `path`, creating parents.
pub fn write(path: &Path, content: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    std::fs::write(path, content).map_err(|e| format!("{}: {e}", path.display()))
}
