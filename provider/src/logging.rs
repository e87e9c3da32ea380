//! hclog-style JSON lines on stderr, so Terraform shows provider logs.
//!
//! go-plugin parses each stderr line that is a JSON object and re-logs it at
//! its `@level`. A line whose `@message`, `@level` or `@timestamp` is not a
//! string crashes Terraform, so those three are always strings, and the
//! timestamp has exactly six fractional digits (else the level is lost).
//!
//! At `info` and more verbose, every plugin RPC gets one line when it ends
//! (`rpc finished`, with the RPC's path, start time and duration): Terraform
//! logs when it calls the provider but never how long the call took.

use std::io::Write;
use std::time::Instant;

use serde_json::{Map, Value};
use time::{format_description::FormatItem, macros::format_description, OffsetDateTime};
use tracing::{field::Field, span, Event, Level, Subscriber};
use tracing_subscriber::{
    filter::{LevelFilter, Targets},
    layer::{Context, SubscriberExt},
    registry::LookupSpan,
    util::SubscriberInitExt,
    Layer,
};

const TIMESTAMP: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// Crates whose logs are noise at debug level: tf-provider logs two lines per
/// RPC through these, and the TLS and HTTP stacks log every frame.
const QUIET_TARGETS: &[&str] = &["h2", "tonic", "tower_http", "rustls", "hyper", "hyper_util"];

/// tf-provider wraps every RPC in tower-http's trace layer, whose `request`
/// span (debug level, this target) carries the RPC's URI. Its per-request
/// events are replaced by one `rpc finished` line.
const RPC_SPAN_TARGET: &str = "tower_http::trace";

/// Installs the stderr JSON subscriber unless tf-provider will install its
/// own (it does when `PLUGIN_LOG_FILE` is set, and panics if one exists).
pub fn init() {
    if std::env::var_os("PLUGIN_LOG_FILE").is_some() {
        return;
    }
    let level = level_from_env();
    let mut targets = Targets::new().with_default(level);
    for target in QUIET_TARGETS {
        targets = targets.with_target(*target, level.min(LevelFilter::WARN));
    }
    if level >= LevelFilter::INFO {
        targets = targets.with_target(RPC_SPAN_TARGET, LevelFilter::DEBUG);
    }
    // A second init (in tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry()
        .with(HclogLayer.with_filter(targets))
        .try_init();
}

/// The provider's log level: `TF_LOG_PROVIDER`, else `TF_LOG`, else warnings.
fn level_from_env() -> LevelFilter {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default();
    parse_level(&raw)
}

/// Maps Terraform's `TF_LOG` words to a filter; unknown words mean warnings.
pub fn parse_level(raw: &str) -> LevelFilter {
    match raw.trim().to_ascii_lowercase().as_str() {
        "trace" | "json" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "error" => LevelFilter::ERROR,
        "off" => LevelFilter::OFF,
        _ => LevelFilter::WARN,
    }
}

struct HclogLayer;

impl<S> Layer<S> for HclogLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &span::Attributes<'_>, id: &span::Id, ctx: Context<'_, S>) {
        if !attrs.metadata().target().starts_with(RPC_SPAN_TARGET) {
            return;
        }
        let mut fields = FieldCollector::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        let uri = fields
            .fields
            .get("uri")
            .and_then(Value::as_str)
            .unwrap_or_default();
        span.extensions_mut().insert(RpcTiming {
            rpc: rpc_path(uri).to_string(),
            started: Instant::now(),
            started_at: OffsetDateTime::now_utc(),
        });
    }

    fn on_close(&self, id: span::Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let extensions = span.extensions();
        let Some(timing) = extensions.get::<RpcTiming>() else {
            return;
        };
        let mut fields = Map::new();
        fields.insert("rpc".into(), Value::String(timing.rpc.clone()));
        fields.insert(
            "start_unix_us".into(),
            Value::from((timing.started_at.unix_timestamp_nanos() / 1000) as i64),
        );
        fields.insert(
            "elapsed_us".into(),
            Value::from(timing.started.elapsed().as_micros() as u64),
        );
        let line = hclog_line(
            Level::INFO,
            "terraform_provider_jit::rpc",
            Some("rpc finished".into()),
            fields,
            OffsetDateTime::now_utc(),
        );
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if event.metadata().target().starts_with(RPC_SPAN_TARGET) {
            return;
        }
        let mut fields = FieldCollector::default();
        event.record(&mut fields);
        let line = hclog_line(
            *event.metadata().level(),
            event.metadata().target(),
            fields.message,
            fields.fields,
            OffsetDateTime::now_utc(),
        );
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{line}");
    }
}

/// When an RPC started, and which one.
struct RpcTiming {
    rpc: String,
    started: Instant,
    started_at: OffsetDateTime,
}

/// `/tfplugin6.Provider/ReadDataSource` from the request URI (which may
/// carry a scheme and authority).
pub fn rpc_path(uri: &str) -> &str {
    let without_scheme = uri.split_once("://").map_or(uri, |(_, rest)| rest);
    match without_scheme.find('/') {
        Some(slash) if uri.contains("://") => &without_scheme[slash..],
        _ => uri,
    }
}

/// Builds one hclog JSON line. `message` falls back to the target so that
/// `@message` is always a string.
pub fn hclog_line(
    level: Level,
    target: &str,
    message: Option<String>,
    fields: Map<String, Value>,
    now: OffsetDateTime,
) -> String {
    let mut line = Map::new();
    for (key, value) in fields {
        // Structured fields must never shadow the three crash-prone keys.
        if !key.starts_with('@') {
            line.insert(key, value);
        }
    }
    line.insert("@level".into(), Value::String(level_word(level).into()));
    line.insert(
        "@message".into(),
        Value::String(message.unwrap_or_else(|| target.to_string())),
    );
    line.insert("@module".into(), Value::String(format!("jit.{target}")));
    let timestamp = now.format(TIMESTAMP).unwrap_or_default();
    line.insert("@timestamp".into(), Value::String(timestamp));
    Value::Object(line).to_string()
}

fn level_word(level: Level) -> &'static str {
    match level {
        Level::TRACE => "trace",
        Level::DEBUG => "debug",
        Level::INFO => "info",
        Level::WARN => "warn",
        Level::ERROR => "error",
    }
}

#[derive(Default)]
struct FieldCollector {
    message: Option<String>,
    fields: Map<String, Value>,
}

impl FieldCollector {
    fn insert(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = Some(match value {
                Value::String(text) => text,
                other => other.to_string(),
            });
        } else {
            self.fields.insert(field.name().to_string(), value);
        }
    }
}

impl tracing::field::Visit for FieldCollector {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.insert(field, Value::String(format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.insert(field, Value::String(value.to_string()));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.insert(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.insert(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.insert(field, Value::from(value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn parse(line: &str) -> Map<String, Value> {
        match serde_json::from_str(line).unwrap() {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn line_has_string_level_message_and_six_digit_timestamp() {
        let line = hclog_line(
            Level::DEBUG,
            "terraform_provider_jit::aws",
            Some("calling iam".into()),
            Map::new(),
            datetime!(2026-11-23 12:00:01.5 UTC),
        );
        let map = parse(&line);
        assert_eq!(map["@level"], "debug");
        assert_eq!(map["@message"], "calling iam");
        assert_eq!(map["@timestamp"], "2026-11-23T12:00:01.500000Z");
        assert_eq!(map["@module"], "jit.terraform_provider_jit::aws");
    }

    #[test]
    fn missing_message_falls_back_to_target_and_fields_cannot_shadow_keys() {
        let mut fields = Map::new();
        fields.insert("@message".into(), Value::from(3));
        fields.insert("@level".into(), Value::Bool(true));
        fields.insert("group".into(), Value::from("hera-dev-developer"));
        let map = parse(&hclog_line(
            Level::WARN,
            "target::x",
            None,
            fields,
            datetime!(2026-01-02 03:04:05 UTC),
        ));
        assert_eq!(map["@message"], "target::x");
        assert_eq!(map["@level"], "warn");
        assert_eq!(map["group"], "hera-dev-developer");
        assert_eq!(map["@timestamp"], "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn rpc_path_drops_scheme_and_authority() {
        assert_eq!(
            rpc_path("http://127.0.0.1:40000/tfplugin6.Provider/ReadDataSource"),
            "/tfplugin6.Provider/ReadDataSource"
        );
        assert_eq!(
            rpc_path("/plugin.GRPCController/Shutdown"),
            "/plugin.GRPCController/Shutdown"
        );
        assert_eq!(rpc_path(""), "");
    }

    #[test]
    fn tf_log_words_map_to_levels() {
        assert_eq!(parse_level("TRACE"), LevelFilter::TRACE);
        assert_eq!(parse_level("debug"), LevelFilter::DEBUG);
        assert_eq!(parse_level("info"), LevelFilter::INFO);
        assert_eq!(parse_level("off"), LevelFilter::OFF);
        assert_eq!(parse_level(""), LevelFilter::WARN);
        assert_eq!(parse_level("nonsense"), LevelFilter::WARN);
    }
}
