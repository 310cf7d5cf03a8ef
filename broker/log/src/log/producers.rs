//! The log's side of producer state: loading it from snapshots plus a
//! replay of batch headers, taking snapshots, and keeping both consistent
//! with truncation and segment deletion. The rules live in
//! [`crate::producer`].

use super::{AppendInfo, Log};
use crate::batch::TimestampType;
use crate::checkpoint;
use crate::error::LogError;
use crate::producer::{snapshot, DuplicateAppend, ProducerSnapshotEntry, ProducerStateMap};

/// Snapshot files kept per partition. The newest one bounds recovery after
/// a crash; older ones serve truncations (follower divergence), which
/// rarely reach further back. A deeper truncation rebuilds from the
/// segments instead.
pub(crate) const MAX_PRODUCER_SNAPSHOTS: usize = 5;

impl Log {
    /// Every producer with state on this partition (DescribeProducers).
    pub fn producers(&self) -> Vec<ProducerSnapshotEntry> {
        self.producers.describe()
    }

    /// Forgets producers whose last batch timestamp is at least
    /// `producer_id_expiration_ms` before `now_ms` (Kafka's
    /// `producer.id.expiration.ms`, default
    /// [`crate::producer::DEFAULT_PRODUCER_ID_EXPIRATION_MS`]); producers
    /// with an open transaction stay. Afterwards such a producer is unknown
    /// and may continue with any sequence. Returns how many were removed.
    ///
    /// Snapshots are not rewritten: after a restart an expired producer may
    /// reappear until the next call, which is harmless.
    pub fn expire_producers(&mut self, now_ms: i64, producer_id_expiration_ms: i64) -> usize {
        self.observe_clock(now_ms);
        let removed = self.producers.expire(now_ms, producer_id_expiration_ms);
        if !removed.is_empty() {
            tracing::debug!(dir = %self.dir.display(), count = removed.len(), "expired producer ids");
        }
        removed.len()
    }

    /// Offsets of the producer snapshot files, ascending.
    pub fn producer_snapshot_offsets(&self) -> Vec<i64> {
        self.producer_snapshots.iter().copied().collect()
    }

    /// The answer to a retried append: the original offsets, nothing written.
    pub(super) fn duplicate_info(&self, dup: DuplicateAppend) -> AppendInfo {
        let log_append_time =
            (self.config.timestamp_type == TimestampType::LogAppendTime).then_some(dup.max_timestamp);
        AppendInfo {
            base_offset: dup.first_offset,
            last_offset: dup.last_offset,
            max_timestamp: dup.max_timestamp,
            log_append_time,
            log_start_offset: self.log_start_offset,
            batches: Vec::new(),
            record_count: 0,
            bytes: 0,
            duplicate: true,
        }
    }

    /// Rebuilds the producer state for the current segments (open and
    /// truncation): drops snapshots that cannot describe this log, loads the
    /// newest readable one (a bad one is deleted and the next older one
    /// tried; none means starting from the first segment), replays the
    /// batch headers after it, and snapshots the result if it replayed
    /// anything. Never fails because of a snapshot's content.
    pub(super) fn rebuild_producer_state(&mut self) -> Result<(), LogError> {
        let end = self.log_end_offset();
        let first_base = self.segments[0].base_offset;
        // Past the end: its data is gone. Before the first segment: the
        // batches between it and the segments are gone.
        let stale: Vec<i64> = self
            .producer_snapshots
            .iter()
            .copied()
            .filter(|&o| o > end || o < first_base)
            .collect();
        if !stale.is_empty() {
            for &o in &stale {
                snapshot::delete(&self.dir, o)?;
                self.producer_snapshots.remove(&o);
            }
            // A snapshot past the end that came back after a crash would
            // describe data that is about to be replaced.
            checkpoint::sync_dir(&self.dir)?;
        }
        let mut loaded = None;
        while let Some(&offset) = self.producer_snapshots.last() {
            match snapshot::read(&self.dir, offset) {
                Ok(state) => {
                    loaded = Some((offset, state));
                    break;
                }
                Err(reason) => {
                    tracing::warn!(dir = %self.dir.display(), offset, %reason, "ignoring unusable producer snapshot");
                    snapshot::delete_quietly(&self.dir, offset);
                    self.producer_snapshots.remove(&offset);
                }
            }
        }
        let (from, state) = loaded.unwrap_or_else(|| (first_base, ProducerStateMap::default()));
        self.producers = state;
        let replayed = self.replay_producer_state(from)?;
        tracing::debug!(
            dir = %self.dir.display(),
            snapshot = from,
            replayed,
            producers = self.producers.len(),
            "loaded producer state"
        );
        if from != end {
            self.take_producer_snapshot(false)?;
        }
        Ok(())
    }

    /// Applies every batch with last offset >= `from` (headers only).
    /// Returns the number of batches read.
    fn replay_producer_state(&mut self, from: i64) -> Result<usize, LogError> {
        let first = self.segment_index_for(from).unwrap_or(0);
        let producers = &mut self.producers;
        let mut count = 0usize;
        for seg in &self.segments[first..] {
            let Some((pos, _)) = seg.locate(from)? else {
                continue;
            };
            seg.scan_from(pos, |h| {
                producers.apply(h);
                count += 1;
                false
            })?;
        }
        Ok(count)
    }

    /// Writes the current state as the snapshot at the log end offset and
    /// keeps at most [`MAX_PRODUCER_SNAPSHOTS`].
    pub(super) fn take_producer_snapshot(&mut self, durable: bool) -> Result<(), LogError> {
        let end = self.log_end_offset();
        snapshot::write(&self.dir, end, &self.producers, durable)?;
        self.producer_snapshots.insert(end);
        while self.producer_snapshots.len() > MAX_PRODUCER_SNAPSHOTS {
            if let Some(oldest) = self.producer_snapshots.pop_first() {
                snapshot::delete(&self.dir, oldest)?;
            }
        }
        Ok(())
    }

    /// After segments were deleted from the front: snapshots below the first
    /// segment can no longer be continued by a replay. Producer entries
    /// stay (since KIP-360 Kafka keeps the state of producers whose data
    /// was deleted, so they are not answered UNKNOWN_PRODUCER_ID).
    pub(super) fn delete_snapshots_before_first_segment(&mut self) -> Result<(), LogError> {
        let first_base = self.segments[0].base_offset;
        while let Some(&o) = self.producer_snapshots.first() {
            if o >= first_base {
                break;
            }
            snapshot::delete(&self.dir, o)?;
            self.producer_snapshots.remove(&o);
        }
        Ok(())
    }

    /// Deletes every snapshot and clears the state (the log restarts empty).
    pub(super) fn clear_producer_state(&mut self) -> Result<(), LogError> {
        self.producers.clear();
        if self.producer_snapshots.is_empty() {
            return Ok(());
        }
        while let Some(o) = self.producer_snapshots.pop_first() {
            snapshot::delete(&self.dir, o)?;
        }
        checkpoint::sync_dir(&self.dir)
    }
}
