//! Settings of the group coordinator and `__consumer_offsets` (Kafka's
//! `group.*` and `offsets.*` broker keys). Parsed by the entries in
//! `keys.rs`; defaults there are Kafka's.

/// The typed `group.*` / `offsets.*` broker settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupSettings {
    /// `group.min.session.timeout.ms`
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`
    pub max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms`
    pub initial_rebalance_delay_ms: i32,
    /// `group.max.size`
    pub max_size: i32,
    /// `offsets.topic.num.partitions`
    pub offsets_topic_num_partitions: i32,
    /// `offsets.topic.replication.factor` (capped at the number of
    /// registered brokers when the topic is created).
    pub offsets_topic_replication_factor: i16,
    /// `offsets.topic.segment.bytes`
    pub offsets_topic_segment_bytes: i32,
    /// `offsets.retention.minutes`, in milliseconds.
    pub offsets_retention_ms: i64,
    /// `offsets.retention.check.interval.ms`
    pub offsets_retention_check_interval_ms: i64,
    /// `offset.metadata.max.bytes`
    pub offset_metadata_max_bytes: i32,
    /// `offsets.commit.timeout.ms`: how long an offset commit waits for its
    /// record to be committed (replicated) before REQUEST_TIMED_OUT.
    pub offsets_commit_timeout_ms: i32,
}

impl Default for GroupSettings {
    fn default() -> Self {
        // Overwritten by the embedded defaults in `keys.rs` (Kafka's), which
        // go through the same parsers as user input.
        GroupSettings {
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 3_000,
            max_size: i32::MAX,
            offsets_topic_num_partitions: 50,
            offsets_topic_replication_factor: 3,
            offsets_topic_segment_bytes: 104_857_600,
            offsets_retention_ms: 10_080 * 60_000,
            offsets_retention_check_interval_ms: 600_000,
            offset_metadata_max_bytes: 4096,
            offsets_commit_timeout_ms: 5_000,
        }
    }
}

/// Parses a positive `i32` (Kafka's `atLeast(1)` ints).
pub(super) fn positive_i32(v: &str) -> Result<i32, String> {
    let n: i32 = v
        .trim()
        .parse()
        .map_err(|_| format!("expected an integer, got `{v}`"))?;
    if n < 1 {
        return Err("must be at least 1".into());
    }
    Ok(n)
}

/// Parses a non-negative `i32` (Kafka's `atLeast(0)` ints).
pub(super) fn non_negative_i32(v: &str) -> Result<i32, String> {
    let n: i32 = v
        .trim()
        .parse()
        .map_err(|_| format!("expected an integer, got `{v}`"))?;
    if n < 0 {
        return Err("must not be negative".into());
    }
    Ok(n)
}
