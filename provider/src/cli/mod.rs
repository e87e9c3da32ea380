//! `terraform-provider-jit audit …`: commands for people (auditors,
//! reviewers) that check and render audit logs. Output goes to stdout,
//! messages to stderr. Exit codes: 0 intact, 1 a log does not verify, 2 a
//! usage error or an input that cannot be read.
//!
//! Files are read offline; `s3://` sources use the standard AWS credential
//! chain (plus `--region`, `--profile`, `--endpoint-url`).

mod args;

use std::path::PathBuf;
use std::process::ExitCode;

use time::OffsetDateTime;

use crate::audit::chain::{self, check_head, verify_chain, Chain, Log, Problem};
use crate::audit::{file, report, s3};
use crate::aws::{self, AwsClients};
use crate::config::{AuditS3, ProviderConfig};

use args::{Args, Format, Parsed};

/// Help of `audit`.
pub const AUDIT_HELP: &str = "\
Check and render the audit log of terraform-provider-jit.

Usage: terraform-provider-jit audit <COMMAND> [OPTIONS] <SOURCE>...

Commands:
  verify   Check that no entry was edited, removed, reordered or inserted
  report   Render the change log (Date, Change, Reason, Ticket, Requested by,
           Verified approvers, Applied by, Change ref / commit)

A SOURCE is a JSON lines file (`audit_log_path`, `JIT_AUDIT_LOG`) or
s3://BUCKET/PREFIX (`audit_s3_bucket`, `audit_s3_prefix`).

Run `terraform-provider-jit audit <COMMAND> --help` for a command's options.
Exit status: 0 intact, 1 a log does not verify, 2 usage error or unreadable input.
";

/// Help of `audit verify`.
pub const VERIFY_HELP: &str = "\
Check audit logs: every entry is an audit event, every prevHash is the
SHA-256 of the line before it, and nothing is missing in between. Prints one
line per log: `intact` with its entry count and head hash, or the first
broken, missing, reordered, edited or inserted entry with its line number.

Usage: terraform-provider-jit audit verify [OPTIONS] <SOURCE>...

Arguments:
  <SOURCE>...  A JSON lines file, or s3://BUCKET/PREFIX

Options:
      --head <HASH>         A published head (the `line_hash` attribute of the
                            last SNS message you hold, or a hash you noted
                            earlier). It must be the hash of a line of the
                            log; if it is not, lines were cut from the end.
                            Repeat for several logs.
      --region <REGION>     AWS region of s3:// sources (else AWS_REGION or the
                            profile's region)
      --profile <PROFILE>   AWS shared-config profile for s3:// sources
      --endpoint-url <URL>  Endpoint for s3:// sources (an emulator; else
                            AWS_ENDPOINT_URL)
  -h, --help                Print this help

Without --head, whole lines cut from the end of a log cannot be seen: the
chain that is left is intact.

Exit status: 0 intact, 1 a log does not verify, 2 usage error or unreadable input.

Example:
  terraform-provider-jit audit verify s3://example-jit-audit/jit-audit/ \\
    --head 3f0c…(64 hex digits)
";

/// Help of `audit report`.
pub const REPORT_HELP: &str = "\
Render the change log from audit logs, one row per change: Date, Change,
Reason, Ticket, Requested by, Verified approvers, Applied by, Change ref /
commit. An intent is folded into its outcome; a change that was refused,
failed or interrupted says so. Only approvers verified at apply are shown:
approvers as written in a change are not evidence. Every log is verified
first; a log that does not verify is named on stderr and the exit status is 1.

Usage: terraform-provider-jit audit report [OPTIONS] <SOURCE>...

Arguments:
  <SOURCE>...  A JSON lines file, or s3://BUCKET/PREFIX; rows of several logs
               are merged by date

Options:
      --since <DATE>        Only changes at or after DATE (YYYY-MM-DD, from
                            00:00 UTC, or RFC 3339)
      --until <DATE>        Only changes up to DATE (YYYY-MM-DD: to the end of
                            that day UTC; or RFC 3339, inclusive)
      --format <FORMAT>     markdown (default), csv or json
      --region <REGION>     AWS region of s3:// sources
      --profile <PROFILE>   AWS shared-config profile for s3:// sources
      --endpoint-url <URL>  Endpoint for s3:// sources (else AWS_ENDPOINT_URL)
  -h, --help                Print this help

Exit status: 0 done, 1 a log does not verify (the report is still printed),
2 usage error or unreadable input.

Example:
  terraform-provider-jit audit report --since 2026-01-01 --until 2026-03-31 \\
    --format csv s3://example-jit-audit/jit-audit/ > changes-q1.csv
";

/// Exit status of a log that does not verify.
const BROKEN: u8 = 1;
/// Exit status of a usage error or an unreadable input.
const TROUBLE: u8 = 2;

/// Runs `audit` with the arguments after it.
pub fn main(args: &[String]) -> ExitCode {
    ExitCode::from(run(args))
}

/// Runs `audit` with the arguments after it; returns the exit status.
pub fn run(args: &[String]) -> u8 {
    let Some((command, rest)) = args.split_first() else {
        eprint!("{AUDIT_HELP}");
        return TROUBLE;
    };
    let (help, parsed) = match command.as_str() {
        "-h" | "--help" | "help" => {
            print!("{AUDIT_HELP}");
            return 0;
        }
        "verify" => (VERIFY_HELP, args::parse_verify(rest)),
        "report" => (REPORT_HELP, args::parse_report(rest)),
        other => {
            eprintln!("error: unknown command `{other}`; the commands are `verify` and `report`.\n\n{AUDIT_HELP}");
            return TROUBLE;
        }
    };
    match parsed {
        Ok(Parsed::Help) => {
            print!("{help}");
            0
        }
        Ok(Parsed::Run(args)) if command == "verify" => verify(&args),
        Ok(Parsed::Run(args)) => render(&args),
        Err(message) => {
            eprintln!(
                "error: {message}\n\nRun `terraform-provider-jit audit {command} --help` for usage."
            );
            TROUBLE
        }
    }
}

/// Where a log is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    File(PathBuf),
    S3(AuditS3),
}

fn source(text: &str) -> Result<Source, String> {
    match text.strip_prefix("s3://") {
        Some(rest) => {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            if bucket.is_empty() {
                return Err(format!("`{text}` names no bucket; use s3://BUCKET/PREFIX"));
            }
            Ok(Source::S3(AuditS3::new(bucket, prefix)))
        }
        None => Ok(Source::File(PathBuf::from(text))),
    }
}

/// Reads every source; a source that cannot be read is an error message.
fn read_logs(args: &Args) -> Result<Vec<Log>, String> {
    let sources = args
        .sources
        .iter()
        .map(|text| source(text).map(|s| (text.clone(), s)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut logs = Vec::new();
    let needs_aws = sources.iter().any(|(_, s)| matches!(s, Source::S3(_)));
    let runtime = match needs_aws {
        true => Some(
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| format!("cannot start: {e}"))?,
        ),
        false => None,
    };
    let mut clients: Option<AwsClients> = None;
    for (name, source) in sources {
        let log = match source {
            Source::File(path) => {
                file::read_log(&path, &name).map_err(|e| format!("cannot read `{name}`: {e}"))?
            }
            Source::S3(target) => {
                let Some(runtime) = &runtime else {
                    return Err("internal: no runtime for S3".to_string());
                };
                if clients.is_none() {
                    clients = Some(runtime.block_on(aws_clients(args))?);
                }
                let Some(aws) = &clients else {
                    return Err("internal: no AWS clients".to_string());
                };
                runtime
                    .block_on(s3::read_log(aws, &target, &name))
                    .map_err(|e| format!("cannot read `{name}`: {e}"))?
            }
        };
        logs.push(log);
    }
    Ok(logs)
}

/// AWS clients from the standard chain and the command's options.
async fn aws_clients(args: &Args) -> Result<AwsClients, String> {
    let config = ProviderConfig {
        region: args.region.clone(),
        profile: args.profile.clone(),
        endpoint_url: args.endpoint_url.clone().or_else(|| {
            std::env::var("AWS_ENDPOINT_URL")
                .ok()
                .filter(|v| !v.is_empty())
        }),
        ..ProviderConfig::default()
    };
    let sdk = aws::load_sdk_config(&config).await;
    if sdk.region().is_none() {
        return Err("no AWS region for s3:// sources: pass --region, or set AWS_REGION".into());
    }
    Ok(AwsClients::with_limits(&sdk, &config.aws_limits))
}

fn verify(args: &Args) -> u8 {
    let logs = match read_logs(args) {
        Ok(logs) => logs,
        Err(message) => {
            eprintln!("error: {message}");
            return TROUBLE;
        }
    };
    let mut status = 0;
    let mut intact: Vec<(&Log, Chain)> = Vec::new();
    let mut lines = Vec::new();
    for log in &logs {
        match verify_chain(log) {
            Ok(chain) => intact.push((log, chain)),
            Err(problem) => {
                lines.push(broken(&log.name, &problem));
                status = BROKEN;
            }
        }
    }
    // Each published head must be the hash of a line of one of the logs.
    let mut found: Vec<String> = vec![String::new(); intact.len()];
    let heads = if intact.is_empty() {
        &[][..]
    } else {
        &args.heads[..]
    };
    for head in heads {
        let hit = intact
            .iter()
            .enumerate()
            .find_map(|(i, (_, chain))| check_head(chain, head).ok().map(|at| (i, at)));
        if let Some((i, at)) = hit {
            found[i].push_str(&format!("; head {}… at line {}", &head[..12], at.line));
            if at.after > 0 {
                found[i].push_str(&format!(" ({} written after it)", at.after));
            }
            continue;
        }
        status = BROKEN;
        if let [(log, chain)] = intact.as_slice() {
            if let Err(problem) = check_head(chain, head) {
                lines.push(broken(&log.name, &problem));
            }
        } else {
            lines.push(format!(
                "--head {head}: BROKEN: it is the hash of no line of these logs: lines were cut from the end of one of them (or the head belongs to another log)"
            ));
        }
    }
    if status == BROKEN && logs.len() == 1 {
        intact.clear();
    }
    for ((log, chain), heads) in intact.iter().zip(found) {
        lines.push(summary(log, chain, &heads));
    }
    for line in lines {
        println!("{line}");
    }
    status
}

fn broken(name: &str, problem: &Problem) -> String {
    match problem.line {
        0 => format!("{name}: BROKEN: {}", problem.message),
        line => format!("{name}: BROKEN at line {line}: {}", problem.message),
    }
}

fn summary(log: &Log, chain: &Chain, heads: &str) -> String {
    let Some(head) = chain.head() else {
        return format!("{}: intact: empty log{heads}", log.name);
    };
    let breaks = match chain.breaks.as_slice() {
        [] => String::new(),
        list => format!(
            "; {} recorded break{}: {}",
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            list.iter()
                .map(|b| format!(
                    "line {} cut short by an interrupted write (recorded at line {})",
                    b.torn_line, b.recorded_at
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    format!(
        "{}: intact: {} {}, head {head}{heads}{breaks}",
        log.name,
        chain.entries,
        if chain.entries == 1 {
            "entry"
        } else {
            "entries"
        }
    )
}

fn render(args: &Args) -> u8 {
    let logs = match read_logs(args) {
        Ok(logs) => logs,
        Err(message) => {
            eprintln!("error: {message}");
            return TROUBLE;
        }
    };
    let mut status = 0;
    let mut per_log = Vec::new();
    for log in &logs {
        if let Err(problem) = verify_chain(log) {
            eprintln!(
                "warning: {}; this log may be incomplete or altered: run `terraform-provider-jit audit verify`",
                broken(&log.name, &problem)
            );
            status = BROKEN;
        }
        per_log.push(report::rows(&report::events(log)));
    }
    let rows = report::in_range(report::merge(per_log), args.since, args.before);
    let out = match args.format {
        Format::Markdown => report::markdown(&rows),
        Format::Csv => report::csv(&rows),
        Format::Json => report::json(&rows),
    };
    print!("{out}");
    status
}

/// Start of the day `date` (UTC), for `--since`/`--until`.
fn midnight(date: time::Date) -> OffsetDateTime {
    date.midnight().assume_utc()
}

/// Checks a `--head` value.
fn head_hash(text: &str) -> Result<String, String> {
    let hash = text.trim().to_ascii_lowercase();
    if chain::is_hash(&hash) {
        Ok(hash)
    } else {
        Err(format!(
            "`{text}` is not a head hash: expected 64 hexadecimal digits (SHA-256)"
        ))
    }
}

#[cfg(test)]
mod tests;
