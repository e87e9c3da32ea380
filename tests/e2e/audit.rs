//! The audit log as evidence: the hash chain written by real provider
//! processes (aliased providers append to one file at once), the S3 sink
//! against moto, and the `audit verify` / `audit report` commands of the
//! built binary: tamper cases, report golden files, usage errors.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use serde_json::{json, Value};
use terraform_provider_jit::audit::chain::line_hash;
use terraform_provider_jit::audit::{self, AuditSink};
use terraform_provider_jit::config::AuditS3;

use super::*;
use tests::tools::tools;
use tests::Moto;

/// The fixed log of the golden files: 13 events with intents, a refusal,
/// a failure, a break-glass grant, verified approvers and an interrupted
/// membership.
const FIXTURE: &str = "e2e/audit/changes.jsonl";
/// Head hash of the fixed log (its last line).
const FIXTURE_HEAD: &str = "34621f5be50aa7cb2a9a874d01b72846f4b23fd5fdb1063a26322d65fd95eea1";
/// Set to rewrite the golden files from the current output.
const UPDATE_GOLDEN: &str = "JIT_UPDATE_GOLDEN";

fn tests_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

/// A scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = tools()
        .work_root
        .join(format!("audit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `terraform-provider-jit audit ARGS` with no AWS environment.
fn cli(args: &[&str]) -> Output {
    cli_env(args, &[])
}

fn cli_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(&tools().provider_binary);
    command.arg("audit").args(args);
    for key in [
        "AWS_ENDPOINT_URL",
        "AWS_PROFILE",
        "AWS_REGION",
        "TF_PLUGIN_MAGIC_COOKIE",
    ] {
        command.env_remove(key);
    }
    command.envs(env.iter().copied());
    command.output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Asserts `audit verify` exits 1 and names `line` first.
fn assert_broken_at(output: &Output, line: u64, words: &str) {
    let out = stdout(output);
    assert_eq!(output.status.code(), Some(1), "{out}{}", stderr(output));
    assert!(
        out.contains(&format!("BROKEN at line {line}:")) && out.contains(words),
        "expected line {line} and `{words}`:\n{out}"
    );
}

fn fixture_lines() -> Vec<String> {
    std::fs::read_to_string(tests_dir().join(FIXTURE))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    std::fs::write(path, format!("{}\n", lines.join("\n"))).unwrap();
}

/// The fixed log with other event ids, chained anew: another log.
fn another_log() -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in fixture_lines() {
        let mut event: Value = serde_json::from_str(&line).unwrap();
        let id = event["eventId"].as_str().unwrap().replace("1a", "2b");
        event["eventId"] = json!(id);
        match lines.last() {
            Some(prev) => event["prevHash"] = json!(line_hash(prev.as_bytes())),
            None => {
                event.as_object_mut().unwrap().remove("prevHash");
            }
        }
        lines.push(event.to_string());
    }
    lines
}

#[test]
fn audit_report_matches_the_golden_files() {
    let fixture = tests_dir().join(FIXTURE);
    let fixture = fixture.to_str().unwrap();
    for (format, golden) in [
        ("markdown", "e2e/audit/changes.md"),
        ("csv", "e2e/audit/changes.csv"),
    ] {
        let output = cli(&["report", "--format", format, fixture]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let golden = tests_dir().join(golden);
        if std::env::var_os(UPDATE_GOLDEN).is_some() {
            std::fs::write(&golden, &output.stdout).unwrap();
        }
        assert_eq!(
            stdout(&output),
            std::fs::read_to_string(&golden).unwrap(),
            "`audit report --format {format}` differs from {}; rerun with {UPDATE_GOLDEN}=1 to accept",
            golden.display()
        );
    }
    // JSON rows say where each comes from; the refusal is a refusal.
    let output = cli(&["report", "--format", "json", fixture]);
    let rows: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 10);
    assert_eq!(rows[2]["outcome"], "refused");
    assert_eq!(rows[2]["line"], 4);
    assert_eq!(rows[3]["intentLine"], 5);
    assert_eq!(rows[3]["verifiedApprovers"][0]["userId"], "u-bob");
    // A date range keeps whole days, both ends included.
    let output = cli(&[
        "report",
        "--since",
        "2026-03-03",
        "--until",
        "2026-03-04",
        "--format",
        "csv",
        fixture,
    ]);
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 4, "{out}");
    assert!(out.contains("user_block.block") && out.contains("iam_env_user.create"));
}

#[test]
fn audit_verify_finds_every_kind_of_tampering() {
    let dir = scratch("tamper");
    let path = dir.join("audit.jsonl");
    let file = path.to_str().unwrap();
    let original = fixture_lines();
    let verify = |lines: &[String], extra: &[&str]| {
        write_lines(&path, lines);
        let mut args = vec!["verify"];
        args.extend_from_slice(extra);
        args.push(file);
        cli(&args)
    };

    // Intact: exit 0, one line, the head.
    let output = verify(&original, &["--head", FIXTURE_HEAD]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains(&format!("intact: 13 entries, head {FIXTURE_HEAD}")),
        "{out}"
    );

    // An edited field: line 3's ticket.
    let mut lines = original.clone();
    lines[2] = lines[2].replace("INC-42", "INC-43");
    assert_broken_at(&verify(&lines, &[]), 4, "line 3 was edited");

    // A deleted line: line 5.
    let mut lines = original.clone();
    lines.remove(4);
    assert_broken_at(&verify(&lines, &[]), 5, "lines between them were removed");

    // Reordered lines: 6 and 7 swapped.
    let mut lines = original.clone();
    lines.swap(5, 6);
    assert_broken_at(
        &verify(&lines, &[]),
        6,
        "out of order: it was written right after line 7",
    );

    // A partial last line (a crash mid-write): no newline at the end.
    let mut text = original.join("\n");
    text.truncate(text.len() - 40);
    std::fs::write(&path, &text).unwrap();
    assert_broken_at(&cli(&["verify", file]), 13, "cut short");

    // Whole last lines cut: the chain left is intact, the head is not in it.
    let cut = &original[..11];
    assert_eq!(verify(cut, &[]).status.code(), Some(0));
    assert_broken_at(
        &verify(cut, &["--head", FIXTURE_HEAD]),
        12,
        "is not in this log, which ends at line 11",
    );
    // An older head is fine: lines were appended after it.
    let older = line_hash(original[10].as_bytes());
    let output = verify(&original, &["--head", &older]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("at line 11 (2 written after it)"));

    // A line inserted from another log.
    let mut lines = original.clone();
    lines.insert(3, another_log()[6].clone());
    assert_broken_at(&verify(&lines, &[]), 4, "does not belong to this log");

    // The first lines removed.
    assert_broken_at(
        &verify(&original[2..], &[]),
        1,
        "lines before it are missing",
    );

    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn audit_commands_explain_usage() {
    let output = cli(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).contains("Usage: terraform-provider-jit audit <COMMAND>"));
    for command in ["verify", "report"] {
        let output = cli(&[command, "--help"]);
        assert_eq!(output.status.code(), Some(0));
        assert!(
            stdout(&output).contains(&format!("terraform-provider-jit audit {command} [OPTIONS]")),
            "{}",
            stdout(&output)
        );
    }
    for (args, words) in [
        (vec![], "Usage"),
        (vec!["verify"], "no log given"),
        (vec!["verify", "--head", "abc", "x"], "not a head hash"),
        (vec!["report", "--format", "xml", "x"], "unknown format"),
        (vec!["sign", "x"], "unknown command `sign`"),
        (vec!["verify", "/nonexistent/audit.jsonl"], "cannot read"),
    ] {
        let output = cli(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(words),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "{args:?}");
    }
    // Without `audit` it is still a plugin that refuses to run by hand.
    let output = Command::new(&tools().provider_binary)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("plugin for Terraform"));
}

/// Groups created through `aliases` aliased providers, `per` each.
fn aliased_groups(tf: &Tf, aliases: &[&str], per: usize) -> String {
    let mut hcl = tf.provider("");
    for alias in aliases {
        hcl.push_str(&format!(
            "\nprovider \"jit\" {{\n  alias        = \"{alias}\"\n  region       = \"eu-west-1\"\n  endpoint_url = \"{}\"\n}}\n",
            tf.endpoint
        ));
        for n in 0..per {
            hcl.push_str(&format!(
                "\nresource \"jit_identity_center_group\" \"{alias}{n}\" {{\n  provider = jit.{alias}\n  name     = \"{}-{alias}{n}\"\n}}\n",
                tf.prefix
            ));
        }
    }
    hcl
}

tftest!(audit_concurrent_providers_keep_one_chain, |tf, _aws| {
    // Each aliased provider is its own process; all append to one file.
    tf.write_main(&[&aliased_groups(tf, &["a", "b", "c", "d"], 4)]);
    tf.init();
    tf.apply();
    let log = tf.dir.join("audit.jsonl");
    let log = log.to_str().unwrap();
    let output = cli(&["verify", log]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains("intact: 16 entries"),
        "{}",
        stdout(&output)
    );
    let events = tf.audit_events();
    assert_eq!(events.len(), 16);
    assert!(events[0].get("prevHash").is_none());
    assert!(events[1..].iter().all(|e| e["prevHash"].is_string()));
    tf.destroy();
    let output = cli(&["verify", log]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    let output = cli(&["report", log]);
    let report = stdout(&output);
    assert_eq!(
        report.matches("identity_center_group.create").count(),
        16,
        "{report}"
    );
});

/// Set by `audit_processes_appending_at_once_keep_one_chain` for the
/// copies of this test binary it starts: the log file they append to.
const CHILD_LOG: &str = "JIT_E2E_AUDIT_CHILD_LOG";
/// Events each appending process writes.
const CHILD_EVENTS: usize = 50;

/// Does nothing unless started by the test below as one of several
/// processes appending to one file in a tight loop, through the same
/// `file::append` the provider's sink calls.
#[test]
fn audit_child_appender() {
    let Some(path) = std::env::var_os(CHILD_LOG) else {
        return;
    };
    let path = PathBuf::from(path);
    for n in 0..CHILD_EVENTS {
        let mut event = AuditSink::event(
            "user_block.block",
            "jit_user_block",
            format!("{}-{n}", std::process::id()),
        );
        event.result = audit::result::SUCCESS.into();
        event.applied_by = "tester".into();
        audit::file::append(&path, &event, || {
            AuditSink::event(audit::chain::BREAK_ACTION, "", "audit.jsonl")
        })
        .unwrap();
    }
}

#[test]
fn audit_processes_appending_at_once_keep_one_chain() {
    let dir = scratch("processes");
    let log = dir.join("audit.jsonl");
    let children: Vec<_> = (0..4)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--exact",
                    "audit::audit_child_appender",
                    "--test-threads",
                    "1",
                ])
                .env(CHILD_LOG, &log)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let output = cli(&["verify", log.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(
        stdout(&output).contains(&format!("intact: {} entries", 4 * CHILD_EVENTS)),
        "{}",
        stdout(&output)
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// One SQS call to moto (JSON protocol).
fn sqs(port: u16, operation: &str, body: &Value) -> Value {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (status, payload) = response.split_once("\r\n\r\n").unwrap();
    assert!(status.contains(" 200 "), "SQS {operation}: {response}");
    serde_json::from_str(payload).unwrap_or(Value::Null)
}

fn port(aws: &Aws) -> u16 {
    aws.endpoint.rsplit(':').next().unwrap().parse().unwrap()
}

/// Every message in the queue, oldest first: (body, attributes).
fn drain(port: u16, queue: &str) -> Vec<(String, Value)> {
    let mut messages = Vec::new();
    loop {
        let got = sqs(
            port,
            "ReceiveMessage",
            &json!({"QueueUrl": queue, "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]}),
        );
        let Some(batch) = got["Messages"].as_array().filter(|b| !b.is_empty()) else {
            return messages;
        };
        for message in batch {
            messages.push((
                message["Body"].as_str().unwrap().to_string(),
                message["MessageAttributes"].clone(),
            ));
            sqs(
                port,
                "DeleteMessage",
                &json!({"QueueUrl": queue, "ReceiptHandle": message["ReceiptHandle"]}),
            );
        }
    }
}

fn create_bucket(aws: &Aws, bucket: &str) {
    aws.run(
        aws.clients
            .s3
            .create_bucket()
            .bucket(bucket)
            .create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::EuWest1)
                    .build(),
            )
            .send(),
    )
    .unwrap();
}

fn keys(aws: &Aws, bucket: &str, prefix: &str) -> Vec<String> {
    let listed = aws
        .run(
            aws.clients
                .s3
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .send(),
        )
        .unwrap();
    let mut keys: Vec<String> = listed
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys.reverse(); // oldest (sequence 1) first
    keys
}

fn object(aws: &Aws, bucket: &str, key: &str) -> String {
    let got = aws
        .run(aws.clients.s3.get_object().bucket(bucket).key(key).send())
        .unwrap();
    let bytes = aws.run(got.body.collect()).unwrap().into_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn delete(aws: &Aws, bucket: &str, key: &str) {
    aws.run(
        aws.clients
            .s3
            .delete_object()
            .bucket(bucket)
            .key(key)
            .send(),
    )
    .unwrap();
}

/// The CLI's environment for s3:// sources on the case's emulator.
fn s3_env(tf: &Tf) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ACCESS_KEY_ID", "testing".into()),
        ("AWS_SECRET_ACCESS_KEY", "testing".into()),
        ("AWS_REGION", "eu-west-1".into()),
        ("AWS_EC2_METADATA_DISABLED", "true".into()),
        ("AWS_ENDPOINT_URL", tf.endpoint.clone()),
        (
            "AWS_CONFIG_FILE",
            tf.dir.join("aws-config").display().to_string(),
        ),
        (
            "AWS_SHARED_CREDENTIALS_FILE",
            tf.dir.join("aws-credentials").display().to_string(),
        ),
    ]
}

fn cli_s3(tf: &Tf, args: &[&str]) -> Output {
    let env = s3_env(tf);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    cli_env(args, &env)
}

tftest!(audit_s3_sink_round_trip, |tf, aws| {
    let bucket = format!("{}-audit", tf.prefix);
    create_bucket(aws, &bucket);
    let port = port(aws);
    let queue = sqs(port, "CreateQueue", &json!({"QueueName": "audit"}))["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let topic = aws
        .run(aws.clients.sns.create_topic().name("jit-audit").send())
        .unwrap()
        .topic_arn
        .unwrap();
    aws.run(
        aws.clients
            .sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint("arn:aws:sqs:eu-west-1:123456789012:audit")
            .attributes("RawMessageDelivery", "true")
            .send(),
    )
    .unwrap();
    let sinks = format!(
        "  audit_s3_bucket        = \"{bucket}\"\n  audit_s3_prefix        = \"prod/jit\"\n  notification_topic_arn = \"{topic}\"\n"
    );
    let group = |n: usize| {
        format!(
            "\nresource \"jit_identity_center_group\" \"g{n}\" {{\n  name = \"{}-g{n}\"\n}}\n",
            tf.prefix
        )
    };
    // Run 1: two events, objects 1 and 2.
    tf.write_main(&[&tf.provider(&sinks), &group(0), &group(1)]);
    tf.init();
    tf.apply();
    let keys1 = keys(aws, &bucket, "prod/jit/");
    assert_eq!(
        keys1,
        [
            "prod/jit/9999999999999998-0000000000000001.jsonl",
            "prod/jit/9999999999999997-0000000000000002.jsonl"
        ]
    );
    let first = object(aws, &bucket, &keys1[0]);
    let second = object(aws, &bucket, &keys1[1]);
    assert!(first.ends_with('\n') && second.ends_with('\n'));
    let second_event: Value = serde_json::from_str(second.trim_end()).unwrap();
    assert_eq!(
        second_event["prevHash"],
        line_hash(first.trim_end_matches('\n').as_bytes())
    );

    // SNS carries each line as stored in S3 and its hash: the head.
    let messages = drain(port, &queue);
    assert_eq!(messages.len(), 2);
    let (body, attributes) = &messages[1];
    assert_eq!(body, second.trim_end_matches('\n'));
    let head = attributes["line_hash"]["StringValue"].as_str().unwrap();
    assert_eq!(head, line_hash(body.as_bytes()));
    assert_eq!(
        attributes["log"]["StringValue"],
        format!("s3://{bucket}/prod/jit/")
    );
    assert!(attributes["file_line_hash"]["StringValue"].is_string());
    assert_eq!(
        attributes["action"]["StringValue"],
        "identity_center_group.create"
    );

    // Run 2 (another provider process) continues the chain: object 3.
    tf.write_main(&[&tf.provider(&sinks), &group(0), &group(1), &group(2)]);
    tf.apply();
    let keys2 = keys(aws, &bucket, "prod/jit/");
    assert_eq!(keys2.len(), 3);
    let third: Value = serde_json::from_str(object(aws, &bucket, &keys2[2]).trim_end()).unwrap();
    assert_eq!(third["prevHash"], head);
    let head = drain(port, &queue)[0].1["line_hash"]["StringValue"]
        .as_str()
        .unwrap()
        .to_string();

    // verify and report read the same from s3://.
    let url = format!("s3://{bucket}/prod/jit");
    let output = cli_s3(tf, &["verify", "--head", &head, &url]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(
        stdout(&output).contains(&format!("intact: 3 entries, head {head}")),
        "{}",
        stdout(&output)
    );
    let output = cli_s3(tf, &["report", "--format", "csv", &url]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let report = stdout(&output);
    for n in 0..3 {
        assert!(
            report.contains(&format!("identity_center_group.create: {}-g{n}", tf.prefix)),
            "{report}"
        );
    }
    // The local file got the same events in its own chain.
    let file = tf.dir.join("audit.jsonl");
    assert_eq!(
        cli(&["verify", file.to_str().unwrap()]).status.code(),
        Some(0)
    );

    // The last object deleted: only the published head shows it.
    delete(aws, &bucket, &keys2[2]);
    assert_eq!(cli_s3(tf, &["verify", &url]).status.code(), Some(0));
    assert_broken_at(
        &cli_s3(tf, &["verify", "--head", &head, &url]),
        3,
        "ends at line 2",
    );
    // A middle object deleted: a missing sequence number.
    delete(aws, &bucket, &keys2[0]);
    assert_broken_at(&cli_s3(tf, &["verify", &url]), 1, "line 1 is missing");
});

#[test]
fn audit_s3_writers_that_lose_a_race_rechain() {
    let moto = Moto::start();
    let aws = Aws::new(&moto.endpoint());
    let bucket = "race-audit";
    create_bucket(&aws, bucket);
    let target = AuditS3::new(bucket, "race");
    let sink = || AuditSink::new(None, None, aws.clients.clone()).with_s3(Some(target.clone()));
    let event = |n: u32| {
        let mut event = AuditSink::event("user_block.block", "jit_user_block", format!("u{n}"));
        event.result = audit::result::SUCCESS.into();
        event.applied_by = "tester".into();
        event
    };
    let (a, b) = (sink(), sink());
    aws.run(a.write(event(1))).unwrap();
    aws.run(b.write(event(2))).unwrap();
    // `a` still thinks object 1 is the head: its create of number 2 fails
    // (If-None-Match: * on moto too), it re-reads the head and takes 3.
    aws.run(a.write(event(3))).unwrap();
    let listed = keys(&aws, bucket, "race/");
    assert_eq!(listed.len(), 3);
    let lines: Vec<String> = listed
        .iter()
        .map(|key| object(&aws, bucket, key).trim_end().to_string())
        .collect();
    let targets: Vec<String> = lines
        .iter()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["target"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(targets, ["u1", "u2", "u3"]);
    let third: Value = serde_json::from_str(&lines[2]).unwrap();
    assert_eq!(third["prevHash"], line_hash(lines[1].as_bytes()));

    // A create whose answer was lost and that is retried finds its own
    // bytes under the number: written once, not twice.
    let mut fourth = event(4);
    fourth.prev_hash = line_hash(lines[2].as_bytes());
    let line = serde_json::to_string(&fourth).unwrap();
    aws.run(aws.clients.s3().create_if_absent(
        bucket,
        &audit::s3::key("race/", 4),
        format!("{line}\n").into_bytes(),
        "application/x-ndjson",
    ))
    .unwrap();
    fourth.prev_hash.clear();
    aws.run(a.write(fourth)).unwrap();
    assert_eq!(keys(&aws, bucket, "race/").len(), 4);
}
