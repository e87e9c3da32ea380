//! A tiny HTTP proxy between the provider and moto, for the two things moto
//! cannot show: which AWS operations a Terraform run called (to prove an
//! assignment was never deleted during a replacement), and an Identity
//! Center assignment that ends `FAILED` (moto always answers `SUCCEEDED`).
//! Every other request goes to moto unchanged. Plus raw SQS calls (the
//! tests crate has no SQS client) to read SNS deliveries.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The injected failure reason, as Identity Center would report it.
pub const INJECTED_FAILURE: &str =
    "Injected by the test: the permission set could not be provisioned";

/// A running proxy; its threads end with the test process.
#[derive(Debug)]
pub struct Proxy {
    /// Port the provider talks to.
    pub port: u16,
    calls: Arc<Mutex<Vec<String>>>,
}

impl Proxy {
    /// Forwards to moto on `upstream`; `fail` names an operation
    /// (`CreateAccountAssignment`) that is answered with status `FAILED`.
    pub fn start(upstream: u16, fail: Option<&'static str>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&calls);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let log = Arc::clone(&log);
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, fail, &log);
                });
            }
        });
        Self { port, calls }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Operations seen so far (`X-Amz-Target` operation, or `METHOD /path`).
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().expect("call log").clone()
    }

    /// Forgets the calls seen so far.
    pub fn clear(&self) {
        self.calls.lock().expect("call log").clear();
    }
}

struct Request {
    head: Vec<String>,
    body: Vec<u8>,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut head = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let line = line.trim_end_matches(['\r', '\n']).to_string();
        if line.is_empty() {
            break;
        }
        head.push(line);
    }
    let length = head
        .iter()
        .find_map(|h| {
            let (name, value) = h.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some(Request { head, body })
}

fn header<'a>(head: &'a [String], name: &str) -> Option<&'a str> {
    head.iter().find_map(|h| {
        let (key, value) = h.split_once(':')?;
        key.eq_ignore_ascii_case(name).then_some(value.trim())
    })
}

fn operation(request: &Request) -> String {
    match header(&request.head, "x-amz-target") {
        Some(target) => target.rsplit('.').next().unwrap_or(target).to_string(),
        None => {
            let mut parts = request.head[0].split_whitespace();
            let method = parts.next().unwrap_or_default();
            let path = parts.next().unwrap_or_default();
            format!("{method} {}", path.split('?').next().unwrap_or_default())
        }
    }
}

fn serve(
    client: TcpStream,
    upstream: u16,
    fail: Option<&'static str>,
    log: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    client.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    let Some(request) = read_request(&mut reader) else {
        return Ok(());
    };
    let op = operation(&request);
    log.lock().expect("call log").push(op.clone());
    if fail == Some(op.as_str()) {
        let body = format!(
            r#"{{"AccountAssignmentCreationStatus":{{"Status":"FAILED","FailureReason":"{INJECTED_FAILURE}","RequestId":"injected-0001","TargetType":"AWS_ACCOUNT"}}}}"#
        );
        write!(
            client,
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )?;
        return client.flush();
    }
    let mut moto = TcpStream::connect(("127.0.0.1", upstream))?;
    for line in &request.head {
        if line
            .split_once(':')
            .is_some_and(|(k, _)| k.eq_ignore_ascii_case("connection"))
        {
            continue;
        }
        write!(moto, "{line}\r\n")?;
    }
    write!(moto, "Connection: close\r\n\r\n")?;
    moto.write_all(&request.body)?;
    moto.flush()?;
    let mut response = Vec::new();
    moto.read_to_end(&mut response)?;
    client.write_all(&response)?;
    client.flush()
}

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
