use super::args::{parse_report, parse_verify};
use super::*;

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn run_args(parsed: Result<Parsed, String>) -> Args {
    match parsed {
        Ok(Parsed::Run(args)) => args,
        other => panic!("expected arguments, got {other:?}"),
    }
}

#[test]
fn verify_takes_sources_and_repeated_heads() {
    let head = "A".repeat(64);
    let args = run_args(parse_verify(&strings(&[
        "a.jsonl",
        "--head",
        &head,
        &format!("--head={}", "b".repeat(64)),
        "s3://bucket/p",
        "--",
        "--odd-file-name",
    ])));
    assert_eq!(
        args.sources,
        ["a.jsonl", "s3://bucket/p", "--odd-file-name"]
    );
    assert_eq!(args.heads, ["a".repeat(64), "b".repeat(64)]);
}

#[test]
fn usage_errors_say_what_is_wrong() {
    for (args, expected) in [
        (vec![], "no log given"),
        (vec!["a", "--head"], "`--head` needs a value"),
        (vec!["a", "--head", "xyz"], "not a head hash"),
        (
            vec!["a", "--since", "2026-01-01"],
            "unknown option `--since`",
        ),
        (vec!["a", "-x"], "unknown option `-x`"),
    ] {
        let error = parse_verify(&strings(&args)).unwrap_err();
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    for (args, expected) in [
        (vec!["a", "--format", "xml"], "unknown format `xml`"),
        (vec!["a", "--since", "yesterday"], "is not a date"),
        (
            vec!["a", "--since", "2026-02-01", "--until", "2026-01-01"],
            "`--until` is before `--since`",
        ),
        (
            vec!["a", "--head", &"a".repeat(64)],
            "unknown option `--head`",
        ),
    ] {
        let error = parse_report(&strings(&args)).unwrap_err();
        assert!(error.contains(expected), "{args:?}: {error}");
    }
    assert_eq!(parse_report(&strings(&["-h"])), Ok(Parsed::Help));
    assert_eq!(parse_verify(&strings(&["x", "--help"])), Ok(Parsed::Help));
}

#[test]
fn report_dates_are_inclusive_days() {
    let args = run_args(parse_report(&strings(&[
        "--since",
        "2026-01-01",
        "--until=2026-01-31",
        "--format",
        "csv",
        "log.jsonl",
    ])));
    assert_eq!(args.format, Format::Csv);
    assert_eq!(
        args.since.unwrap().to_string(),
        "2026-01-01 0:00:00.0 +00:00:00"
    );
    assert_eq!(
        args.before.unwrap().to_string(),
        "2026-02-01 0:00:00.0 +00:00:00",
        "the whole of the last day is in"
    );
    let args = run_args(parse_report(&strings(&[
        "--until",
        "2026-01-31T12:00:00Z",
        "log.jsonl",
    ])));
    assert!(
        args.before.unwrap()
            > OffsetDateTime::parse(
                "2026-01-31T12:00:00Z",
                &time::format_description::well_known::Rfc3339
            )
            .unwrap()
    );
}

#[test]
fn sources_are_files_or_s3_prefixes() {
    assert_eq!(
        source("s3://b/jit-audit").unwrap(),
        Source::S3(AuditS3 {
            bucket: "b".into(),
            prefix: "jit-audit/".into()
        })
    );
    assert_eq!(
        source("s3://b").unwrap(),
        Source::S3(AuditS3 {
            bucket: "b".into(),
            prefix: String::new()
        })
    );
    assert!(source("s3:///p").is_err());
    assert_eq!(
        source("audit/x.jsonl").unwrap(),
        Source::File("audit/x.jsonl".into())
    );
}

#[test]
fn commands_exit_2_on_usage_errors() {
    assert_eq!(run(&[]), TROUBLE);
    assert_eq!(run(&strings(&["frobnicate"])), TROUBLE);
    assert_eq!(run(&strings(&["verify"])), TROUBLE);
    assert_eq!(
        run(&strings(&["verify", "/nonexistent/jit-audit.jsonl"])),
        TROUBLE
    );
    assert_eq!(run(&strings(&["--help"])), 0);
}
