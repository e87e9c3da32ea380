//! AWS calls of a refresh of many grants, counted by moto's request recorder.

use std::collections::BTreeMap;
use std::time::Instant;

use base64::Engine;
use serde_json::Value;
use tests::moto::{http_get, http_request};
use tests::{Aws, Moto, Tf, TfVersion};

use crate::fixtures::Grants;
use crate::plan::{mirror, terraformrc};
use crate::proxy::operation_of;
use crate::wrap;
use crate::{progress, Bench, Row};

/// Accounts × permission sets the grants spread over.
const ACCOUNTS: usize = 10;
const SETS: usize = 5;

/// The operation of one recorded request.
fn operation(entry: &Value) -> String {
    let headers = &entry["headers"];
    let target = headers
        .as_object()
        .and_then(|h| {
            h.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("x-amz-target"))
        })
        .and_then(|(_, v)| v.as_str());
    if let Some(target) = target {
        return target.rsplit('.').next().unwrap_or_default().to_string();
    }
    let raw = entry["body"].as_str().unwrap_or_default();
    let body = if entry["body_encoded"].as_bool() == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(raw)
            .unwrap_or_default()
    } else {
        raw.as_bytes().to_vec()
    };
    let url = entry["url"].as_str().unwrap_or_default();
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]))
        .unwrap_or(url);
    operation_of(
        &format!(
            "{} {path} HTTP/1.1",
            entry["method"].as_str().unwrap_or_default()
        ),
        &body,
    )
}

fn moto_api(moto: &Moto, verb: &str) -> Result<String, String> {
    let path = format!("/moto-api/recorder/{verb}");
    let answer = if verb == "download-recording" {
        http_get(moto.port(), &path)
    } else {
        http_request(moto.port(), "POST", &path, "")
    };
    answer.ok_or_else(|| format!("moto recorder: {verb} failed"))
}

/// Applies the grants, then records the AWS calls of one refresh.
pub fn run(bench: &mut Bench) -> Result<Vec<Row>, String> {
    let total: usize = std::env::var("JIT_BENCH_REFRESH_GRANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1000);
    let users = (total / (ACCOUNTS * SETS)).max(1);
    let grants_count = users * ACCOUNTS * SETS;
    let moto = Moto::start();
    let aws = Aws::new(&moto.endpoint());
    let prefix = format!("r{:x}", std::process::id() % 4096);
    let grants = Grants::create(&aws, &prefix, users, SETS, ACCOUNTS)?;
    let wrapped = mirror(
        &bench.scratch.join("mirror-wrapped"),
        &bench.jit,
        &bench.null,
        true,
    )?;
    let mut tf = Tf::new(
        TfVersion::Latest,
        bench.scratch.join("refresh"),
        &moto,
        &prefix,
    );
    tf.write("terraformrc", &terraformrc(&wrapped));
    tf.set_env(wrap::REAL_JIT, &bench.jit.display().to_string());
    tf.set_env(wrap::REAL_NULL, &bench.null.display().to_string());
    tf.set_env("JIT_APPLIED_BY", "bench");
    tf.write("main.tf", &grants.config(&moto.endpoint()));
    let log = bench.scratch.join("refresh.log");
    let log_text = log.display().to_string();
    let env = [(wrap::LOG, log_text.as_str())];
    let init = tf.run(&["init", "-no-color", "-input=false"]);
    if !init.success() {
        return Err(format!("init failed:\n{}", init.all()));
    }
    progress!("refresh: applying {grants_count} grants ({users} users × {SETS} permission sets × {ACCOUNTS} accounts)");
    let started = Instant::now();
    let apply = tf.run_env(
        &["apply", "-auto-approve", "-no-color", "-input=false"],
        &env,
    );
    let apply_s = started.elapsed().as_secs_f64();
    if !apply.success() {
        return Err(format!(
            "apply of {grants_count} grants failed:\n{}",
            apply.all()
        ));
    }
    let apply_cpu: u64 = wrap::read_log(&log).iter().map(|p| p.cpu_us).sum();
    let _ = std::fs::remove_file(&log);
    progress!("refresh: recording the AWS calls of `terraform plan -refresh-only`");
    moto_api(&moto, "reset-recording")?;
    moto_api(&moto, "start-recording")?;
    let started = Instant::now();
    let refresh = tf.run_env(
        &["plan", "-refresh-only", "-no-color", "-input=false"],
        &env,
    );
    let refresh_s = started.elapsed().as_secs_f64();
    moto_api(&moto, "stop-recording")?;
    if !refresh.success() {
        return Err(format!("refresh failed:\n{}", refresh.all()));
    }
    let refresh_cpu: u64 = wrap::read_log(&log).iter().map(|p| p.cpu_us).sum();
    let recording = moto_api(&moto, "download-recording")?;
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for line in recording.lines() {
        if let Ok(entry) = serde_json::from_str::<Value>(line) {
            *counts.entry(operation(&entry)).or_default() += 1;
        }
    }
    let _ = moto_api(&moto, "reset-recording");
    let _ = std::fs::remove_dir_all(&tf.dir);

    let label =
        format!("refresh of {grants_count} grants ({ACCOUNTS} accounts × {SETS} permission sets)");
    let mut rows = vec![Row::solo(
        format!("apply of those {grants_count} grants against moto: wall (provider CPU)"),
        format!("{apply_s:.1} s ({:.2} s)", apply_cpu as f64 / 1e6),
        "— (reported)",
        None,
    )];
    let all: usize = counts.values().sum();
    let listing: usize = counts
        .iter()
        .filter(|(op, _)| op.starts_with("List") || op.starts_with("Describe"))
        .map(|(_, n)| n)
        .sum();
    for (op, n) in &counts {
        rows.push(Row::solo(
            format!("{label}: `{op}` calls"),
            n.to_string(),
            "—",
            None,
        ));
    }
    let bound = ACCOUNTS * SETS;
    rows.push(Row::solo(
        format!("{label}: list/describe calls (all AWS calls)"),
        format!("{listing} ({all})"),
        &format!("≤ {bound} (grows with accounts × permission sets)"),
        Some(listing <= bound),
    ));
    rows.push(Row::solo(
        format!("{label}: wall (provider CPU)"),
        format!("{refresh_s:.1} s ({:.2} s)", refresh_cpu as f64 / 1e6),
        "— (reported)",
        None,
    ));
    Ok(rows)
}
