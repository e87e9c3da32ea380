//! Timing of one resource operation: wall time, and the time during which
//! at least one AWS call was in flight. The difference is the provider's own
//! share, logged at debug level as `jit_user_block timing` (the benchmark in
//! `tests/benches/user_block.rs` reads these lines from `TF_LOG=debug`).

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::error::Error;

/// Longest one AWS call (including the SDK's own retries) may take.
pub(crate) const AWS_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Counts AWS time for one operation; cheap to clone into spawned tasks.
#[derive(Clone, Debug)]
pub(crate) struct Meter {
    started: Instant,
    inner: Arc<Mutex<InFlight>>,
}

#[derive(Debug, Default)]
struct InFlight {
    running: u32,
    since: Option<Instant>,
    total: Duration,
    calls: u32,
}

impl Meter {
    /// A meter started now.
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            inner: Arc::new(Mutex::new(InFlight::default())),
        }
    }

    /// Runs one AWS call (an `aws::` wrapper; a listing counts once with
    /// all its pages), bounded by [`AWS_CALL_TIMEOUT`], counting its time.
    /// `service` and `operation` name it if it times out.
    pub async fn call<T, F>(
        &self,
        service: &'static str,
        operation: &'static str,
        call: F,
    ) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        self.enter();
        let result = tokio::time::timeout(AWS_CALL_TIMEOUT, call).await;
        self.leave();
        result.unwrap_or_else(|_| {
            Err(Error::Timeout {
                what: format!("AWS {service} {operation}"),
                last_status: format!("no answer within {}s", AWS_CALL_TIMEOUT.as_secs()),
            })
        })
    }

    fn enter(&self) {
        let mut state = self.lock();
        if state.running == 0 {
            state.since = Some(Instant::now());
        }
        state.running += 1;
        state.calls += 1;
    }

    fn leave(&self) {
        let mut state = self.lock();
        state.running = state.running.saturating_sub(1);
        if state.running == 0 {
            if let Some(since) = state.since.take() {
                state.total += since.elapsed();
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InFlight> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// (wall time, AWS time, AWS calls) so far.
    pub fn totals(&self) -> (Duration, Duration, u32) {
        let state = self.lock();
        (self.started.elapsed(), state.total, state.calls)
    }

    /// Logs the totals of operation `op` at debug level.
    pub fn log(&self, op: &str) {
        let (elapsed, aws, calls) = self.totals();
        tracing::debug!(
            op,
            elapsed_us = elapsed.as_micros() as u64,
            aws_us = aws.as_micros() as u64,
            aws_calls = calls,
            own_us = elapsed.saturating_sub(aws).as_micros() as u64,
            "jit_user_block timing"
        );
    }
}

impl Default for Meter {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn overlapping_calls_count_once() {
        let meter = Meter::new();
        let sleep = |ms| {
            let meter = meter.clone();
            async move {
                meter.enter();
                tokio::time::sleep(Duration::from_millis(ms)).await;
                meter.leave();
            }
        };
        tokio::join!(sleep(40), sleep(40));
        let (elapsed, aws, calls) = meter.totals();
        assert_eq!(calls, 2);
        assert!(aws >= Duration::from_millis(40), "{aws:?}");
        assert!(aws < Duration::from_millis(80), "{aws:?}");
        assert!(elapsed >= aws);
    }
}
