//! One moto server per test case, on a free port, stopped by PID.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::tools::tools;

/// How long moto may take to answer its first request.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs moto_server and exits when the process that started it (the test
/// binary) goes away, so a killed test run leaves no emulator behind.
const GUARDED_MOTO: &str = r#"
import os, sys, threading, time
parent = os.getppid()
def watch():
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"#;

/// A running moto server.
#[derive(Debug)]
pub struct Moto {
    child: Child,
    port: u16,
}

impl Moto {
    /// Starts moto on a free loopback port and waits until it answers.
    pub fn start() -> Self {
        let tools = tools();
        for _attempt in 0..3 {
            let port = free_port();
            let mut child = Command::new(&tools.python)
                .args([
                    "-c",
                    GUARDED_MOTO,
                    "-H",
                    "127.0.0.1",
                    "-p",
                    &port.to_string(),
                ])
                // No test attaches an AWS managed policy; loading the ~1,000
                // of them costs each case seconds at its first IAM call.
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "false")
                .env("MOTO_PORT", port.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start moto");
            let deadline = Instant::now() + STARTUP_TIMEOUT;
            loop {
                // Our own process must be alive: on a taken port a second moto
                // exits while the first one answers the readiness poll.
                if let Ok(Some(status)) = child.try_wait() {
                    let mut err = String::new();
                    if let Some(mut stderr) = child.stderr.take() {
                        let _ = stderr.read_to_string(&mut err);
                    }
                    eprintln!("moto on port {port} exited ({status}); retrying: {err}");
                    break;
                }
                if http_get(port, "/moto-api/").is_some() && owns_listener(child.id(), port) {
                    // Drain stderr in the background so moto never blocks on it.
                    if let Some(mut stderr) = child.stderr.take() {
                        std::thread::spawn(move || {
                            let mut sink = Vec::new();
                            let _ = stderr.read_to_end(&mut sink);
                        });
                    }
                    return Self { child, port };
                }
                assert!(
                    Instant::now() < deadline,
                    "moto did not answer within {STARTUP_TIMEOUT:?}"
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        panic!("moto could not be started on a free port");
    }

    /// `http://127.0.0.1:PORT`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The port moto listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The emulator's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// True when process `pid` holds the socket listening on `port`: a readiness
/// answer alone may come from another test's moto on the same port.
fn owns_listener(pid: u32, port: u16) -> bool {
    let Ok(table) = std::fs::read_to_string("/proc/net/tcp") else {
        return false;
    };
    let wanted = format!(":{port:04X}");
    let inodes: Vec<String> = table
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local_address, state 0A = LISTEN, inode
            (fields.len() > 9 && fields[1].ends_with(&wanted) && fields[3] == "0A")
                .then(|| fields[9].to_string())
        })
        .collect();
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .filter_map(|link| {
            link.to_str()?
                .strip_prefix("socket:[")?
                .strip_suffix(']')
                .map(str::to_string)
        })
        .any(|inode| inodes.contains(&inode))
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free loopback port")
}

/// A minimal HTTP/1.0 GET; `Some(body)` on any 2xx answer.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    http_request(port, "GET", path, "")
}

/// A minimal HTTP/1.0 request to moto's own API (`/moto-api/...`).
pub fn http_request(port: u16, method: &str, path: &str, body: &str) -> Option<String> {
    use std::io::Write;
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(
        stream,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status_ok = response
        .split_whitespace()
        .nth(1)
        .is_some_and(|code| code.starts_with('2'));
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())?;
    status_ok.then_some(body)
}
