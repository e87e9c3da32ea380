//! Process plumbing around `tf-provider`'s server: the go-plugin handshake
//! guard, TCP no-delay on Terraform's connection, and exit when orphaned.

use std::io::{BufRead, BufReader, Write};
use std::os::fd::{FromRawFd, RawFd};
use std::time::Duration;

use crate::provider::JitProvider;

/// Terraform's go-plugin magic cookie (same value for every Terraform provider).
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

/// What a person running the binary by hand is told.
pub const NOT_A_PLUGIN_MESSAGE: &str = "This binary is a plugin for Terraform (registry.terraform.io/jit-access/jit) \
and is not meant to be run directly. Add it to a configuration's required_providers and run `terraform init`.";

/// How often the parent process is checked; Terraform killed means exit soon.
const ORPHAN_POLL: Duration = Duration::from_millis(500);

/// Errors that stop the plugin before or while serving.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The stdout pipe or runtime could not be set up.
    #[error("cannot start: {0}")]
    Io(#[from] std::io::Error),
    /// The gRPC server stopped with an error.
    #[error("server failed: {0}")]
    Serve(String),
}

/// True when Terraform (go-plugin) started this process.
pub fn started_by_terraform() -> bool {
    std::env::var(MAGIC_COOKIE_KEY).is_ok_and(|value| value == MAGIC_COOKIE_VALUE)
}

/// Serves the provider until Terraform stops it or goes away.
pub fn run() -> Result<(), PluginError> {
    crate::logging::init();
    // Noted before any request: what the resources find written before
    // this moment belongs to an earlier run.
    crate::config::workspace::started_at();
    crate::config::workspace::workspace_id();
    ignore_interrupts();
    watch_parent();
    set_nodelay_on_handshake()?;
    // One thread serves every RPC: the provider's work is waiting on AWS,
    // and Terraform's own process is what needs the cores. A work-stealing
    // pool of one worker per core costs CPU in wake-ups between threads,
    // and each extra thread its own malloc arena (resident memory).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime
        .block_on(tf_provider::serve("jit", JitProvider::default()))
        .map_err(|error| PluginError::Serve(format!("{error:#}")))
}

/// Ctrl-C in a terminal reaches the whole process group. Terraform handles
/// it (it asks providers to stop and waits for running operations, then
/// saves state); a provider that died on it would lose the operation in
/// flight and what AWS already did. Go plugins ignore it for the same reason.
fn ignore_interrupts() {
    // SAFETY: installing SIG_IGN for SIGINT has no preconditions.
    unsafe {
        libc::signal(libc::SIGINT, libc::SIG_IGN);
    }
}

/// Exits when the parent changes: a provider whose Terraform died would
/// otherwise serve forever.
fn watch_parent() {
    // SAFETY: getppid has no preconditions and cannot fail.
    let parent = unsafe { libc::getppid() };
    std::thread::spawn(move || loop {
        std::thread::sleep(ORPHAN_POLL);
        // SAFETY: as above.
        if unsafe { libc::getppid() } != parent {
            tracing::warn!("Terraform went away; exiting");
            std::process::exit(0);
        }
    });
}

/// tf-provider binds its listener itself and never sets TCP_NODELAY, so every
/// RPC waits on Nagle's algorithm. On Linux an accepted socket inherits
/// no-delay from its listening socket, and Terraform connects only after it
/// reads the handshake line. So stdout goes through a pipe: when the line
/// `1|6|tcp|127.0.0.1:PORT|grpc|…` passes, no-delay is set on the listener
/// bound to PORT, then the line goes on to the real stdout.
fn set_nodelay_on_handshake() -> std::io::Result<()> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: fds is a valid two-element array for pipe(2).
    if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let [read_end, write_end] = fds;
    // SAFETY: fd 1 is open for the whole process lifetime.
    let real_stdout = unsafe { libc::dup(1) };
    if real_stdout < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are valid and owned by this process.
    if unsafe { libc::dup2(write_end, 1) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: write_end was duplicated onto fd 1 and is no longer needed.
    unsafe { libc::close(write_end) };
    // SAFETY: read_end and real_stdout are fresh descriptors owned only here.
    let (reader, mut stdout) = unsafe {
        (
            std::fs::File::from_raw_fd(read_end),
            std::fs::File::from_raw_fd(real_stdout),
        )
    };
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines() {
            let Ok(line) = line else { break };
            if let Some(port) = handshake_port(&line) {
                if let Err(error) = enable_nodelay_on_listener(port) {
                    tracing::warn!(%error, port, "could not set TCP_NODELAY on the listener");
                }
            }
            if writeln!(stdout, "{line}")
                .and_then(|()| stdout.flush())
                .is_err()
            {
                break;
            }
        }
    });
    Ok(())
}

/// The TCP port announced by a go-plugin handshake line, if it is one.
pub fn handshake_port(line: &str) -> Option<u16> {
    let mut parts = line.split('|');
    let (_core, _proto, network, address) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if network != "tcp" {
        return None;
    }
    address.rsplit_once(':')?.1.parse().ok()
}

/// Finds this process's listening TCP socket on `port` and sets TCP_NODELAY.
fn enable_nodelay_on_listener(port: u16) -> std::io::Result<()> {
    for entry in std::fs::read_dir("/proc/self/fd")? {
        let Some(fd) = entry?
            .file_name()
            .to_str()
            .and_then(|name| name.parse::<RawFd>().ok())
        else {
            continue;
        };
        if is_listener_on(fd, port) {
            let on: libc::c_int = 1;
            // SAFETY: fd is an open socket; the option value is a valid c_int.
            let rc = unsafe {
                libc::setsockopt(
                    fd,
                    libc::IPPROTO_TCP,
                    libc::TCP_NODELAY,
                    std::ptr::addr_of!(on).cast(),
                    std::mem::size_of::<libc::c_int>() as libc::socklen_t,
                )
            };
            if rc != 0 {
                return Err(std::io::Error::last_os_error());
            }
            tracing::debug!(port, "TCP_NODELAY set on the plugin listener");
            return Ok(());
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        "no listening socket on the announced port",
    ))
}

fn is_listener_on(fd: RawFd, port: u16) -> bool {
    let mut accepting: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: out-pointers are valid for the sizes given; a non-socket fd
    // simply returns an error.
    let rc = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ACCEPTCONN,
            std::ptr::addr_of_mut!(accepting).cast(),
            &mut len,
        )
    };
    if rc != 0 || accepting == 0 {
        return false;
    }
    // SAFETY: sockaddr_storage is plain data; zeroed is a valid value.
    let mut address: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let mut address_len = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    // SAFETY: out-pointers are valid for the sizes given.
    let rc =
        unsafe { libc::getsockname(fd, std::ptr::addr_of_mut!(address).cast(), &mut address_len) };
    if rc != 0 || i32::from(address.ss_family) != libc::AF_INET {
        return false;
    }
    // SAFETY: the family is AF_INET, so the storage holds a sockaddr_in.
    let inet: libc::sockaddr_in = unsafe { std::ptr::read(std::ptr::addr_of!(address).cast()) };
    u16::from_be(inet.sin_port) == port
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handshake_port_is_parsed_from_tcp_lines_only() {
        assert_eq!(
            handshake_port("1|6|tcp|127.0.0.1:40123|grpc|MIIB"),
            Some(40123)
        );
        assert_eq!(handshake_port("1|6|unix|/tmp/plugin.sock|grpc|"), None);
        assert_eq!(handshake_port("hello"), None);
        assert_eq!(handshake_port("1|6|tcp|127.0.0.1:notaport|grpc|"), None);
    }

    #[test]
    fn nodelay_is_set_on_a_real_listener() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        enable_nodelay_on_listener(port).unwrap();
        let client = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(
            accepted.nodelay().unwrap(),
            "accepted socket inherits no-delay"
        );
        drop(client);
    }

    #[test]
    fn only_the_magic_cookie_marks_a_terraform_start() {
        // The test process was not started by Terraform.
        assert!(!started_by_terraform());
    }
}
