//! [`DataSourceType`], what a data source implements, and its adapter to
//! tf-provider's `DataSource`.

use std::fmt::Debug;

use async_trait::async_trait;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tf_provider::schema::Schema;
use tf_provider::value::ValueEmpty;
use tf_provider::{DataSource, Diagnostics, DynamicDataSource};

use super::{Errors, Op};
use crate::context::Shared;

/// A data source of this provider.
#[async_trait]
pub trait DataSourceType: Default + Send + Sync + 'static {
    /// The Terraform state, all `Value<…>` fields.
    type State: Serialize + DeserializeOwned + Debug + Send + Sync;

    /// The type name without the `jit_` prefix, e.g. `role_policy`.
    const NAME: &'static str;

    /// The schema.
    fn schema() -> Schema;

    /// Shape checks without AWS or configuration; unknown values skipped.
    fn validate(config: &Self::State) -> Result<(), Errors> {
        let _ = config;
        Ok(())
    }

    /// Fills the computed attributes.
    async fn read(&self, op: &mut Op<'_>, config: Self::State) -> Result<Self::State, Errors>;
}

/// tf-provider's `DataSource` for any [`DataSourceType`].
#[derive(Debug, Default)]
pub struct DataSourceAdapter<D> {
    inner: D,
    shared: Shared,
}

/// The boxed data source registered under `D::NAME`.
pub fn data_source<D: DataSourceType>(shared: &Shared) -> (String, Box<dyn DynamicDataSource>) {
    let adapter = DataSourceAdapter {
        inner: D::default(),
        shared: shared.clone(),
    };
    (D::NAME.to_string(), Box::new(adapter))
}

#[async_trait]
impl<D: DataSourceType> DataSource for DataSourceAdapter<D> {
    type State<'a> = D::State;
    type ProviderMetaState<'a> = ValueEmpty;

    fn schema(&self, _diags: &mut Diagnostics) -> Option<Schema> {
        Some(D::schema())
    }

    async fn validate<'a>(&self, diags: &mut Diagnostics, config: Self::State<'a>) -> Option<()> {
        D::validate(&config)
            .map_err(|errors| errors.report(diags))
            .ok()
    }

    async fn read<'a>(
        &self,
        diags: &mut Diagnostics,
        config: Self::State<'a>,
        _meta: Self::ProviderMetaState<'a>,
    ) -> Option<Self::State<'a>> {
        let mut op = Op::new(&self.shared, diags);
        match self.inner.read(&mut op, config).await {
            Ok(state) => Some(state),
            Err(errors) => {
                errors.report(diags);
                None
            }
        }
    }
}
