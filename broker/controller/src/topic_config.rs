//! The topic-level config schema: Kafka's names, types, defaults and
//! validation rules, and the broker config that supplies each default.
//!
//! Defaults are Kafka 4.x's static defaults. Pure: the controller validates
//! with it, and the broker uses it to answer DescribeConfigs.

use std::collections::BTreeMap;

use crate::error::ConfigError;

/// Kafka's `ConfigDef.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigType {
    Boolean,
    Int,
    Long,
    Double,
    String,
    List,
    Class,
}

/// Value constraints beyond the type.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Validator {
    None,
    /// Inclusive bounds for Int and Long.
    AtLeast(i64),
    /// Inclusive bounds for Double.
    DoubleBetween(f64, f64),
    /// Exactly one of these strings (case-sensitive, as Kafka's `ValidString`).
    OneOf(&'static [&'static str]),
    /// A non-empty list whose items are each one of these.
    ListOf(&'static [&'static str]),
}

/// One topic config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TopicConfigDef {
    pub name: &'static str,
    pub config_type: ConfigType,
    pub doc: &'static str,
    /// The broker config whose value is this config's default.
    pub broker_default_key: &'static str,
    /// Kafka's static default, as DescribeConfigs shows it.
    pub default: &'static str,
    pub validator: Validator,
    pub sensitive: bool,
}

const LONG_MAX: &str = "9223372036854775807";

const fn def(
    name: &'static str,
    config_type: ConfigType,
    doc: &'static str,
    broker_default_key: &'static str,
    default: &'static str,
    validator: Validator,
) -> TopicConfigDef {
    TopicConfigDef {
        name,
        config_type,
        doc,
        broker_default_key,
        default,
        validator,
        sensitive: false,
    }
}

use ConfigType::{Boolean, Double, Int, List, Long, String as Str};
use Validator::{AtLeast, DoubleBetween, ListOf, OneOf};

/// Every topic config Kavka knows, in name order.
pub static TOPIC_CONFIGS: &[TopicConfigDef] = &[
    def(
        "cleanup.policy",
        List,
        "Retention policy for old log segments: delete, compact, or both.",
        "log.cleanup.policy",
        "delete",
        ListOf(&["compact", "delete"]),
    ),
    def(
        "compression.type",
        Str,
        "Final compression of the topic's data; 'producer' keeps the producer's codec.",
        "compression.type",
        "producer",
        OneOf(&["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"]),
    ),
    def(
        "delete.retention.ms",
        Long,
        "How long delete tombstones are kept for compacted topics.",
        "log.cleaner.delete.retention.ms",
        "86400000",
        AtLeast(0),
    ),
    def(
        "file.delete.delay.ms",
        Long,
        "Time to wait before deleting a file from the filesystem.",
        "log.segment.delete.delay.ms",
        "60000",
        AtLeast(0),
    ),
    def(
        "flush.messages",
        Long,
        "Number of messages written to a partition between forced fsyncs.",
        "log.flush.interval.messages",
        LONG_MAX,
        AtLeast(1),
    ),
    def(
        "flush.ms",
        Long,
        "Maximum time between forced fsyncs of a partition's log.",
        "log.flush.interval.ms",
        LONG_MAX,
        AtLeast(0),
    ),
    def(
        "index.interval.bytes",
        Int,
        "How often (in bytes) an entry is added to the offset index.",
        "log.index.interval.bytes",
        "4096",
        AtLeast(0),
    ),
    def(
        "max.compaction.lag.ms",
        Long,
        "Maximum time a message stays ineligible for compaction.",
        "log.cleaner.max.compaction.lag.ms",
        LONG_MAX,
        AtLeast(1),
    ),
    def(
        "max.message.bytes",
        Int,
        "Largest record batch size allowed by this topic.",
        "message.max.bytes",
        "1048588",
        AtLeast(0),
    ),
    def(
        "message.timestamp.after.max.ms",
        Long,
        "How far a record timestamp may be ahead of the broker's clock.",
        "log.message.timestamp.after.max.ms",
        "3600000",
        AtLeast(0),
    ),
    def(
        "message.timestamp.before.max.ms",
        Long,
        "How far a record timestamp may be behind the broker's clock.",
        "log.message.timestamp.before.max.ms",
        LONG_MAX,
        AtLeast(0),
    ),
    def(
        "message.timestamp.type",
        Str,
        "Whether record timestamps are the producer's (CreateTime) or the broker's.",
        "log.message.timestamp.type",
        "CreateTime",
        OneOf(&["CreateTime", "LogAppendTime"]),
    ),
    def(
        "min.cleanable.dirty.ratio",
        Double,
        "Minimum ratio of dirty log to total log for the log to be compacted.",
        "log.cleaner.min.cleanable.ratio",
        "0.5",
        DoubleBetween(0.0, 1.0),
    ),
    def(
        "min.compaction.lag.ms",
        Long,
        "Minimum time a message stays uncompacted in the log.",
        "log.cleaner.min.compaction.lag.ms",
        "0",
        AtLeast(0),
    ),
    def(
        "min.insync.replicas",
        Int,
        "Minimum in-sync replicas that must acknowledge an acks=all write.",
        "min.insync.replicas",
        "1",
        AtLeast(1),
    ),
    def(
        "preallocate",
        Boolean,
        "Whether to preallocate the file when creating a new segment.",
        "log.preallocate",
        "false",
        Validator::None,
    ),
    def(
        "retention.bytes",
        Long,
        "Maximum size a partition's log can grow to before old segments are deleted; -1 is unlimited.",
        "log.retention.bytes",
        "-1",
        Validator::None,
    ),
    def(
        "retention.ms",
        Long,
        "Maximum time a log segment is kept before it is deleted; -1 is unlimited.",
        "log.retention.ms",
        "604800000",
        AtLeast(-1),
    ),
    def(
        "segment.bytes",
        Int,
        "Segment file size of the log.",
        "log.segment.bytes",
        "1073741824",
        AtLeast(14),
    ),
    def(
        "segment.index.bytes",
        Int,
        "Size of the index that maps offsets to file positions.",
        "log.index.size.max.bytes",
        "10485760",
        AtLeast(4),
    ),
    def(
        "segment.jitter.ms",
        Long,
        "Maximum random jitter subtracted from segment.ms to avoid thundering rolls.",
        "log.roll.jitter.ms",
        "0",
        AtLeast(0),
    ),
    def(
        "segment.ms",
        Long,
        "Time after which a segment is rolled even if it is not full.",
        "log.roll.ms",
        "604800000",
        AtLeast(1),
    ),
    def(
        "unclean.leader.election.enable",
        Boolean,
        "Whether replicas outside the ISR may be elected leader as a last resort.",
        "unclean.leader.election.enable",
        "false",
        Validator::None,
    ),
];

/// The definition of a topic config, if Kavka knows it.
pub fn topic_config_def(name: &str) -> Option<&'static TopicConfigDef> {
    TOPIC_CONFIGS.iter().find(|d| d.name == name)
}

/// Splits a list value the way Kafka does: comma-separated, items trimmed,
/// empty input is the empty list.
pub fn split_list(value: &str) -> Vec<&str> {
    if value.trim().is_empty() {
        return Vec::new();
    }
    value.split(',').map(str::trim).collect()
}

/// Checks one topic config key and value.
pub fn validate_topic_config(name: &str, value: &str) -> Result<(), ConfigError> {
    let def = topic_config_def(name).ok_or_else(|| ConfigError::UnknownKey {
        key: name.to_string(),
        value: value.to_string(),
    })?;
    check_value(def, value).map_err(|reason| ConfigError::InvalidValue {
        key: name.to_string(),
        value: value.to_string(),
        reason,
    })
}

fn check_value(def: &TopicConfigDef, value: &str) -> Result<(), String> {
    // Kafka trims values before parsing them.
    let v = value.trim();
    match def.config_type {
        Boolean => {
            if !v.eq_ignore_ascii_case("true") && !v.eq_ignore_ascii_case("false") {
                return Err("expected a boolean (true or false)".into());
            }
        }
        Int => {
            let n: i32 = v.parse().map_err(|_| "expected a 32-bit integer".to_string())?;
            check_min(def, i64::from(n))?;
        }
        Long => {
            let n: i64 = v.parse().map_err(|_| "expected a 64-bit integer".to_string())?;
            check_min(def, n)?;
        }
        Double => {
            let x: f64 = v.parse().map_err(|_| "expected a number".to_string())?;
            if let Validator::DoubleBetween(lo, hi) = def.validator {
                // NaN fails both comparisons, so it is rejected too.
                if !(x >= lo && x <= hi) {
                    return Err(format!("value must be between {lo} and {hi}"));
                }
            }
        }
        Str => {
            if let Validator::OneOf(allowed) = def.validator {
                if !allowed.contains(&v) {
                    return Err(format!("string must be one of: {}", allowed.join(", ")));
                }
            }
        }
        List => {
            if let Validator::ListOf(allowed) = def.validator {
                let items = split_list(v);
                if items.is_empty() {
                    return Err(format!(
                        "the list must not be empty; allowed items: {}",
                        allowed.join(", ")
                    ));
                }
                if let Some(bad) = items.iter().find(|i| !allowed.contains(i)) {
                    return Err(format!(
                        "{bad:?} is not allowed; items must be from: {}",
                        allowed.join(", ")
                    ));
                }
            }
        }
        ConfigType::Class => {}
    }
    Ok(())
}

fn check_min(def: &TopicConfigDef, n: i64) -> Result<(), String> {
    match def.validator {
        Validator::AtLeast(min) if n < min => Err(format!("value must be at least {min}")),
        _ => Ok(()),
    }
}

/// The value a topic would use for `name` given its overrides, ignoring
/// broker-level overrides of the default (the controller does not know the
/// brokers' static configs).
pub fn effective_value<'a>(overrides: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    overrides
        .get(name)
        .map(String::as_str)
        .or_else(|| topic_config_def(name).map(|d| d.default))
}

/// Checks each override and the rules that relate configs to each other.
pub fn validate_topic_configs(overrides: &BTreeMap<String, String>) -> Result<(), ConfigError> {
    for (k, v) in overrides {
        validate_topic_config(k, v)?;
    }
    // Kafka refuses a minimum compaction lag above the maximum.
    let lag = |name| effective_value(overrides, name).and_then(|v| v.trim().parse::<i64>().ok());
    if let (Some(min), Some(max)) = (lag("min.compaction.lag.ms"), lag("max.compaction.lag.ms")) {
        if min > max {
            let key = if overrides.contains_key("min.compaction.lag.ms") {
                "min.compaction.lag.ms"
            } else {
                "max.compaction.lag.ms"
            };
            return Err(ConfigError::InvalidValue {
                key: key.to_string(),
                value: overrides.get(key).cloned().unwrap_or_default(),
                reason: format!(
                    "conflict: min.compaction.lag.ms ({min}) is greater than \
                     max.compaction.lag.ms ({max})"
                ),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_unique_and_defaults_are_valid() {
        for w in TOPIC_CONFIGS.windows(2) {
            assert!(w[0].name < w[1].name, "{} / {}", w[0].name, w[1].name);
        }
        for d in TOPIC_CONFIGS {
            validate_topic_config(d.name, d.default)
                .unwrap_or_else(|e| panic!("default of {} is invalid: {e}", d.name));
            assert!(!d.broker_default_key.is_empty());
            assert!(!d.doc.is_empty());
            assert!(!d.sensitive);
        }
        assert_eq!(TOPIC_CONFIGS.len(), 23);
    }

    #[test]
    fn broker_default_keys_follow_kafka() {
        let key = |n| topic_config_def(n).unwrap().broker_default_key;
        assert_eq!(key("retention.ms"), "log.retention.ms");
        assert_eq!(key("segment.bytes"), "log.segment.bytes");
        assert_eq!(key("max.message.bytes"), "message.max.bytes");
        assert_eq!(key("cleanup.policy"), "log.cleanup.policy");
        assert_eq!(key("flush.messages"), "log.flush.interval.messages");
        assert_eq!(key("segment.index.bytes"), "log.index.size.max.bytes");
    }

    #[test]
    fn accepts_valid_values() {
        for (k, v) in [
            ("cleanup.policy", "compact,delete"),
            ("cleanup.policy", " compact , delete "),
            ("compression.type", "zstd"),
            ("retention.ms", "-1"),
            ("retention.bytes", "-5"),
            ("segment.bytes", "14"),
            ("min.cleanable.dirty.ratio", "1"),
            ("unclean.leader.election.enable", "TRUE"),
            ("message.timestamp.type", "LogAppendTime"),
            ("flush.messages", "9223372036854775807"),
        ] {
            validate_topic_config(k, v).unwrap_or_else(|e| panic!("{k}={v}: {e}"));
        }
    }

    #[test]
    fn rejects_bad_values_naming_key_and_value() {
        for (k, v) in [
            ("cleanup.policy", "remove"),
            ("cleanup.policy", ""),
            ("compression.type", "ZSTD"),
            ("retention.ms", "-2"),
            ("retention.ms", "soon"),
            ("segment.bytes", "13"),
            ("segment.bytes", "4294967296"),
            ("min.cleanable.dirty.ratio", "1.5"),
            ("min.cleanable.dirty.ratio", "NaN"),
            ("min.insync.replicas", "0"),
            ("preallocate", "yes"),
            ("message.timestamp.type", "createtime"),
        ] {
            let err = validate_topic_config(k, v).unwrap_err();
            let msg = err.to_string();
            assert!(msg.contains(k) && msg.contains(&format!("{v:?}")), "{msg}");
        }
        let err = validate_topic_config("retention.hours", "1").unwrap_err();
        assert_eq!(
            err,
            ConfigError::UnknownKey {
                key: "retention.hours".into(),
                value: "1".into()
            }
        );
        let msg = err.to_string();
        assert!(msg.contains("retention.hours") && msg.contains("\"1\""), "{msg}");
    }

    #[test]
    fn compaction_lag_conflict() {
        let mut m = BTreeMap::new();
        m.insert("max.compaction.lag.ms".to_string(), "10".to_string());
        validate_topic_configs(&m).unwrap();
        m.insert("min.compaction.lag.ms".to_string(), "11".to_string());
        let err = validate_topic_configs(&m).unwrap_err();
        assert!(err.to_string().contains("conflict"), "{err}");
    }

    #[test]
    fn effective_value_falls_back_to_default() {
        let mut m = BTreeMap::new();
        assert_eq!(effective_value(&m, "cleanup.policy"), Some("delete"));
        m.insert("cleanup.policy".to_string(), "compact".to_string());
        assert_eq!(effective_value(&m, "cleanup.policy"), Some("compact"));
        assert_eq!(effective_value(&m, "nope"), None);
        assert_eq!(split_list("a, b"), vec!["a", "b"]);
        assert!(split_list(" ").is_empty());
    }
}
