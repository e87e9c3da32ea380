//! The library's error type and its translation into Terraform diagnostics.
//!
//! Every user-facing failure ends up as a diagnostic with a short summary, a
//! detail that says what to do, and the attribute path it is about.

use tf_provider::{AttributePath, Diagnostics};

/// Everything that can go wrong in a resource, data source or configuration.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad input: reported on `path` with a hint saying how to fix it.
    #[error("{summary}")]
    Invalid {
        /// The attribute the problem is about.
        path: AttributePath,
        /// One-line summary.
        summary: String,
        /// What the user should do.
        hint: String,
    },
    /// An AWS call failed; `message` is AWS's own reason.
    #[error("AWS {service} {operation} failed: {message}")]
    Aws {
        /// Service name, e.g. `iam`.
        service: &'static str,
        /// Operation name, e.g. `CreateGroup`.
        operation: &'static str,
        /// AWS error code, when AWS sent one.
        code: Option<String>,
        /// AWS's message, or a description of the transport failure.
        message: String,
        /// Request id for AWS support, when known.
        request_id: Option<String>,
    },
    /// A lookup found nothing.
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// A bounded wait ran out.
    #[error("timed out waiting for {what} (last status: {last_status})")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The last status seen.
        last_status: String,
    },
    /// An operation stopped part-way: `detail` says what was and was not
    /// done, and what to do.
    #[error("{summary}: {detail}")]
    Incomplete {
        /// One-line summary.
        summary: String,
        /// What was done, what was not, and what to do.
        detail: String,
    },
    /// Another error, about one attribute.
    #[error("{source}")]
    WithPath {
        /// The attribute the error is about.
        path: AttributePath,
        /// The error.
        #[source]
        source: Box<Error>,
    },
    /// The audit event could not be written.
    #[error("audit log: {0}")]
    Audit(String),
    /// A resource was used before the provider was configured.
    #[error("provider not configured")]
    NotConfigured,
}

/// Error codes that mean "this object does not exist".
const NOT_FOUND_CODES: &[&str] = &[
    "NoSuchEntity",
    "ResourceNotFoundException",
    "UserNotFoundException",
    "NotFoundException",
    "NotFound",
];

/// Error codes of throttling.
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
];

/// True for AWS error codes meaning the object is gone.
pub fn is_not_found_code(code: &str) -> bool {
    NOT_FOUND_CODES.contains(&code)
}

/// True for AWS error codes meaning "slow down".
pub fn is_throttling_code(code: &str) -> bool {
    THROTTLING_CODES.contains(&code)
}

/// Convenience alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Bad input at `path`.
    pub fn invalid(
        path: AttributePath,
        summary: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self::Invalid {
            path,
            summary: summary.into(),
            hint: hint.into(),
        }
    }

    /// An operation that stopped part-way.
    pub fn incomplete(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Incomplete {
            summary: summary.into(),
            detail: detail.into(),
        }
    }

    /// This error, reported on `path`.
    pub fn at(self, path: AttributePath) -> Self {
        Self::WithPath {
            path,
            source: Box::new(self),
        }
    }

    /// True when AWS (or a lookup) said the object does not exist.
    pub fn is_not_found(&self) -> bool {
        match self {
            Self::NotFound { .. } => true,
            Self::WithPath { source, .. } => source.is_not_found(),
            Self::Aws { code, .. } => code.as_deref().is_some_and(is_not_found_code),
            _ => false,
        }
    }

    /// The AWS error code, when this is an AWS failure.
    pub fn aws_code(&self) -> Option<&str> {
        match self {
            Self::Aws { code, .. } => code.as_deref(),
            Self::WithPath { source, .. } => source.aws_code(),
            _ => None,
        }
    }

    /// Adds this error to `diags` as an error diagnostic.
    pub fn report(self, diags: &mut Diagnostics) {
        self.report_at(AttributePath::default(), diags);
    }

    /// Adds this error to `diags`; `path` is used when the error has none.
    pub fn report_at(self, path: AttributePath, diags: &mut Diagnostics) {
        let (summary, detail, path) = self.into_parts(path);
        diags.error(summary, detail, path);
    }

    /// Adds this error to `diags` as a warning (for steps that must not fail
    /// the operation, such as an audit write during a revoke).
    pub fn report_warning(self, summary: impl Into<String>, diags: &mut Diagnostics) {
        let (_, detail, path) = self.into_parts(AttributePath::default());
        diags.warning(summary.into(), detail, path);
    }

    /// Summary, detail and path of the diagnostic this error becomes.
    pub fn into_parts(self, fallback: AttributePath) -> (String, String, AttributePath) {
        match self {
            Self::Invalid {
                path,
                summary,
                hint,
            } => (summary, hint, path),
            Self::Aws {
                service,
                operation,
                code,
                message,
                request_id,
            } => {
                let mut detail = match &code {
                    Some(code) => format!("AWS said `{code}`: {message}"),
                    None => message,
                };
                if let Some(id) = request_id {
                    detail.push_str(&format!(" (request id `{id}`)"));
                }
                (
                    format!("AWS {service} {operation} failed"),
                    detail,
                    fallback,
                )
            }
            Self::NotFound { what } => (
                format!("{what} not found"),
                format!("Check that {what} exists in this account and region, or import it."),
                fallback,
            ),
            Self::Timeout { what, last_status } => (
                format!("Timed out waiting for {what}"),
                format!("The last status seen was `{last_status}`. Run the apply again; it resumes from what AWS reports."),
                fallback,
            ),
            Self::Incomplete { summary, detail } => (summary, detail, fallback),
            Self::WithPath { path, source } => {
                let (summary, detail, _) = source.into_parts(path.clone());
                (summary, detail, path)
            }
            Self::Audit(message) => (
                "Audit event could not be written".to_string(),
                format!("{message}. Fix the audit log path or SNS topic; nothing is granted without an audit record."),
                fallback,
            ),
            Self::NotConfigured => (
                "Provider not configured".to_string(),
                "The jit provider was not configured before this call; check the provider block for errors.".to_string(),
                fallback,
            ),
        }
    }
}

/// Reports every error; `Some(())` when there were none, so a caller can
/// write `report_all(errors, diags)?`.
pub fn report_all(errors: Vec<Error>, diags: &mut Diagnostics) -> Option<()> {
    if errors.is_empty() {
        return Some(());
    }
    for error in errors {
        error.report(diags);
    }
    None
}

/// Treats "already gone" as done: a delete succeeds when the object is
/// missing (AWS answers not-found; moto sometimes answers 200).
pub fn gone_ok(outcome: Result<(), Error>) -> Result<(), Error> {
    match outcome {
        Err(error) if error.is_not_found() => Ok(()),
        other => other,
    }
}

/// Builds attribute paths: `attr("cognito").index(0).attribute("username")`.
pub fn attr(name: &'static str) -> AttributePath {
    AttributePath::new(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_keeps_its_path_and_hint() {
        let mut diags = Diagnostics::default();
        Error::invalid(
            attr("cognito").index(0).attribute("username"),
            "Username is empty",
            "Set `username`.",
        )
        .report(&mut diags);
        assert_eq!(diags.errors.len(), 1);
        assert_eq!(diags.errors[0].summary, "Username is empty");
        assert!(diags.errors[0].detail.starts_with("Set `username`."));
        assert_eq!(
            diags.errors[0].attribute,
            attr("cognito").index(0).attribute("username")
        );
    }

    #[test]
    fn aws_failure_carries_code_message_and_request_id() {
        let error = Error::Aws {
            service: "iam",
            operation: "CreateGroup",
            code: Some("EntityAlreadyExists".into()),
            message: "Group hera-dev-developer already exists.".into(),
            request_id: Some("abc".into()),
        };
        let (summary, detail, _) = error.into_parts(attr("name"));
        assert_eq!(summary, "AWS iam CreateGroup failed");
        assert!(detail.contains("EntityAlreadyExists"));
        assert!(detail.contains("already exists"));
        assert!(detail.contains("`abc`"));
    }

    #[test]
    fn report_all_reports_each_error_and_says_whether_there_were_any() {
        let mut diags = Diagnostics::default();
        assert_eq!(report_all(Vec::new(), &mut diags), Some(()));
        let errors = vec![Error::NotConfigured, Error::NotFound { what: "x".into() }];
        assert_eq!(report_all(errors, &mut diags), None);
        assert_eq!(diags.errors.len(), 2);
    }

    #[test]
    fn missing_objects_count_as_deleted() {
        let aws = |code: &str| Error::Aws {
            service: "identitystore",
            operation: "DeleteUser",
            code: Some(code.into()),
            message: String::new(),
            request_id: None,
        };
        // Real AWS answers ResourceNotFoundException; moto answers 200 (Ok).
        assert!(gone_ok(Err(aws("ResourceNotFoundException"))).is_ok());
        assert!(gone_ok(Ok(())).is_ok());
        assert!(gone_ok(Err(aws("AccessDeniedException"))).is_err());
        assert!(gone_ok(Err(Error::NotConfigured)).is_err());
    }

    #[test]
    fn not_found_is_recognised_from_codes() {
        let aws = |code: &str| Error::Aws {
            service: "iam",
            operation: "GetGroup",
            code: Some(code.into()),
            message: String::new(),
            request_id: None,
        };
        assert!(aws("NoSuchEntity").is_not_found());
        assert!(aws("ResourceNotFoundException").is_not_found());
        assert!(!aws("AccessDenied").is_not_found());
        assert!(Error::NotFound { what: "x".into() }.is_not_found());
        assert!(!Error::NotConfigured.is_not_found());
    }
}
