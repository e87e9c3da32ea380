//! Which state this provider process serves, as a short hash of what
//! names it, and when the process started.
//!
//! Terraform starts its providers in the root module's directory (after
//! `-chdir`) and tells them nothing about the state they write to. The
//! directory, the backend the data directory was initialised with (a
//! partial `-backend-config` per environment gives one directory several
//! states) and the selected workspace are the closest stand-in: a lease or
//! block records this hash, so a later run of the same configuration can
//! tell its own interrupted work from an identical grant or block of
//! another state (which it must never take over). The legacy `-state` flag
//! is not seen.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use time::OffsetDateTime;

use crate::policy::lease::fnv1a64;

/// The selected workspace when neither `TF_WORKSPACE` nor the data
/// directory names one.
const DEFAULT_WORKSPACE: &str = "default";

/// The hash (16 hex digits) of a working directory, its backend (as
/// [`backend_of`] reads it) and workspace name.
pub fn workspace_id_of(dir: &Path, backend: &str, workspace: &str) -> String {
    let text = format!("{}\n{backend}\n{}", dir.display(), workspace.trim());
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

fn env_set(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// The data directory of `dir`: `TF_DATA_DIR`, default `.terraform`.
fn data_dir(dir: &Path) -> PathBuf {
    dir.join(env_set("TF_DATA_DIR").unwrap_or_else(|| ".terraform".to_string()))
}

/// The workspace Terraform selected for `dir`: `TF_WORKSPACE`, else the
/// `environment` file of the data directory, else `default`.
fn selected_workspace(dir: &Path) -> String {
    if let Some(workspace) = env_set("TF_WORKSPACE") {
        return workspace;
    }
    std::fs::read_to_string(data_dir(dir).join("environment"))
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string())
}

/// The backend `init` recorded in the data directory of `dir` (its type
/// and configuration, as JSON text); empty for the implicit local backend.
fn backend_of(dir: &Path) -> String {
    std::fs::read_to_string(data_dir(dir).join("terraform.tfstate"))
        .ok()
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .map(|file| {
            let backend = &file["backend"];
            format!("{}\n{}", backend["type"], backend["config"])
        })
        .unwrap_or_default()
}

/// This process's working directory, backend and workspace, hashed once
/// ([`workspace_id_of`]); empty when
/// the working directory cannot be read (nothing is then taken over as
/// this workspace's).
pub fn workspace_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| match std::env::current_dir() {
        Ok(dir) => workspace_id_of(&dir, &backend_of(&dir), &selected_workspace(&dir)),
        Err(_) => String::new(),
    })
}

/// When this provider process started serving: what it finds written
/// before then is an earlier run's, not a sibling process's of this run.
/// `plugin::run` reads it first thing.
pub fn started_at() -> OffsetDateTime {
    static STARTED: OnceLock<OffsetDateTime> = OnceLock::new();
    *STARTED.get_or_init(OffsetDateTime::now_utc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_backend_and_workspace_all_count() {
        let dir = Path::new("/ci/access");
        let here = workspace_id_of(dir, "", "default");
        assert_eq!(here.len(), 16);
        assert_eq!(here, workspace_id_of(dir, "", "default\n"));
        assert_ne!(
            here,
            workspace_id_of(Path::new("/ci/access2"), "", "default")
        );
        assert_ne!(here, workspace_id_of(dir, "", "staging"));
        assert_ne!(
            here,
            workspace_id_of(dir, "\"local\"\n{\"path\":\"a\"}", "default")
        );
    }

    #[test]
    fn the_data_directory_names_the_workspace_and_backend() {
        let dir = std::env::temp_dir().join(format!("jit-ws-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".terraform")).unwrap();
        if std::env::var_os("TF_WORKSPACE").is_none() && std::env::var_os("TF_DATA_DIR").is_none() {
            assert_eq!(selected_workspace(&dir), "default");
            std::fs::write(dir.join(".terraform/environment"), "staging").unwrap();
            assert_eq!(selected_workspace(&dir), "staging");
            assert_eq!(backend_of(&dir), "");
            let state = |path: &str| {
                let text = format!(
                    r#"{{"version":3,"backend":{{"type":"local","config":{{"path":"{path}"}},"hash":1}}}}"#
                );
                std::fs::write(dir.join(".terraform/terraform.tfstate"), text).unwrap();
                backend_of(&dir)
            };
            assert_ne!(state("a.tfstate"), state("b.tfstate"));
            assert!(state("a.tfstate").contains("a.tfstate"));
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
