//! [`ResourceType`], what a resource implements, and [`Adapter`], the one
//! implementation of tf-provider's `Resource` over it.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::Schema;
use tf_provider::value::ValueEmpty;
use tf_provider::{AttributePath, Diagnostics, DynamicResource, Resource};

use super::summary::{Change, Summaries};
use super::{Errors, Failure, Op};
use crate::config::ProviderConfig;
use crate::context::Shared;
use crate::error::Error;

/// A planned update: the planned state, private state for apply, and the
/// inputs that force a replacement (empty: update in place).
#[derive(Debug)]
pub struct Planned<S, P> {
    /// Planned state.
    pub state: S,
    /// Private state handed to apply.
    pub private: P,
    /// Inputs whose change forces a replacement.
    pub replace: Vec<AttributePath>,
}

/// A resource of this provider. Implement the schema, the checks and the
/// operations; [`Adapter`] does the rest.
#[async_trait]
pub trait ResourceType: Default + Send + Sync + 'static {
    /// The Terraform state, all `Value<…>` fields.
    type State: Serialize + DeserializeOwned + Clone + Debug + Send + Sync;
    /// Private state carried from plan to apply ([`ValueEmpty`] when none).
    type Private: Serialize + DeserializeOwned + Default + Debug + Send + Sync;

    /// The type name without the `jit_` prefix, e.g. `grant`.
    const NAME: &'static str;

    /// The schema.
    fn schema() -> Schema;

    /// Shape checks that need neither AWS nor the provider configuration
    /// (`terraform validate`); unknown values are skipped.
    fn validate(config: &Self::State) -> Result<(), Errors> {
        let _ = config;
        Ok(())
    }

    /// The current state from AWS; `Ok(None)` only when AWS says the object
    /// is gone (Terraform then plans to create it again). An error keeps the
    /// prior state.
    async fn read(&self, op: &mut Op<'_>, state: Self::State)
        -> Result<Option<Self::State>, Error>;

    /// Plans a new object from the proposed state and the configuration.
    async fn plan_create(
        &self,
        op: &mut Op<'_>,
        proposed: Self::State,
        config: &Self::State,
    ) -> Result<(Self::State, Self::Private), Errors>;

    /// Plans a change of an existing object.
    async fn plan_update(
        &self,
        op: &mut Op<'_>,
        prior: &Self::State,
        proposed: Self::State,
        config: &Self::State,
        prior_private: Self::Private,
    ) -> Result<Planned<Self::State, Self::Private>, Errors>;

    /// Plans a destroy (Terraform ≥ 1.3 asks; 1.0 never does). The private
    /// state returned reaches `destroy`; a plain destroy starts from none.
    async fn plan_destroy(
        &self,
        op: &mut Op<'_>,
        prior: &Self::State,
    ) -> Result<Self::Private, Errors> {
        let _ = (op, prior);
        Ok(Self::Private::default())
    }

    /// Creates the object. Once AWS holds something, a failure must return
    /// [`Failure::Saved`] so Terraform keeps it in state.
    async fn create(
        &self,
        op: &mut Op<'_>,
        planned: Self::State,
        private: Self::Private,
    ) -> Result<(Self::State, Self::Private), Failure<(Self::State, Self::Private)>>;

    /// Updates the object in place. [`Failure::Nothing`] keeps the prior state.
    async fn update(
        &self,
        op: &mut Op<'_>,
        prior: Self::State,
        planned: Self::State,
        private: Self::Private,
    ) -> Result<(Self::State, Self::Private), Failure<(Self::State, Self::Private)>>;

    /// Deletes the object; an object already gone is success. An error keeps
    /// the object in state.
    async fn destroy(
        &self,
        op: &mut Op<'_>,
        prior: Self::State,
        private: Self::Private,
    ) -> Result<(), Error>;

    /// The reviewer summary of a planned change: one line saying what it
    /// does to access, values as written ([`super::summary::written`]);
    /// `None` when the change is not worth a line (e.g. only a reason
    /// edited). Called after a successful plan only. `config` is `None`
    /// when unconfigured.
    fn summary(change: Change<'_, Self::State>, config: Option<&ProviderConfig>) -> Option<String> {
        let _ = (change, config);
        None
    }

    /// Imports an object by its import id.
    async fn import(&self, op: &mut Op<'_>, id: &str) -> Result<Self::State, Error> {
        let _ = (op, id);
        Err(Error::invalid(
            AttributePath::default(),
            format!("`jit_{}` cannot be imported", Self::NAME),
            "Create it with Terraform instead.",
        ))
    }
}

/// tf-provider's `Resource` for any [`ResourceType`].
#[derive(Debug, Default)]
pub struct Adapter<R> {
    inner: R,
    shared: Shared,
    summaries: Summaries,
}

/// The boxed resource registered under `R::NAME`.
pub fn resource<R: ResourceType>(shared: &Shared) -> (String, Box<dyn DynamicResource>) {
    let adapter = Adapter {
        inner: R::default(),
        shared: shared.clone(),
        summaries: Summaries::default(),
    };
    (R::NAME.to_string(), Box::new(adapter))
}

impl<R: ResourceType> Adapter<R> {
    fn op<'a>(&'a self, diags: &'a mut Diagnostics) -> Op<'a> {
        Op::new(&self.shared, diags)
    }

    /// Emits the reviewer summary of a planned change, if the resource has one.
    fn summarise(&self, diags: &mut Diagnostics, change: Change<'_, R::State>) {
        let config = self.shared.get().ok().map(|ctx| &ctx.config);
        if config.is_some_and(|config| !config.reviewer_summaries) {
            return;
        }
        if let Some(text) = R::summary(change, config) {
            self.summaries.emit(diags, config, text);
        }
    }
}

/// Reports a failed apply step; the saved value, if any, goes to state.
fn settle<T>(result: Result<T, Failure<T>>, diags: &mut Diagnostics) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(Failure::Saved(value, errors)) => {
            errors.report(diags);
            Some(value)
        }
        Err(Failure::Nothing(errors)) => {
            errors.report(diags);
            None
        }
    }
}

#[async_trait]
impl<R: ResourceType> Resource for Adapter<R> {
    type State<'a> = R::State;
    type PrivateState<'a> = R::Private;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(R::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        R::validate(&config)
            .map_err(|errors| errors.report(diags))
            .ok()
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        state: Self::State<'a>,
        private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut op = self.op(diags);
        match self.inner.read(&mut op, state.clone()).await {
            Ok(Some(fresh)) => Some((fresh, private_state)),
            Ok(None) => None,
            Err(error) => {
                error.report(diags);
                Some((state, private_state))
            }
        }
    }

    async fn plan_create<'a>(
        &self,
        diags: &mut Diagnostics,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut op = self.op(diags);
        match self
            .inner
            .plan_create(&mut op, proposed_state, &config_state)
            .await
        {
            Ok(planned) => {
                self.summarise(
                    diags,
                    Change::Create {
                        planned: &planned.0,
                    },
                );
                Some(planned)
            }
            Err(errors) => {
                errors.report(diags);
                None
            }
        }
    }

    async fn plan_update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        proposed_state: Self::State<'a>,
        config_state: Self::State<'a>,
        prior_private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>, Vec<AttributePath>)> {
        let mut op = self.op(diags);
        match self
            .inner
            .plan_update(
                &mut op,
                &prior_state,
                proposed_state,
                &config_state,
                prior_private_state,
            )
            .await
        {
            Ok(planned) => {
                let (prior, planned_state) = (&prior_state, &planned.state);
                let change = if planned.replace.is_empty() {
                    Change::Update {
                        prior,
                        planned: planned_state,
                    }
                } else {
                    // Terraform drops the warnings of the create it plans next.
                    Change::Replace {
                        prior,
                        planned: planned_state,
                    }
                };
                self.summarise(diags, change);
                Some((planned.state, planned.private, planned.replace))
            }
            Err(errors) => {
                errors.report(diags);
                None
            }
        }
    }

    async fn plan_destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        _prior_private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<Self::PrivateState<'a>> {
        let mut op = self.op(diags);
        match self.inner.plan_destroy(&mut op, &prior_state).await {
            Ok(private) => {
                self.summarise(
                    diags,
                    Change::Destroy {
                        prior: &prior_state,
                    },
                );
                Some(private)
            }
            Err(errors) => {
                errors.report(diags);
                None
            }
        }
    }

    async fn create<'a>(
        &self,
        diags: &mut Diagnostics,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut op = self.op(diags);
        let result = self
            .inner
            .create(&mut op, planned_state, planned_private_state)
            .await;
        settle(result, diags)
    }

    async fn update<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_state: Self::State<'a>,
        _config_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut op = self.op(diags);
        let result = self
            .inner
            .update(
                &mut op,
                prior_state.clone(),
                planned_state,
                planned_private_state,
            )
            .await;
        match result {
            Err(Failure::Nothing(errors)) => {
                // Nothing changed: the prior state stays as it was.
                errors.report(diags);
                Some((prior_state, R::Private::default()))
            }
            other => settle(other, diags),
        }
    }

    async fn destroy<'a>(
        &self,
        diags: &mut Diagnostics,
        prior_state: Self::State<'a>,
        planned_private_state: Self::PrivateState<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<()> {
        let mut op = self.op(diags);
        match self
            .inner
            .destroy(&mut op, prior_state, planned_private_state)
            .await
        {
            Ok(()) => Some(()),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }

    async fn import<'a>(
        &self,
        diags: &mut Diagnostics,
        id: String,
    ) -> Option<(Self::State<'a>, Self::PrivateState<'a>)> {
        let mut op = self.op(diags);
        match self.inner.import(&mut op, &id).await {
            Ok(state) => Some((state, R::Private::default())),
            Err(error) => {
                error.report(diags);
                None
            }
        }
    }
}
