//! Wrapper mode: the bench binary stands in for a provider in a mirror of
//! its own. Terraform starts it like the real plugin; it starts the real
//! binary (same arguments, same environment), passes the handshake line and
//! logs through, and when the plugin exits appends one JSON line to
//! `$JIT_BENCH_WRAP_LOG`: the plugin's CPU time and peak RSS (`wait4`), when
//! it started, sent its handshake line and exited, and the RPCs it reported
//! (`rpc finished` lines, logged by the jit provider at `info`).

use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

/// Names the real jit binary (the wrapper is the jit plugin).
pub const REAL_JIT: &str = "JIT_BENCH_WRAP_JIT";
/// Names the real Go null provider binary.
pub const REAL_NULL: &str = "JIT_BENCH_WRAP_NULL";
/// The file that receives one line per plugin process.
pub const LOG: &str = "JIT_BENCH_WRAP_LOG";
/// When `1`, the jit plugin runs with `TF_LOG_PROVIDER=info` so that it
/// reports each RPC's duration (the lines are not passed on).
pub const RPC: &str = "JIT_BENCH_WRAP_RPC";

/// True when this process was started as a wrapped plugin.
pub fn is_wrapper() -> bool {
    std::env::var_os(LOG).is_some() && std::env::var_os(REAL_JIT).is_some()
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_micros() as u64)
}

/// Runs the real plugin and records it; returns its exit code.
pub fn run() -> i32 {
    let mut args = std::env::args_os();
    let argv0 = args.next().unwrap_or_default();
    let is_null = argv0.to_string_lossy().contains("provider-null");
    let real = std::env::var_os(if is_null { REAL_NULL } else { REAL_JIT }).unwrap_or_default();
    let log = std::env::var_os(LOG).unwrap_or_default();
    let mut command = Command::new(&real);
    command
        .args(args)
        .env_remove(LOG)
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let rpc = !is_null && std::env::var(RPC).as_deref() == Ok("1");
    if rpc {
        command.env("TF_LOG_PROVIDER", "info");
    }
    let start_us = now_us();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            eprintln!(
                "bench wrapper: cannot start {}: {error}",
                real.to_string_lossy()
            );
            return 1;
        }
    };
    let pid = child.id();
    let stdout = child.stdout.take();
    let stderr = child.stderr.take();
    let handshake = std::thread::spawn(move || {
        let mut handshake_us = 0;
        if let Some(stdout) = stdout {
            let mut out = std::io::stdout();
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if handshake_us == 0 {
                    handshake_us = now_us();
                }
                let _ = writeln!(out, "{line}");
                let _ = out.flush();
            }
        }
        handshake_us
    });
    let logs = std::thread::spawn(move || {
        let mut rpcs = Vec::new();
        if let Some(stderr) = stderr {
            let mut err = std::io::stderr();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if line.contains("\"rpc finished\"") {
                    if let Ok(value) = serde_json::from_str::<Value>(&line) {
                        rpcs.push(json!([
                            value["start_unix_us"],
                            value["elapsed_us"],
                            value["rpc"]
                        ]));
                        continue;
                    }
                }
                let _ = writeln!(err, "{line}");
            }
        }
        rpcs
    });
    // SAFETY: rusage is plain data; wait4 fills it for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let mut status: libc::c_int = 0;
    // SAFETY: pid is our child; the out-pointers are valid.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    let exit_us = now_us();
    let handshake_us = handshake.join().unwrap_or(0);
    let rpcs = logs.join().unwrap_or_default();
    let tv = |t: libc::timeval| t.tv_sec as u64 * 1_000_000 + t.tv_usec as u64;
    let record = json!({
        "provider": if is_null { "null" } else { "jit" },
        "start_us": start_us,
        "handshake_us": handshake_us,
        "exit_us": exit_us,
        "user_us": tv(usage.ru_utime),
        "sys_us": tv(usage.ru_stime),
        "maxrss_kb": usage.ru_maxrss,
        "rpcs": rpcs,
    });
    if let Ok(mut file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&log)
    {
        // One write per line: concurrent wrappers append whole lines.
        let _ = file.write_all(format!("{record}\n").as_bytes());
    }
    if waited < 0 {
        return 1;
    }
    let status = std::process::ExitStatus::from_raw(status);
    status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0))
}

/// One plugin process as the wrapper recorded it.
#[derive(Debug, Clone, Default)]
pub struct Process {
    /// Spawned (µs since the epoch).
    pub start_us: u64,
    /// Handshake line seen (0 when never).
    pub handshake_us: u64,
    /// Reaped.
    pub exit_us: u64,
    /// User + system CPU time.
    pub cpu_us: u64,
    /// Peak resident set size.
    pub maxrss_kb: u64,
    /// `(start µs, elapsed µs, rpc path)`.
    pub rpcs: Vec<(u64, u64, String)>,
}

/// Reads every process line of a wrapper log.
pub fn read_log(path: &std::path::Path) -> Vec<Process> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .map(|v| Process {
            start_us: v["start_us"].as_u64().unwrap_or(0),
            handshake_us: v["handshake_us"].as_u64().unwrap_or(0),
            exit_us: v["exit_us"].as_u64().unwrap_or(0),
            cpu_us: v["user_us"].as_u64().unwrap_or(0) + v["sys_us"].as_u64().unwrap_or(0),
            maxrss_kb: v["maxrss_kb"].as_u64().unwrap_or(0),
            rpcs: v["rpcs"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| {
                    Some((
                        r[0].as_u64()?,
                        r[1].as_u64()?,
                        r[2].as_str().unwrap_or_default().to_string(),
                    ))
                })
                .collect(),
        })
        .collect()
}

/// The time the plugin processes were on Terraform's critical path, as
/// intervals: spawn → handshake line, each unary RPC, and the controller's
/// `Shutdown` → exit (Terraform waits for the process to end).
pub fn busy_intervals(processes: &[Process]) -> Vec<(u64, u64)> {
    let mut intervals = Vec::new();
    for p in processes {
        if p.handshake_us > p.start_us {
            intervals.push((p.start_us, p.handshake_us));
        }
        for (start, elapsed, rpc) in &p.rpcs {
            // go-plugin's stdio and broker streams stay open for the
            // process's whole life: they are not work.
            if rpc.ends_with("/StartStream") || rpc.ends_with("/StreamStdio") {
                continue;
            }
            intervals.push((*start, start + elapsed));
            if rpc.ends_with("GRPCController/Shutdown") && p.exit_us > *start {
                intervals.push((*start, p.exit_us));
            }
        }
    }
    intervals
}

/// Merges intervals into a sorted, disjoint union.
pub fn union(mut intervals: Vec<(u64, u64)>) -> Vec<(u64, u64)> {
    intervals.retain(|(a, b)| b > a);
    intervals.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::new();
    for (a, b) in intervals {
        match merged.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    merged
}

/// Total length of a union.
pub fn length(union: &[(u64, u64)]) -> u64 {
    union.iter().map(|(a, b)| b - a).sum()
}

/// Length of the intersection of two unions.
pub fn overlap(a: &[(u64, u64)], b: &[(u64, u64)]) -> u64 {
    let (mut i, mut j, mut total) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        let start = a[i].0.max(b[j].0);
        let end = a[i].1.min(b[j].1);
        if end > start {
            total += end - start;
        }
        if a[i].1 < b[j].1 {
            i += 1;
        } else {
            j += 1;
        }
    }
    total
}
