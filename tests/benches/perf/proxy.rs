//! A small HTTP proxy between the provider and moto, for the bench only:
//! it delays every AWS call, can hold the calls of a service to a request
//! rate (throttling the rest as AWS does), can keep Identity Center
//! assignment creations `IN_PROGRESS` for a while (moto finishes them at
//! once) and throttle a creation past the outstanding limit, and records when
//! each call was in flight. One thread and one request per connection (the
//! proxy asks moto to close after each answer).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::wrap::now_us;

/// Longest a proxied call may take upstream.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// What the proxy does besides forwarding.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Added before each call is forwarded.
    pub delay: Duration,
    /// At most this many requests per second per service (SigV4 scope);
    /// the rest are answered `ThrottlingException`.
    pub rate_per_service: Option<usize>,
    /// Each assignment creation stays `IN_PROGRESS` this long.
    pub hold_creations: Option<Duration>,
    /// Creations past this many outstanding are throttled.
    pub max_outstanding_creations: usize,
}

#[derive(Debug, Default)]
struct State {
    calls: u32,
    throttled: u32,
    /// `(entered µs, left µs)` of every forwarded call.
    intervals: Vec<(u64, u64)>,
    /// Recent request instants per service, for the rate limit.
    recent: HashMap<String, VecDeque<Instant>>,
    /// Creation request id → when it may report its real status.
    creations: HashMap<String, Instant>,
}

/// A running proxy.
pub struct Proxy {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Forwards to moto on `upstream` with `faults`.
    pub fn start(upstream: u16, faults: Faults) -> Result<Self, String> {
        let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("proxy port: {e}"))?;
        let port = listener
            .local_addr()
            .map_err(|e| format!("proxy address: {e}"))?
            .port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_state, thread_stop) = (Arc::clone(&state), Arc::clone(&stop));
        let faults = Arc::new(faults);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if thread_stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let (state, faults) = (Arc::clone(&thread_state), Arc::clone(&faults));
                std::thread::spawn(move || {
                    let _ = serve(client, upstream, &faults, &state);
                });
            }
        });
        Ok(Self { port, state, stop })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Forgets every call seen so far.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.calls = 0;
        state.throttled = 0;
        state.intervals.clear();
    }

    /// Calls forwarded, calls throttled, and when calls were in flight.
    pub fn totals(&self) -> (u32, u32, Vec<(u64, u64)>) {
        let state = self.lock();
        (state.calls, state.throttled, state.intervals.clone())
    }

    /// Stops accepting connections.
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    head: Vec<u8>,
    body: Vec<u8>,
    service: String,
    operation: String,
}

fn read_request(reader: &mut BufReader<TcpStream>) -> std::io::Result<Option<Request>> {
    let mut head = Vec::new();
    let mut length = 0usize;
    let (mut service, mut target, mut first) = (String::new(), String::new(), String::new());
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        if line == "\r\n" {
            break;
        }
        if first.is_empty() {
            first = line.trim_end().to_string();
        }
        let lower = line.to_ascii_lowercase();
        if let Some(value) = lower.strip_prefix("content-length:") {
            length = value.trim().parse().unwrap_or(0);
        } else if lower.starts_with("x-amz-target:") {
            // SWBExternalService.CreateAccountAssignment
            target = line[13..]
                .trim()
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string();
        } else if lower.starts_with("authorization:") {
            // Credential=AKID/DATE/REGION/SERVICE/aws4_request
            service = line
                .split("Credential=")
                .nth(1)
                .and_then(|c| c.split('/').nth(3))
                .unwrap_or_default()
                .to_string();
        }
        if !lower.starts_with("connection:") {
            head.extend_from_slice(line.as_bytes());
        }
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    let mut body = vec![0; length];
    reader.read_exact(&mut body)?;
    let operation = if !target.is_empty() {
        target
    } else {
        operation_of(&first, &body)
    };
    Ok(Some(Request {
        head,
        body,
        service,
        operation,
    }))
}

/// The operation of a query-protocol call (`Action=`) or a REST call
/// (`METHOD /first-path-segment`).
pub fn operation_of(request_line: &str, body: &[u8]) -> String {
    let body = String::from_utf8_lossy(body);
    if let Some(action) = body
        .split('&')
        .find_map(|pair| pair.strip_prefix("Action="))
    {
        return action.to_string();
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or_default();
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match (method, segments.as_slice()) {
        ("GET", ["schedules"]) => "ListSchedules".into(),
        ("GET", ["schedules", _]) => "GetSchedule".into(),
        ("POST", ["schedules", _]) => "CreateSchedule".into(),
        ("PUT", ["schedules", _]) => "UpdateSchedule".into(),
        ("DELETE", ["schedules", _]) => "DeleteSchedule".into(),
        ("GET", ["schedule-groups", _]) => "GetScheduleGroup".into(),
        ("POST", ["schedule-groups", _]) => "CreateScheduleGroup".into(),
        _ => format!("{method} /{}", segments.first().unwrap_or(&"")),
    }
}

fn serve(
    client: TcpStream,
    upstream: u16,
    faults: &Faults,
    state: &Mutex<State>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let Some(request) = read_request(&mut reader)? else {
        return Ok(());
    };
    let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
    let mut client = client;
    {
        let mut state = lock();
        if throttle(&mut state, faults, &request) {
            state.throttled += 1;
            drop(state);
            client.write_all(&throttling_answer())?;
            return client.shutdown(Shutdown::Both);
        }
    }
    let entered = now_us();
    std::thread::sleep(faults.delay);
    let answer = (|| {
        let mut moto = TcpStream::connect(("127.0.0.1", upstream))?;
        moto.set_read_timeout(Some(UPSTREAM_TIMEOUT))?;
        moto.write_all(&request.head)?;
        moto.write_all(&request.body)?;
        let mut answer = Vec::new();
        moto.read_to_end(&mut answer)?;
        Ok::<_, std::io::Error>(answer)
    })();
    let left = now_us();
    let mut answer = answer?;
    {
        let mut state = lock();
        state.calls += 1;
        state.intervals.push((entered, left));
        if let Some(hold) = faults.hold_creations {
            answer = hold_creation(&mut state, hold, &request, answer);
        }
    }
    client.write_all(&answer)?;
    client.shutdown(Shutdown::Both)
}

/// Whether this request is refused: over the service's rate, or a creation
/// past the outstanding limit.
fn throttle(state: &mut State, faults: &Faults, request: &Request) -> bool {
    let now = Instant::now();
    if faults.hold_creations.is_some() && request.operation == "CreateAccountAssignment" {
        state.creations.retain(|_, until| *until > now);
        if state.creations.len() >= faults.max_outstanding_creations {
            return true;
        }
    }
    let Some(rate) = faults.rate_per_service else {
        return false;
    };
    let recent = state.recent.entry(request.service.clone()).or_default();
    while recent
        .front()
        .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(1))
    {
        recent.pop_front();
    }
    if recent.len() >= rate {
        return true;
    }
    recent.push_back(now);
    false
}

fn throttling_answer() -> Vec<u8> {
    let body = r#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#;
    format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/x-amz-json-1.1\r\nX-Amzn-ErrorType: ThrottlingException\r\nX-Amzn-RequestId: bench-throttle\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Keeps a creation `IN_PROGRESS` until its hold ends: the creation's own
/// answer and every status poll before then.
fn hold_creation(state: &mut State, hold: Duration, request: &Request, answer: Vec<u8>) -> Vec<u8> {
    let now = Instant::now();
    let id = match request.operation.as_str() {
        "CreateAccountAssignment" => None,
        "DescribeAccountAssignmentCreationStatus" => {
            let body: Value = serde_json::from_slice(&request.body).unwrap_or_default();
            match body["AccountAssignmentCreationRequestId"].as_str() {
                Some(id) if state.creations.get(id).is_some_and(|until| *until > now) => {
                    Some(id.to_string())
                }
                _ => return answer,
            }
        }
        _ => return answer,
    };
    let Some(split) = answer.windows(4).position(|w| w == b"\r\n\r\n") else {
        return answer;
    };
    let (head, body) = (&answer[..split], &answer[split + 4..]);
    let Ok(mut json) = serde_json::from_slice::<Value>(body) else {
        return answer;
    };
    let status = &mut json["AccountAssignmentCreationStatus"];
    if id.is_none() {
        if let Some(request_id) = status["RequestId"].as_str() {
            state.creations.insert(request_id.to_string(), now + hold);
        }
    }
    status["Status"] = Value::String("IN_PROGRESS".into());
    let body = json.to_string();
    let head = String::from_utf8_lossy(head)
        .lines()
        .filter(|l| !l.to_ascii_lowercase().starts_with("content-length:"))
        .collect::<Vec<_>>()
        .join("\r\n");
    format!("{head}\r\nContent-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}
