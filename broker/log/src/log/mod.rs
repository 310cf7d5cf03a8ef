//! The partition log: an ordered list of segments plus the offsets,
//! checkpoints and leader epoch cache that belong to it.
//!
//! Locking model: the broker wraps each `Log` in a mutex. Everything here
//! does in-memory work plus small positional reads (headers) or one append
//! write; reads of record data ([`ReadSlice::read_bytes`]) and fsyncs
//! ([`FlushHandle::sync`]) are done by the caller after releasing the lock.

mod append;
mod cleanup;
mod compact;
mod open;
mod producers;
mod timestamps;

pub use append::ValidatedRecords;
pub use cleanup::{DeletedSegment, RetentionReason, RetentionResult};
pub use compact::CompactionStats;

use crate::batch::BatchHeader;
use crate::checkpoint::{self, LEADER_EPOCH_CHECKPOINT};
use crate::config::LogConfig;
use crate::epoch::{EpochEntry, LeaderEpochCache};
use crate::error::LogError;
use crate::producer::ProducerStateMap;
use crate::read::{FlushHandle, ReadSlice};
use crate::segment::Segment;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Result of an append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppendInfo {
    /// Offset of the first record appended.
    pub base_offset: i64,
    pub last_offset: i64,
    /// Largest batch max timestamp (the append time for LogAppendTime).
    pub max_timestamp: i64,
    /// Set when the log stamped LogAppendTime; Produce responses return it.
    pub log_append_time: Option<i64>,
    pub log_start_offset: i64,
    /// Headers as written (offsets, epoch and timestamps rewritten).
    pub batches: Vec<BatchHeader>,
    /// Sum of the batches' record counts.
    pub record_count: i64,
    pub bytes: usize,
    /// The append repeated batches an idempotent producer had already
    /// written (a retry): nothing was written, the offsets and timestamp are
    /// those of the original batches and `batches` is empty. The client is
    /// answered with success and these offsets, as Kafka does.
    pub duplicate: bool,
}

/// An offset found by timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimestampOffset {
    pub offset: i64,
    pub timestamp: i64,
    pub leader_epoch: Option<i32>,
}

/// State remembered between `flush_handle` and `mark_flushed`.
#[derive(Debug, Clone, Copy)]
struct PendingFlush {
    truncation_generation: u64,
    dir_changes: u64,
}

/// Last values written to the lazily written checkpoints.
#[derive(Debug, Default, Clone, Copy)]
struct WrittenCheckpoints {
    high_watermark: Option<i64>,
    recovery_point: Option<i64>,
    log_start_offset: Option<i64>,
}

#[derive(Debug)]
pub struct Log {
    dir: PathBuf,
    topic_id: Option<String>,
    config: LogConfig,
    /// Sorted by base offset; never empty (the last one is active).
    segments: Vec<Segment>,
    log_start_offset: i64,
    high_watermark: i64,
    /// Offsets below this are known durable (fsynced).
    recovery_point: i64,
    epochs: LeaderEpochCache,
    /// Bumped on every truncation so a flush that raced with one is ignored.
    truncation_generation: u64,
    pending_flush: Option<PendingFlush>,
    /// Segment files created/removed (directory entries to fsync).
    dir_changes: u64,
    dir_synced_changes: u64,
    /// Time of the oldest append not yet known durable, for `flush.ms`.
    first_unflushed_append_ms: Option<i64>,
    written: WrittenCheckpoints,
    /// Latest clock value the caller passed in, for segments created by
    /// calls that take no clock (truncation).
    clock_ms: i64,
    /// Idempotent-producer state of the log below the log end offset.
    producers: ProducerStateMap,
    /// Offsets of the `.snapshot` files in `dir`.
    producer_snapshots: BTreeSet<i64>,
}

impl Log {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn topic_id(&self) -> Option<&str> {
        self.topic_id.as_deref()
    }

    pub fn config(&self) -> &LogConfig {
        &self.config
    }

    /// Takes effect from the next append/roll/retention run.
    pub fn set_config(&mut self, config: LogConfig) {
        self.config = config;
    }

    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }

    pub fn log_end_offset(&self) -> i64 {
        self.active().next_offset
    }

    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }

    /// Clamped to `[log_start_offset, log_end_offset]`; checkpointed lazily.
    pub fn set_high_watermark(&mut self, hw: i64) {
        self.high_watermark = hw.clamp(self.log_start_offset, self.log_end_offset());
    }

    /// Offsets below this are durable on disk.
    pub fn recovery_point(&self) -> i64 {
        self.recovery_point
    }

    pub fn size_bytes(&self) -> u64 {
        self.segments.iter().map(|s| s.size).sum()
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }

    pub fn segment_base_offsets(&self) -> Vec<i64> {
        self.segments.iter().map(|s| s.base_offset).collect()
    }

    pub fn leader_epoch_entries(&self) -> &[EpochEntry] {
        self.epochs.entries()
    }

    pub fn latest_epoch(&self) -> Option<i32> {
        self.epochs.latest_epoch()
    }

    /// Epoch of the leader that wrote `offset`, from the epoch cache.
    pub fn epoch_for_offset(&self, offset: i64) -> Option<i32> {
        self.epochs.epoch_for_offset(offset)
    }

    /// OffsetForLeaderEpoch (Kafka's `endOffsetFor`): the largest epoch <=
    /// `epoch` and the start offset of the epoch after it (the log end
    /// offset for the latest epoch). For an epoch older than every cached
    /// one Kafka answers `(epoch, start offset of the first cached epoch)`;
    /// `None` stands for UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
    pub fn end_offset_for_epoch(&self, epoch: i32) -> Option<(i32, i64)> {
        self.epochs.end_offset_for(epoch, self.log_end_offset())
    }

    /// Records that leader epoch `epoch` starts at the log end offset, as
    /// Kafka does when a replica becomes leader (before any append in that
    /// epoch), so that OffsetForLeaderEpoch answers `(epoch, log end)` for
    /// an epoch without data yet. Checkpointed before returning. A no-op if
    /// `epoch` is negative or not newer than the latest cached epoch.
    ///
    /// Like every cache entry, it disappears if the log is truncated to or
    /// below its start offset, and at open when it has no data (Kafka's
    /// `truncateFromEnd` on load): a leader assigns it again.
    pub fn assign_leader_epoch(&mut self, epoch: i32) -> Result<(), LogError> {
        if epoch < 0 || self.epochs.latest_epoch().is_some_and(|latest| epoch <= latest) {
            return Ok(());
        }
        let end = self.log_end_offset();
        if self.epochs.assign(epoch, end) {
            tracing::debug!(dir = %self.dir.display(), epoch, start_offset = end, "new leader epoch");
            self.write_epoch_checkpoint()?;
        }
        Ok(())
    }

    fn observe_clock(&mut self, now_ms: i64) {
        self.clock_ms = self.clock_ms.max(now_ms);
    }

    fn active(&self) -> &Segment {
        // `segments` is never empty: open creates one and nothing removes
        // the last without adding another.
        &self.segments[self.segments.len() - 1]
    }

    fn active_mut(&mut self) -> &mut Segment {
        let last = self.segments.len() - 1;
        &mut self.segments[last]
    }

    /// Index of the segment whose base offset is the largest <= `offset`.
    fn segment_index_for(&self, offset: i64) -> Option<usize> {
        self.segments
            .partition_point(|s| s.base_offset <= offset)
            .checked_sub(1)
    }

    // ---- reads -------------------------------------------------------------

    /// Whole batches starting with the batch containing `offset`, at most
    /// `max_bytes` (but the first batch whole if `min_one_batch`), only
    /// batches that end before `max_offset` (exclusive, e.g. the high
    /// watermark). Bytes come from one segment; read them with
    /// [`ReadSlice::read_bytes`] after releasing the lock.
    pub fn read(
        &self,
        offset: i64,
        max_bytes: usize,
        max_offset: i64,
        min_one_batch: bool,
    ) -> Result<ReadSlice, LogError> {
        let end = self.log_end_offset();
        if offset < self.log_start_offset || offset > end {
            return Err(LogError::OffsetOutOfRange {
                offset,
                start: self.log_start_offset,
                end,
            });
        }
        if offset >= end || offset >= max_offset {
            return Ok(ReadSlice::empty(offset));
        }
        let first_idx = self.segment_index_for(offset).unwrap_or(0);
        for seg in &self.segments[first_idx..] {
            let Some((start, first)) = seg.locate(offset)? else {
                // Nothing at or after `offset` here (e.g. removed by
                // compaction or truncation): continue in the next segment.
                continue;
            };
            if first.last_offset() >= max_offset {
                return Ok(ReadSlice::empty(offset));
            }
            let by_offset = if max_offset >= seg.next_offset {
                seg.size
            } else {
                seg.locate(max_offset)?.map_or(seg.size, |(p, _)| p)
            };
            let byte_limit = start.saturating_add(max_bytes as u64);
            let by_bytes = seg.boundary_at_or_below(start, byte_limit)?;
            let mut stop = by_offset.min(by_bytes);
            if stop == start && min_one_batch {
                stop = start + first.size() as u64;
            }
            let len = usize::try_from(stop - start).unwrap_or(0);
            return Ok(ReadSlice::new(
                seg.file.clone(),
                start,
                len,
                first.base_offset,
                seg.base_offset,
            ));
        }
        Ok(ReadSlice::empty(offset))
    }

    // ---- flushing ----------------------------------------------------------

    /// Group commit, step 1: what to fsync to make everything up to the
    /// current log end durable; `None` if nothing is unflushed. Use one
    /// flusher per log: `mark_flushed` applies to the oldest outstanding
    /// handle and is ignored after a truncation.
    pub fn flush_handle(&mut self) -> Option<FlushHandle> {
        let end = self.log_end_offset();
        let dir_dirty = self.dir_changes != self.dir_synced_changes;
        if end <= self.recovery_point && !dir_dirty {
            return None;
        }
        let first_idx = self.segment_index_for(self.recovery_point).unwrap_or(0);
        let files = self.segments[first_idx..]
            .iter()
            .map(|s| s.file.clone())
            .collect();
        if self.pending_flush.is_none() {
            self.pending_flush = Some(PendingFlush {
                truncation_generation: self.truncation_generation,
                dir_changes: self.dir_changes,
            });
        }
        Some(FlushHandle {
            files,
            dir: dir_dirty.then(|| self.dir.clone()),
            end_offset: end,
        })
    }

    /// Group commit, step 3 (after `FlushHandle::sync` succeeded).
    pub fn mark_flushed(&mut self, end_offset: i64) {
        let Some(pending) = self.pending_flush.take() else {
            return;
        };
        if pending.truncation_generation != self.truncation_generation {
            // The log was truncated after the handle was made: bytes below
            // `end_offset` may have been replaced and not synced.
            return;
        }
        self.dir_synced_changes = self.dir_synced_changes.max(pending.dir_changes);
        let end = self.log_end_offset();
        self.recovery_point = self.recovery_point.max(end_offset.min(end));
        if self.recovery_point >= end {
            self.first_unflushed_append_ms = None;
        }
    }

    /// Whether `flush.messages` or `flush.ms` asks for a flush now.
    pub fn flush_due(&self, now_ms: i64) -> bool {
        let unflushed = self.log_end_offset() - self.recovery_point;
        if unflushed <= 0 {
            return false;
        }
        let by_count = self
            .config
            .flush_interval_messages
            .is_some_and(|n| u64::try_from(unflushed).unwrap_or(0) >= n);
        let by_time = match (self.config.flush_interval_ms, self.first_unflushed_append_ms) {
            (Some(ms), Some(t)) => now_ms.saturating_sub(t) >= i64::try_from(ms).unwrap_or(i64::MAX),
            _ => false,
        };
        by_count || by_time
    }

    /// Flushes under the caller's lock: sync, mark, write indexes and
    /// checkpoints. Prefer `flush_handle` on hot paths.
    pub fn flush(&mut self) -> Result<(), LogError> {
        if let Some(handle) = self.flush_handle() {
            handle
                .sync()
                .map_err(LogError::io("syncing segments in", &self.dir))?;
            self.mark_flushed(handle.end_offset);
        }
        let dir = self.dir.clone();
        for seg in &mut self.segments {
            seg.write_indexes(&dir)?;
        }
        self.write_checkpoints()
    }

    /// Writes the high watermark, recovery point and log start checkpoints
    /// if they changed since last written (each write is atomic + fsynced).
    pub fn write_checkpoints(&mut self) -> Result<(), LogError> {
        use checkpoint::{format_offset, write_atomic};
        let targets = [
            (
                checkpoint::HIGH_WATERMARK_CHECKPOINT,
                self.high_watermark,
                self.written.high_watermark,
            ),
            (
                checkpoint::RECOVERY_POINT_CHECKPOINT,
                self.recovery_point,
                self.written.recovery_point,
            ),
            (
                checkpoint::LOG_START_CHECKPOINT,
                self.log_start_offset,
                self.written.log_start_offset,
            ),
        ];
        for (name, value, written) in targets {
            if written != Some(value) {
                write_atomic(&self.dir, name, format_offset(value).as_bytes())?;
            }
        }
        self.written = WrittenCheckpoints {
            high_watermark: Some(self.high_watermark),
            recovery_point: Some(self.recovery_point),
            log_start_offset: Some(self.log_start_offset),
        };
        Ok(())
    }

    fn write_epoch_checkpoint(&self) -> Result<(), LogError> {
        checkpoint::write_atomic(
            &self.dir,
            LEADER_EPOCH_CHECKPOINT,
            self.epochs.to_checkpoint().as_bytes(),
        )
    }

    fn write_offset_checkpoint(&mut self, name: &str, value: i64) -> Result<(), LogError> {
        checkpoint::write_atomic(&self.dir, name, checkpoint::format_offset(value).as_bytes())?;
        match name {
            checkpoint::RECOVERY_POINT_CHECKPOINT => self.written.recovery_point = Some(value),
            checkpoint::LOG_START_CHECKPOINT => self.written.log_start_offset = Some(value),
            checkpoint::HIGH_WATERMARK_CHECKPOINT => self.written.high_watermark = Some(value),
            _ => {}
        }
        Ok(())
    }
}
