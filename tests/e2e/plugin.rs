//! The tf-provider traps of DESIGN.md, each checked against the real binary
//! and real Terraform.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use tests::tools::tools;

const ROLE_POLICY: &str =
    "\ndata \"jit_role_policy\" \"p\" {\n  environment = \"dev\"\n  role        = \"developer\"\n}\n";

const BAD_DURATION: &str = "  grant_policy {\n    max_duration = \"1 hour\"\n  }";

tftest!(config_error_with_backtrace_is_not_a_crash, |tf, _aws| {
    tf.write_main(&[&tf.provider(BAD_DURATION), ROLE_POLICY]);
    tf.init();
    let out = tf.run_env(&["plan", "-no-color", "-json"], &[("RUST_BACKTRACE", "1")]);
    assert!(!out.success());
    let all = out.all();
    assert!(
        !all.contains("TERRAFORM CRASH") && !all.contains("panic"),
        "{all}"
    );
    let diag = out.error("Invalid duration in `max_duration`");
    assert!(diag.code.contains("max_duration"), "{diag:?}");
});

tftest!(trace_logging_does_not_crash_terraform, |tf, _aws| {
    tf.write_main(&[&tf.provider(""), ROLE_POLICY]);
    tf.init();
    let out = tf.run_env(&["plan", "-no-color"], &[("TF_LOG", "trace")]);
    assert!(out.success(), "{}", out.all());
    // Our hclog lines arrive in Terraform's log with their level.
    assert!(
        out.stderr
            .lines()
            .any(|l| l.contains("[DEBUG]") && l.contains("provider configured")),
        "provider debug line missing from TF_LOG output"
    );
    assert!(!out.all().contains("TERRAFORM CRASH"));
});

#[test]
fn run_by_hand_explains_itself_and_exits_1() {
    let out = Command::new(&tools().provider_binary)
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plugin for Terraform"), "{stderr}");
    assert!(out.stdout.is_empty());
}

/// Starts the provider as go-plugin would, under a `sh` parent, and returns
/// (shell, provider pid, handshake port).
fn start_under_shell() -> (std::process::Child, i32, u16) {
    let mut shell = Command::new("sh")
        .args([
            "-c",
            "\"$0\" & echo \"pid $!\"; wait",
            tools().provider_binary.to_str().unwrap(),
        ])
        .env(
            "TF_PLUGIN_MAGIC_COOKIE",
            "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2",
        )
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(shell.stdout.take().unwrap()).lines();
    let mut pid = 0;
    let mut port = 0;
    while pid == 0 || port == 0 {
        let line = lines.next().expect("a line").unwrap();
        if let Some(rest) = line.strip_prefix("pid ") {
            pid = rest.trim().parse().unwrap();
        } else if let Some(found) = terraform_provider_jit::plugin::handshake_port(&line) {
            port = found;
        }
    }
    (shell, pid, port)
}

fn alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|stat| {
            stat.split_whitespace()
                .nth(2)
                .is_none_or(|state| state != "Z")
        })
        .unwrap_or(false)
}

#[test]
fn provider_exits_when_terraform_dies() {
    let (mut shell, pid, _port) = start_under_shell();
    assert!(alive(pid));
    shell.kill().unwrap();
    shell.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(pid) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!alive(pid), "orphaned provider {pid} still serving");
}

#[test]
fn terraform_connection_gets_tcp_nodelay() {
    let (mut shell, pid, port) = start_under_shell();
    // Look at the provider's own listening socket through pidfd_getfd.
    let nodelay = listener_nodelay(pid, port);
    let _ = Command::new("kill").arg(pid.to_string()).status();
    shell.kill().unwrap();
    shell.wait().unwrap();
    assert_eq!(nodelay, Some(true), "listener on {port} lacks TCP_NODELAY");
}

/// TCP_NODELAY of the listening socket `pid` has on `port`, read through a
/// duplicate of its descriptor (Linux ≥ 5.6; accepted sockets inherit it).
fn listener_nodelay(pid: i32, port: u16) -> Option<bool> {
    // SAFETY: plain syscalls on our own child; every pointer is valid.
    unsafe {
        let pidfd = libc::syscall(libc::SYS_pidfd_open, pid, 0) as i32;
        if pidfd < 0 {
            return None;
        }
        let fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
            .ok()?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
        for target in fds {
            let fd = libc::syscall(libc::SYS_pidfd_getfd, pidfd, target, 0) as i32;
            if fd < 0 {
                continue;
            }
            let mut address: libc::sockaddr_in = std::mem::zeroed();
            let mut len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let named =
                libc::getsockname(fd, std::ptr::addr_of_mut!(address).cast(), &mut len) == 0;
            if named
                && i32::from(address.sin_family) == libc::AF_INET
                && u16::from_be(address.sin_port) == port
            {
                let mut value: libc::c_int = 0;
                let mut value_len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
                libc::getsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_NODELAY,
                    std::ptr::addr_of_mut!(value).cast(),
                    &mut value_len,
                );
                libc::close(fd);
                libc::close(pidfd);
                return Some(value != 0);
            }
            libc::close(fd);
        }
        libc::close(pidfd);
        None
    }
}
