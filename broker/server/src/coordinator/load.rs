//! Rebuilding a shard's groups from its `__consumer_offsets` partition: read
//! from the log start to the high watermark and replay every record, as
//! Kafka does when a broker becomes the partition's leader.

use kavka_log::records::decode_records;
use kavka_log::BatchIter;
use tracing::{info, warn};

use super::OFFSETS_TOPIC;
use crate::group::{GroupConfig, GroupCoordinator, LoadStats, PartitionLoader};
use crate::replica::{Partition, PartitionError};

/// Bytes read per step of the replay.
const READ_BYTES: usize = 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ShardLoadError {
    #[error("__consumer_offsets-{partition} is not hosted by this broker")]
    Missing { partition: i32 },
    #[error("reading __consumer_offsets-{partition} at offset {offset} failed: {source}")]
    Read {
        partition: i32,
        offset: i64,
        #[source]
        source: PartitionError,
    },
}

/// What the replay skipped (records it could not use).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// Batches that do not decode (e.g. compressed ones: the coordinator
    /// writes none, so they come from another writer); logged and ignored.
    pub undecodable_batches: u64,
    /// Transaction markers (transactional offset commits are not supported).
    pub control_batches: u64,
    /// Records whose key or value does not decode.
    pub bad_records: u64,
}

/// Replays `p` (which must be `__consumer_offsets-<partition>`) from its log
/// start to its high watermark into a coordinator.
pub fn replay(
    p: &Partition,
    config: GroupConfig,
    now_ms: i64,
) -> Result<(GroupCoordinator, LoadStats, Skipped), ShardLoadError> {
    let partition = p.tp().partition;
    let read_err = |offset, source| ShardLoadError::Read {
        partition,
        offset,
        source,
    };
    let (start, hw, _) = p.offsets().map_err(|e| read_err(0, e))?;
    let mut loader = PartitionLoader::new();
    let mut skipped = Skipped::default();
    let mut offset = start;
    while offset < hw {
        let chunk = p
            .read(offset, READ_BYTES, true)
            .map_err(|e| read_err(offset, e))?;
        let mut next = offset;
        for (header, bytes) in BatchIter::new(&chunk.records) {
            if header.last_offset() < offset {
                continue;
            }
            next = header.next_offset();
            if header.is_control() {
                skipped.control_batches += 1;
                continue;
            }
            let records = match decode_records(bytes) {
                Ok((_, records)) => records,
                Err(e) => {
                    warn!(topic = OFFSETS_TOPIC, partition, offset = header.base_offset, error = %e,
                        "skipping an undecodable batch");
                    skipped.undecodable_batches += 1;
                    continue;
                }
            };
            for r in records {
                let Some(key) = r.key else {
                    skipped.bad_records += 1;
                    continue;
                };
                if let Err(e) = loader.replay(key, r.value) {
                    warn!(topic = OFFSETS_TOPIC, partition, offset = r.offset(&header), error = %e,
                        "skipping a record that does not decode");
                    skipped.bad_records += 1;
                }
            }
        }
        if next <= offset {
            // Nothing readable at `offset` (e.g. a batch larger than the
            // read, which `min_one` rules out, or a gap): stop rather than spin.
            warn!(
                topic = OFFSETS_TOPIC,
                partition, offset, hw, "replay made no progress; stopping early"
            );
            break;
        }
        offset = next;
    }
    let stats = loader.stats().clone();
    let coordinator = loader.finish(config, now_ms);
    info!(
        topic = OFFSETS_TOPIC,
        partition,
        from = start,
        to = hw,
        groups = coordinator.groups().count(),
        offset_commits = stats.offset_commits,
        group_records = stats.group_records,
        "loaded group coordinator state"
    );
    Ok((coordinator, stats, skipped))
}
