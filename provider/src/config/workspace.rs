//! Which run this provider process serves: the Terraform working directory
//! and workspace, as a short hash, and when the process started.
//!
//! Terraform starts its providers in the root module's directory (after
//! `-chdir`) and tells them nothing about the state they write to. The
//! directory and the selected workspace are the closest stand-in: a lease
//! or block records this hash, so a later run of the same configuration
//! can tell its own interrupted work from an identical grant or block of
//! another working directory or workspace (which it must never take over).

use std::path::Path;
use std::sync::OnceLock;

use time::OffsetDateTime;

use crate::policy::lease::fnv1a64;

/// The selected workspace when neither `TF_WORKSPACE` nor the data
/// directory names one.
const DEFAULT_WORKSPACE: &str = "default";

/// The hash (16 hex digits) of a working directory and workspace name.
pub fn workspace_id_of(dir: &Path, workspace: &str) -> String {
    let text = format!("{}\n{}", dir.display(), workspace.trim());
    format!("{:016x}", fnv1a64(text.as_bytes()))
}

/// The workspace Terraform selected for `dir`: `TF_WORKSPACE`, else the
/// `environment` file of the data directory (`TF_DATA_DIR`, default
/// `.terraform`), else `default`.
fn selected_workspace(dir: &Path) -> String {
    let set = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    if let Some(workspace) = set("TF_WORKSPACE") {
        return workspace;
    }
    let data_dir = set("TF_DATA_DIR").unwrap_or_else(|| ".terraform".to_string());
    std::fs::read_to_string(dir.join(data_dir).join("environment"))
        .ok()
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_WORKSPACE.to_string())
}

/// This process's working directory and workspace, hashed once; empty when
/// the working directory cannot be read (nothing is then taken over as
/// this workspace's).
pub fn workspace_id() -> &'static str {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| match std::env::current_dir() {
        Ok(dir) => workspace_id_of(&dir, &selected_workspace(&dir)),
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
    fn directory_and_workspace_both_count() {
        let here = workspace_id_of(Path::new("/ci/access"), "default");
        assert_eq!(here.len(), 16);
        assert_eq!(here, workspace_id_of(Path::new("/ci/access"), "default\n"));
        assert_ne!(here, workspace_id_of(Path::new("/ci/access2"), "default"));
        assert_ne!(here, workspace_id_of(Path::new("/ci/access"), "staging"));
    }

    #[test]
    fn the_data_directory_names_the_workspace() {
        let dir = std::env::temp_dir().join(format!("jit-ws-{}", std::process::id()));
        std::fs::create_dir_all(dir.join(".terraform")).unwrap();
        if std::env::var_os("TF_WORKSPACE").is_none() && std::env::var_os("TF_DATA_DIR").is_none() {
            assert_eq!(selected_workspace(&dir), "default");
            std::fs::write(dir.join(".terraform/environment"), "staging").unwrap();
            assert_eq!(selected_workspace(&dir), "staging");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}
