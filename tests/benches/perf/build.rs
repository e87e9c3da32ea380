//! Release build of the provider: cold (fresh target directory), incremental
//! (one source file touched) and the binary's size.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::{progress, Bench, Row, Unit};

/// The goals of issue 15.
const COLD_GOAL_S: f64 = 360.0;
const SIZE_GOAL_BYTES: f64 = 20e6;

/// Cargo's per-package variables, inherited from `cargo bench`, would change
/// build-script fingerprints and rebuild half the tree.
const PACKAGE_ENV_PREFIXES: &[&str] = &[
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_BIN_",
    "OUT_DIR",
];

fn cargo(repo: &Path) -> Command {
    let mut command = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if PACKAGE_ENV_PREFIXES.iter().any(|p| key.starts_with(p)) {
            command.env_remove(key);
        }
    }
    command.current_dir(repo);
    command
}

/// `cargo build --release` of the provider binary into `target_dir`
/// (default: the workspace's); returns the seconds it took, wall and CPU
/// (cargo and every compiler it ran, user + system).
fn release_build(repo: &Path, target_dir: Option<&Path>) -> Result<(f64, f64), String> {
    let mut command = cargo(repo);
    command.args([
        "build",
        "--release",
        "--quiet",
        "-p",
        "terraform-provider-jit",
        "--bin",
        "terraform-provider-jit",
    ]);
    if let Some(dir) = target_dir {
        command.env("CARGO_TARGET_DIR", dir);
    }
    let cpu_before = crate::plan::children_cpu_us();
    let started = Instant::now();
    let status = command
        .status()
        .map_err(|e| format!("cargo build --release: {e}"))?;
    if !status.success() {
        return Err("cargo build --release failed".into());
    }
    let cpu = (crate::plan::children_cpu_us() - cpu_before) as f64 / 1e6;
    Ok((started.elapsed().as_secs_f64(), cpu))
}

fn minutes(seconds: f64) -> String {
    format!("{}:{:02}", seconds as u64 / 60, seconds as u64 % 60)
}

fn target_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
}

/// Builds (when stale) the release provider and returns its path.
pub fn release_binary(repo: &Path) -> Result<PathBuf, String> {
    release_build(repo, None)?;
    Ok(target_dir(repo).join("release/terraform-provider-jit"))
}

fn size_of(path: &Path) -> f64 {
    std::fs::metadata(path).map_or(0.0, |m| m.len() as f64)
}

/// The binary size against the null provider's.
pub fn size_row(bench: &Bench) -> Row {
    let (jit, null) = (size_of(&bench.jit), size_of(&bench.null));
    Row::versus(
        "release binary size",
        jit,
        null,
        Unit::MB,
        Some(1.0),
        "≤ 20 MB (ratio ≤ 1.0)",
    )
    .with_met(jit <= SIZE_GOAL_BYTES && jit <= null)
}

/// Cold build (skipped with `JIT_BENCH_COLD=0`), incremental build, size.
pub fn run(repo: &Path, bench: &Bench) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    if std::env::var("JIT_BENCH_COLD").as_deref() == Ok("0") {
        rows.push(Row::solo(
            "cold `cargo build --release` (provider)",
            "skipped (JIT_BENCH_COLD=0)",
            "≤ 6 min",
            None,
        ));
    } else {
        let cold_dir = bench.scratch.join("cold-target");
        let _ = std::fs::remove_dir_all(&cold_dir);
        progress!(
            "cold release build into {} (several minutes)",
            cold_dir.display()
        );
        let (seconds, cpu) = release_build(repo, Some(&cold_dir))?;
        let _ = std::fs::remove_dir_all(&cold_dir);
        rows.push(Row::solo(
            "cold `cargo build --release` (provider, all dependencies): wall (CPU user+sys)",
            format!("{} ({})", minutes(seconds), minutes(cpu)),
            "≤ 6 min wall on an idle 2-core machine",
            Some(seconds <= COLD_GOAL_S),
        ));
    }
    progress!("release build (to make it fresh), then touch provider/src/lib.rs and rebuild");
    release_build(repo, None)?;
    let lib = repo.join("provider/src/lib.rs");
    let file = std::fs::File::options()
        .append(true)
        .open(&lib)
        .map_err(|e| format!("{}: {e}", lib.display()))?;
    file.set_modified(std::time::SystemTime::now())
        .map_err(|e| format!("touch {}: {e}", lib.display()))?;
    drop(file);
    let (seconds, cpu) = release_build(repo, None)?;
    rows.push(Row::solo(
        "incremental `cargo build --release` (provider/src/lib.rs touched): wall (CPU)",
        format!("{seconds:.0} s ({cpu:.0} s)"),
        "— (reported)",
        None,
    ));
    let jit = target_dir(repo).join("release/terraform-provider-jit");
    rows.push(size_row(&Bench {
        jit,
        null: bench.null.clone(),
        runs: None,
        scratch: bench.scratch.clone(),
        loads: Vec::new(),
    }));
    Ok(rows)
}

impl Row {
    /// Overrides the verdict.
    pub fn with_met(mut self, met: bool) -> Self {
        self.met = crate::verdict(Some(met));
        self
    }
}
