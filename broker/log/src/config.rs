//! Per-log configuration with Kafka's names and defaults.

pub use crate::batch::TimestampType;

/// `cleanup.policy`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CleanupPolicy {
    #[default]
    Delete,
    Compact,
    CompactDelete,
}

impl CleanupPolicy {
    /// Parses Kafka's list syntax (`delete`, `compact`, `compact,delete`).
    pub fn parse(s: &str) -> Option<CleanupPolicy> {
        let mut delete = false;
        let mut compact = false;
        for part in s.split(',').map(str::trim) {
            match part {
                "delete" => delete = true,
                "compact" => compact = true,
                _ => return None,
            }
        }
        match (delete, compact) {
            (true, false) => Some(CleanupPolicy::Delete),
            (false, true) => Some(CleanupPolicy::Compact),
            (true, true) => Some(CleanupPolicy::CompactDelete),
            (false, false) => None,
        }
    }

    pub fn deletes(self) -> bool {
        matches!(self, CleanupPolicy::Delete | CleanupPolicy::CompactDelete)
    }

    pub fn compacts(self) -> bool {
        matches!(self, CleanupPolicy::Compact | CleanupPolicy::CompactDelete)
    }
}

impl TimestampType {
    /// Parses `message.timestamp.type`.
    pub fn parse(s: &str) -> Option<TimestampType> {
        match s {
            "CreateTime" => Some(TimestampType::CreateTime),
            "LogAppendTime" => Some(TimestampType::LogAppendTime),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogConfig {
    /// `segment.bytes`. Values above `i32::MAX` are capped there because
    /// index positions are 32-bit (Kafka's config is an int as well).
    pub segment_bytes: u64,
    /// `segment.ms`: roll a non-empty active segment this long after its
    /// first batch's timestamp (Kafka's rule).
    pub segment_ms: Option<u64>,
    /// `index.interval.bytes`.
    pub index_interval_bytes: u64,
    /// `retention.ms`; `None` = -1 (unlimited).
    pub retention_ms: Option<i64>,
    /// `retention.bytes`; `None` = -1 (unlimited).
    pub retention_bytes: Option<u64>,
    /// `flush.messages`; `None` = never forced by count.
    pub flush_interval_messages: Option<u64>,
    /// `flush.ms`; `None` = never forced by time.
    pub flush_interval_ms: Option<u64>,
    /// `max.message.bytes`: the largest batch accepted.
    pub max_message_bytes: u32,
    /// `message.timestamp.type`.
    pub timestamp_type: TimestampType,
    /// `cleanup.policy`.
    pub cleanup_policy: CleanupPolicy,
    /// `file.delete.delay.ms`. Kept for DescribeConfigs; files are deleted
    /// immediately (open readers keep their handles, so a delay is not
    /// needed for correctness on Unix).
    pub file_delete_delay_ms: u64,
}

impl Default for LogConfig {
    fn default() -> LogConfig {
        LogConfig {
            segment_bytes: 1024 * 1024 * 1024,
            segment_ms: Some(7 * 24 * 60 * 60 * 1000),
            index_interval_bytes: 4096,
            retention_ms: Some(7 * 24 * 60 * 60 * 1000),
            retention_bytes: None,
            flush_interval_messages: None,
            flush_interval_ms: None,
            max_message_bytes: 1024 * 1024 + 12,
            timestamp_type: TimestampType::CreateTime,
            cleanup_policy: CleanupPolicy::Delete,
            file_delete_delay_ms: 60_000,
        }
    }
}

impl LogConfig {
    pub(crate) fn effective_segment_bytes(&self) -> u64 {
        self.segment_bytes.clamp(1, i32::MAX as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_policies() {
        assert_eq!(CleanupPolicy::parse("delete"), Some(CleanupPolicy::Delete));
        assert_eq!(CleanupPolicy::parse("compact"), Some(CleanupPolicy::Compact));
        assert_eq!(
            CleanupPolicy::parse("delete, compact"),
            Some(CleanupPolicy::CompactDelete)
        );
        assert_eq!(CleanupPolicy::parse("bogus"), None);
        assert_eq!(CleanupPolicy::parse(""), None);
        assert!(CleanupPolicy::CompactDelete.deletes() && CleanupPolicy::CompactDelete.compacts());
        assert_eq!(
            TimestampType::parse("LogAppendTime"),
            Some(TimestampType::LogAppendTime)
        );
        assert_eq!(TimestampType::parse("x"), None);
    }
}
