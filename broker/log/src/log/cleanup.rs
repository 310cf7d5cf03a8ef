//! Removing data: truncation (replication), DeleteRecords, retention.

use super::Log;
use crate::checkpoint::{HIGH_WATERMARK_CHECKPOINT, LOG_START_CHECKPOINT, RECOVERY_POINT_CHECKPOINT};
use crate::error::LogError;
use crate::segment::Segment;

/// Why a segment was deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetentionReason {
    /// `retention.ms` breached.
    Time,
    /// `retention.bytes` breached.
    Size,
    /// Entirely below the log start offset (DeleteRecords or earlier deletions).
    LogStart,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedSegment {
    pub base_offset: i64,
    /// Offset after the segment (the next segment's base offset).
    pub end_offset: i64,
    pub bytes: u64,
    pub reason: RetentionReason,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RetentionResult {
    pub deleted: Vec<DeletedSegment>,
    pub log_start_offset: i64,
}

impl RetentionResult {
    pub fn deleted_bytes(&self) -> u64 {
        self.deleted.iter().map(|d| d.bytes).sum()
    }
}

impl Log {
    /// Removes every offset >= `offset` from the log, indexes and epoch
    /// cache, and lowers the high watermark and recovery point with it.
    /// A target inside a batch removes that whole batch, yet the log end
    /// offset becomes `offset` (as in Kafka). A target below the first
    /// segment empties the log and restarts it at `offset`.
    pub fn truncate_to(&mut self, offset: i64) -> Result<(), LogError> {
        if offset < 0 {
            return Err(LogError::InvalidOffset(format!(
                "cannot truncate to negative offset {offset}"
            )));
        }
        if offset >= self.log_end_offset() {
            return Ok(());
        }
        if offset < self.segments[0].base_offset {
            return self.truncate_fully_and_start_at(offset);
        }
        tracing::info!(dir = %self.dir.display(), offset, log_end_offset = self.log_end_offset(), "truncating log");
        let dir = self.dir.clone();
        // Later segments go first (highest first) so that a crash midway
        // never leaves a hole followed by data.
        while self.segments.len() > 1 && self.active().base_offset > offset {
            if let Some(seg) = self.segments.pop() {
                seg.delete_files(&dir)?;
                self.dir_changes += 1;
            }
        }
        self.active_mut().truncate_to(offset, &dir)?;
        self.after_truncation(offset)?;
        // Kafka's `rebuildProducerState`: snapshots above the new end go,
        // the state is reloaded from one at or below it plus a replay.
        self.rebuild_producer_state()
    }

    /// Deletes all data and restarts the log at `offset` (Kafka's
    /// `truncateFullyAndStartAt`; used by a follower whose leader's log
    /// start is beyond this log's end).
    pub fn truncate_fully_and_start_at(&mut self, offset: i64) -> Result<(), LogError> {
        if offset < 0 {
            return Err(LogError::InvalidOffset(format!(
                "cannot restart the log at negative offset {offset}"
            )));
        }
        tracing::info!(dir = %self.dir.display(), offset, "truncating log fully");
        let dir = self.dir.clone();
        // Files first, list last: on an I/O error the list still describes
        // open segments (never an empty list).
        for seg in self.segments.iter().rev() {
            seg.delete_files(&dir)?;
        }
        let fresh = Segment::create(&dir, offset, self.clock_ms)?;
        self.segments = vec![fresh];
        self.dir_changes += 1;
        self.log_start_offset = offset;
        self.epochs.clear();
        self.write_epoch_checkpoint()?;
        self.write_offset_checkpoint(LOG_START_CHECKPOINT, offset)?;
        self.clear_producer_state()?;
        self.after_truncation(offset)
    }

    fn after_truncation(&mut self, offset: i64) -> Result<(), LogError> {
        self.truncation_generation += 1;
        if self.epochs.truncate_from_end(offset) {
            self.write_epoch_checkpoint()?;
        }
        self.log_start_offset = self.log_start_offset.min(offset);
        if self.high_watermark > offset {
            self.high_watermark = offset;
            self.write_offset_checkpoint(HIGH_WATERMARK_CHECKPOINT, offset)?;
        }
        if self.recovery_point > offset {
            // Must be durable now: data past `offset` will be rewritten, and
            // a recovery starting above it would trust unsynced bytes.
            self.recovery_point = offset;
            self.write_offset_checkpoint(RECOVERY_POINT_CHECKPOINT, offset)?;
        }
        if self.recovery_point >= self.log_end_offset() {
            self.first_unflushed_append_ms = None;
        }
        Ok(())
    }

    /// DeleteRecords: moves the log start offset to `offset` (checkpointed)
    /// and deletes segments wholly below it. Fails if `offset` is above the
    /// high watermark. Returns the new log start offset.
    pub fn delete_records_before(&mut self, offset: i64) -> Result<i64, LogError> {
        if offset > self.high_watermark || offset < 0 {
            return Err(LogError::OffsetOutOfRange {
                offset,
                start: self.log_start_offset,
                end: self.high_watermark,
            });
        }
        if offset > self.log_start_offset {
            self.advance_log_start(offset)?;
            let mut deleted = Vec::new();
            self.delete_leading_segments(|_, _| None, &mut deleted)?;
        }
        Ok(self.log_start_offset)
    }

    fn advance_log_start(&mut self, offset: i64) -> Result<(), LogError> {
        self.log_start_offset = offset;
        self.high_watermark = self.high_watermark.max(offset);
        self.recovery_point = self.recovery_point.max(offset.min(self.log_end_offset()));
        if self.epochs.truncate_from_start(offset) {
            self.write_epoch_checkpoint()?;
        }
        self.write_offset_checkpoint(LOG_START_CHECKPOINT, offset)
    }

    /// Deletes segments from the front while `pick(segment, end_offset)`
    /// gives a reason; non-active segments wholly below the log start always
    /// go. Never deletes data at or above the high watermark. The active
    /// segment is deleted only when `pick` says so, it is not empty, and
    /// everything before it goes too: as in Kafka, a new empty segment is
    /// rolled at the log end first (the log always has one), so the log
    /// start then reaches the log end.
    fn delete_leading_segments(
        &mut self,
        mut pick: impl FnMut(&Segment, i64) -> Option<RetentionReason>,
        deleted: &mut Vec<DeletedSegment>,
    ) -> Result<(), LogError> {
        let log_end = self.log_end_offset();
        let mut count = 0;
        while count < self.segments.len() {
            let seg = &self.segments[count];
            let next = self.segments.get(count + 1);
            if next.is_none() && seg.is_empty() {
                // Deleting an empty active segment would only roll another.
                break;
            }
            let end = next.map_or(log_end, |n| n.base_offset);
            // The log start never passes the log end, so this holds only
            // for non-active segments (Kafka's rule too).
            let below_start = next.is_some() && end <= self.log_start_offset;
            // Data the followers may not have yet must never be deleted.
            if end > self.high_watermark && !below_start {
                break;
            }
            let reason = if below_start {
                Some(RetentionReason::LogStart)
            } else {
                pick(seg, end)
            };
            let Some(reason) = reason else { break };
            deleted.push(DeletedSegment {
                base_offset: seg.base_offset,
                end_offset: end,
                bytes: seg.size,
                reason,
            });
            count += 1;
        }
        if count == 0 {
            return Ok(());
        }
        if count == self.segments.len() {
            // Roll before deleting: a failed roll leaves everything in place.
            // It also snapshots producer state at the log end, which keeps
            // it across the deletion.
            let now_ms = self.clock_ms;
            self.roll(log_end, now_ms)?;
        }
        let dir = self.dir.clone();
        for seg in self.segments.drain(..count) {
            tracing::info!(dir = %dir.display(), base_offset = seg.base_offset, "deleting segment");
            seg.delete_files(&dir)?;
        }
        self.dir_changes += 1;
        self.delete_snapshots_before_first_segment()?;
        let first_base = self.segments[0].base_offset;
        if first_base > self.log_start_offset {
            self.advance_log_start(first_base)?;
        }
        Ok(())
    }

    /// Retention (Kafka's `deleteOldSegments`): with a delete policy,
    /// segments whose largest timestamp is older than `retention.ms`, then
    /// oldest segments while the log stays at least `retention.bytes` big
    /// without them; for any policy, segments wholly below the log start.
    /// Data at or above the high watermark is never deleted. The active
    /// segment goes too when it qualifies (all of it expired, or size
    /// retention needs it) and the high watermark is at the log end: a new
    /// empty segment is rolled at the log end first, so the log start
    /// reaches the log end. Advances the log start offset to the new first
    /// segment.
    pub fn apply_retention(&mut self, now_ms: i64) -> Result<RetentionResult, LogError> {
        self.observe_clock(now_ms);
        let mut deleted = Vec::new();
        let deletes = self.config.cleanup_policy.deletes();
        if let Some(retention_ms) = self.config.retention_ms.filter(|&ms| ms >= 0 && deletes) {
            self.delete_leading_segments(
                |seg, _| {
                    (now_ms.saturating_sub(seg.largest_timestamp()) > retention_ms)
                        .then_some(RetentionReason::Time)
                },
                &mut deleted,
            )?;
        }
        if let Some(limit) = self.config.retention_bytes.filter(|_| deletes) {
            let mut excess = self.size_bytes().saturating_sub(limit);
            if excess > 0 {
                self.delete_leading_segments(
                    |seg, _| {
                        if excess >= seg.size {
                            excess -= seg.size;
                            Some(RetentionReason::Size)
                        } else {
                            None
                        }
                    },
                    &mut deleted,
                )?;
            }
        }
        self.delete_leading_segments(|_, _| None, &mut deleted)?;
        Ok(RetentionResult {
            deleted,
            log_start_offset: self.log_start_offset,
        })
    }
}
