//! ARN and name shape checks, pure.

/// The AWS partition of a region (`aws` when unknown).
pub fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// EventBridge Scheduler group names: 1-64 of `[0-9a-zA-Z-_.]`.
pub fn is_schedule_group_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Checks `arn:<partition>:<service>:<region>:<account>:<resource>`.
pub fn check_arn(value: &str, service: &str) -> Result<(), String> {
    let parts: Vec<&str> = value.splitn(6, ':').collect();
    if parts.len() != 6 || parts[0] != "arn" {
        return Err("is not an ARN".to_string());
    }
    if !parts[1].starts_with("aws") {
        return Err(format!("has an unknown partition `{}`", parts[1]));
    }
    if parts[2] != service {
        return Err(format!("is a `{}` ARN, not `{service}`", parts[2]));
    }
    if parts[5].is_empty() {
        return Err("has no resource part".to_string());
    }
    let account = parts[4];
    if !account.is_empty() && (account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(format!("has account `{account}`, which is not 12 digits"));
    }
    Ok(())
}
