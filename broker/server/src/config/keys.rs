//! The table of broker configuration keys: name, default, parser.
//!
//! Each key parses its string into the typed field of [`BrokerConfig`]; the
//! parser's error string becomes part of a `ConfigError::InvalidValue` that
//! also names the key.

use std::path::PathBuf;

use super::{BrokerConfig, CleanupPolicy, Listener, ProcessRoles, TimestampType};

type Apply = fn(&mut BrokerConfig, &str) -> Result<(), String>;

/// One broker configuration key.
pub struct ConfigKey {
    pub name: &'static str,
    /// Older or alternative names accepted on input (reported under `name`).
    pub aliases: &'static [&'static str],
    pub default: Option<&'static str>,
    pub doc: &'static str,
    apply: Apply,
}

impl ConfigKey {
    pub fn apply(&self, cfg: &mut BrokerConfig, value: &str) -> Result<(), String> {
        (self.apply)(cfg, value)
    }
}

fn int<T: std::str::FromStr>(v: &str) -> Result<T, String> {
    v.trim()
        .parse::<T>()
        .map_err(|_| format!("expected an integer, got `{v}`"))
}

fn positive(v: &str) -> Result<u64, String> {
    let n: i64 = int(v)?;
    if n <= 0 {
        return Err("must be positive".into());
    }
    Ok(n as u64)
}

fn non_negative(v: &str) -> Result<u64, String> {
    let n: i64 = int(v)?;
    if n < 0 {
        return Err("must not be negative".into());
    }
    Ok(n as u64)
}

/// Kafka's "-1 means unlimited" longs.
fn unlimited_i64(v: &str) -> Result<Option<i64>, String> {
    let n: i64 = int(v)?;
    match n {
        -1 => Ok(None),
        n if n < -1 => Err("must be -1 (unlimited) or non-negative".into()),
        n => Ok(Some(n)),
    }
}

/// Kafka uses Long.MAX_VALUE as "never" for flush settings.
fn never_max(v: &str) -> Result<Option<u64>, String> {
    let n: i64 = int(v)?;
    if n <= 0 {
        return Err("must be positive".into());
    }
    Ok(if n == i64::MAX { None } else { Some(n as u64) })
}

fn boolean(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err("expected `true` or `false`".into()),
    }
}

fn listeners(v: &str) -> Result<Vec<Listener>, String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<Listener>().map_err(|e| e.to_string()))
        .collect()
}

fn roles(v: &str) -> Result<ProcessRoles, String> {
    let mut r = ProcessRoles {
        broker: false,
        controller: false,
    };
    for role in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        match role {
            "broker" => r.broker = true,
            "controller" => r.controller = true,
            other => {
                return Err(format!(
                    "unknown role `{other}` (expected broker and/or controller)"
                ))
            }
        }
    }
    if !r.broker && !r.controller {
        return Err("at least one role is required".into());
    }
    Ok(r)
}

pub static KEYS: &[ConfigKey] = &[
    ConfigKey {
        name: "node.id",
        aliases: &["broker.id"],
        default: Some("1"),
        doc: "The node id of this broker.",
        apply: |c, v| {
            let n: i32 = int(v)?;
            if n < 0 {
                return Err("must not be negative".into());
            }
            c.node_id = n;
            Ok(())
        },
    },
    ConfigKey {
        name: "process.roles",
        aliases: &[],
        default: Some("broker,controller"),
        doc: "The roles of this process: broker, controller or both.",
        apply: |c, v| {
            c.process_roles = roles(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "listeners",
        aliases: &[],
        default: Some("PLAINTEXT://127.0.0.1:9092"),
        doc: "Comma-separated listener URIs (NAME://host:port).",
        apply: |c, v| {
            c.listeners = listeners(v)?;
            if c.listeners.is_empty() {
                return Err("at least one listener is required".into());
            }
            Ok(())
        },
    },
    ConfigKey {
        name: "advertised.listeners",
        aliases: &[],
        default: None,
        doc: "Listeners published to clients, if different from `listeners`.",
        apply: |c, v| {
            let l = listeners(v)?;
            c.advertised_listeners = if l.is_empty() { None } else { Some(l) };
            Ok(())
        },
    },
    ConfigKey {
        name: "log.dirs",
        aliases: &["log.dir"],
        default: Some("./kavka-data"),
        doc: "Directories in which partition logs are kept.",
        apply: |c, v| {
            let dirs: Vec<PathBuf> = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(PathBuf::from)
                .collect();
            if dirs.is_empty() {
                return Err("at least one directory is required".into());
            }
            c.log_dirs = dirs;
            Ok(())
        },
    },
    ConfigKey {
        name: "num.partitions",
        aliases: &[],
        default: Some("1"),
        doc: "Default number of partitions of auto-created topics.",
        apply: |c, v| {
            c.num_partitions = positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "default.replication.factor",
        aliases: &[],
        default: Some("1"),
        doc: "Default replication factor of auto-created topics.",
        apply: |c, v| {
            c.default_replication_factor = positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "auto.create.topics.enable",
        aliases: &[],
        default: Some("true"),
        doc: "Create topics on Metadata or Produce requests for unknown topics.",
        apply: |c, v| {
            c.auto_create_topics_enable = boolean(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "delete.topic.enable",
        aliases: &[],
        default: Some("true"),
        doc: "Allow DeleteTopics.",
        apply: |c, v| {
            c.delete_topic_enable = boolean(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.segment.bytes",
        aliases: &[],
        default: Some("1073741824"),
        doc: "Maximum size of a single log segment.",
        apply: |c, v| {
            let n = positive(v)?;
            if n < 14 {
                return Err("must be at least 14".into());
            }
            if n > i32::MAX as u64 {
                return Err("must fit in 32 bits (index positions are 32-bit)".into());
            }
            c.log_segment_bytes = n;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.roll.ms",
        aliases: &[],
        default: None,
        doc: "Maximum time before a new segment is rolled (overrides log.roll.hours).",
        apply: |c, v| {
            c.log_roll_ms = positive(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.roll.hours",
        aliases: &[],
        default: Some("168"),
        doc: "Maximum time in hours before a new segment is rolled.",
        apply: |c, v| {
            if c.set.contains_key("log.roll.ms") {
                return Ok(());
            }
            c.log_roll_ms = positive(v)?.saturating_mul(3_600_000);
            Ok(())
        },
    },
    ConfigKey {
        name: "log.retention.ms",
        aliases: &[],
        default: None,
        doc: "How long to keep a segment before deleting it; -1 keeps forever.",
        apply: |c, v| {
            c.log_retention_ms = unlimited_i64(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.retention.minutes",
        aliases: &[],
        default: None,
        doc: "Retention in minutes (used when log.retention.ms is unset).",
        apply: |c, v| {
            if c.set.contains_key("log.retention.ms") {
                return Ok(());
            }
            c.log_retention_ms = unlimited_i64(v)?.map(|m| m.saturating_mul(60_000));
            Ok(())
        },
    },
    ConfigKey {
        name: "log.retention.hours",
        aliases: &[],
        default: Some("168"),
        doc: "Retention in hours (used when log.retention.ms/minutes are unset).",
        apply: |c, v| {
            if c.set.contains_key("log.retention.ms") || c.set.contains_key("log.retention.minutes") {
                return Ok(());
            }
            c.log_retention_ms = unlimited_i64(v)?.map(|h| h.saturating_mul(3_600_000));
            Ok(())
        },
    },
    ConfigKey {
        name: "log.retention.bytes",
        aliases: &[],
        default: Some("-1"),
        doc: "Maximum size of a partition log before old segments are deleted; -1 is unlimited.",
        apply: |c, v| {
            c.log_retention_bytes = unlimited_i64(v)?.map(|n| n as u64);
            Ok(())
        },
    },
    ConfigKey {
        name: "log.retention.check.interval.ms",
        aliases: &[],
        default: Some("300000"),
        doc: "How often retention is applied.",
        apply: |c, v| {
            c.log_retention_check_interval_ms = positive(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.flush.interval.messages",
        aliases: &[],
        default: Some("9223372036854775807"),
        doc: "Messages accumulated on a partition before it is fsynced.",
        apply: |c, v| {
            c.log_flush_interval_messages = never_max(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.flush.interval.ms",
        aliases: &[],
        default: None,
        doc: "Maximum time a message stays unflushed (falls back to log.flush.scheduler.interval.ms).",
        apply: |c, v| {
            c.log_flush_interval_ms = never_max(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.flush.scheduler.interval.ms",
        aliases: &[],
        default: Some("9223372036854775807"),
        doc: "How often the flusher checks whether a log needs flushing.",
        apply: |c, v| {
            c.log_flush_scheduler_interval_ms = never_max(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.index.interval.bytes",
        aliases: &[],
        default: Some("4096"),
        doc: "Bytes between entries of the sparse offset index.",
        apply: |c, v| {
            c.log_index_interval_bytes = non_negative(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "log.cleanup.policy",
        aliases: &[],
        default: Some("delete"),
        doc: "Default cleanup policy: delete, compact or both.",
        apply: |c, v| {
            let mut delete = false;
            let mut compact = false;
            for p in v.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match p {
                    "delete" => delete = true,
                    "compact" => compact = true,
                    other => return Err(format!("unknown policy `{other}`")),
                }
            }
            c.log_cleanup_policy = match (delete, compact) {
                (true, true) => CleanupPolicy::CompactDelete,
                (false, true) => CleanupPolicy::Compact,
                _ => CleanupPolicy::Delete,
            };
            Ok(())
        },
    },
    ConfigKey {
        name: "log.message.timestamp.type",
        aliases: &[],
        default: Some("CreateTime"),
        doc: "CreateTime or LogAppendTime.",
        apply: |c, v| {
            c.log_message_timestamp_type = match v.trim() {
                "CreateTime" => TimestampType::CreateTime,
                "LogAppendTime" => TimestampType::LogAppendTime,
                _ => return Err("expected CreateTime or LogAppendTime".into()),
            };
            Ok(())
        },
    },
    ConfigKey {
        name: "message.max.bytes",
        aliases: &[],
        default: Some("1048588"),
        doc: "Largest record batch size accepted.",
        apply: |c, v| {
            c.message_max_bytes = positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "socket.request.max.bytes",
        aliases: &[],
        default: Some("104857600"),
        doc: "Largest request a client may send; larger frames close the connection.",
        apply: |c, v| {
            c.socket_request_max_bytes = positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "min.insync.replicas",
        aliases: &[],
        default: Some("1"),
        doc: "Minimum in-sync replicas for acks=all writes.",
        apply: |c, v| {
            c.min_insync_replicas = positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "broker.rack",
        aliases: &[],
        default: None,
        doc: "Rack of this broker, for rack-aware replica placement.",
        apply: |c, v| {
            c.broker_rack = Some(v.trim().to_string()).filter(|s| !s.is_empty());
            Ok(())
        },
    },
    // ---- idempotent producers (Kafka: int, at least 1; broker-level only) ----
    ConfigKey {
        name: "producer.id.expiration.ms",
        aliases: &[],
        default: Some("86400000"),
        doc: "How long a producer's state (epoch, last sequences) is kept after its last write.",
        apply: |c, v| {
            let n = positive(v)?;
            if n > i32::MAX as u64 {
                return Err("must fit in 32 bits".into());
            }
            c.producer_id_expiration_ms = n as i64;
            Ok(())
        },
    },
    ConfigKey {
        name: "producer.id.expiration.check.interval.ms",
        aliases: &[],
        default: Some("600000"),
        doc: "How often expired producer ids are removed.",
        apply: |c, v| {
            let n = positive(v)?;
            if n > i32::MAX as u64 {
                return Err("must fit in 32 bits".into());
            }
            c.producer_id_expiration_check_interval_ms = n;
            Ok(())
        },
    },
    // ---- group coordinator (see config/group.rs) ----
    ConfigKey {
        name: "group.min.session.timeout.ms",
        aliases: &[],
        default: Some("6000"),
        doc: "Smallest session timeout a group member may ask for.",
        apply: |c, v| {
            c.group.min_session_timeout_ms = super::group::non_negative_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "group.max.session.timeout.ms",
        aliases: &[],
        default: Some("1800000"),
        doc: "Largest session timeout a group member may ask for.",
        apply: |c, v| {
            c.group.max_session_timeout_ms = super::group::non_negative_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "group.initial.rebalance.delay.ms",
        aliases: &[],
        default: Some("3000"),
        doc: "How long the first rebalance of an empty group waits for more members.",
        apply: |c, v| {
            c.group.initial_rebalance_delay_ms = super::group::non_negative_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "group.max.size",
        aliases: &[],
        default: Some("2147483647"),
        doc: "Maximum number of members of a consumer group.",
        apply: |c, v| {
            c.group.max_size = super::group::positive_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.topic.num.partitions",
        aliases: &[],
        default: Some("50"),
        doc: "Partitions of __consumer_offsets (fixed once the topic exists).",
        apply: |c, v| {
            c.group.offsets_topic_num_partitions = super::group::positive_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.topic.replication.factor",
        aliases: &[],
        default: Some("3"),
        doc: "Replication factor of __consumer_offsets, capped at the number of registered brokers.",
        apply: |c, v| {
            let n = super::group::positive_i32(v)?;
            c.group.offsets_topic_replication_factor = n.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.topic.segment.bytes",
        aliases: &[],
        default: Some("104857600"),
        doc: "Segment size of __consumer_offsets (small, so compaction can clean it).",
        apply: |c, v| {
            c.group.offsets_topic_segment_bytes = super::group::positive_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.retention.minutes",
        aliases: &[],
        default: Some("10080"),
        doc: "How long committed offsets of an empty group (or of a topic no longer consumed) are kept.",
        apply: |c, v| {
            c.group.offsets_retention_ms = i64::from(super::group::positive_i32(v)?) * 60_000;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.retention.check.interval.ms",
        aliases: &[],
        default: Some("600000"),
        doc: "How often expired committed offsets are removed.",
        apply: |c, v| {
            c.group.offsets_retention_check_interval_ms =
                positive(v)?.try_into().map_err(|_| "too large".to_string())?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offset.metadata.max.bytes",
        aliases: &[],
        default: Some("4096"),
        doc: "Largest metadata string of a committed offset.",
        apply: |c, v| {
            c.group.offset_metadata_max_bytes = super::group::non_negative_i32(v)?;
            Ok(())
        },
    },
    ConfigKey {
        name: "offsets.commit.timeout.ms",
        aliases: &[],
        default: Some("5000"),
        doc: "How long an offset commit waits for its record to be committed.",
        apply: |c, v| {
            c.group.offsets_commit_timeout_ms = super::group::positive_i32(v)?;
            Ok(())
        },
    },
];

#[cfg(test)]
pub(super) fn key_names() -> impl Iterator<Item = &'static str> {
    KEYS.iter().map(|k| k.name)
}
