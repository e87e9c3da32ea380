//! Interrupted applies: Terraform runs in the background in a process group
//! of its own (with its provider children), gets SIGINT at a chosen point
//! (when the proxy sees the Nth request of an operation, or after a delay
//! drawn from a seed), and SIGKILL if it is still running after a grace
//! time. [`Running::signalling`] sends another signal instead (SIGKILL to
//! Terraform, to its providers only, or to both: [`Target`]). The test then
//! runs plan/apply again and checks the invariants.
//!
//! ```no_run
//! # fn case(tf: &tests::Tf, proxy: &tests::proxy::Proxy) {
//! use std::time::Duration;
//! use tests::interrupt::{Interrupt, Running};
//! use tests::proxy::Match;
//! let run = Running::apply(tf);
//! run.interrupt_at(proxy, Match::op("CreateAccountAssignment"), 3);
//! let outcome = run.finish(Duration::from_secs(5), Duration::from_secs(300));
//! assert!(outcome.interrupted);
//! tf.apply(); // converges
//! # }
//! ```

use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::proxy::{rules::splitmix64, Match, Proxy};
use crate::terraform::{Tf, TfOutput};

/// How long a request that triggered an interrupt is held afterwards.
pub const SETTLE: Duration = Duration::from_secs(1);

/// Who gets the signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Terraform and every provider it started (Ctrl-C in a terminal: the
    /// whole foreground process group).
    Group,
    /// Terraform's own processes but not its providers (a runner that
    /// signals Terraform; Terraform then asks its providers to stop).
    /// Terraform 1.0.3 runs as two processes (a panicwrap parent that
    /// ignores SIGINT and the real one), so both are signalled.
    Terraform,
    /// The provider processes only (a provider that crashed or was killed
    /// by the OOM killer while Terraform goes on).
    Provider,
}

/// A handle that sends the interrupt; cheap to clone into proxy hooks.
#[derive(Debug, Clone)]
pub struct Interrupt {
    pid: i32,
    target: Target,
    signal: i32,
    sent: Arc<Mutex<Option<Instant>>>,
}

impl Interrupt {
    /// Sends the interrupt, SIGINT unless [`Running::signalling`] chose
    /// another signal (once; later calls do nothing).
    pub fn send(&self) {
        let mut sent = self.sent.lock().unwrap_or_else(|e| e.into_inner());
        if sent.is_none() {
            *sent = Some(Instant::now());
            signal(self.pid, self.target, self.signal);
        }
    }

    /// When SIGINT was sent.
    pub fn sent_at(&self) -> Option<Instant> {
        *self.sent.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn signal(pid: i32, target: Target, signal: i32) {
    let ids = match target {
        Target::Group => vec![-pid],
        Target::Terraform => group_members(pid)
            .into_iter()
            .filter(|(_, name)| !name.starts_with("terraform-provider-"))
            .map(|(member, _)| member)
            .collect(),
        Target::Provider => group_members(pid)
            .into_iter()
            .filter(|(_, name)| name.starts_with("terraform-provider-"))
            .map(|(member, _)| member)
            .collect(),
    };
    for id in ids {
        // SAFETY: kill(2) on processes of the group we spawned ourselves.
        unsafe {
            libc::kill(id, signal);
        }
    }
}

/// `(pid, program file name)` of the live processes in group `pgid`.
fn group_members(pgid: i32) -> Vec<(i32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            // `pid (comm) state ppid pgrp …`; comm may hold spaces and parens.
            let (_, rest) = stat.rsplit_once(')')?;
            let fields: Vec<&str> = rest.split_whitespace().collect();
            if fields.len() < 3 || fields[0] == "Z" || fields[2] != pgid.to_string() {
                return None;
            }
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let program = cmdline.split(|b| *b == 0).next().unwrap_or_default();
            let name = String::from_utf8_lossy(program)
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string();
            Some((pid, name))
        })
        .collect()
}

/// True while a live (not zombie) process of the group `pgid` exists.
fn group_alive(pgid: i32) -> bool {
    !group_members(pgid).is_empty()
}

/// A Terraform command running in the background.
#[derive(Debug)]
pub struct Running {
    child: Child,
    command: String,
    interrupt: Interrupt,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

/// How an interrupted (or not) run ended.
#[derive(Debug, Clone)]
pub struct Interrupted {
    /// Exit code and output (code -1 when killed).
    pub output: TfOutput,
    /// SIGINT was sent.
    pub interrupted: bool,
    /// SIGKILL was needed after the grace time.
    pub killed: bool,
    /// Time from SIGINT to the end of the run.
    pub stopped_after: Option<Duration>,
}

fn drain(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = pipe.read_to_end(&mut text);
        String::from_utf8_lossy(&text).into_owned()
    })
}

impl Running {
    /// Starts `terraform <args>` in its own process group.
    pub fn spawn(tf: &Tf, args: &[&str], target: Target) -> Self {
        let mut command = tf.command(args);
        // SAFETY: only async-signal-safe calls between fork and exec. A
        // process started in the background by a shell inherits SIGINT
        // ignored, and Go keeps an inherited "ignore": give Terraform the
        // default disposition a terminal or CI runner gives it.
        unsafe {
            command.pre_exec(|| {
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGTERM, libc::SIG_DFL);
                Ok(())
            });
        }
        command
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("terraform starts");
        let pid = i32::try_from(child.id()).expect("pid fits i32");
        let stdout = drain(child.stdout.take().expect("stdout piped"));
        let stderr = drain(child.stderr.take().expect("stderr piped"));
        Self {
            child,
            command: format!("terraform {} ({})", args.join(" "), tf.version.as_str()),
            interrupt: Interrupt {
                pid,
                target,
                signal: libc::SIGINT,
                sent: Arc::new(Mutex::new(None)),
            },
            stdout,
            stderr,
        }
    }

    /// Interrupts with `signal` (e.g. `libc::SIGKILL`: the target dies at
    /// once, nothing is saved or cleaned up by it) instead of SIGINT. Call
    /// before handing out [`Running::interrupter`].
    pub fn signalling(mut self, signal: i32) -> Self {
        self.interrupt.signal = signal;
        self
    }

    /// `terraform apply -auto-approve -no-color`, signalling the group.
    pub fn apply(tf: &Tf) -> Self {
        Self::spawn(tf, &["apply", "-auto-approve", "-no-color"], Target::Group)
    }

    /// The handle that interrupts this run.
    pub fn interrupter(&self) -> Interrupt {
        self.interrupt.clone()
    }

    /// Interrupts when the `nth` request matching `matcher` arrives at the
    /// proxy. The request itself goes on after [`SETTLE`], so Terraform has
    /// taken the interrupt in before the running operation can end (else it
    /// may start the next resource first).
    pub fn interrupt_at(&self, proxy: &Proxy, matcher: Match, nth: usize) {
        let interrupt = self.interrupter();
        proxy.on_call(matcher, nth, move |_| {
            interrupt.send();
            std::thread::sleep(SETTLE);
        });
    }

    /// Interrupts after `delay` (from a background thread).
    pub fn interrupt_after(&self, delay: Duration) {
        let interrupt = self.interrupter();
        std::thread::spawn(move || {
            std::thread::sleep(delay);
            interrupt.send();
        });
    }

    /// Still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the end: up to `timeout` in all; once SIGINT has been sent,
    /// up to `grace` more before SIGKILL to the whole group. A run that
    /// outlives `timeout` without an interrupt is interrupted then.
    pub fn finish(mut self, grace: Duration, timeout: Duration) -> Interrupted {
        let deadline = Instant::now() + timeout;
        let mut killed = false;
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break Some(status);
            }
            let now = Instant::now();
            match self.interrupt.sent_at() {
                Some(at) if now >= at + grace => {
                    signal(self.interrupt.pid, Target::Group, libc::SIGKILL);
                    killed = true;
                    break self.child.wait().ok();
                }
                None if now >= deadline => self.interrupt.send(),
                _ => {}
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let ended = Instant::now();
        // Providers left behind by a killed Terraform go too.
        if group_alive(self.interrupt.pid) {
            signal(self.interrupt.pid, Target::Group, libc::SIGKILL);
        }
        let sent = self.interrupt.sent_at();
        Interrupted {
            output: TfOutput {
                command: self.command,
                code: status.and_then(|s| s.code()).unwrap_or(-1),
                stdout: self.stdout.join().unwrap_or_default(),
                stderr: self.stderr.join().unwrap_or_default(),
            },
            interrupted: sent.is_some(),
            killed,
            stopped_after: sent.map(|at| ended.saturating_duration_since(at)),
        }
    }
}

/// A delay in `min..max` drawn from `seed` (reproducible interrupt points).
pub fn seeded_delay(seed: u64, min: Duration, max: Duration) -> Duration {
    let mut state = seed;
    let span = max.saturating_sub(min).as_millis().max(1) as u64;
    min + Duration::from_millis(splitmix64(&mut state) % span)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_delays_are_reproducible_and_in_range() {
        let (min, max) = (Duration::from_millis(100), Duration::from_millis(900));
        let delays: Vec<Duration> = (0..50).map(|seed| seeded_delay(seed, min, max)).collect();
        assert!(delays.iter().all(|d| *d >= min && *d < max), "{delays:?}");
        assert_eq!(seeded_delay(3, min, max), seeded_delay(3, min, max));
        assert!(delays.windows(2).any(|w| w[0] != w[1]));
    }

    #[test]
    fn a_process_group_is_interrupted_then_killed() {
        // A shell that ignores SIGINT, with a child: both die by SIGKILL.
        let mut command = std::process::Command::new("sh");
        command
            .args(["-c", "trap '' INT; sleep 30 & wait"])
            .process_group(0)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().unwrap();
        let pid = child.id() as i32;
        let run = Running {
            stdout: drain(child.stdout.take().unwrap()),
            stderr: drain(child.stderr.take().unwrap()),
            child,
            command: "sh".into(),
            interrupt: Interrupt {
                pid,
                target: Target::Group,
                signal: libc::SIGINT,
                sent: Arc::new(Mutex::new(None)),
            },
        };
        run.interrupt_after(Duration::from_millis(100));
        let outcome = run.finish(Duration::from_millis(300), Duration::from_secs(20));
        assert!(outcome.interrupted && outcome.killed, "{outcome:?}");
        assert_eq!(outcome.output.code, -1);
        let gone = (0..50).any(|_| {
            std::thread::sleep(Duration::from_millis(20));
            !group_alive(pid)
        });
        assert!(gone, "process group {pid} survived");
    }
}
