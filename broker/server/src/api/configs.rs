//! DescribeConfigs (32), AlterConfigs (33) and IncrementalAlterConfigs (44)
//! for topics (and DescribeConfigs for the broker). Values come with Kafka's
//! config sources so tools can tell overrides from defaults.

use std::collections::BTreeMap;

use kafka_protocol::messages::describe_configs_response::{
    DescribeConfigsResourceResult, DescribeConfigsResult, DescribeConfigsSynonym,
};
use kafka_protocol::messages::{
    alter_configs_response, incremental_alter_configs_response, AlterConfigsRequest, AlterConfigsResponse,
    DescribeConfigsRequest, DescribeConfigsResponse, IncrementalAlterConfigsRequest,
    IncrementalAlterConfigsResponse,
};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::topic_config::{self, ConfigType};
use kavka_controller::{AlterConfigOp, ConfigOp};

use super::errors::{ApiError, ErrorCode};
use super::RequestContext;
use crate::config::{BrokerConfig, ConfigSource};

const RESOURCE_TOPIC: i8 = 2;
const RESOURCE_BROKER: i8 = 4;

/// Kafka's DescribeConfigs config sources.
pub mod source {
    pub const TOPIC_CONFIG: i8 = 1;
    pub const STATIC_BROKER_CONFIG: i8 = 4;
    pub const DEFAULT_CONFIG: i8 = 5;
}

/// One described config value, independent of the wire version.
#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub value: Option<String>,
    pub source: i8,
    pub doc: &'static str,
    pub config_type: i8,
    /// Kafka marks configs that cannot be altered at runtime read-only;
    /// broker configs are static here, so all of them are.
    pub read_only: bool,
    /// (name, value, source), most specific first.
    pub synonyms: Vec<(String, Option<String>, i8)>,
}

fn wire_type(t: ConfigType) -> i8 {
    match t {
        ConfigType::Boolean => 1,
        ConfigType::String => 2,
        ConfigType::Int => 3,
        ConfigType::Long => 5,
        ConfigType::Double => 6,
        ConfigType::List => 7,
        ConfigType::Class => 8,
    }
}

/// The broker-level value behind a topic config, as the broker uses it.
fn broker_value(broker: &BrokerConfig, topic_key: &str) -> Option<String> {
    let never = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| i64::MAX.to_string());
    Some(match topic_key {
        "retention.ms" => broker.log_retention_ms.unwrap_or(-1).to_string(),
        "retention.bytes" => broker
            .log_retention_bytes
            .map(|n| n as i64)
            .unwrap_or(-1)
            .to_string(),
        "segment.bytes" => broker.log_segment_bytes.to_string(),
        "segment.ms" => broker.log_roll_ms.to_string(),
        "max.message.bytes" => broker.message_max_bytes.to_string(),
        "index.interval.bytes" => broker.log_index_interval_bytes.to_string(),
        "flush.messages" => never(broker.log_flush_interval_messages),
        "flush.ms" => never(
            broker
                .log_flush_interval_ms
                .or(broker.log_flush_scheduler_interval_ms),
        ),
        "min.insync.replicas" => broker.min_insync_replicas.to_string(),
        "cleanup.policy" => broker.value_of("log.cleanup.policy")?,
        "message.timestamp.type" => broker.value_of("log.message.timestamp.type")?,
        _ => return None,
    })
}

/// Broker keys whose explicit setting makes a topic default "static broker".
fn broker_keys_for(topic_key: &str) -> &'static [&'static str] {
    match topic_key {
        "retention.ms" => &["log.retention.ms", "log.retention.minutes", "log.retention.hours"],
        "retention.bytes" => &["log.retention.bytes"],
        "segment.bytes" => &["log.segment.bytes"],
        "segment.ms" => &["log.roll.ms", "log.roll.hours"],
        "max.message.bytes" => &["message.max.bytes"],
        "index.interval.bytes" => &["log.index.interval.bytes"],
        "flush.messages" => &["log.flush.interval.messages"],
        "flush.ms" => &["log.flush.interval.ms", "log.flush.scheduler.interval.ms"],
        "min.insync.replicas" => &["min.insync.replicas"],
        "cleanup.policy" => &["log.cleanup.policy"],
        "message.timestamp.type" => &["log.message.timestamp.type"],
        _ => &[],
    }
}

/// The DEFAULT_CONFIG synonym of a topic config: the broker key that has a
/// built-in default in Kafka and that default. It is Kafka's default, not
/// the value the broker runs with, which a static setting may have changed
/// (that one is listed as STATIC_BROKER_CONFIG before it). `log.retention.ms`
/// and `log.roll.ms` have no default of their own in Kafka; their `.hours`
/// synonyms carry it.
fn default_synonym(def: &topic_config::TopicConfigDef) -> (&'static str, String) {
    match def.name {
        "retention.ms" => ("log.retention.hours", "168".to_string()),
        "segment.ms" => ("log.roll.hours", "168".to_string()),
        _ if def.broker_default_key.is_empty() => (def.name, def.default.to_string()),
        _ => (def.broker_default_key, def.default.to_string()),
    }
}

/// Every topic config with its effective value and source.
pub fn topic_config_entries(broker: &BrokerConfig, overrides: &BTreeMap<String, String>) -> Vec<Entry> {
    let broker_entries = broker.entries();
    topic_config::TOPIC_CONFIGS
        .iter()
        .map(|def| {
            let mut synonyms = Vec::new();
            if let Some(v) = overrides.get(def.name) {
                synonyms.push((def.name.to_string(), Some(v.clone()), source::TOPIC_CONFIG));
            }
            let explicit = broker_keys_for(def.name).iter().find_map(|k| {
                broker_entries
                    .iter()
                    .find(|e| e.name == *k && e.source != ConfigSource::Default)
            });
            if let Some(e) = explicit {
                synonyms.push((e.name.to_string(), e.value.clone(), source::STATIC_BROKER_CONFIG));
            }
            let default_value = broker_value(broker, def.name).or_else(|| Some(def.default.to_string()));
            let (default_name, default_synonym) = default_synonym(def);
            synonyms.push((
                default_name.to_string(),
                Some(default_synonym),
                source::DEFAULT_CONFIG,
            ));
            let (value, src) = match (overrides.get(def.name), explicit) {
                (Some(v), _) => (Some(v.clone()), source::TOPIC_CONFIG),
                (None, Some(_)) => (default_value, source::STATIC_BROKER_CONFIG),
                (None, None) => (default_value, source::DEFAULT_CONFIG),
            };
            Entry {
                name: def.name.to_string(),
                value,
                source: src,
                doc: def.doc,
                config_type: wire_type(def.config_type),
                read_only: false,
                synonyms,
            }
        })
        .collect()
}

fn broker_config_entries(broker: &BrokerConfig) -> Vec<Entry> {
    broker
        .entries()
        .into_iter()
        .map(|e| {
            let src = if e.source == ConfigSource::Default {
                source::DEFAULT_CONFIG
            } else {
                source::STATIC_BROKER_CONFIG
            };
            Entry {
                name: e.name.to_string(),
                value: e.value.clone(),
                source: src,
                doc: e.doc,
                config_type: 0,
                read_only: true,
                synonyms: vec![(e.name.to_string(), e.value, src)],
            }
        })
        .collect()
}

pub fn describe(ctx: &RequestContext, v: i16, req: DescribeConfigsRequest) -> DescribeConfigsResponse {
    let broker = &ctx.broker;
    let image = broker.image();
    let mut results = Vec::with_capacity(req.resources.len());
    for res in req.resources {
        let name = res.resource_name.to_string();
        let mut out = DescribeConfigsResult::default()
            .with_resource_type(res.resource_type)
            .with_resource_name(res.resource_name.clone());
        let entries = match res.resource_type {
            RESOURCE_TOPIC => match (
                image.topic_by_name(&name),
                kavka_controller::TopicName::new(name.as_str()),
            ) {
                (Some(_), _) => {
                    let overrides = image.topic_configs(&name).cloned().unwrap_or_default();
                    Ok(topic_config_entries(&broker.config, &overrides))
                }
                // Kafka validates the name before looking the topic up.
                (None, Err(e)) => Err(ApiError::with_message(
                    ErrorCode::InvalidTopicException,
                    e.to_string(),
                )),
                (None, Ok(_)) => Err(ApiError::with_message(
                    ErrorCode::UnknownTopicOrPartition,
                    format!("Topic {name} does not exist"),
                )),
            },
            RESOURCE_BROKER => {
                if name.is_empty() || name == broker.node_id().to_string() {
                    Ok(broker_config_entries(&broker.config))
                } else {
                    Err(ApiError::with_message(
                        ErrorCode::InvalidRequest,
                        format!("Unexpected broker id {name}, this is broker {}", broker.node_id()),
                    ))
                }
            }
            other => Err(ApiError::with_message(
                ErrorCode::InvalidRequest,
                format!("Unsupported resource type {other}"),
            )),
        };
        match entries {
            Ok(entries) => {
                let keys = res.configuration_keys.as_ref();
                out.configs = entries
                    .into_iter()
                    .filter(|e| keys.is_none_or(|ks| ks.iter().any(|k| k.as_str() == e.name)))
                    .map(|e| wire_entry(v, req.include_synonyms, req.include_documentation, e))
                    .collect();
            }
            Err(e) => {
                out.error_code = e.code();
                out.error_message = e.message.map(StrBytes::from_string);
            }
        }
        results.push(out);
    }
    DescribeConfigsResponse::default().with_results(results)
}

fn wire_entry(v: i16, synonyms: bool, docs: bool, e: Entry) -> DescribeConfigsResourceResult {
    let mut out = DescribeConfigsResourceResult::default()
        .with_name(StrBytes::from_string(e.name))
        .with_value(e.value.map(StrBytes::from_string))
        .with_read_only(e.read_only)
        .with_config_source(e.source)
        .with_is_sensitive(false);
    if synonyms {
        out.synonyms = e
            .synonyms
            .into_iter()
            .map(|(n, val, s)| {
                DescribeConfigsSynonym::default()
                    .with_name(StrBytes::from_string(n))
                    .with_value(val.map(StrBytes::from_string))
                    .with_source(s)
            })
            .collect();
    }
    // The struct's default documentation is "", but Kafka sends null when
    // documentation was not asked for.
    out.documentation = None;
    if v >= 3 {
        out.config_type = e.config_type;
        if docs {
            out.documentation = Some(StrBytes::from_static_str(e.doc));
        }
    }
    out
}

/// Legacy AlterConfigs: the given set replaces every topic override.
pub async fn alter(ctx: &RequestContext, _v: i16, req: AlterConfigsRequest) -> AlterConfigsResponse {
    let broker = &ctx.broker;
    let mut responses = Vec::with_capacity(req.resources.len());
    for res in req.resources {
        let name = res.resource_name.to_string();
        let outcome = if res.resource_type != RESOURCE_TOPIC {
            Err(unsupported_resource(res.resource_type))
        } else {
            let configs: BTreeMap<String, Option<String>> = res
                .configs
                .iter()
                .map(|c| (c.name.to_string(), c.value.as_ref().map(|v| v.to_string())))
                .collect();
            let mut controller = broker.controller.lock().await;
            controller
                .replace_topic_configs(&name, configs, req.validate_only)
                .map_err(|e| ApiError::from(&e))
        };
        let (error_code, error_message) = error_fields(outcome);
        responses.push(
            alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name)
                .with_error_code(error_code)
                .with_error_message(error_message),
        );
    }
    broker.sync_partitions();
    AlterConfigsResponse::default().with_responses(responses)
}

pub async fn incremental_alter(
    ctx: &RequestContext,
    _v: i16,
    req: IncrementalAlterConfigsRequest,
) -> IncrementalAlterConfigsResponse {
    let broker = &ctx.broker;
    let mut responses = Vec::with_capacity(req.resources.len());
    for res in req.resources {
        let name = res.resource_name.to_string();
        let outcome = if res.resource_type != RESOURCE_TOPIC {
            Err(unsupported_resource(res.resource_type))
        } else {
            let ops: Result<Vec<ConfigOp>, ApiError> = res
                .configs
                .iter()
                .map(|c| {
                    let key = c.name.to_string();
                    let value = c.value.as_ref().map(|v| v.to_string());
                    match (c.config_operation, value) {
                        (0, Some(v)) => Ok(ConfigOp {
                            key,
                            op: AlterConfigOp::Set(v),
                        }),
                        (1, _) => Ok(ConfigOp {
                            key,
                            op: AlterConfigOp::Delete,
                        }),
                        (2, Some(v)) => Ok(ConfigOp {
                            key,
                            op: AlterConfigOp::Append(v),
                        }),
                        (3, Some(v)) => Ok(ConfigOp {
                            key,
                            op: AlterConfigOp::Subtract(v),
                        }),
                        (op, None) if op != 1 => Err(ApiError::with_message(
                            ErrorCode::InvalidRequest,
                            format!("Null value not supported for {key}"),
                        )),
                        (op, _) => Err(ApiError::with_message(
                            ErrorCode::InvalidRequest,
                            format!("Unknown config operation {op} for {key}"),
                        )),
                    }
                })
                .collect();
            match ops {
                Ok(ops) => {
                    let mut controller = broker.controller.lock().await;
                    controller
                        .alter_topic_configs(&name, ops, req.validate_only)
                        .map_err(|e| ApiError::from(&e))
                }
                Err(e) => Err(e),
            }
        };
        let (error_code, error_message) = error_fields(outcome);
        responses.push(
            incremental_alter_configs_response::AlterConfigsResourceResponse::default()
                .with_resource_type(res.resource_type)
                .with_resource_name(res.resource_name)
                .with_error_code(error_code)
                .with_error_message(error_message),
        );
    }
    broker.sync_partitions();
    IncrementalAlterConfigsResponse::default().with_responses(responses)
}

/// The error code and message of one resource's result (0 and none on success).
fn error_fields(outcome: Result<(), ApiError>) -> (i16, Option<StrBytes>) {
    match outcome {
        Ok(()) => (0, None),
        Err(e) => (e.code(), e.message.map(StrBytes::from_string)),
    }
}

fn unsupported_resource(t: i8) -> ApiError {
    if t == RESOURCE_BROKER {
        ApiError::with_message(
            ErrorCode::InvalidRequest,
            "dynamic broker configs are not supported; set them in server.properties or with --set",
        )
    } else {
        ApiError::with_message(
            ErrorCode::InvalidRequest,
            format!("Unsupported resource type {t}"),
        )
    }
}
