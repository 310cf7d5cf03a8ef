//! Appends and segment rolls.

use super::{AppendInfo, Log};
use crate::batch::{
    self, validate_batches, validate_batches_with, BatchHeader, BatchIter, TimestampType, ValidationMode,
    NO_TIMESTAMP,
};
use crate::error::LogError;
use crate::segment::Segment;

/// Producer batches that passed [`validate_batches`] (framing, magic, size,
/// CRC, counts); made outside the log lock and consumed by
/// [`Log::append_as_leader_validated`].
#[derive(Debug, Clone)]
pub struct ValidatedRecords {
    headers: Vec<BatchHeader>,
    bytes: usize,
}

impl ValidatedRecords {
    /// Validates `records` against `max_message_bytes` (the topic's
    /// `max.message.bytes`).
    pub fn new(records: &[u8], max_message_bytes: u32) -> Result<ValidatedRecords, LogError> {
        let headers = validate_batches(records, max_message_bytes as usize)?;
        Ok(ValidatedRecords {
            headers,
            bytes: records.len(),
        })
    }

    pub fn headers(&self) -> &[BatchHeader] {
        &self.headers
    }

    /// Re-reads the headers (no CRC) to make sure the buffer is the one that
    /// was validated.
    fn check_unchanged(self, records: &[u8]) -> Result<Vec<BatchHeader>, LogError> {
        let same = records.len() == self.bytes
            && BatchIter::new(records)
                .map(|(h, _)| h)
                .eq(self.headers.iter().copied());
        if !same {
            return Err(LogError::InvalidRecord(
                "record set differs from the one that was validated".into(),
            ));
        }
        Ok(self.headers)
    }
}

impl Log {
    /// Validates producer batches, assigns offsets from the log end offset,
    /// stamps `leader_epoch` (and LogAppendTime when configured), records a
    /// new epoch in the epoch cache, rolls if needed and appends. `records`
    /// is rewritten in place.
    ///
    /// Control batches are accepted (the broker writes transaction markers
    /// through this path); refusing them from clients is the caller's job.
    ///
    /// Batches with a producer id are checked against the partition's
    /// producer state first (KIP-98): an older producer epoch fails with
    /// [`LogError::InvalidProducerEpoch`], a sequence gap with
    /// [`LogError::OutOfOrderSequence`], a missing sequence with
    /// [`LogError::InvalidRecord`]; a retry of one of a producer's last five
    /// batches writes nothing and returns the original offsets with
    /// [`AppendInfo::duplicate`] set. An unknown producer may start at any
    /// sequence. Either every batch is appended or none.
    pub fn append_as_leader(
        &mut self,
        records: &mut [u8],
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, LogError> {
        let validated = ValidatedRecords::new(records, self.config.max_message_bytes)?;
        self.append_as_leader_validated(records, validated, leader_epoch, now_ms)
    }

    /// Like [`Log::append_as_leader`], with the CRC/format validation done
    /// beforehand by [`ValidatedRecords::new`] — outside the log's lock, as
    /// Kafka does. `records` must be the buffer that was validated; its
    /// headers are re-checked (cheaply) against the validated ones.
    pub fn append_as_leader_validated(
        &mut self,
        records: &mut [u8],
        validated: ValidatedRecords,
        leader_epoch: i32,
        now_ms: i64,
    ) -> Result<AppendInfo, LogError> {
        let mut headers = validated.check_unchanged(records)?;
        if let Some(latest) = self.epochs.latest_epoch() {
            if leader_epoch < latest {
                return Err(LogError::StaleLeaderEpoch {
                    epoch: leader_epoch,
                    latest,
                });
            }
        }
        // Producer checks come before anything is rewritten or written, for
        // every batch of the append: all of it is appended or none.
        if let Some(dup) = self.producers.check_leader_append(&headers)? {
            tracing::debug!(
                dir = %self.dir.display(),
                first_offset = dup.first_offset,
                "duplicate idempotent batch, answering with its original offsets"
            );
            return Ok(self.duplicate_info(dup));
        }
        let log_append_time = (self.config.timestamp_type == TimestampType::LogAppendTime).then_some(now_ms);
        let mut offset = self.log_end_offset();
        let mut pos = 0usize;
        for h in headers.iter_mut() {
            let size = h.size();
            let b = &mut records[pos..pos + size];
            batch::set_base_offset(b, offset);
            batch::set_partition_leader_epoch(b, leader_epoch);
            match log_append_time {
                Some(t) => batch::set_max_timestamp(b, TimestampType::LogAppendTime, t),
                // A CreateTime topic stores CreateTime batches (Kafka rewrites
                // the attribute the same way).
                None => batch::set_max_timestamp(b, TimestampType::CreateTime, h.max_timestamp),
            }
            *h = BatchHeader::parse(b).unwrap_or(*h);
            offset = h.next_offset();
            pos += size;
        }
        self.append_validated(records, &headers, now_ms)?;
        Ok(self.append_info(&headers, records.len(), log_append_time))
    }

    /// Appends batches that already carry offsets (replication). The first
    /// batch must start at or after the log end offset (a gap is allowed,
    /// as in Kafka, because compaction on the leader can remove whole
    /// batches); batches must be in increasing offset order. Producer state
    /// is updated without checks: the leader's log is authoritative.
    pub fn append_as_follower(&mut self, records: &[u8], now_ms: i64) -> Result<AppendInfo, LogError> {
        let headers = validate_batches_with(
            records,
            self.config.max_message_bytes as usize,
            ValidationMode::Replica,
        )?;
        let end = self.log_end_offset();
        if headers[0].base_offset < end {
            return Err(LogError::InvalidOffset(format!(
                "follower append starts at offset {} but the log end offset is {}",
                headers[0].base_offset, end
            )));
        }
        self.append_validated(records, &headers, now_ms)?;
        Ok(self.append_info(&headers, records.len(), None))
    }

    fn append_info(&self, headers: &[BatchHeader], bytes: usize, log_append_time: Option<i64>) -> AppendInfo {
        AppendInfo {
            base_offset: headers[0].base_offset,
            last_offset: headers[headers.len() - 1].last_offset(),
            max_timestamp: headers
                .iter()
                .map(|h| h.max_timestamp)
                .max()
                .unwrap_or(NO_TIMESTAMP),
            log_append_time,
            log_start_offset: self.log_start_offset,
            batches: headers.to_vec(),
            record_count: headers.iter().map(|h| i64::from(h.records_count)).sum(),
            bytes,
            duplicate: false,
        }
    }

    /// Common tail of both append paths; `headers` is non-empty and
    /// describes `records` exactly.
    fn append_validated(
        &mut self,
        records: &[u8],
        headers: &[BatchHeader],
        now_ms: i64,
    ) -> Result<(), LogError> {
        self.observe_clock(now_ms);
        // Kafka refuses an append that could not fit in one segment.
        let max = self.config.effective_segment_bytes();
        if records.len() as u64 > max {
            return Err(LogError::RecordSetTooLarge {
                size: records.len(),
                max: usize::try_from(max).unwrap_or(usize::MAX),
            });
        }
        let first = headers[0].base_offset;
        let last = headers[headers.len() - 1].last_offset();
        let max_ts = headers
            .iter()
            .map(|h| h.max_timestamp)
            .max()
            .unwrap_or(NO_TIMESTAMP);
        if self.should_roll(records.len() as u64, last, max_ts, now_ms) {
            self.roll(first, now_ms)?;
        }
        let mut epochs_changed = false;
        for h in headers {
            if h.partition_leader_epoch >= 0 {
                epochs_changed |= self.epochs.assign(h.partition_leader_epoch, h.base_offset);
            }
        }
        if epochs_changed {
            // Kafka persists a new epoch before the data that uses it.
            self.write_epoch_checkpoint()?;
        }
        let interval = self.config.index_interval_bytes;
        self.active_mut().append(records, headers, interval)?;
        for h in headers {
            self.producers.apply(h);
        }
        if self.first_unflushed_append_ms.is_none() {
            self.first_unflushed_append_ms = Some(now_ms);
        }
        Ok(())
    }

    fn time_to_roll(&self, seg: &Segment, reference_ts: i64, now_ms: i64) -> bool {
        let Some(segment_ms) = self.config.segment_ms else {
            return false;
        };
        if seg.is_empty() {
            return false;
        }
        let segment_ms = i64::try_from(segment_ms).unwrap_or(i64::MAX);
        // Kafka measures from the first batch's timestamp when it has one,
        // else from when the segment was created/opened.
        let waited = match seg.first_batch_timestamp {
            Some(t) if t >= 0 => reference_ts.saturating_sub(t),
            _ => now_ms.saturating_sub(seg.created_ms),
        };
        waited > segment_ms
    }

    fn should_roll(&self, append_bytes: u64, last_offset: i64, max_ts: i64, now_ms: i64) -> bool {
        let seg = self.active();
        let full = !seg.is_empty() && seg.size + append_bytes > self.config.effective_segment_bytes();
        // Relative offsets in the index are 32-bit.
        let offset_overflow = last_offset - seg.base_offset > i64::from(i32::MAX);
        let reference_ts = if max_ts == NO_TIMESTAMP { now_ms } else { max_ts };
        full || offset_overflow || self.time_to_roll(seg, reference_ts, now_ms)
    }

    /// Starts a new active segment at `new_base`.
    pub(super) fn roll(&mut self, new_base: i64, now_ms: i64) -> Result<(), LogError> {
        let dir = self.dir.clone();
        let active = self.active_mut();
        let replace_empty = active.is_empty();
        if replace_empty && active.base_offset == new_base {
            return Ok(());
        }
        if !replace_empty {
            active.seal_time_index();
            active.write_indexes(&dir)?;
        }
        // Create before removing anything so the list is never empty.
        let seg = Segment::create(&dir, new_base, now_ms)?;
        tracing::debug!(dir = %dir.display(), base_offset = new_base, "rolled new segment");
        self.dir_changes += 1;
        if replace_empty {
            // An empty active segment at a lower base is simply replaced.
            let old = std::mem::replace(self.active_mut(), seg);
            old.delete_files(&dir)?;
        } else {
            self.segments.push(seg);
        }
        // Kafka snapshots producer state at every roll, so recovery after a
        // crash replays at most the active segment.
        self.take_producer_snapshot(false)
    }

    /// Rolls a non-empty active segment that is older than `segment.ms`.
    pub fn maybe_roll(&mut self, now_ms: i64) -> Result<(), LogError> {
        self.observe_clock(now_ms);
        if self.time_to_roll(self.active(), now_ms, now_ms) {
            let end = self.log_end_offset();
            self.roll(end, now_ms)?;
        }
        Ok(())
    }
}
