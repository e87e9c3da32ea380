//! moto's IAM enforcement for least-privilege tests: switch it on
//! (`POST /moto-api/reset-auth`, body `0`, `Content-Type: text/plain`), and
//! make users and roles with exactly the policy under test.
//!
//! Once enforcement is on, moto accepts only keys of IAM users (or sessions
//! of roles they assume) and checks each action against their policies, so
//! [`enable`] first creates an allow-all admin whose key the harness itself
//! uses for fixtures and checks.
//!
//! Trap (verified, moto 5.2.5): moto recomputes signatures over the parsed
//! query (or, with no query, the headers) when a request has no body, so
//! every Scheduler GET and DELETE fails with `SignatureDoesNotMatch` even
//! with an allow-all policy. Send such calls through the
//! [`Proxy`](crate::proxy::Proxy): it verifies the signature and re-signs
//! with a signed `x-amz-content-sha256` header (see
//! [`crate::proxy::sigv4`]), which makes moto check it correctly; the action
//! is still authorized by moto against the caller's policy.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use crate::aws::Aws;
use crate::proxy::{Key, Proxy};

/// An allow-all policy document.
pub const ALLOW_ALL: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;

/// A trust policy any principal of any account may assume (moto refuses a
/// trust naming the account root, which AWS allows).
pub const TRUST_ANYONE: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;

/// Posts `count` to `/moto-api/reset-auth`: `0` switches authentication
/// and authorization on for every later request, `inf` off again. Returns
/// moto's answer.
pub fn reset_auth(moto_port: u16, count: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", moto_port)).expect("moto");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "POST /moto-api/reset-auth HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n{count}",
        count.len()
    )
    .expect("reset-auth request");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .expect("reset-auth answer");
    assert!(
        response.starts_with("HTTP/1.0 200") || response.starts_with("HTTP/1.1 200"),
        "reset-auth failed: {response}"
    );
    response
}

/// After [`enable`]: the admin's key and clients signing with it.
#[derive(Debug)]
pub struct Enforced {
    /// The allow-all admin's key.
    pub admin: Key,
    /// Clients with the admin's key, for fixtures and checks. They go
    /// through a fault-free proxy of their own, so Scheduler reads work.
    pub aws: Aws,
    _reads: Proxy,
}

/// Creates the allow-all user `admin_name` (while enforcement is still off,
/// through `aws`), switches enforcement on, and tells `proxy` (if any) to
/// sign its own calls with the admin's key.
pub fn enable(aws: &Aws, admin_name: &str, proxy: Option<&Proxy>) -> Enforced {
    let admin = create_user_with_policy(aws, admin_name, ALLOW_ALL);
    let port = port_of(&aws.endpoint);
    reset_auth(port, "0");
    if let Some(proxy) = proxy {
        proxy.admin_key(admin.clone());
    }
    let reads = Proxy::start(port);
    reads.admin_key(admin.clone());
    Enforced {
        aws: Aws::with_key(&reads.endpoint(), &admin.id, &admin.secret),
        admin,
        _reads: reads,
    }
}

fn port_of(endpoint: &str) -> u16 {
    endpoint
        .rsplit(':')
        .next()
        .and_then(|p| p.trim_end_matches('/').parse().ok())
        .expect("endpoint has a port")
}

/// An IAM user with `policy` inline (named `under-test`) and an access key.
pub fn create_user_with_policy(aws: &Aws, name: &str, policy: &str) -> Key {
    let iam = aws.iam();
    aws.run(iam.create_user().user_name(name).send())
        .unwrap_or_else(|e| panic!("CreateUser {name}: {e:?}"));
    aws.run(
        iam.put_user_policy()
            .user_name(name)
            .policy_name("under-test")
            .policy_document(policy)
            .send(),
    )
    .unwrap_or_else(|e| panic!("PutUserPolicy {name}: {e:?}"));
    let key = aws
        .run(iam.create_access_key().user_name(name).send())
        .unwrap_or_else(|e| panic!("CreateAccessKey {name}: {e:?}"))
        .access_key
        .expect("an access key");
    Key::new(&key.access_key_id, &key.secret_access_key)
}

/// An IAM role with `policy` inline (named `under-test`) and `trust` (e.g.
/// [`TRUST_ANYONE`]); returns its ARN.
pub fn create_role_with_policy(aws: &Aws, name: &str, policy: &str, trust: &str) -> String {
    let iam = aws.iam();
    let role = aws
        .run(
            iam.create_role()
                .role_name(name)
                .assume_role_policy_document(trust)
                .send(),
        )
        .unwrap_or_else(|e| panic!("CreateRole {name}: {e:?}"))
        .role
        .expect("a role");
    aws.run(
        iam.put_role_policy()
            .role_name(name)
            .policy_name("under-test")
            .policy_document(policy)
            .send(),
    )
    .unwrap_or_else(|e| panic!("PutRolePolicy {name}: {e:?}"));
    role.arn
}
