//! Hand-rolled argument parsing for `audit verify` and `audit report`:
//! `--name value` or `--name=value`, `-h`/`--help`, `--` ends options.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Duration, OffsetDateTime};

use super::{head_hash, midnight};

/// Output format of `audit report`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// A GitHub-flavoured Markdown table.
    #[default]
    Markdown,
    /// RFC 4180 CSV with a header row.
    Csv,
    /// A JSON array of rows.
    Json,
}

/// The options of either command (each accepts its own subset).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Args {
    /// Files and `s3://` URLs.
    pub sources: Vec<String>,
    /// `--head` hashes (verify).
    pub heads: Vec<String>,
    /// `--since` (report), inclusive.
    pub since: Option<OffsetDateTime>,
    /// `--until` (report), as an exclusive bound.
    pub before: Option<OffsetDateTime>,
    /// `--format` (report).
    pub format: Format,
    /// `--region`.
    pub region: Option<String>,
    /// `--profile`.
    pub profile: Option<String>,
    /// `--endpoint-url`.
    pub endpoint_url: Option<String>,
}

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// `-h`/`--help`.
    Help,
    /// Run with these arguments.
    Run(Args),
}

/// Options every command takes, with a value.
const AWS_OPTIONS: &[&str] = &["--region", "--profile", "--endpoint-url"];

/// `audit verify` arguments.
pub fn parse_verify(args: &[String]) -> Result<Parsed, String> {
    parse(args, &["--head"])
}

/// `audit report` arguments.
pub fn parse_report(args: &[String]) -> Result<Parsed, String> {
    parse(args, &["--since", "--until", "--format"])
}

fn parse(args: &[String], own: &[&str]) -> Result<Parsed, String> {
    let mut out = Args::default();
    let mut iter = args.iter();
    let mut options_done = false;
    while let Some(arg) = iter.next() {
        if options_done || !arg.starts_with('-') || arg == "-" {
            out.sources.push(arg.clone());
            continue;
        }
        match arg.as_str() {
            "--" => {
                options_done = true;
                continue;
            }
            "-h" | "--help" => return Ok(Parsed::Help),
            _ => {}
        }
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name, Some(value.to_string())),
            None => (arg.as_str(), None),
        };
        if !own.contains(&name) && !AWS_OPTIONS.contains(&name) {
            return Err(format!("unknown option `{name}`"));
        }
        let value = match inline {
            Some(value) => value,
            None => iter
                .next()
                .cloned()
                .ok_or_else(|| format!("`{name}` needs a value"))?,
        };
        if value.is_empty() {
            return Err(format!("`{name}` needs a value"));
        }
        match name {
            "--head" => out.heads.push(head_hash(&value)?),
            "--since" => out.since = Some(since(&value)?),
            "--until" => out.before = Some(before(&value)?),
            "--format" => out.format = format(&value)?,
            "--region" => out.region = Some(value),
            "--profile" => out.profile = Some(value),
            _ => out.endpoint_url = Some(value),
        }
    }
    if out.sources.is_empty() {
        return Err("no log given: name a file or s3://BUCKET/PREFIX".to_string());
    }
    if let (Some(since), Some(before)) = (out.since, out.before) {
        if before <= since {
            return Err("`--until` is before `--since`".to_string());
        }
    }
    Ok(Parsed::Run(out))
}

fn format(value: &str) -> Result<Format, String> {
    match value {
        "markdown" | "md" => Ok(Format::Markdown),
        "csv" => Ok(Format::Csv),
        "json" => Ok(Format::Json),
        other => Err(format!(
            "unknown format `{other}`: use `markdown`, `csv` or `json`"
        )),
    }
}

/// A date (`YYYY-MM-DD`) or an RFC 3339 time.
enum When {
    Day(Date),
    Instant(OffsetDateTime),
}

fn when(value: &str) -> Result<When, String> {
    if let Ok(date) = Date::parse(value, format_description!("[year]-[month]-[day]")) {
        return Ok(When::Day(date));
    }
    OffsetDateTime::parse(value, &Rfc3339)
        .map(When::Instant)
        .map_err(|_| {
            format!("`{value}` is not a date: use YYYY-MM-DD or RFC 3339 (2026-01-31T12:00:00Z)")
        })
}

/// `--since`: from the start of a day, or from an instant.
fn since(value: &str) -> Result<OffsetDateTime, String> {
    Ok(match when(value)? {
        When::Day(day) => midnight(day),
        When::Instant(instant) => instant,
    })
}

/// `--until` as an exclusive bound: the end of a day, or just after an
/// instant.
fn before(value: &str) -> Result<OffsetDateTime, String> {
    match when(value)? {
        When::Day(day) => day
            .next_day()
            .map(midnight)
            .ok_or_else(|| format!("`{value}` is too far in the future")),
        When::Instant(instant) => Ok(instant + Duration::nanoseconds(1)),
    }
}
