//! The resource framework: what every resource and data source would
//! otherwise repeat, written once.
//!
//! A resource implements [`ResourceType`]: its schema, its typed state, pure
//! checks, and create/read/update/delete/import against typed values. The one
//! generic [`resource::Adapter`] turns it into tf-provider's `Resource`: it
//! gets the shared context, turns [`Error`]s into diagnostics, removes a gone
//! object from state, keeps prior state when a read or update fails, plans a
//! destroy, and carries private state. Data sources implement
//! [`DataSourceType`] the same way.
//!
//! Every operation gets an [`Op`]: the configured context (asked for only
//! when needed, so `terraform validate` and pure plans work unconfigured),
//! warnings, and the audit hooks (fail-closed for granting, warn-only for
//! revoking and blocking).
//!
//! After a successful plan the adapter also emits the resource's reviewer
//! summary ([`ResourceType::summary`], see [`summary`]).

pub mod data_source;
pub mod resource;
pub mod summary;

use tf_provider::{AttributePath, Diagnostics};

use crate::audit::AuditEvent;
use crate::context::{Ctx, Shared};
use crate::error::Error;

pub use data_source::{data_source, DataSourceType};
pub use resource::{resource, Planned, ResourceType};
pub use summary::Change;

/// One or more errors, reported together (validation finds them all).
#[derive(Debug, Default)]
pub struct Errors(pub Vec<Error>);

impl Errors {
    /// `Ok(())` when empty, else these errors.
    pub fn into_result(self) -> Result<(), Self> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self)
        }
    }

    /// Adds one error.
    pub fn push(&mut self, error: Error) {
        self.0.push(error);
    }

    /// Adds the error of a failed check.
    pub fn check<T>(&mut self, result: Result<T, Error>) -> Option<T> {
        result.map_err(|error| self.0.push(error)).ok()
    }

    /// Adds every error to `diags`.
    pub fn report(self, diags: &mut Diagnostics) {
        for error in self.0 {
            error.report(diags);
        }
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Self {
        Self(vec![error])
    }
}

impl From<Vec<Error>> for Errors {
    fn from(errors: Vec<Error>) -> Self {
        Self(errors)
    }
}

/// A failed create or update.
#[derive(Debug)]
pub enum Failure<T> {
    /// Nothing was changed that state must remember.
    Nothing(Errors),
    /// AWS was changed (or may have been): `T` is saved in state with the
    /// errors. After a create, Terraform marks the object tainted.
    Saved(T, Errors),
}

impl<T> Failure<T> {
    /// Saves `value` with one error.
    pub fn saved(value: T, error: Error) -> Self {
        Self::Saved(value, error.into())
    }
}

impl<T> From<Error> for Failure<T> {
    fn from(error: Error) -> Self {
        Self::Nothing(error.into())
    }
}

impl<T> From<Errors> for Failure<T> {
    fn from(errors: Errors) -> Self {
        Self::Nothing(errors)
    }
}

/// What one Terraform call of a resource or data source works with.
pub struct Op<'a> {
    shared: &'a Shared,
    /// Diagnostics of this call; errors normally go through return values.
    pub diags: &'a mut Diagnostics,
}

impl<'a> Op<'a> {
    pub(crate) fn new(shared: &'a Shared, diags: &'a mut Diagnostics) -> Self {
        Self { shared, diags }
    }

    /// The configured provider, or [`Error::NotConfigured`].
    pub fn ctx(&self) -> Result<&'a Ctx, Error> {
        self.shared.get()
    }

    /// Adds a warning.
    pub fn warn(
        &mut self,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: AttributePath,
    ) {
        self.diags.warning(summary.into(), detail.into(), path);
    }

    /// Adds an error that does not stop the operation (e.g. one of several
    /// independent steps failed and the others still ran).
    pub fn error(&mut self, error: Error) {
        error.report(self.diags);
    }

    /// Writes an audit event that must exist before the change is made
    /// (granting fails closed): an error stops the operation.
    pub async fn audit_required(&mut self, event: AuditEvent) -> Result<(), Error> {
        self.ctx()?.audit.write(event).await
    }

    /// Writes an audit event that must never stop the change (revoke, block,
    /// restore): a failure becomes a warning naming `what`.
    pub async fn audit_or_warn(&mut self, event: AuditEvent, what: &str) {
        let target = event.target.clone();
        let written = match self.ctx() {
            Ok(ctx) => ctx.audit.write(event).await,
            Err(error) => Err(error),
        };
        if let Err(error) = written {
            error.report_warning(
                format!("Audit event for {what} of `{target}` not written"),
                self.diags,
            );
        }
    }
}

/// The attribute paths of the named fields whose values differ between two
/// states: the inputs that force a replacement. Fields are named as Rust
/// fields, so a typo does not compile.
#[macro_export]
macro_rules! changed_fields {
    ($prior:expr, $planned:expr; $($field:ident),+ $(,)?) => {{
        let mut paths = ::std::vec::Vec::new();
        $(
            if $prior.$field != $planned.$field {
                paths.push(::tf_provider::AttributePath::new(stringify!($field)));
            }
        )+
        paths
    }};
}

/// Copies the named fields from one state to another (e.g. the computed
/// values of an object that is not replaced).
#[macro_export]
macro_rules! copy_fields {
    ($from:expr => $to:expr; $($field:ident),+ $(,)?) => {{
        $( $to.$field = $from.$field.clone(); )+
    }};
}

/// Marks the named fields unknown (values only apply can tell).
#[macro_export]
macro_rules! unknown_fields {
    ($state:expr; $($field:ident),+ $(,)?) => {{
        $( $state.$field = ::tf_provider::value::Value::Unknown; )+
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use tf_provider::value::Value;

    #[derive(Default, Clone, PartialEq, Debug)]
    struct State {
        a: Value<String>,
        b: Value<String>,
        c: Value<bool>,
    }

    #[test]
    fn changed_fields_names_exactly_the_fields_that_differ() {
        let prior = State {
            a: Value::Value("x".into()),
            b: Value::Value("y".into()),
            c: Value::Value(true),
        };
        let mut planned = prior.clone();
        assert!(changed_fields!(prior, planned; a, b, c).is_empty());
        planned.b = Value::Unknown;
        planned.c = Value::Value(false);
        assert_eq!(
            changed_fields!(prior, planned; a, b, c),
            vec![AttributePath::new("b"), AttributePath::new("c")]
        );
    }

    #[test]
    fn copy_and_unknown_fields_touch_only_the_named_fields() {
        let from = State {
            a: Value::Value("x".into()),
            b: Value::Value("y".into()),
            c: Value::Value(true),
        };
        let mut to = State::default();
        copy_fields!(from => to; a, c);
        assert_eq!(to.a, from.a);
        assert_eq!(to.b, Value::Null);
        assert_eq!(to.c, from.c);
        unknown_fields!(to; a);
        assert_eq!(to.a, Value::Unknown);
        assert_eq!(to.c, Value::Value(true));
    }

    #[test]
    fn errors_collect_and_convert() {
        let mut errors = Errors::default();
        assert!(errors.check(Ok::<_, Error>(1)) == Some(1));
        assert!(Errors::default().into_result().is_ok());
        errors.check::<()>(Err(Error::NotConfigured));
        let mut diags = Diagnostics::default();
        errors.into_result().unwrap_err().report(&mut diags);
        assert_eq!(diags.errors.len(), 1);
        let failure: Failure<()> = Error::NotConfigured.into();
        assert!(matches!(failure, Failure::Nothing(Errors(e)) if e.len() == 1));
    }
}
