use super::*;

fn s(value: &str) -> Value<String> {
    Value::Value(value.to_string())
}

fn permission_set(name: &str, risk: &str, approvers: &[&str]) -> PermissionSetState {
    PermissionSetState {
        name: s(name),
        risk: s(risk),
        approvers: Value::Value(approvers.iter().map(|a| s(a)).collect()),
        allow_break_glass: Value::Null,
        end_sessions_on_revoke: Value::Null,
    }
}

fn with_policy(policy: GrantPolicyState) -> ProviderConfigState {
    ProviderConfigState {
        grant_policy: Value::Value(policy),
        ..Default::default()
    }
}

fn error_paths(result: Result<ProviderConfig, Vec<Error>>) -> Vec<(String, String)> {
    result
        .err()
        .unwrap_or_default()
        .into_iter()
        .map(|error| {
            let (summary, _, path) = error.into_parts(AttributePath::default());
            (summary, path.to_string())
        })
        .collect()
}

#[test]
fn empty_block_gives_documented_defaults() {
    let config =
        ProviderConfig::parse(&ProviderConfigState::default(), &ConfigEnv::default()).unwrap();
    assert_eq!(config.schedule_group, "jit-grants");
    assert_eq!(config.grant_policy.max_duration, Duration::from_secs(3600));
    assert_eq!(
        config.grant_policy.max_session_duration,
        Duration::from_secs(3600)
    );
    assert_eq!(config.grant_policy.default_risk, Risk::High);
    assert!(!config.require_verified_approvals);
    assert_eq!(config.audit_log_path, None);
}

#[test]
fn full_policy_is_parsed() {
    let state = with_policy(GrantPolicyState {
        max_duration: s("2h"),
        max_session_duration: s("30m"),
        default_risk: s("low"),
        permission_set: Value::Value(vec![
            permission_set("JIT-S3FullAccess", "low", &[]),
            permission_set("JIT-EmergencyAdmin", "high", &["manager@example.com"]),
        ]),
    });
    let config = ProviderConfig::parse(&state, &ConfigEnv::default()).unwrap();
    let policy = &config.grant_policy;
    assert_eq!(policy.max_duration, Duration::from_secs(7200));
    assert_eq!(policy.max_session_duration, Duration::from_secs(1800));
    assert_eq!(policy.default_risk, Risk::Low);
    assert_eq!(
        policy.rule("JIT-EmergencyAdmin").unwrap().approvers,
        vec!["manager@example.com"]
    );
    assert_eq!(policy.rule("JIT-S3FullAccess").unwrap().risk, Risk::Low);
    assert!(policy.rule("Other").is_none());
}

#[test]
fn each_bad_value_is_reported_at_its_path() {
    let state = ProviderConfigState {
        endpoint_url: s("localhost:5000"),
        notification_topic_arn: s("arn:aws:sqs:eu-west-1:123456789012:q"),
        revoker_role_arn: s("not-an-arn"),
        schedule_group: s("bad group!"),
        ..with_policy(GrantPolicyState {
            max_duration: s("1x"),
            max_session_duration: s("0"),
            default_risk: s("medium"),
            permission_set: Value::Value(vec![
                permission_set("A", "low", &[]),
                permission_set("A", "high", &[]),
                permission_set("B", "extreme", &[]),
                permission_set("C", "high", &[" "]),
            ]),
        })
    };
    let paths = error_paths(ProviderConfig::parse(&state, &ConfigEnv::default()));
    let expect = [
        ("Endpoint URL is not an http(s) URL", "endpoint_url"),
        (
            "Malformed ARN in `notification_topic_arn`",
            "notification_topic_arn",
        ),
        ("Malformed ARN in `revoker_role_arn`", "revoker_role_arn"),
        ("Invalid schedule group name", "schedule_group"),
        (
            "Invalid duration in `max_duration`",
            "grant_policy[0].max_duration",
        ),
        (
            "`max_session_duration` must be longer than zero",
            "grant_policy[0].max_session_duration",
        ),
        ("Unknown risk", "grant_policy[0].default_risk"),
        (
            "Duplicate permission set in `grant_policy`",
            "grant_policy[0].permission_set[1].name",
        ),
        ("Unknown risk", "grant_policy[0].permission_set[2].risk"),
        (
            "Empty approver",
            "grant_policy[0].permission_set[3].approvers[0]",
        ),
    ];
    for (summary, path) in expect {
        assert!(
            paths.iter().any(|(s, p)| s == summary && p == path),
            "missing {summary} at {path}; got {paths:?}"
        );
    }
    assert_eq!(paths.len(), expect.len(), "{paths:?}");
}

#[test]
fn unknown_values_are_not_errors() {
    let state = ProviderConfigState {
        region: Value::Unknown,
        revoker_role_arn: Value::Unknown,
        assume_role: Value::Value(AssumeRoleState {
            role_arn: Value::Unknown,
            ..Default::default()
        }),
        ..with_policy(GrantPolicyState {
            max_duration: Value::Unknown,
            default_risk: Value::Unknown,
            permission_set: Value::Unknown,
            ..Default::default()
        })
    };
    let config = ProviderConfig::parse(&state, &ConfigEnv::default()).unwrap();
    assert_eq!(config.region, None);
    assert_eq!(config.grant_policy, GrantPolicy::default());
}

#[test]
fn assume_role_needs_an_iam_role_arn() {
    let state = ProviderConfigState {
        assume_role: Value::Value(AssumeRoleState {
            role_arn: s("arn:aws:sts::123456789012:role/x"),
            ..Default::default()
        }),
        ..Default::default()
    };
    let paths = error_paths(ProviderConfig::parse(&state, &ConfigEnv::default()));
    assert_eq!(
        paths,
        vec![(
            "Malformed ARN in `assume_role.role_arn`".to_string(),
            "assume_role[0].role_arn".to_string()
        )]
    );
}

#[test]
fn environment_forces_verification_and_names_the_audit_log() {
    let env = ConfigEnv {
        audit_log: Some("/tmp/audit.jsonl".into()),
        require_verified_approvals: Some("1".into()),
        grant_policy_file: Some(file("{}")),
        ..Default::default()
    };
    let state = ProviderConfigState {
        require_verified_approvals: Value::Value(false),
        ..Default::default()
    };
    let config = ProviderConfig::parse(&state, &env).unwrap();
    assert!(
        config.require_verified_approvals,
        "configuration cannot switch it off"
    );
    assert_eq!(
        config.audit_log_path,
        Some(PathBuf::from("/tmp/audit.jsonl"))
    );

    let explicit = ProviderConfigState {
        audit_log_path: s("audit/jit.jsonl"),
        ..Default::default()
    };
    // Without verification the block wins over the environment.
    let unverified = ConfigEnv {
        require_verified_approvals: None,
        ..env
    };
    let config = ProviderConfig::parse(&explicit, &unverified).unwrap();
    assert_eq!(
        config.audit_log_path,
        Some(PathBuf::from("audit/jit.jsonl"))
    );
}

#[test]
fn arn_checks() {
    assert!(check_arn("arn:aws:iam::123456789012:role/jit-revoker", "iam").is_ok());
    assert!(check_arn("arn:aws:sso:::instance/ssoins-1234", "sso").is_ok());
    assert!(check_arn("arn:aws-us-gov:sns:us-gov-west-1:123456789012:t", "sns").is_ok());
    assert!(check_arn("arn:aws:iam::12345:role/x", "iam").is_err());
    assert!(check_arn("arn:aws:iam::123456789012:", "iam").is_err());
    assert!(check_arn("arn:aws:iam::123456789012", "iam").is_err());
    assert!(check_arn("arn:gcp:iam::123456789012:role/x", "iam").is_err());
}

#[test]
fn aws_limits_default_and_parse() {
    let defaults =
        ProviderConfig::parse(&ProviderConfigState::default(), &ConfigEnv::default()).unwrap();
    assert_eq!(defaults.aws_limits, AwsLimits::default());
    let state = ProviderConfigState {
        aws_attempt_timeout: s("5s"),
        aws_operation_timeout: s("1m"),
        aws_max_attempts: Value::Value(3),
        aws_max_concurrency: Value::Value(2),
        ..Default::default()
    };
    let limits = ProviderConfig::parse(&state, &ConfigEnv::default())
        .unwrap()
        .aws_limits;
    assert_eq!(limits.attempt_timeout, Duration::from_secs(5));
    assert_eq!(limits.operation_timeout, Duration::from_secs(60));
    assert_eq!((limits.max_attempts, limits.max_concurrency), (3, 2));
}

#[test]
fn bad_aws_limits_are_reported_at_their_paths() {
    let state = ProviderConfigState {
        aws_attempt_timeout: s("soon"),
        aws_operation_timeout: s("2h"),
        aws_max_attempts: Value::Value(0),
        aws_max_concurrency: Value::Value(1000),
        ..Default::default()
    };
    let paths: Vec<String> = error_paths(ProviderConfig::parse(&state, &ConfigEnv::default()))
        .into_iter()
        .map(|(_, path)| path)
        .collect();
    for name in [
        "aws_attempt_timeout",
        "aws_operation_timeout",
        "aws_max_attempts",
        "aws_max_concurrency",
    ] {
        assert!(
            paths.iter().any(|p| p.contains(name)),
            "{name} not in {paths:?}"
        );
    }
    let shorter = ProviderConfigState {
        aws_attempt_timeout: s("30s"),
        aws_operation_timeout: s("10s"),
        ..Default::default()
    };
    let errors = error_paths(ProviderConfig::parse(&shorter, &ConfigEnv::default()));
    assert_eq!(errors.len(), 1);
    assert!(errors[0].1.contains("aws_operation_timeout"));
}

fn file(contents: &str) -> PolicyFile {
    PolicyFile {
        path: "/protected/grant-policy.json".into(),
        contents: Ok(contents.into()),
    }
}

fn env_with(flag: Option<&str>, policy: Option<PolicyFile>) -> ConfigEnv {
    ConfigEnv {
        audit_log: Some("/tmp/audit.jsonl".into()),
        require_verified_approvals: flag.map(str::to_string),
        grant_policy_file: policy,
        ..Default::default()
    }
}

fn summaries(result: Result<ProviderConfig, Vec<Error>>) -> Vec<String> {
    error_paths(result)
        .into_iter()
        .map(|(summary, _)| summary)
        .collect()
}

#[test]
fn the_verification_flag_fails_closed() {
    for on in [
        "1", "true", "TRUE", "True", "yes", "Yes", "on", "ON", " on ",
    ] {
        assert_eq!(verification::parse_flag(on), Some(true), "{on}");
    }
    for off in ["", " ", "0", "false", "False", "no", "NO", "off", "Off"] {
        assert_eq!(verification::parse_flag(off), Some(false), "{off}");
    }
    for bad in ["maybe", "2", "enabled", "y", "t", "tru e", "-1"] {
        assert_eq!(verification::parse_flag(bad), None, "{bad}");
    }
    let policy = || Some(file("{}"));
    let parse = |flag: &str| {
        ProviderConfig::parse(
            &ProviderConfigState::default(),
            &env_with(Some(flag), policy()),
        )
    };
    assert!(parse("True").unwrap().require_verified_approvals);
    assert!(parse("on").unwrap().require_verified_approvals);
    assert!(!parse("off").unwrap().require_verified_approvals);
    assert!(!parse("").unwrap().require_verified_approvals);
    let errors = error_paths(parse("maybe"));
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].0, "Invalid `JIT_REQUIRE_VERIFIED_APPROVALS`");
    // The configuration turns it on; it can never turn the environment off.
    let on_in_config = ProviderConfigState {
        require_verified_approvals: Value::Value(true),
        ..Default::default()
    };
    let config = ProviderConfig::parse(&on_in_config, &env_with(Some("0"), policy())).unwrap();
    assert!(config.require_verified_approvals);
}

#[test]
fn the_policy_file_has_the_block_s_keys_and_types() {
    let text = r#"{
      "max_duration": "4h",
      "max_session_duration": "1h",
      "default_risk": "low",
      "permission_set": [
        { "name": "JIT-ReadOnly", "risk": "low", "approvers": [] },
        { "name": "JIT-EmergencyAdmin", "risk": "high", "approvers": ["manager@example.com"], "allow_break_glass": false },
        { "name": "JIT-Other", "risk": "high" }
      ]
    }"#;
    let config = ProviderConfig::parse(
        &ProviderConfigState::default(),
        &env_with(None, Some(file(text))),
    )
    .unwrap();
    let policy = &config.grant_policy;
    assert_eq!(
        config.grant_policy_source,
        PolicySource::File("/protected/grant-policy.json".into())
    );
    assert_eq!(policy.max_duration, Duration::from_secs(4 * 3600));
    assert_eq!(policy.default_risk, Risk::Low);
    let admin = policy.rule("JIT-EmergencyAdmin").unwrap();
    assert_eq!(admin.approvers, vec!["manager@example.com"]);
    assert!(!admin.allow_break_glass);
    assert!(policy.rule("JIT-Other").unwrap().allow_break_glass);
    // `{}` is the defaults: everything high risk, one hour.
    let config = ProviderConfig::parse(
        &ProviderConfigState::default(),
        &env_with(None, Some(file("{}"))),
    )
    .unwrap();
    assert_eq!(config.grant_policy, GrantPolicy::default());

    let cases = [
        (
            r#"{"default_risk": "low", "defaultRisk": "high"}"#,
            "unknown field `defaultRisk`",
        ),
        (
            r#"{"max_duration": 4}"#,
            "invalid type: integer `4`, expected a string",
        ),
        (
            r#"{"permission_set": {"name": "X", "risk": "low"}}"#,
            "invalid type: map, expected a sequence",
        ),
        (
            r#"{"permission_set": [{"name": "X", "risk": "low", "approver": []}]}"#,
            "unknown field `approver`",
        ),
        (
            r#"{"permission_set": [{"name": "X", "risk": "low", "allow_break_glass": "no"}]}"#,
            "expected a boolean",
        ),
        (
            r#"{"permission_set": [{"name": "X", "risk": "low", "approvers": "bob"}]}"#,
            "expected a sequence",
        ),
        (r#"["4h", "1h", "low", []]"#, "not a JSON object"),
        (
            r#"{"permission_set": [["X", "low", [], true]]}"#,
            "`permission_set[0]` is not a JSON object",
        ),
        (r#"{"default_risk": "low",}"#, "trailing comma"),
        (
            r#"{"default_risk": "low", "default_risk": "high"}"#,
            "duplicate field `default_risk`",
        ),
    ];
    for (text, expected) in cases {
        let errors = error_paths(ProviderConfig::parse(
            &ProviderConfigState::default(),
            &env_with(None, Some(file(text))),
        ));
        assert_eq!(errors.len(), 1, "{text}: {errors:?}");
        assert_eq!(errors[0].0, "Invalid grant policy file", "{text}");
        let error = ProviderConfig::parse(
            &ProviderConfigState::default(),
            &env_with(None, Some(file(text))),
        )
        .unwrap_err();
        let (_, detail, _) = error
            .into_iter()
            .next()
            .unwrap()
            .into_parts(AttributePath::root());
        assert!(detail.contains(expected), "{text}: {detail}");
        assert!(detail.contains("/protected/grant-policy.json"), "{detail}");
    }
    // Values the block would refuse are refused in the file, saying where.
    let bad = r#"{"default_risk": "medium", "permission_set": [{"name": "X", "risk": "extreme"}, {"name": "Y"}]}"#;
    let error = ProviderConfig::parse(
        &ProviderConfigState::default(),
        &env_with(None, Some(file(bad))),
    )
    .unwrap_err();
    let parts: Vec<(String, String)> = error
        .into_iter()
        .map(|e| {
            let (summary, detail, _) = e.into_parts(AttributePath::root());
            (summary, detail)
        })
        .collect();
    assert_eq!(parts.len(), 3, "{parts:?}");
    assert_eq!(parts[0].0, "Unknown risk in the grant policy file");
    assert!(
        parts[0]
            .1
            .starts_with("`default_risk` in `/protected/grant-policy.json`"),
        "{parts:?}"
    );
    assert!(
        parts[1].1.starts_with("`permission_set[0].risk`"),
        "{parts:?}"
    );
    assert_eq!(parts[2].0, "Missing risk in the grant policy file");
    // Unreadable.
    let unreadable = PolicyFile {
        path: "/nowhere.json".into(),
        contents: Err("No such file or directory (os error 2)".into()),
    };
    assert_eq!(
        summaries(ProviderConfig::parse(
            &ProviderConfigState::default(),
            &env_with(None, Some(unreadable))
        )),
        vec!["Grant policy file unreadable"]
    );
}

#[test]
fn the_file_wins_over_any_inline_policy() {
    let permissive = with_policy(GrantPolicyState {
        max_duration: s("24h"),
        default_risk: s("low"),
        permission_set: Value::Value(vec![permission_set("JIT-EmergencyAdmin", "low", &[])]),
        ..Default::default()
    });
    let strict = r#"{"permission_set": [{"name": "JIT-EmergencyAdmin", "risk": "high"}]}"#;
    // Verification off: the inline block is ignored, with a warning.
    let config = ProviderConfig::parse(&permissive, &env_with(None, Some(file(strict)))).unwrap();
    assert_eq!(
        config.grant_policy.rule("JIT-EmergencyAdmin").unwrap().risk,
        Risk::High
    );
    assert_eq!(config.grant_policy.max_duration, Duration::from_secs(3600));
    assert_eq!(config.grant_policy.default_risk, Risk::High);
    assert_eq!(config.warnings.len(), 1, "{:?}", config.warnings);
    assert_eq!(config.warnings[0].summary, "Inline `grant_policy` ignored");
    assert_eq!(config.warnings[0].path, attr("grant_policy"));
    // Without a file the block is the policy, as before.
    let config = ProviderConfig::parse(&permissive, &env_with(None, None)).unwrap();
    assert_eq!(config.grant_policy_source, PolicySource::Inline);
    assert_eq!(config.grant_policy.default_risk, Risk::Low);
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);

    // Verification on: the block is an error that says why, file or not.
    let errors = error_paths(ProviderConfig::parse(
        &permissive,
        &env_with(Some("1"), Some(file(strict))),
    ));
    assert_eq!(
        errors,
        vec![(
            "Inline `grant_policy` not allowed with verified approvals".to_string(),
            "grant_policy".to_string()
        )]
    );
    let error =
        ProviderConfig::parse(&permissive, &env_with(Some("1"), Some(file(strict)))).unwrap_err();
    let (_, detail, _) = error
        .into_iter()
        .next()
        .unwrap()
        .into_parts(AttributePath::root());
    assert!(
        detail.contains("JIT_GRANT_POLICY_FILE") && detail.contains("_override.tf"),
        "{detail}"
    );
    assert_eq!(
        summaries(ProviderConfig::parse(
            &permissive,
            &env_with(Some("1"), None)
        )),
        vec![
            "Inline `grant_policy` not allowed with verified approvals",
            "No grant policy file"
        ]
    );
    // Verification on without a file is an error even with no block.
    assert_eq!(
        summaries(ProviderConfig::parse(
            &ProviderConfigState::default(),
            &env_with(Some("yes"), None)
        )),
        vec!["No grant policy file"]
    );
    let config = ProviderConfig::parse(
        &ProviderConfigState::default(),
        &env_with(Some("yes"), Some(file(strict))),
    )
    .unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
}

#[test]
fn no_audit_destination_warns_and_with_verification_is_an_error() {
    let nowhere = |flag: Option<&str>| ConfigEnv {
        require_verified_approvals: flag.map(str::to_string),
        grant_policy_file: Some(file("{}")),
        ..Default::default()
    };
    let config = ProviderConfig::parse(&ProviderConfigState::default(), &nowhere(None)).unwrap();
    let warnings: Vec<&str> = config.warnings.iter().map(|w| w.summary.as_str()).collect();
    assert_eq!(warnings, ["No audit destination"]);
    assert_eq!(
        summaries(ProviderConfig::parse(
            &ProviderConfigState::default(),
            &nowhere(Some("on"))
        )),
        vec!["No audit destination"]
    );
    // Without verification any destination of the block is enough.
    let in_the_block = [
        ProviderConfigState {
            audit_log_path: s("audit.jsonl"),
            ..Default::default()
        },
        ProviderConfigState {
            notification_topic_arn: s("arn:aws:sns:eu-west-1:123456789012:jit"),
            ..Default::default()
        },
        ProviderConfigState {
            audit_s3_bucket: s("example-jit-audit"),
            ..Default::default()
        },
        ProviderConfigState {
            audit_s3_bucket: Value::Unknown,
            ..Default::default()
        },
    ];
    for state in &in_the_block {
        let config = ProviderConfig::parse(state, &nowhere(None)).unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }
    // With verification the block is part of the change: its destinations
    // are refused, a topic alone is not enough, the environment decides.
    let errors = |state: &ProviderConfigState, env: &ConfigEnv| -> Vec<(String, String)> {
        error_paths(ProviderConfig::parse(state, env))
    };
    assert_eq!(
        errors(&in_the_block[0], &nowhere(Some("on"))),
        [
            (
                "`audit_log_path` not allowed with verified approvals".to_string(),
                "audit_log_path".to_string()
            ),
            ("No audit destination".to_string(), String::new()),
        ]
    );
    assert_eq!(
        errors(&in_the_block[1], &nowhere(Some("on"))),
        [("No audit destination".to_string(), String::new())]
    );
    assert_eq!(
        errors(&in_the_block[2], &nowhere(Some("on")))[0].1,
        "audit_s3_bucket"
    );
    let silenced = ProviderConfigState {
        reviewer_summaries: Value::Value(false),
        ..Default::default()
    };
    for env in [
        ConfigEnv {
            audit_log: Some("/protected/audit.jsonl".into()),
            ..nowhere(Some("on"))
        },
        ConfigEnv {
            audit_s3_bucket: Some("example-jit-audit".into()),
            ..nowhere(Some("on"))
        },
    ] {
        let config = ProviderConfig::parse(&ProviderConfigState::default(), &env).unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        assert_eq!(
            errors(&silenced, &env),
            [(
                "`reviewer_summaries` not allowed with verified approvals".to_string(),
                "reviewer_summaries".to_string()
            )]
        );
    }
    let from_env = ProviderConfig::parse(
        &ProviderConfigState::default(),
        &ConfigEnv {
            audit_s3_bucket: Some("example-jit-audit".into()),
            audit_s3_prefix: Some("prod".into()),
            ..nowhere(Some("on"))
        },
    )
    .unwrap();
    assert_eq!(
        from_env.audit_s3,
        Some(AuditS3 {
            bucket: "example-jit-audit".into(),
            prefix: "prod/".into()
        })
    );
}

#[test]
fn audit_s3_target_is_validated_and_normalised() {
    let parse = |bucket: Option<&str>, prefix: Option<&str>| {
        let state = ProviderConfigState {
            audit_s3_bucket: bucket.map_or(Value::Null, s),
            audit_s3_prefix: prefix.map_or(Value::Null, s),
            ..Default::default()
        };
        ProviderConfig::parse(&state, &ConfigEnv::default())
    };
    assert_eq!(parse(None, None).unwrap().audit_s3, None);
    assert_eq!(
        parse(Some("example-jit-audit"), None).unwrap().audit_s3,
        Some(AuditS3 {
            bucket: "example-jit-audit".into(),
            prefix: "jit-audit/".into()
        })
    );
    assert_eq!(
        parse(Some("b.example"), Some("/prod/audit"))
            .unwrap()
            .audit_s3
            .unwrap()
            .prefix,
        "prod/audit/"
    );
    assert_eq!(
        parse(Some("b.example"), Some(""))
            .unwrap()
            .audit_s3
            .unwrap()
            .prefix,
        "jit-audit/",
        "an empty prefix is unset"
    );
    for bad in ["Upper", "ab", "-dash", "arn:aws:s3:::bucket", "s3://bucket"] {
        assert_eq!(
            error_paths(parse(Some(bad), None)),
            [(
                "Invalid S3 bucket name in `audit_s3_bucket`".to_string(),
                "audit_s3_bucket".to_string()
            )],
            "{bad}"
        );
    }
    assert_eq!(
        error_paths(parse(None, Some("p/"))),
        [(
            "`audit_s3_prefix` without `audit_s3_bucket`".to_string(),
            "audit_s3_prefix".to_string()
        )]
    );
    // A bucket from another resource, unknown at plan, is not an error.
    let state = ProviderConfigState {
        audit_s3_bucket: Value::Unknown,
        audit_s3_prefix: s("p/"),
        ..Default::default()
    };
    assert!(ProviderConfig::parse(&state, &ConfigEnv::default()).is_ok());
}

#[test]
fn reviewer_summaries_are_on_unless_set_false() {
    let parse = |value: Value<bool>| {
        let state = ProviderConfigState {
            reviewer_summaries: value,
            ..Default::default()
        };
        ProviderConfig::parse(&state, &ConfigEnv::default())
            .unwrap()
            .reviewer_summaries
    };
    assert!(parse(Value::Null));
    assert!(parse(Value::Unknown));
    assert!(parse(Value::Value(true)));
    assert!(!parse(Value::Value(false)));
}
