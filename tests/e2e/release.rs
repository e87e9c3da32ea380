//! Release artifacts, installed the ways users install a provider: the
//! output of `scripts/release.sh` (a debug build packaged in the release
//! layout: only the layout matters here) goes through a `filesystem_mirror`,
//! a `network_mirror` over HTTPS, and the provider registry protocol (where
//! Terraform itself checks the OpenPGP signature), on Terraform 1.15.5 and
//! 1.0.3. Hashes are computed here independently of the packager (the zip is
//! read back with Python's `zipfile`). Also the release workflow example.
//!
//! The servers are `scripts/network-mirror.py serve` on 127.0.0.1 with a
//! throwaway CA that Terraform trusts through `SSL_CERT_FILE`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use pgp::composed::{
    Deserializable, DetachedSignature, KeyType, SecretKeyParamsBuilder, SignedPublicKey,
};
use pgp::types::KeyDetails;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tests::examples::{repo_root, venv_python};
use tests::release::{self, Signer};
use tests::tools::{provider_version, tools};
use tests::TfVersion;

const ADDRESS: &str = "registry.terraform.io/jit-access/jit";

/// Passphrase of the throwaway signing key (exercises the passphrase path).
const PASSPHRASE: &str = "throwaway test passphrase";

/// The configuration every installation test initialises: the constraint
/// the docs tell users to write.
const MAIN_TF: &str = "terraform {\n  required_providers {\n    jit = {\n      source  = \"jit-access/jit\"\n      version = \"~> 0.1\"\n    }\n  }\n}\n";

/// Environment variables never passed to Terraform here.
const SCRUBBED_ENV: [&str; 12] = [
    "TF_LOG",
    "TF_LOG_PATH",
    "TF_CLI_ARGS",
    "TF_CLI_ARGS_init",
    "TF_DATA_DIR",
    "TF_PLUGIN_CACHE_DIR",
    "SSL_CERT_DIR",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
];

/// Runs `$body(version)` as one test per Terraform version.
macro_rules! each_terraform {
    ($name:ident, |$version:ident| $body:block) => {
        mod $name {
            use super::*;

            fn body($version: TfVersion) $body

            #[test]
            fn terraform_1_15_5() {
                body(TfVersion::Latest);
            }

            #[test]
            fn terraform_1_0_3() {
                body(TfVersion::Oldest);
            }
        }
    };
}

// ---------------------------------------------------------------- fixtures

/// What `scripts/release.sh` wrote, once per test binary.
struct Release {
    dist: PathBuf,
    version: String,
    /// The binary inside the zip.
    binary: PathBuf,
    secret_key: String,
    public_key: String,
    /// 16 upper-case hex digits, as the registry protocol and Terraform show it.
    key_id: String,
}

impl Release {
    fn file(&self, name: &str) -> PathBuf {
        self.dist.join(name)
    }

    fn zip_name(&self) -> String {
        release::zip_name(&self.version, &linux_amd64())
    }

    fn zip(&self) -> Vec<u8> {
        std::fs::read(self.file(&self.zip_name())).unwrap()
    }
}

fn linux_amd64() -> release::Platform {
    release::Platform::parse("linux_amd64").unwrap()
}

static DIR_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A fresh directory under the e2e work root.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = tools().work_root.join(format!(
        "release-{name}-{}-{}",
        std::process::id(),
        DIR_COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A throwaway RSA key with a passphrase: (armored secret, armored public, key id).
fn throwaway_key() -> (String, String, String) {
    let mut params = SecretKeyParamsBuilder::default();
    params
        .key_type(KeyType::Rsa(2048))
        .can_certify(true)
        .can_sign(true)
        .passphrase(Some(PASSPHRASE.into()))
        .primary_user_id("Release test <release-test@example.com>".into());
    let key = params.build().unwrap().generate(rand::rngs::OsRng).unwrap();
    let key_id = key
        .primary_key
        .legacy_key_id()
        .as_ref()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    (
        key.to_armored_string(Default::default()).unwrap(),
        key.to_public_key()
            .to_armored_string(Default::default())
            .unwrap(),
        key_id,
    )
}

/// Runs `scripts/release.sh` (it drops cargo's package variables of this
/// test process itself, so its nested builds stay fresh).
fn release_sh(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new("bash");
    command
        .arg(repo_root().join("scripts/release.sh"))
        .args(args)
        .current_dir(repo_root());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("bash runs")
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let tools = tools();
        let (secret_key, public_key, key_id) = throwaway_key();
        let dist = fresh_dir("dist");
        let version = provider_version().to_string();
        let output = release_sh(
            &[
                "--profile",
                "dev",
                "--out",
                dist.to_str().unwrap(),
                &version,
            ],
            &[
                (release::KEY_ENV, &secret_key),
                (release::PASSPHRASE_ENV, PASSPHRASE),
            ],
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "release.sh failed:\n{stderr}");
        assert!(
            stderr.contains("packaging the DEBUG build"),
            "a dev packaging must say so:\n{stderr}"
        );
        Release {
            dist,
            version,
            binary: tools.provider_binary.clone(),
            secret_key,
            public_key,
            key_id,
        }
    })
}

/// Facts about a zip read back with Python's `zipfile`, and its `h1:` hash
/// computed the way Terraform does (Go's `dirhash.Hash1` over the unpacked
/// files: SHA-256 of the lines `<sha256 hex>  <name>\n`, sorted by name,
/// base64).
const ZIP_FACTS: &str = r#"
import base64, hashlib, json, sys, zipfile
entries = []
with zipfile.ZipFile(sys.argv[1]) as z:
    for info in z.infolist():
        data = z.read(info)
        entries.append({
            "name": info.filename,
            "mode": info.external_attr >> 16,
            "date_time": list(info.date_time),
            "create_system": info.create_system,
            "compress_type": info.compress_type,
            "sha256": hashlib.sha256(data).hexdigest(),
        })
summary = "".join("%s  %s\n" % (e["sha256"], e["name"]) for e in sorted(entries, key=lambda e: e["name"]))
h1 = "h1:" + base64.b64encode(hashlib.sha256(summary.encode()).digest()).decode()
print(json.dumps({"entries": entries, "h1": h1}))
"#;

fn zip_facts(zip: &Path) -> Value {
    let output = Command::new(venv_python())
        .args(["-c", ZIP_FACTS])
        .arg(zip)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} is not a zip Python can read:\n{}",
        zip.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A throwaway CA and a server certificate for 127.0.0.1 (IP SAN) it signed.
const CERTS: &str = r#"
import datetime, ipaddress, sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

out = sys.argv[1]
now = datetime.datetime.now(datetime.timezone.utc)
def name(text):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])
def builder(subject, issuer, public_key):
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
            .public_key(public_key).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1)))
ca_key = ec.generate_private_key(ec.SECP256R1())
ca = (builder(name("jit release test CA"), name("jit release test CA"), ca_key.public_key())
      .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
      .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                   key_encipherment=False, data_encipherment=False,
                                   key_agreement=False, key_cert_sign=True, crl_sign=True,
                                   encipher_only=False, decipher_only=False), critical=True)
      .sign(ca_key, hashes.SHA256()))
key = ec.generate_private_key(ec.SECP256R1())
cert = (builder(name("127.0.0.1"), ca.subject, key.public_key())
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256()))
with open(out + "/ca.pem", "wb") as f:
    f.write(ca.public_bytes(serialization.Encoding.PEM))
with open(out + "/server.pem", "wb") as f:
    f.write(cert.public_bytes(serialization.Encoding.PEM))
with open(out + "/server.key", "wb") as f:
    f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                              serialization.NoEncryption()))
"#;

/// The CA directory (`ca.pem`, `server.pem`, `server.key`), once.
fn certs() -> &'static Path {
    static CERTS_DIR: OnceLock<PathBuf> = OnceLock::new();
    CERTS_DIR.get_or_init(|| {
        let dir = fresh_dir("ca");
        let output = Command::new(venv_python())
            .args(["-c", CERTS])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        dir
    })
}

/// Runs `scripts/network-mirror.py` and exits with the test binary.
const GUARDED_SCRIPT: &str = r#"
import os, runpy, sys, threading, time
parent = os.getppid()
def watch():
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:
            os._exit(0)
threading.Thread(target=watch, daemon=True).start()
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"#;

/// `scripts/network-mirror.py serve DIR` on a free port, killed on drop.
struct Server {
    child: Child,
    url: String,
}

impl Server {
    fn start(dir: &Path) -> Self {
        let certs = certs();
        let log_path = dir.with_extension("server.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new(venv_python())
            .args(["-c", GUARDED_SCRIPT])
            .arg(repo_root().join("scripts/network-mirror.py"))
            .arg("serve")
            .arg(dir)
            .arg("--cert")
            .arg(certs.join("server.pem"))
            .arg("--key")
            .arg(certs.join("server.key"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("serving ")
            .unwrap_or_else(|| {
                panic!(
                    "the server did not start ({line:?}):\n{}",
                    std::fs::read_to_string(&log_path).unwrap_or_default()
                )
            })
            .to_string();
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --------------------------------------------------------------- Terraform

/// One Terraform working directory with its own CLI configuration.
struct Work {
    version: TfVersion,
    dir: PathBuf,
}

impl Work {
    fn new(version: TfVersion, name: &str, cli_config: &str) -> Self {
        let dir = fresh_dir(&format!("{name}-{}", version.as_str()));
        std::fs::write(dir.join("terraformrc"), cli_config).unwrap();
        std::fs::write(dir.join("main.tf"), MAIN_TF).unwrap();
        Self { version, dir }
    }

    fn terraform(&self, args: &[&str]) -> (bool, String) {
        let binary = match self.version {
            TfVersion::Latest => &tools().terraform_latest,
            TfVersion::Oldest => &tools().terraform_oldest,
        };
        let mut command = Command::new(binary);
        command.current_dir(&self.dir).args(args);
        for key in SCRUBBED_ENV {
            command.env_remove(key);
        }
        let output = command
            .env("TF_CLI_CONFIG_FILE", self.dir.join("terraformrc"))
            .env("SSL_CERT_FILE", certs().join("ca.pem"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .output()
            .unwrap();
        (
            output.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ),
        )
    }

    fn init(&self) -> String {
        let (ok, output) = self.terraform(&["init", "-no-color"]);
        assert!(ok, "init failed on {}:\n{output}", self.version.as_str());
        output
    }

    fn init_fails(&self) -> String {
        let (ok, output) = self.terraform(&["init", "-no-color"]);
        assert!(
            !ok,
            "init should have failed on {}:\n{output}",
            self.version.as_str()
        );
        output
    }

    /// The hashes `init` recorded for the provider in `.terraform.lock.hcl`.
    fn locked_hashes(&self) -> Vec<String> {
        let lock = std::fs::read_to_string(self.dir.join(".terraform.lock.hcl")).unwrap();
        let block = lock
            .split(&format!("provider \"{ADDRESS}\""))
            .nth(1)
            .unwrap_or_else(|| panic!("no {ADDRESS} in the lock file:\n{lock}"));
        assert!(
            block.contains(&format!("version     = \"{}\"", provider_version())),
            "{lock}"
        );
        let hashes = block
            .split("hashes = [")
            .nth(1)
            .and_then(|rest| rest.split(']').next())
            .unwrap_or_default();
        hashes
            .split('"')
            .filter(|part| part.starts_with("h1:") || part.starts_with("zh:"))
            .map(str::to_string)
            .collect()
    }

    /// The provider starts (the installed file is executable) and serves
    /// its schema.
    fn assert_provider_runs(&self) {
        let (ok, output) = self.terraform(&["providers", "schema", "-json"]);
        assert!(ok, "the installed provider does not run:\n{output}");
        let schema: Value = serde_json::from_str(output.lines().next().unwrap_or_default())
            .unwrap_or_else(|e| panic!("{e}: {output}"));
        assert!(
            schema["provider_schemas"][ADDRESS]["resource_schemas"]["jit_grant"].is_object(),
            "{output}"
        );
    }
}

/// Terraform wraps long messages: compare with single spaces.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn filesystem_mirror_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{ADDRESS}\"]\n  }}\n  direct {{\n    exclude = [\"{ADDRESS}\"]\n  }}\n}}\n",
        mirror.display()
    )
}

fn network_mirror_config(url: &str) -> String {
    format!(
        "provider_installation {{\n  network_mirror {{\n    url     = \"{url}\"\n    include = [\"{ADDRESS}\"]\n  }}\n  direct {{\n    exclude = [\"{ADDRESS}\"]\n  }}\n}}\n"
    )
}

/// `direct` installation from a provider registry at `url`, standing in
/// for registry.terraform.io (the `host` block replaces service discovery).
fn registry_config(url: &str) -> String {
    format!(
        "host \"registry.terraform.io\" {{\n  services = {{\n    \"providers.v1\" = \"{url}v1/providers/\"\n  }}\n}}\n\nprovider_installation {{\n  direct {{}}\n}}\n"
    )
}

/// A zip like the release's whose binary has one byte more.
fn changed_zip() -> Vec<u8> {
    let release = release();
    let mut binary = std::fs::read(&release.binary).unwrap();
    binary.push(0);
    release::zip_one(
        &release::binary_name(&release.version),
        &binary,
        release::BINARY_MODE,
    )
    .unwrap()
}

/// `scripts/network-mirror.py build DIST OUT`.
fn build_network_mirror(dist: &Path, out: &Path) -> String {
    let output = Command::new(venv_python())
        .arg(repo_root().join("scripts/network-mirror.py"))
        .arg("build")
        .arg(dist)
        .arg(out)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{text}");
    text
}

// ------------------------------------------------------------ the package

#[test]
fn release_has_the_registry_layout_and_a_signature_the_public_key_verifies() {
    let release = release();
    let version = &release.version;
    let mut names: Vec<String> = std::fs::read_dir(&release.dist)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            format!("terraform-provider-jit_{version}_SHA256SUMS"),
            format!("terraform-provider-jit_{version}_SHA256SUMS.sig"),
            format!("terraform-provider-jit_{version}_linux_amd64.zip"),
            format!("terraform-provider-jit_{version}_manifest.json"),
        ]
    );
    let manifest = std::fs::read(release.file(&names[3])).unwrap();
    assert_eq!(
        String::from_utf8(manifest.clone()).unwrap(),
        r#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#
    );

    // The zip: one executable file with a fixed timestamp, holding the binary.
    let facts = zip_facts(&release.file(&names[2]));
    let binary = std::fs::read(&release.binary).unwrap();
    assert_eq!(
        facts["entries"],
        json!([{
            "name": format!("terraform-provider-jit_v{version}"),
            "mode": 0o100_755,
            "date_time": [1980, 1, 1, 0, 0, 0],
            "create_system": 3,
            "compress_type": 8,
            "sha256": sha256_hex(&binary),
        }])
    );

    // SHA256SUMS lists the zip and the manifest.
    let sums = std::fs::read(release.file(&names[0])).unwrap();
    assert_eq!(
        String::from_utf8(sums.clone()).unwrap(),
        format!(
            "{}  {}\n{}  {}\n",
            sha256_hex(&release.zip()),
            names[2],
            sha256_hex(&manifest),
            names[3]
        )
    );

    // A binary (not armored) detached signature that the public key verifies,
    // over exactly these bytes.
    let signature_bytes = std::fs::read(release.file(&names[1])).unwrap();
    assert!(!signature_bytes.starts_with(b"-----BEGIN"));
    let signature = DetachedSignature::from_bytes(signature_bytes.as_slice()).unwrap();
    let (public, _) = SignedPublicKey::from_string(&release.public_key).unwrap();
    signature.verify(&public.primary_key, &sums).unwrap();
    let mut tampered = sums.clone();
    tampered[0] ^= 1;
    assert!(signature.verify(&public.primary_key, &tampered).is_err());
    let (_, other_public, _) = throwaway_key();
    let (other, _) = SignedPublicKey::from_string(&other_public).unwrap();
    assert!(signature.verify(&other.primary_key, &sums).is_err());
}

#[test]
fn packager_without_a_key_warns_and_repeats_itself_byte_for_byte() {
    let release = release();
    let run = |out: &Path, env: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_release"));
        command
            .args(["--version", &release.version, "--out"])
            .arg(out)
            .arg("--binary")
            .arg(format!("linux_amd64={}", release.binary.display()))
            .env_remove(release::KEY_ENV)
            .env_remove(release::PASSPHRASE_ENV);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().unwrap()
    };
    let first = fresh_dir("unsigned-1");
    let second = fresh_dir("unsigned-2");
    for out in [&first, &second] {
        let output = run(out, &[]);
        assert!(output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("warning: JIT_RELEASE_GPG_KEY is not set, so SHA256SUMS is not signed"),
            "{stderr}"
        );
        assert!(!out.join(release::signature_name(&release.version)).exists());
    }
    let zip = release.zip_name();
    let first_zip = std::fs::read(first.join(&zip)).unwrap();
    assert_eq!(first_zip, std::fs::read(second.join(&zip)).unwrap());
    // The signed release packaged the same binary into the same bytes.
    assert_eq!(first_zip, release.zip());

    // A wrong passphrase stops the release before anything is written.
    let refused = fresh_dir("wrong-passphrase");
    let output = run(
        &refused,
        &[
            (release::KEY_ENV, &release.secret_key),
            (release::PASSPHRASE_ENV, "wrong"),
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr)
        .contains("cannot sign (wrong JIT_RELEASE_GPG_PASSPHRASE?)"));
    assert_eq!(std::fs::read_dir(&refused).unwrap().count(), 0);
}

#[test]
fn release_sh_refuses_a_version_cargo_toml_does_not_have() {
    let output = release_sh(&["--profile", "dev", "99.0.0"], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains(&format!(
        "version 99.0.0 differs from Cargo.toml's workspace version {}",
        provider_version()
    )));
    let output = release_sh(&[&format!("v{}", provider_version())], &[]);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("without a leading v"));
}

// ------------------------------------------------------------ installation

each_terraform!(
    filesystem_mirror_installs_the_zip_and_the_lock_pins_it,
    |version| {
        let release = release();
        let mirror = fresh_dir("fs-mirror");
        // The packed layout: the release zip as-is, under HOST/NAMESPACE/TYPE/.
        let packed = mirror.join(ADDRESS);
        std::fs::create_dir_all(&packed).unwrap();
        std::fs::copy(
            release.file(&release.zip_name()),
            packed.join(release.zip_name()),
        )
        .unwrap();
        let work = Work::new(version, "fs", &filesystem_mirror_config(&mirror));
        work.init();
        let h1 = zip_facts(&release.file(&release.zip_name()))["h1"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(work.locked_hashes(), vec![h1]);
        work.assert_provider_runs();

        // The same version with another binary: the lock entry refuses it.
        std::fs::write(packed.join(release.zip_name()), changed_zip()).unwrap();
        std::fs::remove_dir_all(work.dir.join(".terraform")).unwrap();
        let output = work.init_fails();
        assert!(
        flat(&output).contains(
            "doesn't match any of the checksums previously recorded in the dependency lock file"
        ),
        "{output}"
    );
    }
);

each_terraform!(network_mirror_installs_the_zip_over_https, |version| {
    let release = release();
    let root = fresh_dir("net-mirror");
    let built = build_network_mirror(&release.dist, &root);
    assert!(
        built.contains(&format!("added {ADDRESS} {}", release.version)),
        "{built}"
    );
    let provider_dir = root.join(ADDRESS);
    let version_json: Value = serde_json::from_slice(
        &std::fs::read(provider_dir.join(format!("{}.json", release.version))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        version_json,
        json!({"archives": {"linux_amd64": {
            "url": release.zip_name(),
            "hashes": [format!("zh:{}", sha256_hex(&release.zip()))],
        }}})
    );
    let server = Server::start(&root);
    let work = Work::new(version, "net", &network_mirror_config(&server.url));
    work.init();
    // A mirror is not a signature: only the h1 of what was installed is locked.
    let h1 = zip_facts(&release.file(&release.zip_name()))["h1"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(work.locked_hashes(), vec![h1]);
    work.assert_provider_runs();

    // A zip whose zh: hash does not match VERSION.json is refused.
    std::fs::write(provider_dir.join(release.zip_name()), changed_zip()).unwrap();
    let fresh = Work::new(version, "net-tampered", &network_mirror_config(&server.url));
    let output = fresh.init_fails();
    assert!(
        flat(&output).contains(&format!(
            "provider package doesn't match the expected checksum \"zh:{}\"",
            sha256_hex(&release.zip())
        )),
        "{output}"
    );
    assert!(!fresh.dir.join(".terraform.lock.hcl").exists());
});

/// The provider registry protocol's two documents for linux_amd64, pointing
/// at files under `{url}dl/`.
fn write_registry(root: &Path, url: &str, signing_key: &str, key_id: &str) {
    let release = release();
    let api = root.join("v1/providers/jit-access/jit");
    std::fs::create_dir_all(api.join(format!("{}/download/linux", release.version))).unwrap();
    std::fs::write(
        api.join("versions"),
        json!({"versions": [{
            "version": release.version,
            "protocols": ["6.0"],
            "platforms": [{"os": "linux", "arch": "amd64"}],
        }]})
        .to_string(),
    )
    .unwrap();
    let sums = release::sums_name(&release.version);
    std::fs::write(
        api.join(format!("{}/download/linux/amd64", release.version)),
        json!({
            "protocols": ["6.0"],
            "os": "linux",
            "arch": "amd64",
            "filename": release.zip_name(),
            "download_url": format!("{url}dl/{}", release.zip_name()),
            "shasums_url": format!("{url}dl/{sums}"),
            "shasums_signature_url": format!("{url}dl/{sums}.sig"),
            "shasum": sha256_hex(&release.zip()),
            "signing_keys": {"gpg_public_keys": [{"key_id": key_id, "ascii_armor": signing_key}]},
        })
        .to_string(),
    )
    .unwrap();
}

each_terraform!(registry_protocol_checks_the_signature, |version| {
    let release = release();
    let root = fresh_dir("registry");
    let downloads = root.join("dl");
    std::fs::create_dir_all(&downloads).unwrap();
    for entry in std::fs::read_dir(&release.dist).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), downloads.join(entry.file_name())).unwrap();
    }
    let server = Server::start(&root);
    write_registry(&root, &server.url, &release.public_key, &release.key_id);
    let work = Work::new(version, "registry", &registry_config(&server.url));
    let output = work.init();
    assert!(
        output.contains(&format!("key ID {}", release.key_id)),
        "Terraform did not report the signing key:\n{output}"
    );
    // Signed: Terraform locks the h1 of the installed package and the zh of
    // every file SHA256SUMS lists.
    let mut hashes = work.locked_hashes();
    hashes.sort();
    let manifest = std::fs::read(release.file(&release::manifest_name(&release.version))).unwrap();
    let mut expected = vec![
        zip_facts(&release.file(&release.zip_name()))["h1"]
            .as_str()
            .unwrap()
            .to_string(),
        format!("zh:{}", sha256_hex(&release.zip())),
        format!("zh:{}", sha256_hex(&manifest)),
    ];
    expected.sort();
    assert_eq!(hashes, expected);
    work.assert_provider_runs();

    // A signature that is not over this SHA256SUMS is refused.
    let signer = Signer::from_armored(&release.secret_key, PASSPHRASE).unwrap();
    std::fs::write(
        downloads.join(release::signature_name(&release.version)),
        signer.sign(b"some other checksums\n").unwrap(),
    )
    .unwrap();
    let forged = Work::new(
        version,
        "registry-bad-signature",
        &registry_config(&server.url),
    );
    let output = forged.init_fails();
    assert!(
        flat(&output).contains("error checking signature: openpgp: invalid signature"),
        "{output}"
    );
});

// ------------------------------------------------------- release workflow

const WORKFLOW: &str = "examples/release/github-actions/release.yml";

#[test]
fn release_workflow_passes_the_schema_and_zizmor_with_no_findings() {
    let venv_bin = repo_root().join(".tools/venv/bin");
    let schema = Command::new(venv_bin.join("check-jsonschema"))
        .args(["--builtin-schema", "vendor.github-workflows"])
        .arg(repo_root().join(WORKFLOW))
        .output()
        .expect("check-jsonschema runs (bash scripts/setup.sh)");
    assert!(
        schema.status.success(),
        "{}{}",
        String::from_utf8_lossy(&schema.stdout),
        String::from_utf8_lossy(&schema.stderr)
    );
    let zizmor = Command::new(venv_bin.join("zizmor"))
        .args(["--offline", "--persona=pedantic", "--no-progress"])
        .arg(repo_root().join(WORKFLOW))
        .env_remove("GH_TOKEN")
        .env_remove("GITHUB_TOKEN")
        .output()
        .expect("zizmor runs (bash scripts/setup.sh)");
    let stdout = String::from_utf8_lossy(&zizmor.stdout);
    assert!(
        zizmor.status.success() && stdout.contains("No findings to report"),
        "{stdout}{}",
        String::from_utf8_lossy(&zizmor.stderr)
    );
}

#[test]
fn release_workflow_builds_four_platforms_signs_and_publishes_with_pinned_actions() {
    let text = std::fs::read_to_string(repo_root().join(WORKFLOW)).unwrap();
    // Every action by full commit SHA, with the tag it stands for.
    let uses: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().trim_start_matches("- ").strip_prefix("uses: "))
        .collect();
    assert!(uses.len() >= 4, "{uses:?}");
    for line in &uses {
        let (reference, comment) = line.split_once(" # ").unwrap_or((line, ""));
        let sha = reference
            .split_once('@')
            .map(|(_, r)| r)
            .unwrap_or_default();
        assert!(
            sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit()),
            "`{line}` is not pinned by commit SHA"
        );
        assert!(
            comment.starts_with('v'),
            "`{line}` lacks its tag in a comment"
        );
    }
    let checkouts = text.matches("actions/checkout@").count();
    assert_eq!(
        text.matches("persist-credentials: false").count(),
        checkouts
    );

    let workflow: Value = {
        const TO_JSON: &str = "import json, sys, yaml\nd = yaml.safe_load(open(sys.argv[1]))\nd['on'] = d.pop(True)\nprint(json.dumps(d))";
        let output = Command::new(venv_python())
            .args(["-c", TO_JSON])
            .arg(repo_root().join(WORKFLOW))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).unwrap()
    };
    assert_eq!(
        workflow["on"],
        json!({"push": {"tags": ["v[0-9]+.[0-9]+.[0-9]+*"]}})
    );
    assert_eq!(workflow["permissions"], json!({}));
    let build = &workflow["jobs"]["build"];
    assert_eq!(build["permissions"], json!({"contents": "read"}));
    let mut platforms: Vec<(String, String)> = build["strategy"]["matrix"]["include"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["platform"].as_str().unwrap().to_string(),
                e["target"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    platforms.sort();
    assert_eq!(
        platforms,
        [
            ("darwin_amd64".into(), "x86_64-apple-darwin".into()),
            ("darwin_arm64".into(), "aarch64-apple-darwin".into()),
            ("linux_amd64".into(), "x86_64-unknown-linux-gnu".into()),
            ("linux_arm64".into(), "aarch64-unknown-linux-gnu".into()),
        ]
    );
    let runs = |job: &Value| -> String {
        job["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|s| s["run"].as_str())
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(runs(build).contains("scripts/release.sh --build-only --target \"$TARGET\""));
    let publish = &workflow["jobs"]["release"];
    assert_eq!(publish["needs"], "build");
    assert_eq!(publish["permissions"], json!({"contents": "write"}));
    let steps = runs(publish);
    assert!(
        steps.contains("scripts/release.sh --binaries release-binaries"),
        "{steps}"
    );
    assert!(steps.contains("_SHA256SUMS.sig"), "{steps}");
    assert!(steps.contains("gh release create"), "{steps}");
    // The key reaches only the packaging step, and no job has a cache.
    assert_eq!(text.matches("secrets.JIT_RELEASE_GPG_KEY").count(), 1);
    assert!(!text.contains("actions/cache") && !text.contains("cache:"));
}
