//! Answers as AWS gives them where moto 5.2.5 differs (DESIGN.md "Emulator
//! facts"). The proxy asks moto what is true with calls of its own (signed
//! with its admin key, so they also work under IAM enforcement):
//!
//! - a repeated `CreateAccountAssignment` for an assignment that exists is a
//!   `ConflictException` (moto stores a second row, and one delete then
//!   removes only one of them);
//! - a repeated `CreateGroupMembership` is a `ConflictException` with reason
//!   `UNIQUENESS_CONSTRAINT_VIOLATION` (moto stores a second membership);
//! - `CreateSchedule` in a missing schedule group is a
//!   `ResourceNotFoundException` (moto fails with a 500);
//! - moto's auth errors (always query-style XML) are turned into the JSON
//!   errors a JSON or REST service answers with (`AccessDeniedException`, …);
//! - identity store users, groups and memberships carry `CreatedAt` in their
//!   `Describe*` answers (moto leaves it out): the moment the proxy saw
//!   moto answer their create, so only what was made through the proxy has
//!   one.

use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::http::{exchange, Request, Response};
use super::sigv4::{sign_own, Key};
use super::wire::{self, Protocol};

/// How long the proxy's own calls to moto may take.
const OWN_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// moto, as the proxy's own client.
#[derive(Debug, Clone)]
pub struct Upstream {
    /// moto's port.
    pub port: u16,
    /// The key the proxy signs its own calls with.
    pub key: Key,
}

impl Upstream {
    fn call(&self, mut request: Request, service: &str) -> Option<(u16, Value)> {
        request.set_header("Host", &format!("127.0.0.1:{}", self.port));
        sign_own(&mut request, &self.key, service);
        let response = exchange(self.port, &request, OWN_CALL_TIMEOUT).ok()?;
        Some((response.status, response.json()))
    }

    fn json(&self, service: &str, target: &str, body: &Value) -> Option<(u16, Value)> {
        let request = Request {
            method: "POST".into(),
            target: "/".into(),
            headers: vec![
                ("Content-Type".into(), "application/x-amz-json-1.1".into()),
                ("X-Amz-Target".into(), target.into()),
            ],
            body: body.to_string().into_bytes(),
        };
        self.call(request, service)
    }

    /// Whether the assignment a `CreateAccountAssignment` asks for exists.
    pub fn assignment_exists(&self, create: &Value) -> Option<bool> {
        let mut token: Option<String> = None;
        loop {
            let mut body = json!({
                "InstanceArn": create["InstanceArn"],
                "AccountId": create["TargetId"],
                "PermissionSetArn": create["PermissionSetArn"],
            });
            if let Some(token) = &token {
                body["NextToken"] = json!(token);
            }
            let (status, page) =
                self.json("sso", "SWBExternalService.ListAccountAssignments", &body)?;
            if status != 200 {
                return None;
            }
            let found = page["AccountAssignments"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|a| {
                    a["PrincipalType"] == create["PrincipalType"]
                        && a["PrincipalId"] == create["PrincipalId"]
                });
            match page["NextToken"].as_str() {
                _ if found => return Some(true),
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => return Some(false),
            }
        }
    }

    /// Whether the membership a `CreateGroupMembership` asks for exists.
    pub fn membership_exists(&self, create: &Value) -> Option<bool> {
        let body = json!({
            "IdentityStoreId": create["IdentityStoreId"],
            "GroupId": create["GroupId"],
            "MemberId": create["MemberId"],
        });
        let (status, _) = self.json(
            "identitystore",
            "AWSIdentityStore.GetGroupMembershipId",
            &body,
        )?;
        match status {
            200 => Some(true),
            400 | 404 => Some(false),
            _ => None,
        }
    }

    /// Whether a schedule group exists.
    pub fn schedule_group_exists(&self, name: &str) -> Option<bool> {
        let request = Request {
            method: "GET".into(),
            target: format!("/schedule-groups/{name}"),
            headers: Vec::new(),
            body: Vec::new(),
        };
        match self.call(request, "scheduler")?.0 {
            200 => Some(true),
            404 => Some(false),
            _ => None,
        }
    }
}

/// The id key of each identity store object, by the operations that create
/// and describe it.
const IDENTITY_OBJECTS: [(&str, &str, &str); 3] = [
    ("CreateUser", "DescribeUser", "UserId"),
    ("CreateGroup", "DescribeGroup", "GroupId"),
    (
        "CreateGroupMembership",
        "DescribeGroupMembership",
        "MembershipId",
    ),
];

/// When each identity store object made through the proxy was created,
/// seconds since the epoch, by id key and id (`UserId:…`).
#[derive(Debug, Default)]
pub struct CreationTimes(HashMap<String, f64>);

impl CreationTimes {
    /// Notes the object a successful identity store create answered with.
    pub fn learn(&mut self, operation: &str, answer: &Value) {
        let Some((_, _, key)) = IDENTITY_OBJECTS
            .iter()
            .find(|(create, ..)| *create == operation)
        else {
            return;
        };
        if let Some(id) = answer[key].as_str() {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0.0, |since| since.as_secs_f64());
            self.0.insert(format!("{key}:{id}"), now);
        }
    }

    /// Adds `CreatedAt` to a `Describe*` answer of an object it knows;
    /// whether it did.
    pub fn stamp(&self, operation: &str, answer: &mut Value) -> bool {
        let Some((_, _, key)) = IDENTITY_OBJECTS
            .iter()
            .find(|(_, describe, _)| *describe == operation)
        else {
            return false;
        };
        let known = answer[key]
            .as_str()
            .and_then(|id| self.0.get(&format!("{key}:{id}")));
        match (known, answer.as_object_mut()) {
            (Some(created), Some(fields)) if !fields.contains_key("CreatedAt") => {
                fields.insert("CreatedAt".into(), json!(created));
                true
            }
            _ => false,
        }
    }
}

/// AWS's answer to a create of something that exists, when moto would
/// store a duplicate; `None` to let the request through.
pub fn duplicate_create(
    upstream: &Upstream,
    operation: &str,
    request: &Request,
) -> Option<Response> {
    let body = request.json();
    match operation {
        "CreateAccountAssignment" if upstream.assignment_exists(&body)? => Some(wire::json_error(
            "ConflictException",
            "The account assignment already exists for this principal, account and permission set.",
            json!({}),
        )),
        "CreateGroupMembership" if upstream.membership_exists(&body)? => Some(wire::json_error(
            "ConflictException",
            "Member and group relationship already exists.",
            json!({ "Reason": "UNIQUENESS_CONSTRAINT_VIOLATION" }),
        )),
        _ => None,
    }
}

/// `CreateSchedule` answered 5xx by moto because its group is missing:
/// AWS's `ResourceNotFoundException` instead.
pub fn missing_schedule_group(
    upstream: &Upstream,
    request: &Request,
    response: &Response,
) -> Option<Response> {
    if response.status < 500 {
        return None;
    }
    let group = request.json()["GroupName"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    if upstream.schedule_group_exists(&group)? {
        return None;
    }
    Some(wire::error(
        Protocol::RestJson,
        404,
        "ResourceNotFoundException",
        &format!("Schedule group {group} does not exist."),
    ))
}

/// moto's XML auth errors in the format a JSON or REST service uses.
pub fn auth_error(protocol: Protocol, response: &Response) -> Option<Response> {
    if protocol == Protocol::Query || !(400..500).contains(&response.status) {
        return None;
    }
    let body = String::from_utf8_lossy(&response.body);
    if !body.contains("<ErrorResponse") {
        return None;
    }
    let code = wire::xml_value(&body, "Code")?;
    let message = wire::xml_value(&body, "Message").unwrap_or(code);
    let code = match code {
        "AccessDenied" => "AccessDeniedException",
        "SignatureDoesNotMatch" => "InvalidSignatureException",
        "InvalidClientTokenId" => "UnrecognizedClientException",
        other => other,
    };
    let status = if protocol == Protocol::RestJson {
        response.status
    } else {
        400
    };
    Some(wire::error(protocol, status, code, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moto_auth_errors_become_json_errors() {
        let xml = Response::new(
            403,
            "text/xml",
            "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>User: x is not authorized</Message></Error></Errors></ErrorResponse>",
        );
        let json = auth_error(Protocol::Json, &xml).unwrap();
        assert_eq!(json.status, 400);
        assert_eq!(json.json()["__type"], "AccessDeniedException");
        assert_eq!(json.json()["message"], "User: x is not authorized");
        let rest = auth_error(Protocol::RestJson, &xml).unwrap();
        assert_eq!(rest.status, 403);
        assert_eq!(
            rest.header("x-amzn-ErrorType"),
            Some("AccessDeniedException")
        );
        assert!(auth_error(Protocol::Query, &xml).is_none());
        let ok = Response::new(200, "application/json", "{}");
        assert!(auth_error(Protocol::Json, &ok).is_none());
    }

    #[test]
    fn only_objects_created_through_the_proxy_are_dated() {
        let mut times = CreationTimes::default();
        times.learn(
            "CreateUser",
            &json!({ "UserId": "u-1", "IdentityStoreId": "d-1" }),
        );
        times.learn("ListUsers", &json!({ "UserId": "u-9" }));
        let mut described = json!({ "UserId": "u-1", "UserName": "ada" });
        assert!(times.stamp("DescribeUser", &mut described));
        assert!(described["CreatedAt"].as_f64().is_some_and(|at| at > 1.7e9));
        // Made outside the proxy, or a group described under a user's id.
        let mut outside = json!({ "UserId": "u-2" });
        assert!(!times.stamp("DescribeUser", &mut outside));
        assert!(outside.get("CreatedAt").is_none());
        assert!(!times.stamp("DescribeGroup", &mut json!({ "GroupId": "u-1" })));
        // AWS's own date is kept.
        let mut dated = json!({ "UserId": "u-1", "CreatedAt": 1.0 });
        assert!(!times.stamp("DescribeUser", &mut dated));
        assert_eq!(dated["CreatedAt"], 1.0);
    }
}
