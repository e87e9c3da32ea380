//! The CI context every audit event records: the change applied, the commit
//! and the CI run, from the environment the workflow sets.

use crate::config::CHANGE_REF_ENV;

/// Env var with the commit applied.
pub const COMMIT_SHA_ENV: &str = "JIT_COMMIT_SHA";
/// Env var with the URL of the CI run.
pub const CI_RUN_ENV: &str = "JIT_CI_RUN";

/// Change, commit and run of the apply; empty strings when unknown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CiContext {
    /// `JIT_CHANGE_REF`.
    pub change_ref: String,
    /// `JIT_COMMIT_SHA`, else `GITHUB_SHA`.
    pub commit_sha: String,
    /// `JIT_CI_RUN`, else the GitHub Actions run URL.
    pub ci_run: String,
}

impl CiContext {
    /// From the process environment.
    pub fn from_process() -> Self {
        Self::from_env(|name| std::env::var(name).ok())
    }

    /// From an environment lookup; blank values count as unset.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Self {
        let var = |name: &str| {
            get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let github_run = || {
            let server = var("GITHUB_SERVER_URL")?;
            let repository = var("GITHUB_REPOSITORY")?;
            let run = var("GITHUB_RUN_ID")?;
            Some(format!(
                "{}/{repository}/actions/runs/{run}",
                server.trim_end_matches('/')
            ))
        };
        Self {
            change_ref: var(CHANGE_REF_ENV).unwrap_or_default(),
            commit_sha: var(COMMIT_SHA_ENV)
                .or_else(|| var("GITHUB_SHA"))
                .unwrap_or_default(),
            ci_run: var(CI_RUN_ENV).or_else(github_run).unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn explicit_values_win_over_github_defaults() {
        let github: &[(&str, &str)] = &[
            ("GITHUB_SHA", "abc"),
            ("GITHUB_SERVER_URL", "https://github.com/"),
            ("GITHUB_REPOSITORY", "acme/access"),
            ("GITHUB_RUN_ID", "42"),
        ];
        let ci = CiContext::from_env(env(github));
        assert_eq!(
            ci,
            CiContext {
                change_ref: String::new(),
                commit_sha: "abc".into(),
                ci_run: "https://github.com/acme/access/actions/runs/42".into(),
            }
        );
        let explicit = CiContext::from_env(env(&[
            ("JIT_CHANGE_REF", "acme/access#7"),
            ("JIT_COMMIT_SHA", "def"),
            ("JIT_CI_RUN", "https://ci.example.com/run/1"),
            ("GITHUB_SHA", "abc"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/access"),
            ("GITHUB_RUN_ID", "42"),
        ]));
        assert_eq!(explicit.change_ref, "acme/access#7");
        assert_eq!(explicit.commit_sha, "def");
        assert_eq!(explicit.ci_run, "https://ci.example.com/run/1");
    }

    #[test]
    fn partial_github_run_and_blank_values_are_unset() {
        let ci = CiContext::from_env(env(&[
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_RUN_ID", "42"),
            ("JIT_COMMIT_SHA", "  "),
            ("JIT_CHANGE_REF", ""),
        ]));
        assert_eq!(ci, CiContext::default());
    }
}
