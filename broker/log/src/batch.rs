//! Kafka v2 (magic 2) record batch header: parsing, writing, validation.
//!
//! Layout (all big endian), 61 bytes before the records:
//!
//! | offset | field                | type |
//! |--------|----------------------|------|
//! | 0      | baseOffset           | i64  |
//! | 8      | batchLength          | i32  |
//! | 12     | partitionLeaderEpoch | i32  |
//! | 16     | magic                | i8   |
//! | 17     | crc                  | u32  |
//! | 21     | attributes           | i16  |
//! | 23     | lastOffsetDelta      | i32  |
//! | 27     | baseTimestamp        | i64  |
//! | 35     | maxTimestamp         | i64  |
//! | 43     | producerId           | i64  |
//! | 51     | producerEpoch        | i16  |
//! | 53     | baseSequence         | i32  |
//! | 57     | recordsCount         | i32  |
//!
//! `batchLength` counts the bytes after itself, so a batch occupies
//! `batchLength + 12` bytes. The CRC-32C covers `attributes` to the end of the
//! batch, which is why the broker may rewrite `baseOffset` and
//! `partitionLeaderEpoch` without touching it.

use thiserror::Error;

/// Size of the fixed v2 batch header.
pub const HEADER_SIZE: usize = 61;
/// Bytes before `batchLength`'s counted region (baseOffset + batchLength).
pub const LOG_OVERHEAD: usize = 12;
/// Smallest legal `batchLength` (a header without records).
pub const MIN_BATCH_LENGTH: i32 = (HEADER_SIZE - LOG_OVERHEAD) as i32;
/// The only batch format we store.
pub const MAGIC_V2: i8 = 2;
/// Kafka's "no timestamp" value.
pub const NO_TIMESTAMP: i64 = -1;
/// Kafka's "no partition leader epoch" value.
pub const NO_PARTITION_LEADER_EPOCH: i32 = -1;

pub(crate) const BASE_OFFSET_OFFSET: usize = 0;
pub(crate) const LENGTH_OFFSET: usize = 8;
pub(crate) const LEADER_EPOCH_OFFSET: usize = 12;
pub(crate) const MAGIC_OFFSET: usize = 16;
pub(crate) const CRC_OFFSET: usize = 17;
pub(crate) const ATTRIBUTES_OFFSET: usize = 21;
pub(crate) const LAST_OFFSET_DELTA_OFFSET: usize = 23;
pub(crate) const BASE_TIMESTAMP_OFFSET: usize = 27;
pub(crate) const MAX_TIMESTAMP_OFFSET: usize = 35;
pub(crate) const PRODUCER_ID_OFFSET: usize = 43;
pub(crate) const PRODUCER_EPOCH_OFFSET: usize = 51;
pub(crate) const BASE_SEQUENCE_OFFSET: usize = 53;
pub(crate) const RECORDS_COUNT_OFFSET: usize = 57;

const COMPRESSION_MASK: i16 = 0x07;
pub(crate) const TIMESTAMP_TYPE_BIT: i16 = 0x08;
const TRANSACTIONAL_BIT: i16 = 0x10;
const CONTROL_BIT: i16 = 0x20;
/// KIP-534: when set, `baseTimestamp` holds the delete horizon set by the cleaner.
pub(crate) const DELETE_HORIZON_BIT: i16 = 0x40;

/// Errors found while validating a record set.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    #[error("empty record set")]
    Empty,
    #[error("truncated batch at byte {position}: need {needed} bytes, {available} available")]
    Truncated {
        position: usize,
        needed: usize,
        available: usize,
    },
    #[error("unsupported record batch magic {magic} at byte {position} (only magic 2 is supported)")]
    UnsupportedMagic { magic: i8, position: usize },
    #[error("corrupt batch at byte {position}: {reason}")]
    Corrupt { position: usize, reason: String },
    #[error("batch of {size} bytes exceeds the maximum of {max}")]
    TooLarge { size: usize, max: usize },
    #[error("invalid record batch at byte {position}: {reason}")]
    InvalidRecord { position: usize, reason: String },
}

/// Compression codec from the low three attribute bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl Compression {
    /// Decodes Kafka's codec id; ids 5..=7 are not assigned.
    pub fn from_id(id: u8) -> Option<Compression> {
        match id {
            0 => Some(Compression::None),
            1 => Some(Compression::Gzip),
            2 => Some(Compression::Snappy),
            3 => Some(Compression::Lz4),
            4 => Some(Compression::Zstd),
            _ => None,
        }
    }

    pub fn id(self) -> u8 {
        match self {
            Compression::None => 0,
            Compression::Gzip => 1,
            Compression::Snappy => 2,
            Compression::Lz4 => 3,
            Compression::Zstd => 4,
        }
    }
}

/// Which clock the batch timestamps come from (attribute bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TimestampType {
    #[default]
    CreateTime,
    LogAppendTime,
}

/// The parsed fixed header of one v2 batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchHeader {
    pub base_offset: i64,
    pub batch_length: i32,
    pub partition_leader_epoch: i32,
    pub magic: i8,
    pub crc: u32,
    pub attributes: i16,
    pub last_offset_delta: i32,
    pub base_timestamp: i64,
    pub max_timestamp: i64,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub base_sequence: i32,
    pub records_count: i32,
}

fn be_i64(b: &[u8], at: usize) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    i64::from_be_bytes(a)
}
fn be_i32(b: &[u8], at: usize) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    i32::from_be_bytes(a)
}
fn be_i16(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}

impl BatchHeader {
    /// Parses the 61 header bytes at the start of `buf`. Only checks that the
    /// bytes are present; see [`validate_batches`] for semantic checks.
    pub fn parse(buf: &[u8]) -> Option<BatchHeader> {
        if buf.len() < HEADER_SIZE {
            return None;
        }
        Some(BatchHeader {
            base_offset: be_i64(buf, BASE_OFFSET_OFFSET),
            batch_length: be_i32(buf, LENGTH_OFFSET),
            partition_leader_epoch: be_i32(buf, LEADER_EPOCH_OFFSET),
            magic: buf[MAGIC_OFFSET] as i8,
            crc: be_i32(buf, CRC_OFFSET) as u32,
            attributes: be_i16(buf, ATTRIBUTES_OFFSET),
            last_offset_delta: be_i32(buf, LAST_OFFSET_DELTA_OFFSET),
            base_timestamp: be_i64(buf, BASE_TIMESTAMP_OFFSET),
            max_timestamp: be_i64(buf, MAX_TIMESTAMP_OFFSET),
            producer_id: be_i64(buf, PRODUCER_ID_OFFSET),
            producer_epoch: be_i16(buf, PRODUCER_EPOCH_OFFSET),
            base_sequence: be_i32(buf, BASE_SEQUENCE_OFFSET),
            records_count: be_i32(buf, RECORDS_COUNT_OFFSET),
        })
    }

    /// Writes all 61 header fields to the start of `buf` (which must be at
    /// least [`HEADER_SIZE`] long). The CRC field is written as stored in
    /// `self`; use [`write_crc`] afterwards if the covered bytes changed.
    pub fn write_to(&self, buf: &mut [u8]) {
        buf[BASE_OFFSET_OFFSET..BASE_OFFSET_OFFSET + 8].copy_from_slice(&self.base_offset.to_be_bytes());
        buf[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&self.batch_length.to_be_bytes());
        buf[LEADER_EPOCH_OFFSET..LEADER_EPOCH_OFFSET + 4]
            .copy_from_slice(&self.partition_leader_epoch.to_be_bytes());
        buf[MAGIC_OFFSET] = self.magic as u8;
        buf[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&self.crc.to_be_bytes());
        buf[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&self.attributes.to_be_bytes());
        buf[LAST_OFFSET_DELTA_OFFSET..LAST_OFFSET_DELTA_OFFSET + 4]
            .copy_from_slice(&self.last_offset_delta.to_be_bytes());
        buf[BASE_TIMESTAMP_OFFSET..BASE_TIMESTAMP_OFFSET + 8]
            .copy_from_slice(&self.base_timestamp.to_be_bytes());
        buf[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8]
            .copy_from_slice(&self.max_timestamp.to_be_bytes());
        buf[PRODUCER_ID_OFFSET..PRODUCER_ID_OFFSET + 8].copy_from_slice(&self.producer_id.to_be_bytes());
        buf[PRODUCER_EPOCH_OFFSET..PRODUCER_EPOCH_OFFSET + 2]
            .copy_from_slice(&self.producer_epoch.to_be_bytes());
        buf[BASE_SEQUENCE_OFFSET..BASE_SEQUENCE_OFFSET + 4]
            .copy_from_slice(&self.base_sequence.to_be_bytes());
        buf[RECORDS_COUNT_OFFSET..RECORDS_COUNT_OFFSET + 4]
            .copy_from_slice(&self.records_count.to_be_bytes());
    }

    /// Total bytes the batch occupies, header included.
    pub fn size(&self) -> usize {
        // batch_length is validated to be >= 49 before headers are trusted; a
        // negative value here would only come from an unvalidated header.
        usize::try_from(self.batch_length).unwrap_or(0) + LOG_OVERHEAD
    }

    /// Codec id from the attributes; `None` for the unassigned ids 5..=7.
    pub fn compression(&self) -> Option<Compression> {
        Compression::from_id((self.attributes & COMPRESSION_MASK) as u8)
    }

    pub fn timestamp_type(&self) -> TimestampType {
        if self.attributes & TIMESTAMP_TYPE_BIT != 0 {
            TimestampType::LogAppendTime
        } else {
            TimestampType::CreateTime
        }
    }

    pub fn is_transactional(&self) -> bool {
        self.attributes & TRANSACTIONAL_BIT != 0
    }

    pub fn is_control(&self) -> bool {
        self.attributes & CONTROL_BIT != 0
    }

    /// KIP-534 delete horizon, set by compaction on batches holding tombstones.
    pub fn delete_horizon_ms(&self) -> Option<i64> {
        (self.attributes & DELETE_HORIZON_BIT != 0).then_some(self.base_timestamp)
    }

    pub fn last_offset(&self) -> i64 {
        self.base_offset + i64::from(self.last_offset_delta)
    }

    pub fn next_offset(&self) -> i64 {
        self.last_offset() + 1
    }

    /// Producer id if the batch comes from an idempotent/transactional producer.
    pub fn has_producer_id(&self) -> bool {
        self.producer_id >= 0
    }
}

/// Computes the CRC-32C of a complete batch (over `attributes`..end).
pub fn compute_crc(batch: &[u8]) -> u32 {
    crc32c::crc32c(&batch[ATTRIBUTES_OFFSET..])
}

/// Recomputes and stores the CRC of the complete batch in `batch`.
pub fn write_crc(batch: &mut [u8]) {
    let crc = compute_crc(batch);
    batch[CRC_OFFSET..CRC_OFFSET + 4].copy_from_slice(&crc.to_be_bytes());
}

/// Overwrites the base offset (outside the CRC).
pub fn set_base_offset(batch: &mut [u8], offset: i64) {
    batch[BASE_OFFSET_OFFSET..BASE_OFFSET_OFFSET + 8].copy_from_slice(&offset.to_be_bytes());
}

/// Overwrites the partition leader epoch (outside the CRC).
pub fn set_partition_leader_epoch(batch: &mut [u8], epoch: i32) {
    batch[LEADER_EPOCH_OFFSET..LEADER_EPOCH_OFFSET + 4].copy_from_slice(&epoch.to_be_bytes());
}

/// Sets the timestamp type bit and the max timestamp, recomputing the CRC only
/// when something changed (both fields are inside the CRC). Mirrors Kafka's
/// `setMaxTimestamp`.
pub fn set_max_timestamp(batch: &mut [u8], ts_type: TimestampType, max_timestamp: i64) {
    let attrs = be_i16(batch, ATTRIBUTES_OFFSET);
    let new_attrs = match ts_type {
        TimestampType::CreateTime => attrs & !TIMESTAMP_TYPE_BIT,
        TimestampType::LogAppendTime => attrs | TIMESTAMP_TYPE_BIT,
    };
    if new_attrs == attrs && be_i64(batch, MAX_TIMESTAMP_OFFSET) == max_timestamp {
        return;
    }
    batch[ATTRIBUTES_OFFSET..ATTRIBUTES_OFFSET + 2].copy_from_slice(&new_attrs.to_be_bytes());
    batch[MAX_TIMESTAMP_OFFSET..MAX_TIMESTAMP_OFFSET + 8].copy_from_slice(&max_timestamp.to_be_bytes());
    write_crc(batch);
}

/// How strictly [`validate_batches_with`] checks offsets and counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationMode {
    /// Batches fresh from a producer: `recordsCount >= 1` and
    /// `lastOffsetDelta == recordsCount - 1` (Kafka's LogValidator rules).
    Producer,
    /// Batches already in a log (replication, recovery): compaction may have
    /// removed records, so only `recordsCount >= 0` and `lastOffsetDelta >= 0`
    /// are required, plus offsets increasing across batches.
    Replica,
}

/// Validates a producer record set: see [`validate_batches_with`].
pub fn validate_batches(buf: &[u8], max_batch_bytes: usize) -> Result<Vec<BatchHeader>, BatchError> {
    validate_batches_with(buf, max_batch_bytes, ValidationMode::Producer)
}

/// Walks every batch in `buf` and checks framing, magic, size, CRC, codec and
/// offset/count consistency. Records are not decompressed: they are stored as
/// sent. Returns the headers in order.
pub fn validate_batches_with(
    buf: &[u8],
    max_batch_bytes: usize,
    mode: ValidationMode,
) -> Result<Vec<BatchHeader>, BatchError> {
    if buf.is_empty() {
        return Err(BatchError::Empty);
    }
    let mut headers = Vec::new();
    let mut pos = 0usize;
    let mut prev_next_offset: Option<i64> = None;
    while pos < buf.len() {
        let rest = &buf[pos..];
        let header = check_batch(rest, pos, max_batch_bytes, mode)?;
        if mode == ValidationMode::Replica {
            if let Some(prev) = prev_next_offset {
                if header.base_offset < prev {
                    return Err(BatchError::InvalidRecord {
                        position: pos,
                        reason: format!(
                            "offsets out of order: batch base offset {} below previous batch end {}",
                            header.base_offset, prev
                        ),
                    });
                }
            }
            prev_next_offset = Some(header.next_offset());
        }
        pos += header.size();
        headers.push(header);
    }
    Ok(headers)
}

/// Checks the single batch at the start of `buf` (`position` is only used
/// for error messages). Shared by the validator and segment recovery.
pub(crate) fn check_batch(
    buf: &[u8],
    position: usize,
    max_batch_bytes: usize,
    mode: ValidationMode,
) -> Result<BatchHeader, BatchError> {
    let header = check_header(buf, position, max_batch_bytes, mode)?;
    let size = header.size();
    if buf.len() < size {
        return Err(BatchError::Truncated {
            position,
            needed: size,
            available: buf.len(),
        });
    }
    let actual = compute_crc(&buf[..size]);
    if actual != header.crc {
        return Err(BatchError::Corrupt {
            position,
            reason: format!(
                "CRC mismatch: stored {:#010x}, computed {:#010x}",
                header.crc, actual
            ),
        });
    }
    Ok(header)
}

/// Header-only checks (no CRC): framing, magic, size limit, codec, counts.
pub(crate) fn check_header(
    buf: &[u8],
    position: usize,
    max_batch_bytes: usize,
    mode: ValidationMode,
) -> Result<BatchHeader, BatchError> {
    // Read magic as soon as it is available so that an old-format message
    // set is reported as such rather than as a truncated v2 batch.
    if buf.len() > MAGIC_OFFSET {
        let magic = buf[MAGIC_OFFSET] as i8;
        if magic != MAGIC_V2 {
            return Err(BatchError::UnsupportedMagic { magic, position });
        }
    }
    let header = BatchHeader::parse(buf).ok_or(BatchError::Truncated {
        position,
        needed: HEADER_SIZE,
        available: buf.len(),
    })?;
    if header.batch_length < MIN_BATCH_LENGTH {
        return Err(BatchError::Corrupt {
            position,
            reason: format!(
                "batch length {} below minimum {}",
                header.batch_length, MIN_BATCH_LENGTH
            ),
        });
    }
    let size = header.size();
    if size > max_batch_bytes {
        return Err(BatchError::TooLarge {
            size,
            max: max_batch_bytes,
        });
    }
    if header.compression().is_none() {
        return Err(BatchError::InvalidRecord {
            position,
            reason: format!(
                "unknown compression codec id {}",
                header.attributes & COMPRESSION_MASK
            ),
        });
    }
    let invalid = |reason: String| BatchError::InvalidRecord { position, reason };
    match mode {
        ValidationMode::Producer => {
            if header.records_count <= 0 {
                return Err(invalid(format!("invalid record count {}", header.records_count)));
            }
            if header.last_offset_delta != header.records_count - 1 {
                return Err(invalid(format!(
                    "last offset delta {} inconsistent with record count {}",
                    header.last_offset_delta, header.records_count
                )));
            }
        }
        ValidationMode::Replica => {
            if header.records_count < 0 {
                return Err(invalid(format!("negative record count {}", header.records_count)));
            }
            if header.last_offset_delta < 0 {
                return Err(invalid(format!(
                    "negative last offset delta {}",
                    header.last_offset_delta
                )));
            }
            if header.base_offset < 0 {
                return Err(invalid(format!("negative base offset {}", header.base_offset)));
            }
        }
    }
    Ok(header)
}

/// Iterates over the batch headers of a record set without CRC checks; stops
/// at the first incomplete or malformed header. For trusted data (our own
/// segments) or cheap inspection before full validation.
pub struct BatchIter<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> BatchIter<'a> {
    pub fn new(buf: &'a [u8]) -> BatchIter<'a> {
        BatchIter { buf, pos: 0 }
    }

    /// Byte position of the next batch (equals the bytes consumed so far).
    pub fn position(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for BatchIter<'a> {
    /// (header, the complete batch bytes)
    type Item = (BatchHeader, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.buf.get(self.pos..)?;
        let header = BatchHeader::parse(rest)?;
        if header.batch_length < MIN_BATCH_LENGTH || header.magic != MAGIC_V2 || rest.len() < header.size() {
            return None;
        }
        let bytes = &rest[..header.size()];
        self.pos += header.size();
        Some((header, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{encode_batch, BatchSpec, Record};

    fn batch(base: i64, n: usize) -> Vec<u8> {
        let recs: Vec<Record> = (0..n)
            .map(|i| {
                Record::new(
                    1000 + i as i64,
                    Some(format!("k{i}").into_bytes()),
                    Some(vec![b'v'; i + 1]),
                )
            })
            .collect();
        encode_batch(&BatchSpec::new(base), &recs)
    }

    #[test]
    fn parse_and_write_roundtrip() {
        let b = batch(7, 3);
        let h = BatchHeader::parse(&b).unwrap();
        assert_eq!(h.base_offset, 7);
        assert_eq!(h.records_count, 3);
        assert_eq!(h.last_offset_delta, 2);
        assert_eq!(h.last_offset(), 9);
        assert_eq!(h.next_offset(), 10);
        assert_eq!(h.size(), b.len());
        assert_eq!(h.magic, 2);
        assert_eq!(h.compression(), Some(Compression::None));
        assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
        assert!(!h.is_transactional() && !h.is_control());
        let mut copy = vec![0u8; HEADER_SIZE];
        h.write_to(&mut copy);
        assert_eq!(&copy[..], &b[..HEADER_SIZE]);
        assert_eq!(compute_crc(&b), h.crc);
    }

    #[test]
    fn attribute_accessors() {
        let mut h = BatchHeader::parse(&batch(0, 1)).unwrap();
        for (id, c) in [
            (1, Compression::Gzip),
            (2, Compression::Snappy),
            (3, Compression::Lz4),
            (4, Compression::Zstd),
        ] {
            h.attributes = id;
            assert_eq!(h.compression(), Some(c));
            assert_eq!(c.id() as i16, id);
        }
        h.attributes = 5;
        assert_eq!(h.compression(), None);
        h.attributes = 0x08 | 0x10 | 0x20;
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert!(h.is_transactional());
        assert!(h.is_control());
        assert_eq!(h.delete_horizon_ms(), None);
        h.attributes = 0x40;
        assert_eq!(h.delete_horizon_ms(), Some(h.base_timestamp));
    }

    #[test]
    fn validates_multiple_batches() {
        let mut set = batch(0, 2);
        set.extend(batch(2, 5));
        let hs = validate_batches(&set, 1 << 20).unwrap();
        assert_eq!(hs.len(), 2);
        assert_eq!(hs[1].records_count, 5);
        let iter: Vec<_> = BatchIter::new(&set).map(|(h, _)| h).collect();
        assert_eq!(iter, hs);
    }

    #[test]
    fn rejects_empty() {
        assert_eq!(validate_batches(&[], 100), Err(BatchError::Empty));
    }

    #[test]
    fn rejects_truncation_at_every_length() {
        let b = batch(0, 3);
        for cut in 1..b.len() {
            let err = validate_batches(&b[..cut], 1 << 20).unwrap_err();
            assert!(matches!(err, BatchError::Truncated { .. }), "cut {cut}: {err:?}");
        }
        // A complete batch followed by a partial one is also rejected.
        let mut two = b.clone();
        two.extend_from_slice(&b[..30]);
        assert!(
            matches!(validate_batches(&two, 1 << 20), Err(BatchError::Truncated { position, .. }) if position == b.len())
        );
    }

    #[test]
    fn rejects_short_length() {
        let mut b = batch(0, 1);
        b[LENGTH_OFFSET..LENGTH_OFFSET + 4].copy_from_slice(&48i32.to_be_bytes());
        assert!(matches!(
            validate_batches(&b, 1 << 20),
            Err(BatchError::Corrupt { .. })
        ));
    }

    #[test]
    fn rejects_bad_magic() {
        let mut b = batch(0, 1);
        b[MAGIC_OFFSET] = 1;
        assert_eq!(
            validate_batches(&b, 1 << 20),
            Err(BatchError::UnsupportedMagic {
                magic: 1,
                position: 0
            })
        );
    }

    #[test]
    fn rejects_bad_crc_for_every_covered_byte() {
        let b = batch(0, 2);
        for i in ATTRIBUTES_OFFSET..b.len() {
            let mut c = b.clone();
            c[i] ^= 0x01;
            let err = validate_batches_with(&c, 1 << 20, ValidationMode::Replica).unwrap_err();
            // Flipping count/delta/attribute bits may trip earlier checks; it must never pass.
            assert!(
                matches!(err, BatchError::Corrupt { .. } | BatchError::InvalidRecord { .. }),
                "byte {i}: {err:?}"
            );
        }
    }

    #[test]
    fn offset_and_epoch_rewrite_keeps_crc_valid() {
        let mut b = batch(0, 2);
        set_base_offset(&mut b, 12345);
        set_partition_leader_epoch(&mut b, 9);
        let h = validate_batches(&b, 1 << 20).unwrap()[0];
        assert_eq!(h.base_offset, 12345);
        assert_eq!(h.partition_leader_epoch, 9);
    }

    #[test]
    fn log_append_time_rewrite_recomputes_crc() {
        let mut b = batch(0, 2);
        set_max_timestamp(&mut b, TimestampType::LogAppendTime, 99_999);
        let h = validate_batches(&b, 1 << 20).unwrap()[0];
        assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
        assert_eq!(h.max_timestamp, 99_999);
    }

    #[test]
    fn rejects_too_large() {
        let b = batch(0, 3);
        assert_eq!(
            validate_batches(&b, b.len() - 1),
            Err(BatchError::TooLarge {
                size: b.len(),
                max: b.len() - 1
            })
        );
        assert!(validate_batches(&b, b.len()).is_ok());
    }

    fn patch_and_recrc(b: &mut [u8], at: usize, bytes: &[u8]) {
        b[at..at + bytes.len()].copy_from_slice(bytes);
        write_crc(b);
    }

    #[test]
    fn producer_count_rules() {
        let mut b = batch(0, 3);
        patch_and_recrc(&mut b, RECORDS_COUNT_OFFSET, &(-1i32).to_be_bytes());
        assert!(matches!(
            validate_batches(&b, 1 << 20),
            Err(BatchError::InvalidRecord { .. })
        ));
        assert!(matches!(
            validate_batches_with(&b, 1 << 20, ValidationMode::Replica),
            Err(BatchError::InvalidRecord { .. })
        ));

        let mut b = batch(0, 3);
        patch_and_recrc(&mut b, LAST_OFFSET_DELTA_OFFSET, &5i32.to_be_bytes());
        assert!(matches!(
            validate_batches(&b, 1 << 20),
            Err(BatchError::InvalidRecord { .. })
        ));
        // Compacted batches keep their offset range with fewer records.
        assert!(validate_batches_with(&b, 1 << 20, ValidationMode::Replica).is_ok());

        let mut b = batch(0, 1);
        patch_and_recrc(&mut b, ATTRIBUTES_OFFSET, &7i16.to_be_bytes());
        assert!(matches!(
            validate_batches(&b, 1 << 20),
            Err(BatchError::InvalidRecord { .. })
        ));
    }

    #[test]
    fn replica_mode_requires_increasing_offsets() {
        let mut set = batch(10, 2);
        set.extend(batch(11, 2));
        assert!(matches!(
            validate_batches_with(&set, 1 << 20, ValidationMode::Replica),
            Err(BatchError::InvalidRecord { .. })
        ));
        let mut set = batch(10, 2);
        set.extend(batch(15, 2)); // gaps are fine (compacted source)
        assert!(validate_batches_with(&set, 1 << 20, ValidationMode::Replica).is_ok());
    }

    #[test]
    fn iterator_stops_at_partial_batch() {
        let mut set = batch(0, 1);
        let first = set.len();
        set.extend(batch(1, 1));
        set.truncate(set.len() - 1);
        let mut it = BatchIter::new(&set);
        assert!(it.next().is_some());
        assert!(it.next().is_none());
        assert_eq!(it.position(), first);
    }
}
