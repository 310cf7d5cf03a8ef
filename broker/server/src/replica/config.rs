//! Effective log configuration of a partition: topic-level overrides on top
//! of the broker's `log.*` defaults (Kafka's precedence).

use std::collections::BTreeMap;

use kavka_log::{CleanupPolicy as LogCleanup, LogConfig, TimestampType as LogTs};

use crate::config::{BrokerConfig, CleanupPolicy, TimestampType};

fn long(map: &BTreeMap<String, String>, key: &str) -> Option<i64> {
    map.get(key).and_then(|v| v.trim().parse::<i64>().ok())
}

/// Kafka's "-1 = unlimited".
fn unlimited(v: i64) -> Option<i64> {
    (v >= 0).then_some(v)
}

fn never(v: i64) -> Option<u64> {
    (v > 0 && v != i64::MAX).then_some(v as u64)
}

/// Kafka's `log.cleaner.delete.retention.ms` default (one day).
pub const DEFAULT_DELETE_RETENTION_MS: i64 = 86_400_000;

/// The topic's `delete.retention.ms`: how long compaction keeps tombstones.
pub fn delete_retention_ms(topic: Option<&BTreeMap<String, String>>) -> i64 {
    topic
        .and_then(|t| long(t, "delete.retention.ms"))
        .filter(|v| *v >= 0)
        .unwrap_or(DEFAULT_DELETE_RETENTION_MS)
}

/// Builds the `LogConfig` of a topic. Values were validated by the
/// controller when they were set; anything unparsable falls back to the
/// broker default rather than failing a running partition.
pub fn log_config_for(broker: &BrokerConfig, topic: Option<&BTreeMap<String, String>>) -> LogConfig {
    let empty = BTreeMap::new();
    let t = topic.unwrap_or(&empty);
    let cleanup = match t.get("cleanup.policy").map(String::as_str) {
        Some(p) => {
            let compact = p.split(',').any(|s| s.trim() == "compact");
            let delete = p.split(',').any(|s| s.trim() == "delete");
            match (compact, delete) {
                (true, true) => LogCleanup::CompactDelete,
                (true, false) => LogCleanup::Compact,
                _ => LogCleanup::Delete,
            }
        }
        None => match broker.log_cleanup_policy {
            CleanupPolicy::Delete => LogCleanup::Delete,
            CleanupPolicy::Compact => LogCleanup::Compact,
            CleanupPolicy::CompactDelete => LogCleanup::CompactDelete,
        },
    };
    let timestamp_type = match t.get("message.timestamp.type").map(String::as_str) {
        Some("LogAppendTime") => LogTs::LogAppendTime,
        Some("CreateTime") => LogTs::CreateTime,
        _ => match broker.log_message_timestamp_type {
            TimestampType::CreateTime => LogTs::CreateTime,
            TimestampType::LogAppendTime => LogTs::LogAppendTime,
        },
    };
    let flush_ms = broker
        .log_flush_interval_ms
        .or(broker.log_flush_scheduler_interval_ms);
    LogConfig {
        segment_bytes: long(t, "segment.bytes")
            .filter(|v| *v >= 14)
            .map(|v| v as u64)
            .unwrap_or(broker.log_segment_bytes),
        segment_ms: Some(
            long(t, "segment.ms")
                .filter(|v| *v > 0)
                .map(|v| v as u64)
                .unwrap_or(broker.log_roll_ms),
        ),
        index_interval_bytes: long(t, "index.interval.bytes")
            .filter(|v| *v >= 0)
            .map(|v| v as u64)
            .unwrap_or(broker.log_index_interval_bytes),
        retention_ms: match long(t, "retention.ms") {
            Some(v) => unlimited(v),
            None => broker.log_retention_ms,
        },
        retention_bytes: match long(t, "retention.bytes") {
            Some(v) => unlimited(v).map(|v| v as u64),
            None => broker.log_retention_bytes,
        },
        flush_interval_messages: match long(t, "flush.messages") {
            Some(v) => never(v),
            None => broker.log_flush_interval_messages,
        },
        flush_interval_ms: match long(t, "flush.ms") {
            Some(v) => never(v),
            None => flush_ms,
        },
        max_message_bytes: long(t, "max.message.bytes")
            .filter(|v| *v > 0 && *v <= u32::MAX as i64)
            .map(|v| v as u32)
            .unwrap_or(broker.message_max_bytes),
        timestamp_type,
        cleanup_policy: cleanup,
        file_delete_delay_ms: long(t, "file.delete.delay.ms")
            .filter(|v| *v >= 0)
            .map(|v| v as u64)
            .unwrap_or(60_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_overrides_broker_defaults() {
        let broker = BrokerConfig::default();
        let mut t = BTreeMap::new();
        let base = log_config_for(&broker, None);
        assert_eq!(base.retention_ms, Some(168 * 3_600_000));
        assert_eq!(base.max_message_bytes, 1_048_588);
        t.insert("retention.ms".to_string(), "-1".to_string());
        t.insert("max.message.bytes".to_string(), "2000".to_string());
        t.insert("cleanup.policy".to_string(), "compact,delete".to_string());
        t.insert("flush.messages".to_string(), "1".to_string());
        let c = log_config_for(&broker, Some(&t));
        assert_eq!(c.retention_ms, None);
        assert_eq!(c.max_message_bytes, 2000);
        assert_eq!(c.cleanup_policy, LogCleanup::CompactDelete);
        assert_eq!(c.flush_interval_messages, Some(1));
    }
}
