//! What an AWS request is (service, protocol, operation) and how each AWS
//! protocol spells an error, so that an injected fault reaches the SDK the
//! way AWS's own would.
//!
//! - awsJson (sso-admin, identitystore, cognito-idp): operation in
//!   `X-Amz-Target`, error as `{"__type": code, "message": …}`;
//! - query (IAM, STS, SNS): operation in the form (or query) `Action=`,
//!   error as `<ErrorResponse><Error><Code>…`;
//! - restJson (Scheduler): operation from method and path, error type in
//!   the `x-amzn-ErrorType` header.

use super::http::{Request, Response};

/// The AWS wire protocol of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// awsJson 1.0/1.1: `POST /` with `X-Amz-Target`.
    Json,
    /// awsQuery: form-encoded `Action=`.
    Query,
    /// restJson1: the operation is the method and path.
    RestJson,
}

/// One request as the matcher sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operation {
    /// The SigV4 signing name: `iam`, `sts`, `sns`, `sso` (sso-admin),
    /// `identitystore`, `cognito-idp`, `scheduler`; empty when unsigned.
    pub service: String,
    /// The AWS operation (`CreateUser`, `ListSchedules`), or `METHOD /path`
    /// for a REST call this module does not name.
    pub name: String,
    /// HTTP method.
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Wire protocol.
    pub protocol: Protocol,
}

/// Names used in matchers mapped to SigV4 signing names.
pub fn signing_name(service: &str) -> &str {
    match service {
        "sso-admin" | "ssoadmin" => "sso",
        "cognito" => "cognito-idp",
        other => other,
    }
}

/// Reads service, protocol and operation from a request.
pub fn operation(request: &Request) -> Operation {
    let service = request
        .header("authorization")
        .and_then(|auth| auth.split("Credential=").nth(1))
        .and_then(|scope| scope.split(['/', ',']).nth(3))
        .unwrap_or_default()
        .to_string();
    let method = request.method.clone();
    let path = request.path().to_string();
    let (protocol, name) = if let Some(target) = request.header("x-amz-target") {
        (
            Protocol::Json,
            target.rsplit('.').next().unwrap_or(target).to_string(),
        )
    } else if let Some(action) = form_value(&request.body, "Action")
        .or_else(|| form_value(request.query().as_bytes(), "Action"))
    {
        (Protocol::Query, action)
    } else {
        (Protocol::RestJson, rest_operation(&method, &path))
    };
    Operation {
        service,
        name,
        method,
        path,
        protocol,
    }
}

/// One value of a form-encoded body or query (decoded).
pub fn form_value(form: &[u8], key: &str) -> Option<String> {
    let text = std::str::from_utf8(form).ok()?;
    text.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (decode(k) == key).then(|| decode(v))
    })
}

/// Percent-decoding of a form value (`+` is a space).
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(byte) => {
                        out.push(byte);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Scheduler's REST routes as operation names; anything else stays
/// `METHOD /first-segment`.
pub fn rest_operation(method: &str, path: &str) -> String {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let name = match (method, segments.as_slice()) {
        ("GET", ["schedules"]) => "ListSchedules",
        ("POST", ["schedules", _]) => "CreateSchedule",
        ("GET", ["schedules", _]) => "GetSchedule",
        ("PUT", ["schedules", _]) => "UpdateSchedule",
        ("DELETE", ["schedules", _]) => "DeleteSchedule",
        ("GET", ["schedule-groups"]) => "ListScheduleGroups",
        ("POST", ["schedule-groups", _]) => "CreateScheduleGroup",
        ("GET", ["schedule-groups", _]) => "GetScheduleGroup",
        ("DELETE", ["schedule-groups", _]) => "DeleteScheduleGroup",
        ("GET", ["tags", ..]) => "ListTagsForResource",
        ("POST", ["tags", ..]) => "TagResource",
        ("DELETE", ["tags", ..]) => "UntagResource",
        _ => return format!("{method} /{}", segments.first().unwrap_or(&"")),
    };
    name.to_string()
}

/// The throttling error code each service uses.
pub fn throttling_code(operation: &Operation) -> &'static str {
    match (operation.protocol, operation.service.as_str()) {
        (Protocol::Query, _) => "Throttling",
        (_, "cognito-idp") => "TooManyRequestsException",
        _ => "ThrottlingException",
    }
}

/// Throttling as the service answers it (`Rate exceeded`).
pub fn throttle(operation: &Operation) -> Response {
    let status = if operation.protocol == Protocol::RestJson {
        429
    } else {
        400
    };
    error(
        operation.protocol,
        status,
        throttling_code(operation),
        "Rate exceeded",
    )
}

/// A 5xx server error (`InternalFailure` for 500, `ServiceUnavailable` for
/// 503, AWS's common error codes); the SDK retries these.
pub fn server_error(operation: &Operation, status: u16) -> Response {
    let code = match status {
        503 => "ServiceUnavailable",
        _ => "InternalFailure",
    };
    error(
        operation.protocol,
        status,
        code,
        "Injected by the test proxy: the service could not handle the request",
    )
}

/// An error response in `protocol`'s own format.
pub fn error(protocol: Protocol, status: u16, code: &str, message: &str) -> Response {
    let request_id = request_id();
    let mut response = match protocol {
        Protocol::Json => Response::new(
            status,
            "application/x-amz-json-1.1",
            serde_json::json!({ "__type": code, "message": message }).to_string(),
        ),
        Protocol::RestJson => {
            let mut response = Response::new(
                status,
                "application/json",
                serde_json::json!({ "message": message, "Message": message }).to_string(),
            );
            response.set_header("x-amzn-ErrorType", code);
            response
        }
        Protocol::Query => Response::new(
            status,
            "text/xml",
            format!(
                "<ErrorResponse><Error><Type>{}</Type><Code>{code}</Code><Message>{}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
                if status >= 500 { "Receiver" } else { "Sender" },
                xml_escape(message)
            ),
        ),
    };
    response.set_header("x-amzn-RequestId", &request_id);
    response
}

/// A JSON error with extra fields (e.g. identitystore's `Reason`).
pub fn json_error(code: &str, message: &str, extra: serde_json::Value) -> Response {
    let mut body = serde_json::json!({ "__type": code, "Message": message });
    if let (Some(body), Some(extra)) = (body.as_object_mut(), extra.as_object()) {
        body.extend(extra.clone());
    }
    let mut response = Response::new(400, "application/x-amz-json-1.1", body.to_string());
    response.set_header("x-amzn-RequestId", &request_id());
    response
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The text between `<tag>` and `</tag>` (first occurrence).
pub fn xml_value<'a>(xml: &'a str, tag: &str) -> Option<&'a str> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = xml[start..].find(&format!("</{tag}>"))? + start;
    Some(&xml[start..end])
}

/// A fresh request id for injected answers (unique within the process).
pub fn request_id() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("00000000-0000-4000-8000-{:012x}", n + 0x0f00_0000_0000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, target: &str, headers: &[(&str, &str)], body: &str) -> Request {
        Request {
            method: method.into(),
            target: target.into(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
        }
    }

    const AUTH: &str = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/SERVICE/aws4_request, SignedHeaders=host, Signature=0";

    #[test]
    fn operations_are_read_from_target_action_or_route() {
        let auth = |service: &str| AUTH.replace("SERVICE", service);
        let json = request(
            "POST",
            "/",
            &[
                ("Authorization", &auth("sso")),
                ("X-Amz-Target", "SWBExternalService.CreateAccountAssignment"),
            ],
            "{}",
        );
        let op = operation(&json);
        assert_eq!(
            (op.service.as_str(), op.name.as_str(), op.protocol),
            ("sso", "CreateAccountAssignment", Protocol::Json)
        );
        let query = request(
            "POST",
            "/",
            &[("authorization", &auth("iam"))],
            "Action=CreateUser&Version=2010-05-08&UserName=a%2Bb",
        );
        let op = operation(&query);
        assert_eq!(
            (op.name.as_str(), op.protocol),
            ("CreateUser", Protocol::Query)
        );
        assert_eq!(form_value(&query.body, "UserName").unwrap(), "a+b");
        let get_query = request("GET", "/?Action=GetCallerIdentity", &[], "");
        assert_eq!(operation(&get_query).name, "GetCallerIdentity");
        let rest = request(
            "GET",
            "/schedules?GroupName=g&NamePrefix=jit-",
            &[("Authorization", &auth("scheduler"))],
            "",
        );
        let op = operation(&rest);
        assert_eq!(
            (
                op.service.as_str(),
                op.name.as_str(),
                op.path.as_str(),
                op.protocol
            ),
            (
                "scheduler",
                "ListSchedules",
                "/schedules",
                Protocol::RestJson
            )
        );
        for (method, path, name) in [
            ("POST", "/schedules/jit-1", "CreateSchedule"),
            ("GET", "/schedules/jit-1", "GetSchedule"),
            ("PUT", "/schedules/jit-1", "UpdateSchedule"),
            ("DELETE", "/schedules/jit-1", "DeleteSchedule"),
            ("GET", "/schedule-groups/g", "GetScheduleGroup"),
            ("POST", "/schedule-groups/g", "CreateScheduleGroup"),
            ("PATCH", "/other/x", "PATCH /other"),
        ] {
            assert_eq!(rest_operation(method, path), name);
        }
        assert_eq!(operation(&request("GET", "/", &[], "")).service, "");
    }

    #[test]
    fn errors_use_each_protocols_format() {
        let op = |protocol, service: &str| Operation {
            service: service.into(),
            name: "X".into(),
            method: "POST".into(),
            path: "/".into(),
            protocol,
        };
        let json = throttle(&op(Protocol::Json, "sso"));
        assert_eq!(json.status, 400);
        assert_eq!(json.json()["__type"], "ThrottlingException");
        let cognito = throttle(&op(Protocol::Json, "cognito-idp"));
        assert_eq!(cognito.json()["__type"], "TooManyRequestsException");
        let query = throttle(&op(Protocol::Query, "iam"));
        let body = String::from_utf8(query.body.clone()).unwrap();
        assert_eq!(xml_value(&body, "Code"), Some("Throttling"));
        assert!(body.starts_with("<ErrorResponse><Error>"), "{body}");
        let rest = throttle(&op(Protocol::RestJson, "scheduler"));
        assert_eq!(
            (rest.status, rest.header("x-amzn-errortype")),
            (429, Some("ThrottlingException"))
        );
        let unavailable = server_error(&op(Protocol::Query, "iam"), 503);
        let body = String::from_utf8(unavailable.body).unwrap();
        assert_eq!(unavailable.status, 503);
        assert_eq!(xml_value(&body, "Code"), Some("ServiceUnavailable"));
        assert_eq!(xml_value(&body, "Type"), Some("Receiver"));
        let conflict = json_error("ConflictException", "m", serde_json::json!({"Reason": "R"}));
        assert_eq!(conflict.json()["Reason"], "R");
        assert_ne!(request_id(), request_id());
    }

    #[test]
    fn form_values_decode_percent_and_plus() {
        assert_eq!(decode("a%2Fb+c%"), "a/b c%");
        assert_eq!(decode("%zz"), "%zz");
        assert_eq!(form_value(b"A=1&Action=X", "Action").as_deref(), Some("X"));
        assert_eq!(form_value(b"{\"json\":1}", "Action"), None);
        assert_eq!(signing_name("sso-admin"), "sso");
    }
}
