//! One hosted partition replica: its log behind a short-held lock, its
//! leader epoch, and group commit of fsyncs.

use std::sync::atomic::{AtomicI32, Ordering};

use bytes::{Bytes, BytesMut};
use kavka_controller::TopicId;
use kavka_log::{Log, LogConfig, LogError};
use parking_lot::Mutex;
use tracing::{error, warn};

use super::TopicPartition;

/// Why a partition operation failed, in domain terms; the API layer maps
/// these to Kafka error codes.
#[derive(Debug, thiserror::Error)]
pub enum PartitionError {
    #[error("offset {offset} is out of range [{start}, {end}]")]
    OffsetOutOfRange { offset: i64, start: i64, end: i64 },
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    #[error("record batch of {size} bytes exceeds max.message.bytes ({max})")]
    TooLarge { size: usize, max: usize },
    #[error("record set of {size} bytes exceeds segment.bytes ({max})")]
    RecordSetTooLarge { size: usize, max: usize },
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("unsupported record format: {0}")]
    UnsupportedFormat(String),
    #[error("invalid offset: {0}")]
    InvalidOffset(String),
    #[error("leader epoch {requested} is older than the current epoch {current}")]
    FencedLeaderEpoch { requested: i32, current: i32 },
    #[error("leader epoch {requested} is newer than the current epoch {current}")]
    UnknownLeaderEpoch { requested: i32, current: i32 },
    #[error("producer {producer_id} has epoch {current}; a batch with epoch {got} is fenced")]
    InvalidProducerEpoch {
        producer_id: i64,
        current: i16,
        got: i16,
    },
    #[error("producer {producer_id}: expected sequence {expected}, got {got}")]
    OutOfOrderSequence {
        producer_id: i64,
        expected: i32,
        got: i32,
    },
    #[error("storage error: {0}")]
    Storage(String),
    #[error("partition is closed")]
    Closed,
}

impl From<LogError> for PartitionError {
    fn from(e: LogError) -> Self {
        match e {
            LogError::OffsetOutOfRange { offset, start, end } => {
                PartitionError::OffsetOutOfRange { offset, start, end }
            }
            LogError::Corrupt(m) => PartitionError::Corrupt(m),
            LogError::TooLarge { size, max } => PartitionError::TooLarge { size, max },
            LogError::RecordSetTooLarge { size, max } => PartitionError::RecordSetTooLarge { size, max },
            LogError::InvalidRecord(m) => PartitionError::InvalidRecord(m),
            LogError::UnsupportedMagic(m) => {
                PartitionError::UnsupportedFormat(format!("record batch magic {m} (only v2 is accepted)"))
            }
            LogError::InvalidOffset(m) => PartitionError::InvalidOffset(m),
            LogError::StaleLeaderEpoch { epoch, latest } => PartitionError::FencedLeaderEpoch {
                requested: epoch,
                current: latest,
            },
            LogError::InvalidProducerEpoch {
                producer_id,
                current,
                got,
            } => PartitionError::InvalidProducerEpoch {
                producer_id,
                current,
                got,
            },
            LogError::OutOfOrderSequence {
                producer_id,
                expected,
                got,
            } => PartitionError::OutOfOrderSequence {
                producer_id,
                expected,
                got,
            },
            other => PartitionError::Storage(other.to_string()),
        }
    }
}

/// The result of a successful append.
#[derive(Debug, Clone)]
pub struct AppendOutcome {
    pub base_offset: i64,
    pub last_offset: i64,
    pub log_append_time: Option<i64>,
    pub log_start_offset: i64,
}

/// What a fetch found.
#[derive(Debug, Clone)]
pub struct FetchOutcome {
    pub high_watermark: i64,
    pub last_stable_offset: i64,
    pub log_start_offset: i64,
    pub records: Bytes,
}

pub struct Partition {
    tp: TopicPartition,
    pub topic_id: TopicId,
    log: Mutex<Option<Log>>,
    leader_epoch: AtomicI32,
    /// Serialises fsyncs so that appends waiting for durability share one
    /// fsync (group commit) instead of each issuing their own.
    flush_lock: tokio::sync::Mutex<()>,
}

impl Partition {
    pub fn new(tp: TopicPartition, topic_id: TopicId, log: Log, leader_epoch: i32) -> Self {
        Partition {
            tp,
            topic_id,
            log: Mutex::new(Some(log)),
            leader_epoch: AtomicI32::new(leader_epoch),
            flush_lock: tokio::sync::Mutex::new(()),
        }
    }

    pub fn tp(&self) -> &TopicPartition {
        &self.tp
    }

    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch.load(Ordering::Acquire)
    }

    fn with_log<R>(&self, f: impl FnOnce(&mut Log) -> Result<R, LogError>) -> Result<R, PartitionError> {
        let mut guard = self.log.lock();
        let log = guard.as_mut().ok_or(PartitionError::Closed)?;
        f(log).map_err(PartitionError::from)
    }

    /// Applies new metadata: topic configs and the leader epoch. As leader
    /// (`is_leader`), a new epoch is recorded in the log's epoch cache at
    /// the log end before any append in it, as Kafka's makeLeader does.
    pub fn update(&self, config: LogConfig, leader_epoch: i32, is_leader: bool) {
        self.leader_epoch.fetch_max(leader_epoch, Ordering::AcqRel);
        let mut guard = self.log.lock();
        if let Some(log) = guard.as_mut() {
            if *log.config() != config {
                log.set_config(config);
            }
            // A no-op unless the epoch is newer than the cache's latest.
            if is_leader {
                if let Err(e) = log.assign_leader_epoch(leader_epoch) {
                    error!(partition = %self.tp, epoch = leader_epoch, error = %e, "recording the leader epoch failed");
                }
            }
        }
    }

    /// Checks a client's view of the leader epoch (KIP-320).
    pub fn check_epoch(&self, requested: Option<i32>) -> Result<(), PartitionError> {
        let current = self.leader_epoch();
        match requested {
            Some(r) if r >= 0 && r < current => Err(PartitionError::FencedLeaderEpoch {
                requested: r,
                current,
            }),
            Some(r) if r > current => Err(PartitionError::UnknownLeaderEpoch {
                requested: r,
                current,
            }),
            _ => Ok(()),
        }
    }

    /// Appends a producer's record set as leader. On one node the ISR is
    /// this replica alone, so the high watermark moves to the new end.
    pub async fn append(&self, records: &Bytes, now_ms: i64) -> Result<AppendOutcome, PartitionError> {
        // The log rewrites offsets and the leader epoch in place; the request
        // buffer is shared, so work on a private copy.
        let mut buf = BytesMut::from(&records[..]);
        let epoch = self.leader_epoch();
        let (outcome, flush_needed) = self.with_log(|log| {
            let info = log.append_as_leader(&mut buf, epoch, now_ms)?;
            let end = log.log_end_offset();
            log.set_high_watermark(end);
            let due = log.flush_due(now_ms);
            Ok((
                AppendOutcome {
                    base_offset: info.base_offset,
                    last_offset: info.last_offset,
                    log_append_time: info.log_append_time,
                    log_start_offset: log.log_start_offset(),
                },
                due,
            ))
        })?;
        if flush_needed {
            self.flush().await?;
        }
        Ok(outcome)
    }

    /// Group commit: one fsync covers every append made before it started.
    pub async fn flush(&self) -> Result<(), PartitionError> {
        let _turn = self.flush_lock.lock().await;
        let handle = {
            let mut guard = self.log.lock();
            match guard.as_mut() {
                Some(log) => log.flush_handle(),
                None => return Ok(()),
            }
        };
        let Some(handle) = handle else { return Ok(()) };
        let end = handle.end_offset;
        let synced = tokio::task::spawn_blocking(move || handle.sync()).await;
        match synced {
            Ok(Ok(())) => {
                let mut guard = self.log.lock();
                if let Some(log) = guard.as_mut() {
                    log.mark_flushed(end);
                }
                Ok(())
            }
            Ok(Err(e)) => Err(PartitionError::Storage(format!(
                "fsync of {} failed: {e}",
                self.tp
            ))),
            Err(e) => Err(PartitionError::Storage(format!(
                "fsync task of {} failed: {e}",
                self.tp
            ))),
        }
    }

    pub fn flush_due(&self, now_ms: i64) -> bool {
        self.log.lock().as_ref().is_some_and(|l| l.flush_due(now_ms))
    }

    /// Reads up to `max_bytes` of committed data from `offset`. The file
    /// read happens outside the log lock.
    pub fn read(&self, offset: i64, max_bytes: usize, min_one: bool) -> Result<FetchOutcome, PartitionError> {
        let (slice, hw, start) = self.with_log(|log| {
            let hw = log.high_watermark();
            let start = log.log_start_offset();
            // Reading exactly at the high watermark is valid and empty.
            let slice = if offset == hw && offset >= start {
                None
            } else {
                let s = log.read(offset, max_bytes, hw, min_one)?;
                if s.is_empty() && !min_one && offset < hw && max_bytes > 0 {
                    // The next batch is larger than what is left of the
                    // response. Kafka then returns the first `max_bytes` of
                    // it: clients drop a trailing partial batch silently,
                    // while an empty answer below the high watermark makes
                    // them back off as if the batch could never fit.
                    Some(log.read(offset, max_bytes, hw, true)?)
                } else {
                    Some(s)
                }
            };
            Ok((slice, hw, start))
        })?;
        let mut records = match slice {
            Some(s) => s
                .read_bytes()
                .map_err(|e| PartitionError::Storage(format!("read of {} failed: {e}", self.tp)))?,
            None => Bytes::new(),
        };
        if !min_one && records.len() > max_bytes {
            records.truncate(max_bytes);
        }
        Ok(FetchOutcome {
            high_watermark: hw,
            // No transactions yet: everything below the high watermark is stable.
            last_stable_offset: hw,
            log_start_offset: start,
            records,
        })
    }

    pub fn offsets(&self) -> Result<(i64, i64, i64), PartitionError> {
        self.with_log(|log| Ok((log.log_start_offset(), log.high_watermark(), log.log_end_offset())))
    }

    pub fn offset_for_timestamp(
        &self,
        ts: i64,
    ) -> Result<Option<kavka_log::TimestampOffset>, PartitionError> {
        self.with_log(|log| log.offset_for_timestamp(ts))
    }

    pub fn max_timestamp(&self) -> Result<Option<kavka_log::TimestampOffset>, PartitionError> {
        self.with_log(|log| Ok(log.max_timestamp()))
    }

    pub fn end_offset_for_epoch(&self, epoch: i32) -> Result<Option<(i32, i64)>, PartitionError> {
        self.with_log(|log| Ok(log.end_offset_for_epoch(epoch)))
    }

    pub fn delete_records_before(&self, offset: i64) -> Result<i64, PartitionError> {
        self.with_log(|log| log.delete_records_before(offset))
    }

    pub fn write_checkpoints(&self) {
        if let Err(e) = self.with_log(|log| log.write_checkpoints()) {
            warn!(partition = %self.tp, error = %e, "writing checkpoints failed");
        }
    }

    pub fn size_bytes(&self) -> u64 {
        self.log.lock().as_ref().map(|l| l.size_bytes()).unwrap_or(0)
    }

    /// Periodic housekeeping: time-based roll and retention.
    pub fn housekeeping(&self, now_ms: i64, delete_retention_ms: i64) {
        let r = self.with_log(|log| {
            log.maybe_roll(now_ms)?;
            log.apply_retention(now_ms)?;
            // cleanup.policy=compact (e.g. __consumer_offsets): keep the
            // latest record per key; tombstones go after delete.retention.ms.
            if log.config().cleanup_policy.compacts() {
                let stats = log.compact(now_ms, delete_retention_ms)?;
                if stats.bytes_before > 0 {
                    tracing::debug!(partition = %self.tp, ?stats, "compacted");
                }
            }
            // The high watermark and recovery point are checkpointed lazily;
            // this bounds how stale they can be after a crash.
            log.write_checkpoints()
        });
        if let Err(e) = r {
            warn!(partition = %self.tp, error = %e, "retention failed");
        }
    }

    /// Forgets producers idle for `expiration_ms` (`producer.id.expiration.ms`);
    /// returns how many. A closed partition has none.
    pub fn expire_producers(&self, now_ms: i64, expiration_ms: i64) -> usize {
        self.log
            .lock()
            .as_mut()
            .map_or(0, |log| log.expire_producers(now_ms, expiration_ms))
    }

    pub fn close(&self) {
        if let Some(log) = self.log.lock().take() {
            if let Err(e) = log.close() {
                error!(partition = %self.tp, error = %e, "closing log failed");
            }
        }
    }

    pub fn delete(&self) {
        if let Some(log) = self.log.lock().take() {
            if let Err(e) = log.delete() {
                error!(partition = %self.tp, error = %e, "deleting log failed");
            }
        }
    }
}

impl Drop for Partition {
    fn drop(&mut self) {
        if self.log.get_mut().is_some() {
            self.close();
        }
    }
}
