//! Producer state snapshots: `<offset:020>.snapshot` files in the partition
//! directory, each holding the producer state of the log below `offset`.
//!
//! Our own binary format (big endian), versioned and CRC-protected so that
//! a torn or damaged file is recognised and skipped:
//!
//! ```text
//! magic "KVPS" | version u16 = 1 | crc32c u32 (of everything after it)
//! offset i64 | producer count u32
//! per producer (ascending id):
//!   producer_id i64 | epoch i16 | last_timestamp i64 | coordinator_epoch i32
//!   txn_first_offset i64 (-1 = none) | batch count u8 (<= 5)
//!   per batch (oldest first):
//!     first_seq i32 | last_seq i32 | first_offset i64 | last_offset i64 | max_timestamp i64
//! ```
//!
//! Unlike Kafka's snapshots (last batch only) all retained batches are kept,
//! so every one of the last five batches is still recognised as a duplicate
//! after a restart.

use super::{BatchMetadata, ProducerEntry, ProducerStateMap, NUM_BATCHES_TO_RETAIN};
use crate::error::LogError;
use crate::segment;
use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::path::{Path, PathBuf};
use thiserror::Error;

pub(crate) const SNAPSHOT_SUFFIX: &str = ".snapshot";
const MAGIC: &[u8; 4] = b"KVPS";
const VERSION: u16 = 1;
/// magic + version + crc.
const PREAMBLE: usize = 4 + 2 + 4;
const ENTRY_FIXED: usize = 8 + 2 + 8 + 4 + 8 + 1;
const BATCH_SIZE: usize = 4 + 4 + 8 + 8 + 8;

/// Why a snapshot file was not usable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum SnapshotError {
    #[error("snapshot ends after {0} bytes, inside a field")]
    Truncated(usize),
    #[error("not a producer snapshot (bad magic)")]
    BadMagic,
    #[error("unsupported snapshot version {0}")]
    UnsupportedVersion(u16),
    #[error("CRC mismatch: stored {stored:#010x}, computed {computed:#010x}")]
    Crc { stored: u32, computed: u32 },
    #[error("invalid snapshot content: {0}")]
    Invalid(String),
}

pub(crate) fn file_name(offset: i64) -> String {
    segment::file_name(offset, SNAPSHOT_SUFFIX)
}

pub(crate) fn path(dir: &Path, offset: i64) -> PathBuf {
    dir.join(file_name(offset))
}

/// Serialises `state` as the snapshot at `offset`.
pub(crate) fn encode(offset: i64, state: &ProducerStateMap) -> Vec<u8> {
    let entries = state.entries();
    let mut body = Vec::with_capacity(12 + entries.len() * (ENTRY_FIXED + 2 * BATCH_SIZE));
    body.extend_from_slice(&offset.to_be_bytes());
    // More producers than u32::MAX cannot fit in memory.
    body.extend_from_slice(&u32::try_from(entries.len()).unwrap_or(u32::MAX).to_be_bytes());
    for (&id, e) in entries {
        body.extend_from_slice(&id.to_be_bytes());
        body.extend_from_slice(&e.producer_epoch.to_be_bytes());
        body.extend_from_slice(&e.last_timestamp.to_be_bytes());
        body.extend_from_slice(&e.coordinator_epoch.to_be_bytes());
        body.extend_from_slice(&e.current_txn_first_offset.unwrap_or(-1).to_be_bytes());
        // At most NUM_BATCHES_TO_RETAIN (5), so it fits a byte.
        body.push(e.batches.len() as u8);
        for b in &e.batches {
            body.extend_from_slice(&b.first_seq.to_be_bytes());
            body.extend_from_slice(&b.last_seq.to_be_bytes());
            body.extend_from_slice(&b.first_offset.to_be_bytes());
            body.extend_from_slice(&b.last_offset.to_be_bytes());
            body.extend_from_slice(&b.max_timestamp.to_be_bytes());
        }
    }
    let mut out = Vec::with_capacity(PREAMBLE + body.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_be_bytes());
    out.extend_from_slice(&crc32c::crc32c(&body).to_be_bytes());
    out.extend_from_slice(&body);
    out
}

/// Bounds-checked big-endian reader over untrusted bytes.
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], SnapshotError> {
        let end = self.pos.checked_add(N).filter(|&e| e <= self.buf.len());
        let Some(end) = end else {
            return Err(SnapshotError::Truncated(self.buf.len()));
        };
        let mut a = [0u8; N];
        a.copy_from_slice(&self.buf[self.pos..end]);
        self.pos = end;
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, SnapshotError> {
        Ok(self.take::<1>()?[0])
    }
    fn i16(&mut self) -> Result<i16, SnapshotError> {
        Ok(i16::from_be_bytes(self.take()?))
    }
    fn u16(&mut self) -> Result<u16, SnapshotError> {
        Ok(u16::from_be_bytes(self.take()?))
    }
    fn i32(&mut self) -> Result<i32, SnapshotError> {
        Ok(i32::from_be_bytes(self.take()?))
    }
    fn u32(&mut self) -> Result<u32, SnapshotError> {
        Ok(u32::from_be_bytes(self.take()?))
    }
    fn i64(&mut self) -> Result<i64, SnapshotError> {
        Ok(i64::from_be_bytes(self.take()?))
    }
    fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
}

/// Parses a snapshot; returns its offset and state.
pub(crate) fn decode(buf: &[u8]) -> Result<(i64, ProducerStateMap), SnapshotError> {
    let mut r = Reader { buf, pos: 0 };
    if r.take::<4>()? != *MAGIC {
        return Err(SnapshotError::BadMagic);
    }
    let version = r.u16()?;
    if version != VERSION {
        return Err(SnapshotError::UnsupportedVersion(version));
    }
    let stored = r.u32()?;
    let computed = crc32c::crc32c(&buf[PREAMBLE..]);
    if stored != computed {
        return Err(SnapshotError::Crc { stored, computed });
    }
    let invalid = |m: String| SnapshotError::Invalid(m);
    let offset = r.i64()?;
    if offset < 0 {
        return Err(invalid(format!("negative offset {offset}")));
    }
    let count = r.u32()? as usize;
    // Refuse counts the file cannot hold before allocating for them.
    if count > r.remaining() / ENTRY_FIXED {
        return Err(invalid(format!("{count} producers do not fit in the file")));
    }
    let mut producers = BTreeMap::new();
    let mut previous: Option<i64> = None;
    for _ in 0..count {
        let id = r.i64()?;
        if id < 0 || previous.is_some_and(|p| p >= id) {
            return Err(invalid(format!("producer id {id} out of order or negative")));
        }
        previous = Some(id);
        let mut e = ProducerEntry::new(r.i16()?);
        e.last_timestamp = r.i64()?;
        e.coordinator_epoch = r.i32()?;
        let txn = r.i64()?;
        e.current_txn_first_offset = (txn >= 0).then_some(txn);
        let batches = usize::from(r.u8()?);
        if batches > NUM_BATCHES_TO_RETAIN {
            return Err(invalid(format!("producer {id} has {batches} batches")));
        }
        let mut list = VecDeque::with_capacity(batches);
        for _ in 0..batches {
            let b = BatchMetadata {
                first_seq: r.i32()?,
                last_seq: r.i32()?,
                first_offset: r.i64()?,
                last_offset: r.i64()?,
                max_timestamp: r.i64()?,
            };
            if b.first_offset > b.last_offset || b.last_offset >= offset {
                return Err(invalid(format!(
                    "producer {id} has a batch at offsets {}..={} for a snapshot at {offset}",
                    b.first_offset, b.last_offset
                )));
            }
            list.push_back(b);
        }
        e.batches = list;
        producers.insert(id, e);
    }
    if r.remaining() != 0 {
        return Err(invalid(format!("{} trailing bytes", r.remaining())));
    }
    Ok((offset, ProducerStateMap::from_entries(producers)))
}

/// Offsets of the snapshot files in `dir`, ascending.
pub(crate) fn list(dir: &Path) -> Result<Vec<i64>, LogError> {
    let mut offsets = Vec::new();
    for entry in fs::read_dir(dir).map_err(LogError::io("listing", dir))? {
        let entry = entry.map_err(LogError::io("listing", dir))?;
        let name = entry.file_name();
        if let Some(offset) = segment::parse_file_name(&name.to_string_lossy(), SNAPSHOT_SUFFIX) {
            offsets.push(offset);
        }
    }
    offsets.sort_unstable();
    Ok(offsets)
}

/// Reads and checks the snapshot at `offset`. Every failure is returned as
/// a reason string: a snapshot only saves work, so callers skip bad ones.
pub(crate) fn read(dir: &Path, offset: i64) -> Result<ProducerStateMap, String> {
    let path = path(dir, offset);
    let bytes = fs::read(&path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let (stored, state) = decode(&bytes).map_err(|e| e.to_string())?;
    if stored != offset {
        return Err(format!("file name says offset {offset}, content says {stored}"));
    }
    Ok(state)
}

/// Writes the snapshot at `offset`. `durable` fsyncs it (clean shutdown);
/// otherwise a crash may leave a torn file, which the CRC exposes.
pub(crate) fn write(
    dir: &Path,
    offset: i64,
    state: &ProducerStateMap,
    durable: bool,
) -> Result<(), LogError> {
    let bytes = encode(offset, state);
    let name = file_name(offset);
    if durable {
        crate::checkpoint::write_atomic(dir, &name, &bytes)
    } else {
        segment::write_replace(dir, &name, &bytes)
    }
}

pub(crate) fn delete(dir: &Path, offset: i64) -> Result<(), LogError> {
    segment::remove_if_exists(&path(dir, offset))
}

/// Like [`delete`], but only logs a failure (used where a leftover file is
/// harmless, e.g. a corrupt snapshot that is skipped anyway).
pub(crate) fn delete_quietly(dir: &Path, offset: i64) {
    if let Err(e) = delete(dir, offset) {
        tracing::warn!(dir = %dir.display(), offset, error = %e, "could not delete producer snapshot");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::BatchHeader;

    fn header(pid: i64, epoch: i16, seq: i32, base: i64, n: i32) -> BatchHeader {
        BatchHeader {
            base_offset: base,
            batch_length: 49,
            partition_leader_epoch: 0,
            magic: 2,
            crc: 0,
            attributes: 0,
            last_offset_delta: n - 1,
            base_timestamp: 100,
            max_timestamp: 100 + base,
            producer_id: pid,
            producer_epoch: epoch,
            base_sequence: seq,
            records_count: n,
        }
    }

    fn sample() -> ProducerStateMap {
        let mut s = ProducerStateMap::default();
        for i in 0..7 {
            s.apply(&header(1, 0, i * 2, i64::from(i) * 2, 2));
        }
        s.apply(&header(9, 3, i32::MAX - 1, 14, 3));
        let mut txn = header(4, 1, 0, 17, 1);
        txn.attributes = 0x10;
        s.apply(&txn);
        s
    }

    #[test]
    fn roundtrip_keeps_every_field() {
        let s = sample();
        let bytes = encode(18, &s);
        let (offset, back) = decode(&bytes).unwrap();
        assert_eq!(offset, 18);
        assert_eq!(back, s);
        assert_eq!(back.entries()[&1].batches.len(), NUM_BATCHES_TO_RETAIN);
        assert_eq!(back.entries()[&4].current_txn_first_offset, Some(17));
        let empty = encode(0, &ProducerStateMap::default());
        assert_eq!(decode(&empty).unwrap(), (0, ProducerStateMap::default()));
    }

    #[test]
    fn every_single_byte_flip_and_truncation_is_detected() {
        let bytes = encode(18, &sample());
        for i in 0..bytes.len() {
            let mut b = bytes.clone();
            b[i] ^= 0x5a;
            assert!(decode(&b).is_err(), "flip at {i} not detected");
            assert!(decode(&bytes[..i]).is_err(), "truncation to {i} not detected");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode(&longer).is_err());
    }

    #[test]
    fn semantic_checks_behind_a_valid_crc() {
        // Re-sign a body that is well framed but wrong, so only the
        // semantic checks can catch it.
        let resign = |mut bytes: Vec<u8>| {
            let crc = crc32c::crc32c(&bytes[PREAMBLE..]);
            bytes[6..10].copy_from_slice(&crc.to_be_bytes());
            bytes
        };
        let bytes = encode(18, &sample());
        // Offset 10 in the file: the snapshot offset. A batch at 17 is not
        // below a snapshot at 5.
        let mut low = bytes.clone();
        low[PREAMBLE..PREAMBLE + 8].copy_from_slice(&5i64.to_be_bytes());
        assert!(matches!(decode(&resign(low)), Err(SnapshotError::Invalid(_))));
        let mut huge_count = bytes.clone();
        huge_count[PREAMBLE + 8..PREAMBLE + 12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert!(matches!(
            decode(&resign(huge_count)),
            Err(SnapshotError::Invalid(_))
        ));
        let mut version = bytes;
        version[4..6].copy_from_slice(&2u16.to_be_bytes());
        assert_eq!(decode(&version), Err(SnapshotError::UnsupportedVersion(2)));
    }

    #[test]
    fn files_are_listed_read_and_checked_against_their_name() {
        let dir = tempfile::tempdir().unwrap();
        let s = sample();
        write(dir.path(), 18, &s, false).unwrap();
        write(dir.path(), 30, &s, true).unwrap();
        fs::write(dir.path().join("00000000000000000001.log"), b"").unwrap();
        assert_eq!(list(dir.path()).unwrap(), vec![18, 30]);
        assert_eq!(read(dir.path(), 18).unwrap(), s);
        // Content of 18 under the name of 40: refused.
        fs::copy(path(dir.path(), 18), path(dir.path(), 40)).unwrap();
        assert!(read(dir.path(), 40).is_err());
        assert!(read(dir.path(), 99).is_err());
        delete(dir.path(), 18).unwrap();
        delete(dir.path(), 18).unwrap();
        assert_eq!(list(dir.path()).unwrap(), vec![30, 40]);
    }
}
