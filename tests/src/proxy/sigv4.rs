//! SigV4 for the proxy: verifying a client's signature, re-signing a request
//! so moto's signature check computes the same thing, and signing the
//! proxy's own calls to moto.
//!
//! Why re-sign: under IAM enforcement moto 5.2.5 recomputes the signature
//! with botocore over `body or data`, and for a request with an empty body
//! `data` is the parsed query string (or, with no query, the request
//! headers), which it then hashes as a form body. Every GET and DELETE
//! (Scheduler's `ListSchedules`, `GetSchedule`, `DeleteSchedule`, …) fails
//! with `SignatureDoesNotMatch` even with an allow-all policy. botocore takes
//! the payload hash from a signed `X-Amz-Content-SHA256` header when there
//! is one, so the proxy checks the client's signature with the client's own
//! secret and signs the request again, adding that header: same principal,
//! same action, same authorization check, and a forged or wrong-secret
//! request still fails.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_sdk_iam::config::Credentials;
use aws_sigv4::http_request::{
    sign, PayloadChecksumKind, SignableBody, SignableRequest, SigningSettings,
};
use aws_sigv4::sign::v4;

use super::http::Request;

/// Headers the signer derives itself instead of taking from the request.
const DERIVED: &[&str] = &["x-amz-date", "x-amz-security-token", "x-amz-content-sha256"];

/// An access key the proxy can sign with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// Access key id.
    pub id: String,
    /// Secret access key.
    pub secret: String,
    /// Session token of temporary credentials.
    pub token: Option<String>,
}

impl Key {
    /// A long-term key.
    pub fn new(id: &str, secret: &str) -> Self {
        Self {
            id: id.to_string(),
            secret: secret.to_string(),
            token: None,
        }
    }
}

/// Secrets known to the proxy, by access key id.
#[derive(Debug, Default)]
pub struct Keys(HashMap<String, Key>);

impl Keys {
    /// Remembers a key.
    pub fn add(&mut self, key: Key) {
        self.0.insert(key.id.clone(), key);
    }

    /// The key with this id.
    pub fn get(&self, id: &str) -> Option<&Key> {
        self.0.get(id)
    }

    /// Remembers credentials an answer hands out (`AssumeRole`,
    /// `CreateAccessKey`), so requests signed with them can be re-signed.
    pub fn learn(&mut self, xml: &str) {
        let (Some(id), Some(secret)) = (
            super::wire::xml_value(xml, "AccessKeyId"),
            super::wire::xml_value(xml, "SecretAccessKey"),
        ) else {
            return;
        };
        self.add(Key {
            id: id.to_string(),
            secret: secret.to_string(),
            token: super::wire::xml_value(xml, "SessionToken").map(str::to_string),
        });
    }
}

/// The parts of an `Authorization: AWS4-HMAC-SHA256 …` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    /// Access key id.
    pub key_id: String,
    /// Credential scope date (`yyyymmdd`).
    pub date: String,
    /// Region.
    pub region: String,
    /// Signing name.
    pub service: String,
    /// Signed header names, lower case.
    pub signed_headers: Vec<String>,
    /// Hex signature.
    pub signature: String,
}

/// Parses a SigV4 `Authorization` header.
pub fn parse_authorization(header: &str) -> Option<Authorization> {
    let rest = header.strip_prefix("AWS4-HMAC-SHA256")?.trim();
    let field = |name: &str| {
        rest.split(',')
            .map(str::trim)
            .find_map(|part| part.strip_prefix(name)?.strip_prefix('='))
    };
    let mut scope = field("Credential")?.split('/');
    Some(Authorization {
        key_id: scope.next()?.to_string(),
        date: scope.next()?.to_string(),
        region: scope.next()?.to_string(),
        service: scope.next()?.to_string(),
        signed_headers: field("SignedHeaders")?
            .split(';')
            .map(str::to_string)
            .collect(),
        signature: field("Signature")?.to_string(),
    })
}

/// `yyyymmddThhmmssZ` as a time.
pub fn parse_amz_date(text: &str) -> Option<SystemTime> {
    let digits = |range: std::ops::Range<usize>| text.get(range)?.parse::<i64>().ok();
    if text.len() != 16 || text.get(8..9) != Some("T") || text.get(15..16) != Some("Z") {
        return None;
    }
    let (year, month, day) = (digits(0..4)?, digits(4..6)?, digits(6..8)?);
    let (hour, minute, second) = (digits(9..11)?, digits(11..13)?, digits(13..15)?);
    // Days from 1970-01-01 of a proleptic Gregorian date (H. Hinnant).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second;
    Some(UNIX_EPOCH + Duration::from_secs(u64::try_from(seconds).ok()?))
}

/// Signs `request` with `key` at `time`, returning the headers to set
/// (authorization, x-amz-date, the token and, with `content_sha`, a signed
/// `x-amz-content-sha256`). Only the headers named in `include` (or all when
/// `None`) are taken from the request.
pub fn signature_headers(
    request: &Request,
    key: &Key,
    region: &str,
    service: &str,
    time: SystemTime,
    include: Option<&[String]>,
    content_sha: bool,
) -> Option<Vec<(String, String)>> {
    let headers: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .filter(|(name, _)| {
            let lower = name.to_ascii_lowercase();
            !DERIVED.contains(&lower.as_str())
                && lower != "authorization"
                && include.is_none_or(|names| names.contains(&lower))
        })
        .collect();
    let mut settings = SigningSettings::default();
    if include.is_some() {
        // Exactly what the client signed, nothing left out.
        settings.excluded_headers = Some(Vec::new());
    }
    if content_sha {
        settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    }
    let identity = Credentials::new(&key.id, &key.secret, key.token.clone(), None, "proxy").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(time)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let signable = SignableRequest::new(
        &request.method,
        request.target.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(&request.body),
    )
    .ok()?;
    let (instructions, _signature) = sign(signable, &params).ok()?.into_parts();
    Some(
        instructions
            .headers()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
    )
}

/// True when the request's own signature is right for `key`.
pub fn verify(request: &Request, auth: &Authorization, key: &Key) -> bool {
    let Some(time) = request.header("x-amz-date").and_then(parse_amz_date) else {
        return false;
    };
    let content_sha = auth
        .signed_headers
        .iter()
        .any(|h| h == "x-amz-content-sha256");
    let Some(headers) = signature_headers(
        request,
        key,
        &auth.region,
        &auth.service,
        time,
        Some(&auth.signed_headers),
        content_sha,
    ) else {
        return false;
    };
    headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| parse_authorization(value))
        .is_some_and(|ours| ours.signature == auth.signature)
}

/// Re-signs a request whose body moto cannot hash as sent (verified first)
/// with a signed `x-amz-content-sha256`, so moto's check computes the right
/// payload hash: an empty body (moto hashes the parsed query or headers),
/// or a form body of the query protocol (moto hashes the form after parsing
/// and re-encoding it, which differs from the SDK's encoding as soon as the
/// values hold characters such as `"` or `{`: SNS `Publish` of a JSON
/// message). Returns false (request untouched) when the key is unknown or
/// the client's signature is wrong.
pub fn resign_for_moto(request: &mut Request, keys: &Keys) -> bool {
    let Some(auth) = request
        .header("authorization")
        .and_then(parse_authorization)
    else {
        return false;
    };
    let form = request
        .header("content-type")
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !(request.body.is_empty() || form)
        || auth
            .signed_headers
            .iter()
            .any(|h| h == "x-amz-content-sha256")
    {
        return false;
    }
    let Some(key) = keys.get(&auth.key_id) else {
        return false;
    };
    if !verify(request, &auth, key) {
        return false;
    }
    let Some(time) = request.header("x-amz-date").and_then(parse_amz_date) else {
        return false;
    };
    let Some(headers) = signature_headers(
        request,
        key,
        &auth.region,
        &auth.service,
        time,
        Some(&auth.signed_headers),
        true,
    ) else {
        return false;
    };
    for (name, value) in headers {
        request.set_header(&name, &value);
    }
    true
}

/// Signs one of the proxy's own requests to moto (all headers signed).
pub fn sign_own(request: &mut Request, key: &Key, service: &str) {
    if let Some(headers) = signature_headers(
        request,
        key,
        "eu-west-1",
        service,
        SystemTime::now(),
        None,
        true,
    ) {
        for (name, value) in headers {
            request.set_header(&name, &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signed(key: &Key, method: &str, target: &str, body: &str) -> Request {
        signed_as(key, method, target, body, "application/json")
    }

    fn signed_as(key: &Key, method: &str, target: &str, body: &str, content_type: &str) -> Request {
        let mut request = Request {
            method: method.into(),
            target: target.into(),
            headers: vec![
                ("Host".into(), "127.0.0.1:4566".into()),
                ("Content-Type".into(), content_type.into()),
                ("User-Agent".into(), "test".into()),
            ],
            body: body.as_bytes().to_vec(),
        };
        let time = parse_amz_date("20240229T235959Z").unwrap();
        for (name, value) in
            signature_headers(&request, key, "eu-west-1", "scheduler", time, None, false).unwrap()
        {
            request.set_header(&name, &value);
        }
        request
    }

    #[test]
    fn amz_dates_parse_to_unix_time() {
        let time = parse_amz_date("20240229T235959Z").unwrap();
        assert_eq!(
            time.duration_since(UNIX_EPOCH).unwrap().as_secs(),
            1_709_251_199
        );
        assert_eq!(parse_amz_date("19700101T000000Z"), Some(UNIX_EPOCH));
        assert_eq!(parse_amz_date("2024-02-29"), None);
    }

    #[test]
    fn authorization_headers_parse() {
        let auth = parse_authorization("AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sso/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc").unwrap();
        assert_eq!(auth.key_id, "AKID");
        assert_eq!(auth.service, "sso");
        assert_eq!(auth.signed_headers, ["host", "x-amz-date"]);
        assert_eq!(auth.signature, "abc");
        assert!(parse_authorization("Basic x").is_none());
    }

    #[test]
    fn signatures_verify_only_with_the_right_secret() {
        let key = Key::new("AKIDEXAMPLE", "secret");
        let request = signed(
            &key,
            "GET",
            "/schedules?GroupName=jit-grants&NamePrefix=jit-",
            "",
        );
        let auth = parse_authorization(request.header("authorization").unwrap()).unwrap();
        assert!(verify(&request, &auth, &key));
        assert!(!verify(&request, &auth, &Key::new("AKIDEXAMPLE", "other")));
        let mut tampered = request.clone();
        tampered.target = "/schedules?GroupName=other".into();
        assert!(!verify(&tampered, &auth, &key));
    }

    #[test]
    fn empty_body_requests_are_resigned_with_a_content_hash() {
        let key = Key::new("AKIDEXAMPLE", "secret");
        let mut keys = Keys::default();
        let mut request = signed(&key, "DELETE", "/schedules/a?groupName=g", "");
        let original = request.clone();
        // Unknown key: untouched.
        assert!(!resign_for_moto(&mut request, &keys));
        assert_eq!(request, original);
        keys.add(key.clone());
        assert!(resign_for_moto(&mut request, &keys));
        assert_eq!(
            request.header("x-amz-content-sha256"),
            Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        );
        let auth = parse_authorization(request.header("authorization").unwrap()).unwrap();
        assert!(auth
            .signed_headers
            .contains(&"x-amz-content-sha256".to_string()));
        assert!(verify(&request, &auth, &key));
        // Requests with a body, or signed with a wrong secret, stay as sent.
        let mut with_body = signed(&key, "POST", "/schedules/a", "{}");
        assert!(!resign_for_moto(&mut with_body, &keys));
        let mut forged = signed(&Key::new("AKIDEXAMPLE", "guess"), "GET", "/schedules", "");
        assert!(!resign_for_moto(&mut forged, &keys));
        // Query-protocol form bodies: moto re-encodes them, so they are
        // re-signed with their own content hash too.
        let mut form = signed_as(
            &key,
            "POST",
            "/",
            "Action=Publish&Message=%7B%22a%22%3A%201%7D",
            "application/x-www-form-urlencoded; charset=utf-8",
        );
        assert!(resign_for_moto(&mut form, &keys));
        let auth = parse_authorization(form.header("authorization").unwrap()).unwrap();
        assert!(verify(&form, &auth, &key));
        assert!(form.header("x-amz-content-sha256").is_some());
    }

    #[test]
    fn credentials_are_learned_from_answers() {
        let mut keys = Keys::default();
        keys.learn("<AssumeRoleResult><Credentials><AccessKeyId>ASIA1</AccessKeyId><SecretAccessKey>s</SecretAccessKey><SessionToken>t</SessionToken></Credentials></AssumeRoleResult>");
        assert_eq!(keys.get("ASIA1").unwrap().token.as_deref(), Some("t"));
        keys.learn("<Other/>");
        assert!(keys.get("x").is_none());
    }
}
