//! hashicorp/aws for the checks of `examples/bootstrap`: the official
//! linux_amd64 release 5.100.0, in the filesystem mirror `scripts/setup.sh`
//! makes under `.tools/providers` (no registry this project reaches serves
//! it; set-up links a copy found on the machine after a sha256 check).
//! Every `init` that needs it gets a lock file with the release's `h1` hash,
//! so Terraform refuses any other build.

use std::path::{Path, PathBuf};

use crate::tools::{tools, PROVIDER_HOST, PROVIDER_NAMESPACE, PROVIDER_TYPE};

/// Address of the provider.
pub const AWS_PROVIDER: &str = "registry.terraform.io/hashicorp/aws";

/// The pinned version (the one `scripts/setup.sh` links).
pub const AWS_PROVIDER_VERSION: &str = "5.100.0";

/// Terraform's `h1` hash of the official linux_amd64 package of 5.100.0
/// (the hash public lock files record for it).
pub const AWS_PROVIDER_H1: &str = "h1:edXOJWE4ORX8Fm+dpVpICzMZJat4AX0VRCAy/xkcOc0=";

/// The mirror `scripts/setup.sh` fills, or why it cannot be used.
pub fn aws_provider_mirror() -> Result<PathBuf, String> {
    let mirror = tools().repo.join(".tools/providers");
    let binary = mirror
        .join(AWS_PROVIDER)
        .join(AWS_PROVIDER_VERSION)
        .join("linux_amd64")
        .join(format!("terraform-provider-aws_v{AWS_PROVIDER_VERSION}_x5"));
    if binary.is_file() {
        Ok(mirror)
    } else {
        Err(format!(
            "hashicorp/aws {AWS_PROVIDER_VERSION} is not in {}: no registry this project \
             reaches serves it, so `scripts/setup.sh` links it from JIT_AWS_PROVIDER_DIR \
             (default: the machine image's /opt/tf-plugins); provide a copy of the official \
             linux_amd64 release there and rerun set-up",
            mirror.display()
        ))
    }
}

/// Whether a configuration's files require hashicorp/aws.
pub fn needs_aws_provider(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "tf"))
        .any(|path| {
            std::fs::read_to_string(path)
                .unwrap_or_default()
                .contains("\"hashicorp/aws\"")
        })
}

/// A CLI configuration installing this provider from the test mirror and
/// hashicorp/aws from `aws_mirror`; nothing comes from a network.
pub fn cli_config(aws_mirror: &Path) -> String {
    let jit = format!("{PROVIDER_HOST}/{PROVIDER_NAMESPACE}/{PROVIDER_TYPE}");
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{jit}\"]\n  }}\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"{AWS_PROVIDER}\"]\n  }}\n  direct {{\n    exclude = [\"{jit}\", \"{AWS_PROVIDER}\"]\n  }}\n}}\n",
        tools().mirror.display(),
        aws_mirror.display()
    )
}

/// A lock file pinning hashicorp/aws to the release's hash (`init` adds
/// this provider's own entry).
pub fn lock_file() -> String {
    format!(
        "provider \"{AWS_PROVIDER}\" {{\n  version = \"{AWS_PROVIDER_VERSION}\"\n  hashes = [\n    \"{AWS_PROVIDER_H1}\",\n  ]\n}}\n"
    )
}
