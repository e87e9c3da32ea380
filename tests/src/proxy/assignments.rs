//! Identity Center assignment statuses that moto cannot produce: moto
//! answers `SUCCEEDED` at once, AWS answers `IN_PROGRESS` and later
//! `SUCCEEDED` or `FAILED`. The tracker remembers each request id it
//! rewrote and answers the `Describe…Status` polls for it consistently.
//! It also keeps creations `IN_PROGRESS` for a while to model Identity
//! Center's limit on concurrent assignment operations.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use super::rules::Fault;

/// Creation or deletion of an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `CreateAccountAssignment`.
    Creation,
    /// `DeleteAccountAssignment`.
    Deletion,
}

impl Kind {
    /// The status object's key in answers.
    pub fn status_key(self) -> &'static str {
        match self {
            Self::Creation => "AccountAssignmentCreationStatus",
            Self::Deletion => "AccountAssignmentDeletionStatus",
        }
    }

    /// The request id's key in `Describe…Status` requests.
    pub fn request_id_key(self) -> &'static str {
        match self {
            Self::Creation => "AccountAssignmentCreationRequestId",
            Self::Deletion => "AccountAssignmentDeletionRequestId",
        }
    }
}

/// The assignment operation an AWS operation name is, and whether it is the
/// status poll (`true`) or the call that starts it.
pub fn classify(operation: &str) -> Option<(Kind, bool)> {
    match operation {
        "CreateAccountAssignment" => Some((Kind::Creation, false)),
        "DescribeAccountAssignmentCreationStatus" => Some((Kind::Creation, true)),
        "DeleteAccountAssignment" => Some((Kind::Deletion, false)),
        "DescribeAccountAssignmentDeletionStatus" => Some((Kind::Deletion, true)),
        _ => None,
    }
}

#[derive(Debug, Clone)]
enum Left {
    /// This many more answers say `IN_PROGRESS` (`None`: for ever).
    Answers(Option<u32>),
    /// `IN_PROGRESS` until then.
    Until(Instant),
}

#[derive(Debug, Clone)]
struct Pending {
    kind: Kind,
    left: Left,
    /// `None`: moto's own status comes through once the wait is over;
    /// `Some`: the synthesized status (moto never saw the request).
    synthetic: Option<Value>,
}

impl Pending {
    fn in_progress(&self, now: Instant) -> bool {
        match self.left {
            Left::Answers(None) => true,
            Left::Answers(Some(n)) => n > 0,
            Left::Until(until) => now < until,
        }
    }
}

/// What to answer a status poll with.
#[derive(Debug, Clone, PartialEq)]
pub enum PollAnswer {
    /// Not ours: forward to moto unchanged.
    PassThrough,
    /// Forward to moto, then set the status to `IN_PROGRESS`.
    InProgress,
    /// Answer this status object without asking moto.
    Synthetic(Value),
}

/// Request ids whose statuses the proxy rewrites.
#[derive(Debug, Default)]
pub struct Tracker {
    pending: HashMap<String, Pending>,
    /// At most this many creations in progress, each held this long.
    limit: Option<(usize, Duration)>,
}

impl Tracker {
    /// Holds every creation `IN_PROGRESS` for `hold` and refuses creations
    /// beyond `max` in progress.
    pub fn limit_creations(&mut self, max: usize, hold: Duration) {
        self.limit = Some((max, hold));
    }

    /// Removes the creation limit.
    pub fn no_limit(&mut self) {
        self.limit = None;
    }

    /// Creations still in progress.
    pub fn creations_in_progress(&self, now: Instant) -> usize {
        self.pending
            .values()
            .filter(|p| p.kind == Kind::Creation && p.in_progress(now))
            .count()
    }

    /// True when a new creation would exceed the limit.
    pub fn over_limit(&self, now: Instant) -> bool {
        self.limit
            .is_some_and(|(max, _)| self.creations_in_progress(now) >= max)
    }

    /// Rewrites moto's answer to a forwarded `Create…`/`Delete…` for an
    /// `InProgress` fault or the creation limit, and remembers the request.
    pub fn started(&mut self, kind: Kind, answer: &mut Value, fault: Option<&Fault>, now: Instant) {
        let left = match fault {
            Some(Fault::InProgress { answers: None }) => Left::Answers(None),
            Some(Fault::InProgress { answers: Some(n) }) if *n > 0 => Left::Answers(Some(n - 1)),
            _ => match (kind, self.limit) {
                (Kind::Creation, Some((_, hold))) => Left::Until(now + hold),
                _ => return,
            },
        };
        let status = &mut answer[kind.status_key()];
        let Some(request_id) = status["RequestId"].as_str().map(str::to_string) else {
            return;
        };
        status["Status"] = json!("IN_PROGRESS");
        self.pending.insert(
            request_id,
            Pending {
                kind,
                left,
                synthetic: None,
            },
        );
    }

    /// The answer to a `Create…`/`Delete…` that fails (`Fault::Failed`):
    /// moto never sees it; later polls answer from here.
    pub fn failed(&mut self, kind: Kind, request: &Value, reason: &str, after: u32) -> Value {
        let request_id = super::wire::request_id();
        let created = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or_default();
        let mut status = json!({
            "RequestId": request_id,
            "Status": "FAILED",
            "FailureReason": reason,
            "TargetId": request["TargetId"],
            "TargetType": request["TargetType"],
            "PermissionSetArn": request["PermissionSetArn"],
            "PrincipalType": request["PrincipalType"],
            "PrincipalId": request["PrincipalId"],
            "CreatedDate": created,
        });
        self.pending.insert(
            request_id,
            Pending {
                kind,
                left: Left::Answers(Some(after.saturating_sub(1))),
                synthetic: Some(status.clone()),
            },
        );
        if after > 0 {
            in_progress(&mut status);
        }
        json!({ kind.status_key(): status })
    }

    /// What to answer a `Describe…Status` poll for `request_id`.
    pub fn poll(&mut self, kind: Kind, request_id: &str, now: Instant) -> PollAnswer {
        let Some(pending) = self.pending.get_mut(request_id).filter(|p| p.kind == kind) else {
            return PollAnswer::PassThrough;
        };
        let waiting = pending.in_progress(now);
        if let (true, Left::Answers(Some(n))) = (waiting, &mut pending.left) {
            *n -= 1;
        }
        match (&pending.synthetic, waiting) {
            (Some(status), true) => {
                let mut status = status.clone();
                in_progress(&mut status);
                PollAnswer::Synthetic(status)
            }
            (Some(status), false) => PollAnswer::Synthetic(status.clone()),
            (None, true) => PollAnswer::InProgress,
            (None, false) => {
                self.pending.remove(request_id);
                PollAnswer::PassThrough
            }
        }
    }
}

fn in_progress(status: &mut Value) {
    status["Status"] = json!("IN_PROGRESS");
    if let Some(object) = status.as_object_mut() {
        object.remove("FailureReason");
    }
}

/// Sets the status of a `Describe…`/`Create…` answer to `IN_PROGRESS`.
pub fn set_in_progress(kind: Kind, answer: &mut Value) {
    in_progress(&mut answer[kind.status_key()]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moto_answer(id: &str) -> Value {
        json!({"AccountAssignmentCreationStatus": {"RequestId": id, "Status": "SUCCEEDED"}})
    }

    #[test]
    fn in_progress_counts_every_answer_then_lets_moto_through() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let mut answer = moto_answer("r1");
        let fault = Fault::InProgress { answers: Some(3) };
        tracker.started(Kind::Creation, &mut answer, Some(&fault), now);
        assert_eq!(
            answer["AccountAssignmentCreationStatus"]["Status"],
            "IN_PROGRESS"
        );
        assert_eq!(
            tracker.poll(Kind::Creation, "r1", now),
            PollAnswer::InProgress
        );
        assert_eq!(
            tracker.poll(Kind::Creation, "r1", now),
            PollAnswer::InProgress
        );
        assert_eq!(
            tracker.poll(Kind::Creation, "r1", now),
            PollAnswer::PassThrough
        );
        // Other ids and the other kind are not ours.
        assert_eq!(
            tracker.poll(Kind::Creation, "r2", now),
            PollAnswer::PassThrough
        );
        let mut forever = moto_answer("r3");
        let fault = Fault::InProgress { answers: None };
        tracker.started(Kind::Creation, &mut forever, Some(&fault), now);
        assert_eq!(
            tracker.poll(Kind::Deletion, "r3", now),
            PollAnswer::PassThrough
        );
        for _ in 0..50 {
            assert_eq!(
                tracker.poll(Kind::Creation, "r3", now),
                PollAnswer::InProgress
            );
        }
        // Without a fault or limit nothing is rewritten.
        let mut plain = moto_answer("r4");
        tracker.started(Kind::Creation, &mut plain, None, now);
        assert_eq!(plain, moto_answer("r4"));
    }

    #[test]
    fn failures_are_synthesized_and_stay_failed() {
        let now = Instant::now();
        let mut tracker = Tracker::default();
        let request = json!({"TargetId": "123456789012", "PrincipalId": "u-1"});
        let at_once = tracker.failed(Kind::Creation, &request, "quota", 0);
        let status = &at_once["AccountAssignmentCreationStatus"];
        assert_eq!(status["Status"], "FAILED");
        assert_eq!(status["FailureReason"], "quota");
        assert_eq!(status["PrincipalId"], "u-1");
        let id = status["RequestId"].as_str().unwrap().to_string();
        let PollAnswer::Synthetic(again) = tracker.poll(Kind::Creation, &id, now) else {
            panic!("synthetic expected");
        };
        assert_eq!(again["Status"], "FAILED");

        let later = tracker.failed(Kind::Deletion, &request, "busy", 2);
        let status = &later["AccountAssignmentDeletionStatus"];
        assert_eq!(status["Status"], "IN_PROGRESS");
        assert!(status.get("FailureReason").is_none());
        let id = status["RequestId"].as_str().unwrap().to_string();
        let statuses: Vec<Value> = (0..3)
            .map(|_| match tracker.poll(Kind::Deletion, &id, now) {
                PollAnswer::Synthetic(status) => status["Status"].clone(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(statuses, ["IN_PROGRESS", "FAILED", "FAILED"]);
    }

    #[test]
    fn the_creation_limit_holds_and_then_frees_slots() {
        let now = Instant::now();
        let hold = Duration::from_secs(2);
        let mut tracker = Tracker::default();
        tracker.limit_creations(2, hold);
        assert!(!tracker.over_limit(now));
        for id in ["a", "b"] {
            let mut answer = moto_answer(id);
            tracker.started(Kind::Creation, &mut answer, None, now);
            assert_eq!(
                answer["AccountAssignmentCreationStatus"]["Status"],
                "IN_PROGRESS"
            );
        }
        assert!(tracker.over_limit(now));
        assert_eq!(
            tracker.poll(Kind::Creation, "a", now),
            PollAnswer::InProgress
        );
        let after = now + hold;
        assert!(!tracker.over_limit(after));
        assert_eq!(
            tracker.poll(Kind::Creation, "a", after),
            PollAnswer::PassThrough
        );
        assert_eq!(
            classify("DescribeAccountAssignmentDeletionStatus"),
            Some((Kind::Deletion, true))
        );
        assert_eq!(classify("ListInstances"), None);
    }
}
