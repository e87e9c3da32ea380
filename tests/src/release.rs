//! Release artifacts in the layout the Terraform Registry (and Terraform's
//! `direct`, `network_mirror` and `filesystem_mirror` installation) expects:
//!
//! | file | content |
//! | --- | --- |
//! | `terraform-provider-jit_VERSION_OS_ARCH.zip` | one file, `terraform-provider-jit_vVERSION`, mode 0755 |
//! | `terraform-provider-jit_VERSION_manifest.json` | [`MANIFEST`] (plugin protocol 6) |
//! | `terraform-provider-jit_VERSION_SHA256SUMS` | `sha256  name` of every zip and the manifest |
//! | `terraform-provider-jit_VERSION_SHA256SUMS.sig` | binary detached OpenPGP signature (RSA key) |
//!
//! Zips are reproducible: the same binary always gives the same bytes (fixed
//! timestamp, fixed attributes, deflate from the pure-Rust zlib-rs at a fixed
//! level). `scripts/release.sh` builds the binary and runs the `release`
//! binary of this crate, which calls [`package`].

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Crc};
use pgp::composed::{Deserializable, DetachedSignature, SignedSecretKey};
use pgp::crypto::hash::HashAlgorithm;
use pgp::crypto::public_key::PublicKeyAlgorithm;
use pgp::ser::Serialize;
use pgp::types::{KeyDetails, Password};
use sha2::{Digest, Sha256};

/// The provider's type name; files are `terraform-provider-<type>_…`.
pub const PROVIDER: &str = "terraform-provider-jit";

/// The manifest the Registry reads: this provider speaks plugin protocol 6
/// only (tf-provider serves tfplugin6), so Terraform < 1.0 never offers it.
pub const MANIFEST: &str = r#"{"version":1,"metadata":{"protocol_versions":["6.0"]}}"#;

/// Environment variable holding the armored OpenPGP private key.
pub const KEY_ENV: &str = "JIT_RELEASE_GPG_KEY";

/// Environment variable holding the key's passphrase (empty when unset).
pub const PASSPHRASE_ENV: &str = "JIT_RELEASE_GPG_PASSPHRASE";

/// Modification time stored for every zip entry: 1980-01-01 00:00:00, the
/// earliest time the zip format can express (DOS date 0x0021, time 0).
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;

/// `st_mode` stored for the binary: a regular file, rwxr-xr-x. Without the
/// exec bits Terraform installs a provider it cannot start.
pub const BINARY_MODE: u32 = 0o100_755;

/// Deflate level: fixed, so the same binary always compresses to the same bytes.
const LEVEL: u32 = 9;

/// Something that stops a release.
#[derive(Debug)]
pub enum Error {
    /// A version that is not `MAJOR.MINOR.PATCH[-PRERELEASE]`.
    Version(String),
    /// A platform that is not `os_arch` with a known OS and architecture.
    Platform(String),
    /// The same platform given twice.
    DuplicatePlatform(String),
    /// No binary to package.
    NoBinaries,
    /// A file that could not be read or written.
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
    /// A binary too large for a zip without Zip64 (4 GiB).
    TooLarge(PathBuf),
    /// The signing key could not be used.
    Key(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Version(v) => write!(
                f,
                "`{v}` is not a release version; use MAJOR.MINOR.PATCH (e.g. `0.1.0`), optionally with a pre-release suffix (`0.2.0-rc.1`), without a leading `v`"
            ),
            Self::Platform(p) => write!(
                f,
                "`{p}` is not a platform; use `os_arch` with os one of {} and arch one of {}",
                OSES.join(", "),
                ARCHES.join(", ")
            ),
            Self::DuplicatePlatform(p) => write!(f, "platform `{p}` is given twice"),
            Self::NoBinaries => write!(f, "no binary to package; give at least one --binary"),
            Self::Io { path, source } => write!(f, "`{}`: {source}", path.display()),
            Self::TooLarge(path) => write!(
                f,
                "`{}` is 4 GiB or larger; the zip writer does not do Zip64",
                path.display()
            ),
            Self::Key(message) => write!(f, "{KEY_ENV}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Operating systems Terraform runs on that Rust can target.
const OSES: [&str; 4] = ["darwin", "freebsd", "linux", "windows"];
/// Architectures, in Terraform's (Go's) names.
const ARCHES: [&str; 4] = ["386", "amd64", "arm", "arm64"];

/// A Terraform platform such as `linux_amd64`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Platform {
    /// `linux`, `darwin`, ...
    pub os: String,
    /// `amd64`, `arm64`, ...
    pub arch: String,
}

impl Platform {
    /// Parses `os_arch`.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let (os, arch) = text
            .split_once('_')
            .ok_or_else(|| Error::Platform(text.into()))?;
        if !OSES.contains(&os) || !ARCHES.contains(&arch) {
            return Err(Error::Platform(text.into()));
        }
        Ok(Self {
            os: os.into(),
            arch: arch.into(),
        })
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}_{}", self.os, self.arch)
    }
}

/// Checks `MAJOR.MINOR.PATCH[-PRERELEASE]` (what the Registry and version
/// constraints accept; no `v`, no build metadata).
pub fn check_version(version: &str) -> Result<(), Error> {
    let bad = || Error::Version(version.into());
    let (core, pre) = match version.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (version, None),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    let numeric = |part: &&str| {
        !part.is_empty()
            && part.bytes().all(|b| b.is_ascii_digit())
            && (part.len() == 1 || !part.starts_with('0'))
    };
    if numbers.len() != 3 || !numbers.iter().all(numeric) {
        return Err(bad());
    }
    if let Some(pre) = pre {
        let ok = pre.split('.').all(|part| {
            !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
        if !ok {
            return Err(bad());
        }
    }
    Ok(())
}

/// `terraform-provider-jit_vVERSION`, the file inside every zip.
pub fn binary_name(version: &str) -> String {
    format!("{PROVIDER}_v{version}")
}

/// `terraform-provider-jit_VERSION_OS_ARCH.zip`.
pub fn zip_name(version: &str, platform: &Platform) -> String {
    format!("{PROVIDER}_{version}_{platform}.zip")
}

/// `terraform-provider-jit_VERSION_manifest.json`.
pub fn manifest_name(version: &str) -> String {
    format!("{PROVIDER}_{version}_manifest.json")
}

/// `terraform-provider-jit_VERSION_SHA256SUMS`.
pub fn sums_name(version: &str) -> String {
    format!("{PROVIDER}_{version}_SHA256SUMS")
}

/// `terraform-provider-jit_VERSION_SHA256SUMS.sig`.
pub fn signature_name(version: &str) -> String {
    format!("{}.sig", sums_name(version))
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zip archive holding one file, `name`, with `mode` (`st_mode`, e.g.
/// [`BINARY_MODE`]), deflated, with a fixed timestamp and no extra fields:
/// the same input always gives the same bytes.
pub fn zip_one(name: &str, data: &[u8], mode: u32) -> std::io::Result<Vec<u8>> {
    let too_large = || std::io::Error::other("4 GiB or larger (no Zip64)");
    let size = u32::try_from(data.len()).map_err(|_| too_large())?;
    let name_len = u16::try_from(name.len()).map_err(|_| too_large())?;
    let mut crc = Crc::new();
    crc.update(data);
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(LEVEL));
    encoder.write_all(data)?;
    let compressed = encoder.finish()?;
    let compressed_size = u32::try_from(compressed.len()).map_err(|_| too_large())?;

    // Fields shared by the local header and the central directory entry:
    // version needed 2.0, no flags, deflate, time, date, CRC, sizes, name length.
    let mut common = Vec::new();
    common.extend_from_slice(&20u16.to_le_bytes());
    common.extend_from_slice(&0u16.to_le_bytes());
    common.extend_from_slice(&8u16.to_le_bytes());
    common.extend_from_slice(&DOS_TIME.to_le_bytes());
    common.extend_from_slice(&DOS_DATE.to_le_bytes());
    common.extend_from_slice(&crc.sum().to_le_bytes());
    common.extend_from_slice(&compressed_size.to_le_bytes());
    common.extend_from_slice(&size.to_le_bytes());
    common.extend_from_slice(&name_len.to_le_bytes());

    let mut out = Vec::with_capacity(compressed.len() + 2 * name.len() + 128);
    out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
    out.extend_from_slice(&common);
    out.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&compressed);

    let directory_offset = u32::try_from(out.len()).map_err(|_| too_large())?;
    let mut directory = Vec::new();
    directory.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
    // Made by: Unix (3), spec 2.0; only then do readers take the mode from
    // the high 16 bits of the external attributes.
    directory.extend_from_slice(&((3u16 << 8) | 20).to_le_bytes());
    directory.extend_from_slice(&common);
    directory.extend_from_slice(&0u16.to_le_bytes()); // extra field length
    directory.extend_from_slice(&0u16.to_le_bytes()); // comment length
    directory.extend_from_slice(&0u16.to_le_bytes()); // disk number
    directory.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
    directory.extend_from_slice(&(mode << 16).to_le_bytes());
    directory.extend_from_slice(&0u32.to_le_bytes()); // local header offset
    directory.extend_from_slice(name.as_bytes());
    let directory_size = u32::try_from(directory.len()).map_err(|_| too_large())?;
    out.extend_from_slice(&directory);

    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // this disk
    out.extend_from_slice(&0u16.to_le_bytes()); // disk of the directory
    out.extend_from_slice(&1u16.to_le_bytes()); // entries on this disk
    out.extend_from_slice(&1u16.to_le_bytes()); // entries in total
    out.extend_from_slice(&directory_size.to_le_bytes());
    out.extend_from_slice(&directory_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes()); // comment length
    Ok(out)
}

/// The `SHA256SUMS` text: `<sha256>  <name>` per file, sorted by name.
pub fn sha256sums(files: &[(String, Vec<u8>)]) -> String {
    let mut lines: Vec<(String, String)> = files
        .iter()
        .map(|(name, data)| (name.clone(), sha256_hex(data)))
        .collect();
    lines.sort();
    lines
        .into_iter()
        .map(|(name, hash)| format!("{hash}  {name}\n"))
        .collect()
}

/// An RSA OpenPGP key that signs `SHA256SUMS`.
pub struct Signer {
    key: SignedSecretKey,
    passphrase: Password,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signer({})", self.fingerprint())
    }
}

impl Signer {
    /// Reads an armored private key (`gpg --armor --export-secret-keys`).
    /// The Terraform Registry accepts RSA keys (and DSA, which nobody should
    /// make today), so anything else is refused before it is used.
    pub fn from_armored(armored: &str, passphrase: &str) -> Result<Self, Error> {
        let (key, _) = SignedSecretKey::from_string(armored).map_err(|e| {
            Error::Key(format!(
                "not an armored OpenPGP private key (`gpg --armor --export-secret-keys KEYID`): {e}"
            ))
        })?;
        let algorithm = key.primary_key.algorithm();
        if !matches!(
            algorithm,
            PublicKeyAlgorithm::RSA | PublicKeyAlgorithm::RSASign
        ) {
            return Err(Error::Key(format!(
                "the primary key is {algorithm:?}; the Terraform Registry accepts RSA keys, so sign with an RSA key"
            )));
        }
        let signer = Self {
            key,
            passphrase: Password::from(passphrase),
        };
        // Fail now, not after the zips are written, when the passphrase is wrong.
        signer.sign(b"probe")?;
        Ok(signer)
    }

    /// Upper-case hex fingerprint of the signing key.
    pub fn fingerprint(&self) -> String {
        format!("{:X}", self.key.primary_key.fingerprint())
    }

    /// A binary detached signature (SHA-256) of `data`.
    pub fn sign(&self, data: &[u8]) -> Result<Vec<u8>, Error> {
        let signature = DetachedSignature::sign_binary_data(
            rand::rngs::OsRng,
            &self.key.primary_key,
            &self.passphrase,
            HashAlgorithm::Sha256,
            data,
        )
        .map_err(|e| Error::Key(format!("cannot sign (wrong {PASSPHRASE_ENV}?): {e}")))?;
        signature
            .to_bytes()
            .map_err(|e| Error::Key(format!("cannot encode the signature: {e}")))
    }
}

/// What to package.
#[derive(Debug)]
pub struct Request<'a> {
    /// The release version (`0.1.0`).
    pub version: &'a str,
    /// One binary per platform.
    pub binaries: Vec<(Platform, PathBuf)>,
    /// Output directory (created when missing).
    pub out: &'a Path,
    /// Signs `SHA256SUMS` when present.
    pub signer: Option<&'a Signer>,
}

/// Writes the zips, the manifest, `SHA256SUMS` and (with a signer) its
/// signature into `out`, after removing the files a previous run wrote for
/// the same version. Returns the paths written, sorted.
pub fn package(request: &Request<'_>) -> Result<Vec<PathBuf>, Error> {
    check_version(request.version)?;
    if request.binaries.is_empty() {
        return Err(Error::NoBinaries);
    }
    let mut platforms: Vec<&Platform> = request.binaries.iter().map(|(p, _)| p).collect();
    platforms.sort();
    if let Some(pair) = platforms.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::DuplicatePlatform(pair[0].to_string()));
    }
    let version = request.version;
    let out = request.out;
    std::fs::create_dir_all(out).map_err(io(out))?;
    remove_previous(out, version)?;

    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (platform, binary) in &request.binaries {
        let data = std::fs::read(binary).map_err(io(binary))?;
        let zip = zip_one(&binary_name(version), &data, BINARY_MODE)
            .map_err(|_| Error::TooLarge(binary.clone()))?;
        files.push((zip_name(version, platform), zip));
    }
    files.push((manifest_name(version), MANIFEST.as_bytes().to_vec()));
    let sums = sha256sums(&files);
    files.push((sums_name(version), sums.clone().into_bytes()));
    if let Some(signer) = request.signer {
        files.push((signature_name(version), signer.sign(sums.as_bytes())?));
    }

    let mut written = Vec::new();
    for (name, data) in files {
        let path = out.join(name);
        std::fs::write(&path, data).map_err(io(&path))?;
        written.push(path);
    }
    written.sort();
    Ok(written)
}

/// Removes `terraform-provider-jit_VERSION_*` files of an earlier run, so a
/// stale zip of a platform not built this time never ends up beside the
/// new `SHA256SUMS`.
fn remove_previous(out: &Path, version: &str) -> Result<(), Error> {
    let prefix = format!("{PROVIDER}_{version}_");
    for entry in std::fs::read_dir(out).map_err(io(out))? {
        let entry = entry.map_err(io(out))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with(&prefix) && entry.path().is_file() {
            let path = entry.path();
            std::fs::remove_file(&path).map_err(io(&path))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for good in ["0.1.0", "1.20.3", "0.2.0-rc.1", "1.0.0-beta-2"] {
            check_version(good).unwrap();
        }
        for bad in [
            "v0.1.0",
            "0.1",
            "0.1.0.0",
            "01.1.0",
            "0.1.0+build",
            "0.1.0-",
            "0.1.0-a..b",
            "",
            "a.b.c",
        ] {
            assert!(check_version(bad).is_err(), "{bad}");
        }
        assert!(Error::Version("v1".into())
            .to_string()
            .contains("without a leading `v`"));
    }

    #[test]
    fn platforms_and_names() {
        let platform = Platform::parse("linux_amd64").unwrap();
        assert_eq!(
            zip_name("0.1.0", &platform),
            "terraform-provider-jit_0.1.0_linux_amd64.zip"
        );
        assert_eq!(binary_name("0.1.0"), "terraform-provider-jit_v0.1.0");
        assert_eq!(
            signature_name("0.1.0"),
            "terraform-provider-jit_0.1.0_SHA256SUMS.sig"
        );
        for bad in ["linux", "linux-amd64", "linux_x86_64", "macos_arm64"] {
            assert!(Platform::parse(bad).is_err(), "{bad}");
        }
    }

    /// Reads the single entry back by hand: header fields, mode, timestamp,
    /// and the deflated data.
    #[test]
    fn a_zip_holds_one_executable_file_with_a_fixed_timestamp() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let zip = zip_one("terraform-provider-jit_v0.1.0", &data, BINARY_MODE).unwrap();
        assert_eq!(
            zip,
            zip_one("terraform-provider-jit_v0.1.0", &data, BINARY_MODE).unwrap()
        );
        let u16_at = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]);
        let u32_at = |at: usize| u32::from_le_bytes(zip[at..at + 4].try_into().unwrap());
        // End of central directory: one entry.
        let end = zip.len() - 22;
        assert_eq!(u32_at(end), 0x0605_4b50);
        assert_eq!(u16_at(end + 10), 1);
        let directory = u32_at(end + 16) as usize;
        assert_eq!(u32_at(directory), 0x0201_4b50);
        assert_eq!(u16_at(directory + 4) >> 8, 3, "made by Unix");
        assert_eq!(u16_at(directory + 12), DOS_TIME);
        assert_eq!(u16_at(directory + 14), DOS_DATE);
        assert_eq!(u32_at(directory + 38) >> 16, 0o100_755);
        let name_len = u16_at(directory + 28) as usize;
        assert_eq!(
            &zip[directory + 46..directory + 46 + name_len],
            b"terraform-provider-jit_v0.1.0"
        );
        // Local header, then the deflated data.
        assert_eq!(u32_at(0), 0x0403_4b50);
        let compressed_size = u32_at(18) as usize;
        let start = 30 + name_len;
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::DeflateDecoder::new(&zip[start..start + compressed_size]),
            &mut inflated,
        )
        .unwrap();
        assert_eq!(inflated, data);
        let mut crc = Crc::new();
        crc.update(&data);
        assert_eq!(u32_at(14), crc.sum());
    }

    #[test]
    fn sums_are_sorted_with_two_spaces() {
        let sums = sha256sums(&[("b".into(), b"x".to_vec()), ("a".into(), Vec::new())]);
        assert_eq!(
            sums,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n\
             2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  b\n"
        );
    }

    #[test]
    fn packaging_replaces_an_earlier_run_and_refuses_bad_requests() {
        let dir = std::env::temp_dir().join(format!("release-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("bin");
        std::fs::write(&binary, b"\x7fELF not really").unwrap();
        let out = dir.join("dist");
        std::fs::create_dir_all(&out).unwrap();
        let stale = out.join("terraform-provider-jit_0.1.0_darwin_arm64.zip");
        let other_version = out.join("terraform-provider-jit_0.0.9_SHA256SUMS");
        std::fs::write(&stale, "old").unwrap();
        std::fs::write(&other_version, "keep").unwrap();
        let linux = Platform::parse("linux_amd64").unwrap();
        let written = package(&Request {
            version: "0.1.0",
            binaries: vec![(linux.clone(), binary.clone())],
            out: &out,
            signer: None,
        })
        .unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "terraform-provider-jit_0.1.0_SHA256SUMS",
                "terraform-provider-jit_0.1.0_linux_amd64.zip",
                "terraform-provider-jit_0.1.0_manifest.json",
            ]
        );
        assert!(!stale.exists());
        assert!(other_version.exists());
        let sums =
            std::fs::read_to_string(out.join("terraform-provider-jit_0.1.0_SHA256SUMS")).unwrap();
        assert_eq!(sums.lines().count(), 2, "{sums}");
        assert_eq!(
            std::fs::read_to_string(out.join("terraform-provider-jit_0.1.0_manifest.json"))
                .unwrap(),
            MANIFEST
        );

        let duplicate = package(&Request {
            version: "0.1.0",
            binaries: vec![(linux.clone(), binary.clone()), (linux, binary)],
            out: &out,
            signer: None,
        });
        assert!(matches!(duplicate, Err(Error::DuplicatePlatform(p)) if p == "linux_amd64"));
        let none = package(&Request {
            version: "0.1.0",
            binaries: Vec::new(),
            out: &out,
            signer: None,
        });
        assert!(matches!(none, Err(Error::NoBinaries)));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn keys_that_are_not_rsa_or_not_keys_are_refused() {
        let not_a_key = Signer::from_armored("hello", "").unwrap_err().to_string();
        assert!(
            not_a_key.contains("not an armored OpenPGP private key"),
            "{not_a_key}"
        );
        let mut params = pgp::composed::SecretKeyParamsBuilder::default();
        params
            .key_type(pgp::composed::KeyType::Ed25519Legacy)
            .can_certify(true)
            .can_sign(true)
            .primary_user_id("Test <test@example.com>".into());
        let key = params.build().unwrap().generate(rand::rngs::OsRng).unwrap();
        let armored = key.to_armored_string(Default::default()).unwrap();
        let refused = Signer::from_armored(&armored, "").unwrap_err().to_string();
        assert!(refused.contains("accepts RSA keys"), "{refused}");
    }
}
