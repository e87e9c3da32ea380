//! Packages built provider binaries into Terraform Registry release
//! artifacts (see `tests::release`). `scripts/release.sh` builds the
//! binaries and calls this; run it by hand only to re-package.
//!
//! ```text
//! release --version 0.1.0 --out dist --binary linux_amd64=target/release/terraform-provider-jit
//! ```
//!
//! With `JIT_RELEASE_GPG_KEY` set to an armored RSA private key (and
//! `JIT_RELEASE_GPG_PASSPHRASE` when it has one), `SHA256SUMS` is signed;
//! without it the artifacts are unsigned and a warning says so.
//!
//! Exit codes: 0 done, 1 the release failed, 2 bad usage.

use std::path::PathBuf;
use std::process::ExitCode;

use tests::release::{self, Platform, Request, Signer, KEY_ENV, PASSPHRASE_ENV};

const USAGE: &str = "usage: release --version VERSION --out DIR --binary OS_ARCH=PATH [--binary OS_ARCH=PATH ...]\n  env JIT_RELEASE_GPG_KEY         armored RSA private key: sign SHA256SUMS (else unsigned, with a warning)\n  env JIT_RELEASE_GPG_PASSPHRASE  its passphrase, if any";

fn main() -> ExitCode {
    let mut version = None;
    let mut out = None;
    let mut binaries = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--version" => version = args.next(),
            "--out" => out = args.next().map(PathBuf::from),
            "--binary" => {
                let Some(pair) = args.next() else {
                    return usage("--binary needs OS_ARCH=PATH");
                };
                let Some((platform, path)) = pair.split_once('=') else {
                    return usage(&format!("`{pair}` is not OS_ARCH=PATH"));
                };
                match Platform::parse(platform) {
                    Ok(platform) => binaries.push((platform, PathBuf::from(path))),
                    Err(error) => return usage(&error.to_string()),
                }
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage(&format!("unknown argument `{other}`")),
        }
    }
    let (Some(version), Some(out)) = (version, out) else {
        return usage("--version and --out are required");
    };

    let signer = match std::env::var(KEY_ENV) {
        Ok(armored) if !armored.trim().is_empty() => {
            let passphrase = std::env::var(PASSPHRASE_ENV).unwrap_or_default();
            match Signer::from_armored(&armored, &passphrase) {
                Ok(signer) => Some(signer),
                Err(error) => return fail(&error),
            }
        }
        _ => {
            eprintln!(
                "release: warning: {KEY_ENV} is not set, so SHA256SUMS is not signed. The Terraform Registry and Terraform's `direct` installation refuse unsigned releases; mirrors install them by hash only."
            );
            None
        }
    };
    let request = Request {
        version: &version,
        binaries,
        out: &out,
        signer: signer.as_ref(),
    };
    match release::package(&request) {
        Ok(written) => {
            for path in written {
                println!("{}", path.display());
            }
            if let Some(signer) = &signer {
                eprintln!(
                    "release: signed SHA256SUMS with key {}",
                    signer.fingerprint()
                );
            }
            ExitCode::SUCCESS
        }
        Err(error) => fail(&error),
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!("release: {problem}\n{USAGE}");
    ExitCode::from(2)
}

fn fail(error: &release::Error) -> ExitCode {
    eprintln!("release: error: {error}");
    ExitCode::from(1)
}
