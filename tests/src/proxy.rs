//! A fault-injecting HTTP proxy between the provider (`endpoint_url`) and
//! moto: what real AWS does and moto never does.
//!
//! ```no_run
//! use std::time::Duration;
//! use tests::proxy::{Fault, Match, Proxy, When};
//! # let moto_port = 0;
//! let proxy = Proxy::start(moto_port);
//! // The first two IAM `CreateGroup` calls are throttled, then it works.
//! proxy.inject(Match::op("CreateGroup").in_service("iam"), When::first(2), Fault::Throttle);
//! // The third lease created loses its answer after moto stored it.
//! proxy.inject(Match::route("POST", "/schedules/jit-"), When::nth(3), Fault::LoseResponse);
//! // Every call 50 ms slower.
//! proxy.inject(Match::any(), When::every(), Fault::Delay(Duration::from_millis(50)));
//! // Provider block: `endpoint_url = proxy.endpoint()`.
//! ```
//!
//! - Rules ([`Proxy::inject`]): a [`Match`] (operation from `X-Amz-Target`,
//!   form `Action=` or REST method + path; service from the SigV4 scope),
//!   a [`When`] (Nth, first N, every, from N, random with a seed; counted
//!   per rule from when it was added) and a [`Fault`] (throttle, 500/503,
//!   delay, slow response, lost response, hang, assignment `IN_PROGRESS` /
//!   `FAILED`).
//! - Limits like AWS's: requests per second per service
//!   ([`Proxy::rate_limit`]) and concurrent assignment creations
//!   ([`Proxy::limit_assignment_creations`]).
//! - AWS fidelity where moto differs, on by default ([`fidelity`]), and the
//!   SigV4 re-signing that lets moto check empty-body requests under IAM
//!   enforcement ([`sigv4`]).
//! - A call log ([`Proxy::calls`]), counters ([`Proxy::count`]), hooks run
//!   when the Nth matching request arrives ([`Proxy::on_call`]) and
//!   [`Proxy::wait_for`].
//!
//! One thread per connection, one request per connection (every answer says
//! `Connection: close`). Hung and slow answers end when the proxy is dropped.

pub mod assignments;
pub mod fidelity;
pub mod http;
pub mod rules;
pub mod sigv4;
pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::io::{BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::json;

pub use rules::{Fault, Match, When};
pub use sigv4::Key;
pub use wire::Operation;

use assignments::{classify, PollAnswer, Tracker};
use fidelity::Upstream;
use http::{Request, Response};
use rules::{Rule, TokenBucket};

/// How long moto may take to answer one forwarded request.
const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a client connection may stay silent before its request.
const CLIENT_IDLE: Duration = Duration::from_secs(120);

/// One request seen by the proxy.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Arrival order, from 1.
    pub seq: usize,
    /// Service, operation, method and path.
    pub op: Operation,
    /// The status answered; `None` while in flight, or when no answer came
    /// (hang, lost response).
    pub status: Option<u16>,
    /// Faults and fidelity answers applied, comma-separated.
    pub fault: Option<String>,
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "#{} {} {}", self.seq, self.op.service, self.op.name)?;
        match self.status {
            Some(status) => write!(f, " {status}")?,
            None => write!(f, " (no answer)")?,
        }
        if let Some(fault) = &self.fault {
            write!(f, " [{fault}]")?;
        }
        Ok(())
    }
}

type Action = Box<dyn FnOnce(&Call) + Send>;

struct Hook {
    matcher: Match,
    nth: usize,
    seen: usize,
    action: Option<Action>,
}

/// Time with at least one request in flight, for benchmarks.
#[derive(Debug, Default)]
struct Busy {
    in_flight: usize,
    since: Option<Instant>,
    total: Duration,
}

struct State {
    rules: Vec<Rule>,
    hooks: Vec<Hook>,
    log: Vec<Call>,
    seq: usize,
    buckets: HashMap<String, TokenBucket>,
    tracker: Tracker,
    keys: sigv4::Keys,
    admin: Key,
    fidelity: bool,
    created: fidelity::CreationTimes,
    busy: Busy,
}

struct Shared {
    upstream: u16,
    state: Mutex<State>,
    changed: Condvar,
    stopped: AtomicBool,
    /// Serialises creates checked for duplicates (check, forward, record).
    creating: Mutex<()>,
}

/// A running proxy; stops (and releases every held request) when dropped.
pub struct Proxy {
    port: u16,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("port", &self.port).finish()
    }
}

impl Proxy {
    /// Starts a proxy on a free loopback port in front of moto on
    /// `upstream`, with the fidelity fixes on.
    pub fn start(upstream: u16) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("proxy port");
        let port = listener.local_addr().expect("proxy address").port();
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(State {
                rules: Vec::new(),
                hooks: Vec::new(),
                log: Vec::new(),
                seq: 0,
                buckets: HashMap::new(),
                tracker: Tracker::default(),
                keys: sigv4::Keys::default(),
                admin: Key::new("testing", "testing"),
                fidelity: true,
                created: fidelity::CreationTimes::default(),
                busy: Busy::default(),
            }),
            changed: Condvar::new(),
            stopped: AtomicBool::new(false),
            creating: Mutex::new(()),
        });
        let accepting = Arc::clone(&shared);
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let shared = Arc::clone(&accepting);
                std::thread::spawn(move || serve(&shared, client));
            }
        });
        Self { port, shared }
    }

    /// `http://127.0.0.1:PORT`, for `endpoint_url`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The proxy's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.shared.lock()
    }

    /// Adds a rule: `fault` for the calls `when` selects among those
    /// `matcher` matches.
    pub fn inject(&self, matcher: Match, when: When, fault: Fault) {
        self.state().rules.push(Rule::new(matcher, when, fault));
    }

    /// Removes every rule, rate limit and creation limit (requests already
    /// held stay held; tracked assignment statuses keep their script).
    pub fn clear_faults(&self) {
        let mut state = self.state();
        state.rules.clear();
        state.buckets.clear();
        state.tracker.no_limit();
    }

    /// At most `per_second` requests per second to `service` (a token
    /// bucket holding one second's worth); the rest get its throttling error.
    pub fn rate_limit(&self, service: &str, per_second: f64) {
        let service = wire::signing_name(service).to_string();
        let burst = per_second.max(1.0);
        self.state()
            .buckets
            .insert(service, TokenBucket::new(per_second, burst, Instant::now()));
    }

    /// Keeps every `CreateAccountAssignment` `IN_PROGRESS` for `hold`
    /// (moto finishes at once) and throttles a creation while `max` are in
    /// progress, like Identity Center's limit on concurrent operations.
    pub fn limit_assignment_creations(&self, max: usize, hold: Duration) {
        self.state().tracker.limit_creations(max, hold);
    }

    /// Turns the fidelity fixes off (raw moto) or on.
    pub fn fidelity(&self, on: bool) {
        self.state().fidelity = on;
    }

    /// A key whose requests may be re-signed (see [`sigv4`]); keys handed
    /// out by `AssumeRole` and `CreateAccessKey` through the proxy are
    /// learned by themselves.
    pub fn add_key(&self, key: Key) {
        self.state().keys.add(key);
    }

    /// The key the proxy signs its own calls to moto with (default
    /// `testing`; under IAM enforcement an allowed user's key).
    pub fn admin_key(&self, key: Key) {
        let mut state = self.state();
        state.keys.add(key.clone());
        state.admin = key;
    }

    /// Runs `action` on the proxy's thread when the `nth` request matching
    /// `matcher` (counted from now) arrives, before anything is done with
    /// it: the request waits until `action` returns.
    pub fn on_call(&self, matcher: Match, nth: usize, action: impl FnOnce(&Call) + Send + 'static) {
        self.state().hooks.push(Hook {
            matcher,
            nth,
            seen: 0,
            action: Some(Box::new(action)),
        });
    }

    /// Waits until `n` requests matching `matcher` are in the log (since the
    /// last [`Proxy::clear`]); false on timeout.
    pub fn wait_for(&self, matcher: &Match, n: usize, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut state = self.state();
        loop {
            if state.log.iter().filter(|c| matcher.matches(&c.op)).count() >= n {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            state = self
                .shared
                .changed
                .wait_timeout(state, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Every request so far, in arrival order.
    pub fn calls(&self) -> Vec<Call> {
        self.state().log.clone()
    }

    /// The operation names of every request so far.
    pub fn operations(&self) -> Vec<String> {
        self.state().log.iter().map(|c| c.op.name.clone()).collect()
    }

    /// How many requests matched `matcher`.
    pub fn count(&self, matcher: &Match) -> usize {
        self.state()
            .log
            .iter()
            .filter(|c| matcher.matches(&c.op))
            .count()
    }

    /// Requests per operation name.
    pub fn counts(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for call in &self.state().log {
            *counts.entry(call.op.name.clone()).or_default() += 1;
        }
        counts
    }

    /// The requests that got a fault or a fidelity answer.
    pub fn faulted(&self) -> Vec<Call> {
        self.state()
            .log
            .iter()
            .filter(|c| c.fault.is_some())
            .cloned()
            .collect()
    }

    /// Forgets the log and the busy time (rules and hooks stay).
    pub fn clear(&self) {
        let mut state = self.state();
        state.log.clear();
        let in_flight = state.busy.in_flight;
        state.busy = Busy {
            in_flight,
            since: (in_flight > 0).then(Instant::now),
            total: Duration::ZERO,
        };
    }

    /// `(requests, time with at least one in flight)` since the last
    /// [`Proxy::clear`], delays included.
    pub fn busy(&self) -> (usize, Duration) {
        let state = self.state();
        let open = state.busy.since.map_or(Duration::ZERO, |s| s.elapsed());
        (state.log.len(), state.busy.total + open)
    }

    /// Stops accepting and releases every held request (also on drop).
    pub fn stop(&self) {
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.shared.changed.notify_all();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop();
    }
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Sleeps up to `duration` (`None`: until stopped); true when stopped.
    fn pause(&self, duration: Option<Duration>) -> bool {
        let deadline = duration.map(|d| Instant::now() + d);
        let mut state = self.lock();
        loop {
            if self.stopped.load(Ordering::SeqCst) {
                return true;
            }
            let wait = match deadline {
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return false;
                    }
                    left
                }
                None => Duration::from_secs(1),
            };
            state = self
                .changed
                .wait_timeout(state, wait)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|e| e.into_inner().0);
        }
    }

    /// Logs a new request, runs the rate limit and the rules; returns its
    /// number, the hooks to run and what to do.
    fn arrive(&self, op: &Operation) -> (Call, Vec<Action>, bool, rules::Decision) {
        let mut state = self.lock();
        state.seq += 1;
        let call = Call {
            seq: state.seq,
            op: op.clone(),
            status: None,
            fault: None,
        };
        state.log.push(call.clone());
        if state.busy.in_flight == 0 {
            state.busy.since = Some(Instant::now());
        }
        state.busy.in_flight += 1;
        let mut actions = Vec::new();
        for hook in &mut state.hooks {
            if hook.matcher.matches(op) {
                hook.seen += 1;
                if hook.seen == hook.nth {
                    actions.extend(hook.action.take());
                }
            }
        }
        state.hooks.retain(|hook| hook.action.is_some());
        let limited = state
            .buckets
            .get_mut(&op.service)
            .is_some_and(|bucket| !bucket.take(Instant::now()));
        // A rate-limited call is answered before any rule sees it.
        let decision = if limited {
            rules::Decision {
                labels: vec!["rate limit".into()],
                ..rules::Decision::default()
            }
        } else {
            rules::decide(&mut state.rules, op)
        };
        if let Some(logged) = state.log.last_mut().filter(|_| !decision.labels.is_empty()) {
            logged.fault = Some(decision.labels.join(", "));
        }
        drop(state);
        self.changed.notify_all();
        (call, actions, limited, decision)
    }

    /// Records the outcome of request `seq`.
    fn finish(&self, seq: usize, status: Option<u16>, notes: &[String]) {
        let mut state = self.lock();
        if let Some(call) = state.log.iter_mut().rev().find(|c| c.seq == seq) {
            call.status = status;
            if !notes.is_empty() {
                call.fault = Some(notes.join(", "));
            }
        }
        state.busy.in_flight = state.busy.in_flight.saturating_sub(1);
        if state.busy.in_flight == 0 {
            if let Some(since) = state.busy.since.take() {
                state.busy.total += since.elapsed();
            }
        }
        drop(state);
        self.changed.notify_all();
    }

    /// Marks request `seq` as never answered (the client was gone).
    fn unanswered(&self, seq: usize) {
        if let Some(call) = self.lock().log.iter_mut().rev().find(|c| c.seq == seq) {
            call.status = None;
        }
    }

    fn upstream(&self) -> Upstream {
        Upstream {
            port: self.upstream,
            key: self.lock().admin.clone(),
        }
    }
}

/// What happens to the client connection.
enum Outcome {
    Answer(Response),
    /// Reset the connection (the request may have reached moto).
    Reset,
    /// Keep the connection open without answering until the proxy stops.
    Hold,
}

fn serve(shared: &Shared, client: TcpStream) {
    let _ = client.set_read_timeout(Some(CLIENT_IDLE));
    let Ok(reader) = client.try_clone() else {
        return;
    };
    let Ok(Some(request)) = http::read_request(&mut BufReader::new(reader)) else {
        return;
    };
    let op = wire::operation(&request);
    let (call, actions, limited, decision) = shared.arrive(&op);
    for action in actions {
        action(&call);
    }
    let mut notes = decision.labels.clone();
    if !decision.delay.is_zero() && shared.pause(Some(decision.delay)) {
        shared.finish(call.seq, None, &notes);
        return;
    }
    let outcome = if limited {
        Outcome::Answer(wire::throttle(&op))
    } else {
        handle(shared, &op, request, decision.fault.as_ref(), &mut notes)
    };
    match outcome {
        Outcome::Answer(response) => {
            // Logged before it is sent: a client that has the answer finds
            // it in the log.
            shared.finish(call.seq, Some(response.status), &notes);
            let mut client = client;
            let sent = client
                .write_all(&response.to_bytes())
                .and_then(|()| client.flush());
            if sent.is_err() {
                shared.unanswered(call.seq);
            }
        }
        Outcome::Reset => {
            http::reset(client);
            shared.finish(call.seq, None, &notes);
        }
        Outcome::Hold => {
            shared.finish(call.seq, None, &notes);
            shared.pause(None);
            drop(client);
        }
    }
}

/// Applies the selected fault; everything else goes to moto.
fn handle(
    shared: &Shared,
    op: &Operation,
    request: Request,
    fault: Option<&Fault>,
    notes: &mut Vec<String>,
) -> Outcome {
    match fault {
        Some(Fault::Throttle) => Outcome::Answer(wire::throttle(op)),
        Some(Fault::ServerError(status)) => Outcome::Answer(wire::server_error(op, *status)),
        Some(Fault::Hang) => Outcome::Hold,
        Some(Fault::Failed { reason, after }) => {
            let (kind, _) = classify(&op.name).unwrap_or((assignments::Kind::Creation, false));
            let answer = shared
                .lock()
                .tracker
                .failed(kind, &request.json(), reason, *after);
            Outcome::Answer(Response::new(
                200,
                "application/x-amz-json-1.1",
                answer.to_string(),
            ))
        }
        Some(Fault::LoseResponse) => {
            // Let moto act first, so the change is made and only the
            // answer is lost.
            let _ = forward(shared, op, request, fault, notes);
            Outcome::Reset
        }
        Some(Fault::SlowResponse(hold)) => match forward(shared, op, request, fault, notes) {
            Some(response) if !shared.pause(Some(*hold)) => Outcome::Answer(response),
            _ => Outcome::Reset,
        },
        _ => match forward(shared, op, request, fault, notes) {
            Some(response) => Outcome::Answer(response),
            None => Outcome::Reset,
        },
    }
}

/// Sends a request to moto, with the fidelity fixes and the assignment
/// status scripts; `None` when moto could not be reached.
fn forward(
    shared: &Shared,
    op: &Operation,
    mut request: Request,
    fault: Option<&Fault>,
    notes: &mut Vec<String>,
) -> Option<Response> {
    let json_answer = |value: serde_json::Value| {
        Response::new(200, "application/x-amz-json-1.1", value.to_string())
    };
    let assignment = classify(&op.name).filter(|_| op.service == "sso");
    // A status poll for a request id the proxy scripted.
    let mut poll_in_progress = false;
    if let Some((kind, true)) = assignment {
        let id = request.json()[kind.request_id_key()]
            .as_str()
            .unwrap_or_default()
            .to_string();
        match shared.lock().tracker.poll(kind, &id, Instant::now()) {
            PollAnswer::Synthetic(status) => {
                notes.push(format!(
                    "scripted {}",
                    status["Status"].as_str().unwrap_or("")
                ));
                return Some(json_answer(json!({ kind.status_key(): status })));
            }
            PollAnswer::InProgress => poll_in_progress = true,
            PollAnswer::PassThrough => {}
        }
    }
    let fidelity = shared.lock().fidelity;
    let checked = fidelity
        && matches!(
            op.name.as_str(),
            "CreateAccountAssignment" | "CreateGroupMembership"
        );
    let _creating = (checked || assignment.is_some_and(|(_, poll)| !poll))
        .then(|| shared.creating.lock().unwrap_or_else(|e| e.into_inner()));
    if op.name == "CreateAccountAssignment" && shared.lock().tracker.over_limit(Instant::now()) {
        notes.push("concurrent creation limit".into());
        return Some(wire::throttle(op));
    }
    if checked {
        if let Some(conflict) = fidelity::duplicate_create(&shared.upstream(), &op.name, &request) {
            notes.push("fidelity: duplicate create".into());
            return Some(conflict);
        }
    }
    let resigned = {
        let state = shared.lock();
        sigv4::resign_for_moto(&mut request, &state.keys)
    };
    if resigned {
        notes.push("re-signed".into());
    }
    let mut response = http::exchange(shared.upstream, &request, UPSTREAM_TIMEOUT).ok()?;
    if fidelity && op.name == "CreateSchedule" {
        if let Some(missing) =
            fidelity::missing_schedule_group(&shared.upstream(), &request, &response)
        {
            notes.push("fidelity: missing schedule group".into());
            response = missing;
        }
    }
    if fidelity {
        if let Some(translated) = fidelity::auth_error(op.protocol, &response) {
            notes.push("fidelity: auth error format".into());
            response = translated;
        }
    }
    if fidelity && op.service == "identitystore" && response.status == 200 {
        let mut answer = response.json();
        let mut state = shared.lock();
        state.created.learn(&op.name, &answer);
        if state.created.stamp(&op.name, &mut answer) {
            notes.push("fidelity: CreatedAt".into());
            response = json_answer(answer);
        }
    }
    if matches!(op.name.as_str(), "AssumeRole" | "CreateAccessKey") && response.status == 200 {
        shared
            .lock()
            .keys
            .learn(&String::from_utf8_lossy(&response.body));
    }
    if let (Some((kind, poll)), 200) = (assignment, response.status) {
        let mut answer = response.json();
        if poll {
            if poll_in_progress {
                assignments::set_in_progress(kind, &mut answer);
                notes.push("scripted IN_PROGRESS".into());
                response = json_answer(answer);
            }
        } else {
            let before = answer.clone();
            shared
                .lock()
                .tracker
                .started(kind, &mut answer, fault, Instant::now());
            if answer != before {
                notes.push("scripted IN_PROGRESS".into());
                response = json_answer(answer);
            }
        }
    }
    Some(response)
}
