//! Which calls get which fault (pure, unit-tested): a [`Match`] picks
//! requests, a [`When`] picks among the matching calls (the Nth, the first
//! N, every one, or at random from a seed), a [`Fault`] says what happens.
//! Plus the token bucket behind per-service rate limits.

use std::time::{Duration, Instant};

use super::wire::{signing_name, Operation};

/// Which requests a rule or hook looks at. Every field that is set must
/// match; [`Match::any`] matches everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Match {
    service: Option<String>,
    operations: Vec<String>,
    method: Option<String>,
    path_prefix: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Self {
        Self::default()
    }

    /// One operation by name (`CreateUser`, `CreateAccountAssignment`,
    /// `ListSchedules`); add [`Match::in_service`] where names repeat
    /// across services (IAM and identitystore both have `CreateGroup`).
    pub fn op(name: &str) -> Self {
        Self::ops(&[name])
    }

    /// Any of several operations.
    pub fn ops(names: &[&str]) -> Self {
        Self {
            operations: names.iter().map(|n| n.to_string()).collect(),
            ..Self::default()
        }
    }

    /// Every request to one service (`iam`, `sts`, `sns`, `sso-admin`,
    /// `identitystore`, `cognito-idp`, `scheduler`).
    pub fn service(service: &str) -> Self {
        Self::any().in_service(service)
    }

    /// A REST route: the method and a path prefix (`GET`, `/schedules/jit-`).
    pub fn route(method: &str, path_prefix: &str) -> Self {
        Self {
            method: Some(method.to_ascii_uppercase()),
            path_prefix: Some(path_prefix.to_string()),
            ..Self::default()
        }
    }

    /// Narrows to one service.
    pub fn in_service(mut self, service: &str) -> Self {
        self.service = Some(signing_name(service).to_string());
        self
    }

    /// Whether `operation` is one of the requests meant.
    pub fn matches(&self, operation: &Operation) -> bool {
        self.service
            .as_ref()
            .is_none_or(|s| *s == operation.service)
            && (self.operations.is_empty() || self.operations.contains(&operation.name))
            && self.method.as_ref().is_none_or(|m| *m == operation.method)
            && self
                .path_prefix
                .as_ref()
                .is_none_or(|p| operation.path.starts_with(p.as_str()))
    }

    /// The operation names this matcher is limited to (empty: any).
    pub fn operations(&self) -> &[String] {
        &self.operations
    }
}

/// Which of the matching calls (counted from 1, from when the rule was
/// added) a rule applies to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum When {
    /// Calls `from..=to` (`to` none: for ever).
    Calls {
        /// First call (1-based).
        from: u32,
        /// Last call, inclusive.
        to: Option<u32>,
    },
    /// Each call with this probability, drawn from a generator seeded with
    /// `seed` (the same seed gives the same choices for the same order of
    /// calls).
    Random {
        /// 0.0..=1.0.
        probability: f64,
        /// Seed of the generator.
        seed: u64,
    },
}

impl When {
    /// Only the Nth matching call.
    pub fn nth(n: u32) -> Self {
        Self::Calls {
            from: n,
            to: Some(n),
        }
    }

    /// The first `n` matching calls (then the rule stops applying).
    pub fn first(n: u32) -> Self {
        Self::Calls {
            from: 1,
            to: Some(n),
        }
    }

    /// Every matching call.
    pub fn every() -> Self {
        Self::Calls { from: 1, to: None }
    }

    /// The Nth matching call and every one after it.
    pub fn from(n: u32) -> Self {
        Self::Calls { from: n, to: None }
    }

    /// At random, with `probability`, reproducibly from `seed`.
    pub fn random(probability: f64, seed: u64) -> Self {
        Self::Random { probability, seed }
    }
}

/// What happens to a selected call.
#[derive(Debug, Clone, PartialEq)]
pub enum Fault {
    /// The service's throttling error (not forwarded); the SDK backs off
    /// and retries.
    Throttle,
    /// A 500 or 503 in the protocol's format (not forwarded); retried by
    /// the SDK.
    ServerError(u16),
    /// Wait this long, then go on as usual. Delays add up with each other
    /// and combine with one other fault (for latency benchmarks).
    Delay(Duration),
    /// Forward to moto (it takes effect), then hold the answer this long
    /// (past the SDK's timeout, if it has one).
    SlowResponse(Duration),
    /// Forward to moto (it takes effect), then reset the connection
    /// without answering.
    LoseResponse,
    /// Never answer, never forward; the connection stays open until the
    /// proxy stops.
    Hang,
    /// `CreateAccountAssignment` / `DeleteAccountAssignment`: forwarded, but
    /// the status says `IN_PROGRESS` in this many answers (the call's own
    /// and then each `Describe…Status` poll; `None`: for ever), then moto's
    /// own (`SUCCEEDED`).
    InProgress {
        /// Answers saying `IN_PROGRESS`, the call's own included.
        answers: Option<u32>,
    },
    /// `CreateAccountAssignment` / `DeleteAccountAssignment`: not forwarded
    /// (as in AWS, a failed request changes nothing); `after` answers say
    /// `IN_PROGRESS` (0: the call's own answer already says `FAILED`), then
    /// every answer says `FAILED` with `reason`.
    Failed {
        /// Identity Center's `FailureReason`.
        reason: String,
        /// Answers saying `IN_PROGRESS` first.
        after: u32,
    },
}

impl Fault {
    /// A `FAILED` status at once, with this reason.
    pub fn failed(reason: &str) -> Self {
        Self::Failed {
            reason: reason.to_string(),
            after: 0,
        }
    }

    /// Short name for the call log.
    pub fn label(&self) -> String {
        match self {
            Self::Throttle => "throttle".into(),
            Self::ServerError(status) => format!("http {status}"),
            Self::Delay(d) => format!("delay {}ms", d.as_millis()),
            Self::SlowResponse(d) => format!("slow response {}ms", d.as_millis()),
            Self::LoseResponse => "lost response".into(),
            Self::Hang => "hang".into(),
            Self::InProgress { answers: Some(n) } => format!("in progress x{n}"),
            Self::InProgress { answers: None } => "in progress forever".into(),
            Self::Failed { after, .. } => format!("failed after {after}"),
        }
    }

    /// Faults that only make sense on assignment operations.
    pub fn is_assignment_status(&self) -> bool {
        matches!(self, Self::InProgress { .. } | Self::Failed { .. })
    }
}

/// One rule with its own call counter and generator.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Which requests.
    pub matcher: Match,
    /// Which of them.
    pub when: When,
    /// What happens.
    pub fault: Fault,
    seen: u32,
    rng: u64,
}

impl Rule {
    /// A rule counting from zero.
    pub fn new(matcher: Match, when: When, fault: Fault) -> Self {
        let rng = match when {
            When::Random { seed, .. } => seed,
            When::Calls { .. } => 0,
        };
        Self {
            matcher,
            when,
            fault,
            seen: 0,
            rng,
        }
    }

    /// Counts a matching call and says whether this one is selected.
    fn select(&mut self) -> bool {
        self.seen += 1;
        match self.when {
            When::Calls { from, to } => self.seen >= from && to.is_none_or(|to| self.seen <= to),
            When::Random { probability, .. } => {
                let draw = splitmix64(&mut self.rng) >> 11;
                (draw as f64) / ((1u64 << 53) as f64) < probability
            }
        }
    }
}

/// What the rules decided for one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Decision {
    /// Total delay before anything else.
    pub delay: Duration,
    /// The first selected fault that is not a delay.
    pub fault: Option<Fault>,
    /// Labels of every selected fault, for the call log.
    pub labels: Vec<String>,
}

/// Runs every rule over one call: each matching rule counts it; delays add
/// up; the first other selected fault wins.
pub fn decide(rules: &mut [Rule], operation: &Operation) -> Decision {
    let mut decision = Decision::default();
    for rule in rules.iter_mut() {
        // Assignment statuses only exist on assignment calls: other calls
        // do not count for such a rule.
        let applies = rule.matcher.matches(operation)
            && (!rule.fault.is_assignment_status()
                || matches!(
                    operation.name.as_str(),
                    "CreateAccountAssignment" | "DeleteAccountAssignment"
                ));
        if !applies || !rule.select() {
            continue;
        }
        match &rule.fault {
            Fault::Delay(delay) => {
                decision.delay += *delay;
                decision.labels.push(rule.fault.label());
            }
            fault if decision.fault.is_none() => {
                decision.labels.push(fault.label());
                decision.fault = Some(fault.clone());
            }
            _ => {}
        }
    }
    decision
}

/// SplitMix64: small, seedable, good enough to pick calls.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A token bucket: `rate` tokens per second, at most `burst` saved up.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(rate: f64, burst: f64, now: Instant) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            last: now,
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::wire::Protocol;
    use super::*;

    fn op(service: &str, name: &str, method: &str, path: &str) -> Operation {
        Operation {
            service: service.into(),
            name: name.into(),
            method: method.into(),
            path: path.into(),
            protocol: Protocol::Json,
        }
    }

    #[test]
    fn matchers_combine_service_operation_and_route() {
        let iam_group = op("iam", "CreateGroup", "POST", "/");
        let store_group = op("identitystore", "CreateGroup", "POST", "/");
        let lease = op(
            "scheduler",
            "CreateSchedule",
            "POST",
            "/schedules/jit-ab-cd",
        );
        assert!(Match::any().matches(&iam_group));
        assert!(Match::op("CreateGroup").matches(&store_group));
        assert!(Match::op("CreateGroup")
            .in_service("iam")
            .matches(&iam_group));
        assert!(!Match::op("CreateGroup")
            .in_service("iam")
            .matches(&store_group));
        assert!(Match::service("sso-admin").matches(&op("sso", "X", "POST", "/")));
        assert!(Match::ops(&["A", "CreateSchedule"]).matches(&lease));
        assert!(Match::route("post", "/schedules/jit-").matches(&lease));
        assert!(!Match::route("GET", "/schedules/jit-").matches(&lease));
        assert!(!Match::route("POST", "/schedule-groups").matches(&lease));
    }

    #[test]
    fn selections_count_matching_calls_only() {
        let call = op("iam", "CreateUser", "POST", "/");
        let other = op("iam", "GetUser", "POST", "/");
        let pick = |when: When, calls: &[&Operation]| -> Vec<bool> {
            let mut rules = vec![Rule::new(Match::op("CreateUser"), when, Fault::Throttle)];
            calls
                .iter()
                .map(|c| decide(&mut rules, c).fault.is_some())
                .collect()
        };
        let calls = [&call, &other, &call, &call, &call];
        assert_eq!(
            pick(When::nth(2), &calls),
            [false, false, true, false, false]
        );
        assert_eq!(
            pick(When::first(2), &calls),
            [true, false, true, false, false]
        );
        assert_eq!(
            pick(When::from(3), &calls),
            [false, false, false, true, true]
        );
        assert_eq!(pick(When::every(), &calls), [true, false, true, true, true]);
    }

    #[test]
    fn random_selection_is_reproducible_and_near_its_probability() {
        let call = op("iam", "CreateUser", "POST", "/");
        let run = |seed| {
            let mut rules = vec![Rule::new(
                Match::any(),
                When::random(0.25, seed),
                Fault::ServerError(503),
            )];
            (0..2000)
                .map(|_| decide(&mut rules, &call).fault.is_some())
                .collect::<Vec<_>>()
        };
        assert_eq!(run(7), run(7));
        assert_ne!(run(7), run(8));
        let hits = run(7).iter().filter(|h| **h).count();
        assert!((400..600).contains(&hits), "{hits}");
        let mut never = vec![Rule::new(Match::any(), When::random(0.0, 1), Fault::Hang)];
        assert!((0..100).all(|_| decide(&mut never, &call).fault.is_none()));
    }

    #[test]
    fn delays_add_up_and_the_first_other_fault_wins() {
        let call = op("iam", "CreateUser", "POST", "/");
        let mut rules = vec![
            Rule::new(
                Match::any(),
                When::every(),
                Fault::Delay(Duration::from_millis(5)),
            ),
            Rule::new(Match::op("GetUser"), When::every(), Fault::Hang),
            Rule::new(Match::any(), When::first(1), Fault::Throttle),
            Rule::new(Match::any(), When::every(), Fault::LoseResponse),
            Rule::new(
                Match::any(),
                When::every(),
                Fault::Delay(Duration::from_millis(7)),
            ),
        ];
        let first = decide(&mut rules, &call);
        assert_eq!(first.delay, Duration::from_millis(12));
        assert_eq!(first.fault, Some(Fault::Throttle));
        assert_eq!(first.labels, ["delay 5ms", "throttle", "delay 7ms"]);
        // The throttle rule is spent; the lost response (which also counted
        // the first call) now applies.
        assert_eq!(decide(&mut rules, &call).fault, Some(Fault::LoseResponse));
    }

    #[test]
    fn assignment_statuses_apply_only_to_assignment_calls() {
        let mut rules = vec![Rule::new(
            Match::any(),
            When::nth(1),
            Fault::InProgress { answers: None },
        )];
        let create = op("sso", "CreateAccountAssignment", "POST", "/");
        let other = op("sso", "ListInstances", "POST", "/");
        assert!(decide(&mut rules, &other).fault.is_none());
        assert!(decide(&mut rules, &create).fault.is_some());
    }

    #[test]
    fn token_buckets_refill_at_their_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(2.0, 2.0, start);
        assert!(bucket.take(start));
        assert!(bucket.take(start));
        assert!(!bucket.take(start));
        assert!(!bucket.take(start + Duration::from_millis(400)));
        assert!(bucket.take(start + Duration::from_millis(600)));
        // Never more than the burst saved up.
        let later = start + Duration::from_secs(60);
        assert!(bucket.take(later) && bucket.take(later) && !bucket.take(later));
    }
}
