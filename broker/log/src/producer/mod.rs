//! Idempotent-producer state of one partition (KIP-98), as pure logic.
//!
//! For every producer id that wrote to the partition we remember its epoch,
//! the metadata of its last [`NUM_BATCHES_TO_RETAIN`] batches and the time of
//! its last write. A leader uses it to refuse fenced epochs and sequence
//! gaps and to recognise retried batches (duplicates); followers and
//! recovery only replay it. Behaviour follows Kafka's `ProducerStateManager`
//! and `ProducerAppendInfo`; the on-disk snapshots are in `snapshot.rs`.
//!
//! The state always describes the log below some offset (the log end offset
//! for the live state, the file's offset for a snapshot); that offset is
//! kept by the owner, not here.

pub(crate) mod snapshot;
#[cfg(test)]
mod tests;

use crate::batch::BatchHeader;
use crate::error::LogError;
use std::collections::{BTreeMap, VecDeque};

/// Batches remembered per producer. Kafka's value: a producer has at most
/// five requests in flight per partition (`max.in.flight.requests`), so a
/// retry can only repeat one of its last five batches.
pub const NUM_BATCHES_TO_RETAIN: usize = 5;
/// Kafka's `RecordBatch.NO_PRODUCER_EPOCH`.
pub const NO_PRODUCER_EPOCH: i16 = -1;
/// Kafka's `RecordBatch.NO_SEQUENCE`.
pub const NO_SEQUENCE: i32 = -1;
/// Kafka's default `producer.id.expiration.ms` (one day).
pub const DEFAULT_PRODUCER_ID_EXPIRATION_MS: i64 = 86_400_000;

/// What DescribeProducers reports about one producer of a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProducerSnapshotEntry {
    pub producer_id: i64,
    pub producer_epoch: i16,
    /// Sequence of the last record of the latest batch; -1 if none is
    /// remembered (e.g. only a transaction marker since an epoch bump).
    pub last_sequence: i32,
    /// Max timestamp of the producer's latest batch (Kafka's basis for
    /// `producer.id.expiration.ms`).
    pub last_timestamp: i64,
    /// -1 until transaction markers carry it (transactions are not tracked
    /// yet).
    pub coordinator_epoch: i32,
    /// First offset of the open transaction, if any.
    pub current_txn_start_offset: Option<i64>,
}

/// One appended batch as remembered for duplicate detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub first_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
}

/// Per-producer state (Kafka's `ProducerStateEntry`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProducerEntry {
    pub producer_epoch: i16,
    /// Oldest first, at most [`NUM_BATCHES_TO_RETAIN`], all of `producer_epoch`.
    pub batches: VecDeque<BatchMetadata>,
    pub last_timestamp: i64,
    pub coordinator_epoch: i32,
    pub current_txn_first_offset: Option<i64>,
}

impl ProducerEntry {
    pub(crate) fn new(producer_epoch: i16) -> ProducerEntry {
        ProducerEntry {
            producer_epoch,
            batches: VecDeque::with_capacity(NUM_BATCHES_TO_RETAIN),
            last_timestamp: crate::batch::NO_TIMESTAMP,
            coordinator_epoch: -1,
            current_txn_first_offset: None,
        }
    }

    fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }

    /// A batch of the current epoch with exactly this sequence range.
    fn find_duplicate(&self, epoch: i16, first_seq: i32, last_seq: i32) -> Option<BatchMetadata> {
        if epoch != self.producer_epoch {
            return None;
        }
        self.batches
            .iter()
            .find(|b| b.first_seq == first_seq && b.last_seq == last_seq)
            .copied()
    }

    /// A new epoch starts its sequences over, so older batches can no
    /// longer be duplicates (Kafka's `maybeUpdateProducerEpoch`).
    fn set_epoch(&mut self, epoch: i16) {
        if self.producer_epoch != epoch {
            self.producer_epoch = epoch;
            self.batches.clear();
        }
    }

    fn push_batch(&mut self, batch: BatchMetadata) {
        if self.batches.len() == NUM_BATCHES_TO_RETAIN {
            self.batches.pop_front();
        }
        self.batches.push_back(batch);
    }

    /// Applies a batch without any check (the batch is in the log).
    fn apply(&mut self, h: &BatchHeader) {
        self.set_epoch(h.producer_epoch);
        if h.is_control() {
            // A transaction marker ends the transaction; it has no sequence.
            self.current_txn_first_offset = None;
        } else {
            self.push_batch(BatchMetadata {
                first_seq: h.base_sequence,
                last_seq: last_sequence(h),
                first_offset: h.base_offset,
                last_offset: h.last_offset(),
                max_timestamp: h.max_timestamp,
            });
            if h.is_transactional() && self.current_txn_first_offset.is_none() {
                self.current_txn_first_offset = Some(h.base_offset);
            }
        }
        self.last_timestamp = h.max_timestamp;
    }
}

/// Adds `by` (>= 0) to a sequence number; sequences wrap from `i32::MAX`
/// to 0 (Kafka's `DefaultRecordBatch.incrementSequence`).
pub(crate) fn increment_sequence(seq: i32, by: i32) -> i32 {
    if seq > i32::MAX - by {
        by - (i32::MAX - seq) - 1
    } else {
        seq + by
    }
}

/// Sequence of the batch's last record.
pub(crate) fn last_sequence(h: &BatchHeader) -> i32 {
    if h.base_sequence < 0 {
        return NO_SEQUENCE;
    }
    increment_sequence(h.base_sequence, h.last_offset_delta.max(0))
}

/// Where a retried append was written the first time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DuplicateAppend {
    pub first_offset: i64,
    pub last_offset: i64,
    pub max_timestamp: i64,
}

/// All producers of one partition.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ProducerStateMap {
    /// Ordered so snapshots are deterministic.
    producers: BTreeMap<i64, ProducerEntry>,
}

impl ProducerStateMap {
    pub(crate) fn from_entries(producers: BTreeMap<i64, ProducerEntry>) -> ProducerStateMap {
        ProducerStateMap { producers }
    }

    pub(crate) fn entries(&self) -> &BTreeMap<i64, ProducerEntry> {
        &self.producers
    }

    pub(crate) fn len(&self) -> usize {
        self.producers.len()
    }

    pub(crate) fn clear(&mut self) {
        self.producers.clear();
    }

    /// Checks a leader append (batches in order, before offsets are
    /// assigned) without changing anything. `Ok(Some(_))`: every batch is a
    /// retry of an appended batch, nothing must be written and the client
    /// gets the original offsets. `Ok(None)`: append all batches.
    pub(crate) fn check_leader_append(
        &self,
        headers: &[BatchHeader],
    ) -> Result<Option<DuplicateAppend>, LogError> {
        let data = |h: &&BatchHeader| h.has_producer_id() && !h.is_control();
        for h in headers.iter().filter(data) {
            if h.base_sequence < 0 {
                // Kafka's LogValidator: an idempotent batch must carry one.
                return Err(LogError::InvalidRecord(format!(
                    "invalid sequence number {} in record batch with producer id {}",
                    h.base_sequence, h.producer_id
                )));
            }
        }
        // Duplicates are looked up in the state before this append, as in
        // Kafka (a batch repeated within one append is out of sequence).
        let mut duplicate: Option<DuplicateAppend> = None;
        let mut duplicates = 0usize;
        for h in headers.iter().filter(data) {
            let found = self
                .producers
                .get(&h.producer_id)
                .and_then(|e| e.find_duplicate(h.producer_epoch, h.base_sequence, last_sequence(h)));
            if let Some(m) = found {
                duplicates += 1;
                duplicate = Some(match duplicate {
                    None => DuplicateAppend {
                        first_offset: m.first_offset,
                        last_offset: m.last_offset,
                        max_timestamp: m.max_timestamp,
                    },
                    Some(d) => DuplicateAppend {
                        first_offset: d.first_offset.min(m.first_offset),
                        last_offset: d.last_offset.max(m.last_offset),
                        max_timestamp: d.max_timestamp.max(m.max_timestamp),
                    },
                });
            }
        }
        if duplicates > 0 {
            if duplicates == headers.len() {
                return Ok(duplicate);
            }
            // Kafka accepts one batch per produce request, so this cannot
            // come from a Kafka client; appending only part of it would
            // answer with offsets that do not describe the request.
            return Err(LogError::InvalidRecord(
                "record set mixes duplicate and new idempotent batches".into(),
            ));
        }
        // Later batches of the same producer are checked against the state
        // the earlier ones would leave, so all of them are validated before
        // anything is written.
        let mut pending: BTreeMap<i64, ProducerEntry> = BTreeMap::new();
        for h in headers.iter().filter(|h| h.has_producer_id()) {
            let current = pending
                .get(&h.producer_id)
                .or_else(|| self.producers.get(&h.producer_id));
            check_epoch(current, h)?;
            if !h.is_control() {
                check_sequence(current, h)?;
            }
            let mut next = current
                .cloned()
                .unwrap_or_else(|| ProducerEntry::new(h.producer_epoch));
            next.apply(h);
            pending.insert(h.producer_id, next);
        }
        Ok(None)
    }

    /// Records a batch that is in the log (leader after the checks,
    /// follower, recovery). Batches without a producer id are ignored.
    pub(crate) fn apply(&mut self, h: &BatchHeader) {
        if !h.has_producer_id() {
            return;
        }
        self.producers
            .entry(h.producer_id)
            .or_insert_with(|| ProducerEntry::new(h.producer_epoch))
            .apply(h);
    }

    /// Removes producers idle for at least `expiration_ms` (Kafka's
    /// `isProducerExpired`: never one with an open transaction). Returns
    /// the removed ids.
    pub(crate) fn expire(&mut self, now_ms: i64, expiration_ms: i64) -> Vec<i64> {
        let mut removed = Vec::new();
        self.producers.retain(|&id, e| {
            let keep = e.current_txn_first_offset.is_some()
                || now_ms.saturating_sub(e.last_timestamp) < expiration_ms;
            if !keep {
                removed.push(id);
            }
            keep
        });
        removed
    }

    pub(crate) fn describe(&self) -> Vec<ProducerSnapshotEntry> {
        self.producers
            .iter()
            .map(|(&producer_id, e)| ProducerSnapshotEntry {
                producer_id,
                producer_epoch: e.producer_epoch,
                last_sequence: e.last_seq().unwrap_or(NO_SEQUENCE),
                last_timestamp: e.last_timestamp,
                coordinator_epoch: e.coordinator_epoch,
                current_txn_start_offset: e.current_txn_first_offset,
            })
            .collect()
    }
}

/// Refuses an epoch older than the producer's (INVALID_PRODUCER_EPOCH).
fn check_epoch(current: Option<&ProducerEntry>, h: &BatchHeader) -> Result<(), LogError> {
    match current {
        Some(e) if h.producer_epoch < e.producer_epoch => Err(LogError::InvalidProducerEpoch {
            producer_id: h.producer_id,
            current: e.producer_epoch,
            got: h.producer_epoch,
        }),
        _ => Ok(()),
    }
}

/// Kafka's `checkSequence` for a data batch whose epoch passed
/// [`check_epoch`].
fn check_sequence(current: Option<&ProducerEntry>, h: &BatchHeader) -> Result<(), LogError> {
    // No state (new producer, or its state expired or was lost with the
    // data): any sequence is accepted, or clients would be stuck after a
    // failover or a long pause.
    let Some(e) = current else { return Ok(()) };
    if e.producer_epoch == NO_PRODUCER_EPOCH {
        return Ok(());
    }
    let expected = if h.producer_epoch != e.producer_epoch {
        // A bumped epoch restarts the sequence.
        0
    } else {
        // Same epoch but no batch remembered (only a marker since the
        // epoch began): the next data batch is the epoch's first.
        e.last_seq().map_or(0, |s| increment_sequence(s, 1))
    };
    if h.base_sequence != expected {
        return Err(LogError::OutOfOrderSequence {
            producer_id: h.producer_id,
            expected,
            got: h.base_sequence,
        });
    }
    Ok(())
}
