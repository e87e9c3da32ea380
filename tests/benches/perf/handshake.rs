//! Process start → go-plugin handshake line, started the way Terraform
//! starts a plugin (magic cookie, port range, AutoMTLS client certificate).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::{median, progress, Bench, Row, Unit};

/// Samples per provider.
const SAMPLES: usize = 30;
/// Goal: jit / null.
const GOAL_RATIO: f64 = 0.12;

const MAGIC_COOKIE: (&str, &str) = (
    "TF_PLUGIN_MAGIC_COOKIE",
    "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
);

/// One start: wall to the handshake line (ms) and the plugin's CPU until
/// then (ms, all threads, from /proc/PID/task/*/schedstat).
fn start_once(binary: &Path, client_cert: &str) -> Result<(f64, f64), String> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .env_clear()
        .env(MAGIC_COOKIE.0, MAGIC_COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env("PLUGIN_MIN_PORT", "10000")
        .env("PLUGIN_MAX_PORT", "25000")
        .env("PLUGIN_CLIENT_CERT", client_cert)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("start {}: {e}", binary.display()))?;
    let mut line = String::new();
    if let Some(stdout) = child.stdout.as_mut() {
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("read handshake: {e}"))?;
    }
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    let cpu = cpu_ms(child.id());
    let _ = child.kill();
    let _ = child.wait();
    if !line.contains("|grpc|") {
        return Err(format!(
            "{} printed no handshake line: `{line}`",
            binary.display()
        ));
    }
    Ok((wall, cpu))
}

/// CPU time of every thread of `pid` so far, in ms.
pub fn cpu_ms(pid: u32) -> f64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0.0;
    };
    tasks
        .filter_map(|task| {
            let path = task.ok()?.path().join("schedstat");
            let text = std::fs::read_to_string(path).ok()?;
            text.split_whitespace().next()?.parse::<u64>().ok()
        })
        .sum::<u64>() as f64
        / 1e6
}

/// A client certificate as Terraform passes one (PEM).
fn client_cert() -> Result<String, String> {
    let key = rcgen::KeyPair::generate().map_err(|e| format!("client key: {e}"))?;
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .map_err(|e| format!("client certificate: {e}"))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| format!("client certificate: {e}"))?;
    Ok(cert.pem())
}

/// Median of 30 starts of each provider, interleaved.
pub fn run(bench: &Bench) -> Result<Vec<Row>, String> {
    progress!("handshake: {SAMPLES} starts of each provider");
    let cert = client_cert()?;
    // One start of each first: page cache.
    start_once(&bench.jit, &cert)?;
    start_once(&bench.null, &cert)?;
    let (mut jit, mut null) = (Vec::new(), Vec::new());
    for _ in 0..SAMPLES {
        jit.push(start_once(&bench.jit, &cert)?);
        null.push(start_once(&bench.null, &cert)?);
    }
    let wall = |v: &[(f64, f64)]| median(v.iter().map(|s| s.0).collect());
    let cpu = |v: &[(f64, f64)]| median(v.iter().map(|s| s.1).collect());
    Ok(vec![
        Row::versus(
            format!("handshake wall (start → handshake line, AutoMTLS), median of {SAMPLES}"),
            wall(&jit),
            wall(&null),
            Unit::Ms,
            Some(GOAL_RATIO),
            "ratio ≤ 0.12",
        ),
        Row::versus(
            "handshake CPU (all threads until the handshake line), median",
            cpu(&jit),
            cpu(&null),
            Unit::Ms,
            None,
            "— (load-independent view of the line above)",
        ),
    ])
}
