//! Raw SQS calls to moto (the tests crate has no SQS client), to read what
//! SNS delivered.

use std::io::{Read, Write};
use std::net::TcpStream;

/// One raw SQS JSON-protocol call to moto (signature not checked there).
pub fn sqs(port: u16, operation: &str, body: &serde_json::Value) -> serde_json::Value {
    let body = body.to_string();
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("moto");
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/x-amz-json-1.0\r\nX-Amz-Target: AmazonSQS.{operation}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=0\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("SQS request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("SQS response");
    let (status, payload) = response.split_once("\r\n\r\n").expect("HTTP response");
    assert!(
        status.contains(" 200 "),
        "SQS {operation} failed: {response}"
    );
    serde_json::from_str(payload).unwrap_or(serde_json::Value::Null)
}
