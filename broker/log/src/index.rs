//! Sparse per-segment indexes, kept in memory and written whole to
//! `.index` / `.timeindex` files in Kafka's entry formats.
//!
//! Offset index entry: relative offset u32 BE + file position u32 BE. As in
//! Kafka, an entry `(o, p)` says "the batch starting at byte `p` has last
//! offset `o`", so any batch containing an offset `>= o` starts at `p` or later.
//!
//! Time index entry: timestamp i64 BE + relative offset u32 BE, with strictly
//! increasing timestamps. An entry `(t, o)` says "the batch whose last offset
//! is `o` is the first in the segment whose max timestamp reached `t`": every
//! earlier batch has a smaller max timestamp.

use crate::batch::NO_TIMESTAMP;

pub(crate) const OFFSET_ENTRY_SIZE: usize = 8;
pub(crate) const TIME_ENTRY_SIZE: usize = 12;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct OffsetIndex {
    /// (relative offset, position), both strictly increasing.
    entries: Vec<(u32, u32)>,
}

impl OffsetIndex {
    #[cfg(test)]
    pub(crate) fn entries(&self) -> &[(u32, u32)] {
        &self.entries
    }

    /// Appends if it keeps both columns strictly increasing (a no-op
    /// otherwise, which only makes the index sparser).
    pub(crate) fn append(&mut self, relative_offset: u32, position: u32) {
        if let Some(&(o, p)) = self.entries.last() {
            if relative_offset <= o || position <= p {
                return;
            }
        }
        self.entries.push((relative_offset, position));
    }

    /// Largest entry with relative offset <= `target`: a byte position at
    /// which scanning for the batch containing `target` may start.
    pub(crate) fn lookup(&self, relative_target: u32) -> Option<(u32, u32)> {
        let idx = self.entries.partition_point(|&(o, _)| o <= relative_target);
        idx.checked_sub(1).map(|i| self.entries[i])
    }

    /// Largest entry with position <= `position` (a batch boundary).
    pub(crate) fn floor_by_position(&self, position: u64) -> Option<(u32, u32)> {
        let idx = self.entries.partition_point(|&(_, p)| u64::from(p) <= position);
        idx.checked_sub(1).map(|i| self.entries[i])
    }

    pub(crate) fn last(&self) -> Option<(u32, u32)> {
        self.entries.last().copied()
    }

    /// Drops entries for batches at or after byte `size`.
    pub(crate) fn truncate_to_position(&mut self, size: u64) {
        let keep = self.entries.partition_point(|&(_, p)| u64::from(p) < size);
        self.entries.truncate(keep);
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * OFFSET_ENTRY_SIZE);
        for &(o, p) in &self.entries {
            out.extend_from_slice(&o.to_be_bytes());
            out.extend_from_slice(&p.to_be_bytes());
        }
        out
    }

    /// Parses a file image; `None` if its shape is wrong (length, ordering,
    /// or a position at/after `segment_size`).
    pub(crate) fn from_bytes(bytes: &[u8], segment_size: u64) -> Option<OffsetIndex> {
        if bytes.len() % OFFSET_ENTRY_SIZE != 0 {
            return None;
        }
        let mut index = OffsetIndex::default();
        for chunk in bytes.chunks_exact(OFFSET_ENTRY_SIZE) {
            let o = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            let p = u32::from_be_bytes([chunk[4], chunk[5], chunk[6], chunk[7]]);
            if let Some(&(lo, lp)) = index.entries.last() {
                if o <= lo || p <= lp {
                    return None;
                }
            }
            if u64::from(p) >= segment_size {
                return None;
            }
            index.entries.push((o, p));
        }
        Some(index)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TimeIndex {
    /// (timestamp, relative offset); timestamps strictly increasing, offsets
    /// non-decreasing.
    entries: Vec<(i64, u32)>,
}

impl TimeIndex {
    pub(crate) fn entries(&self) -> &[(i64, u32)] {
        &self.entries
    }

    /// Appends only when `timestamp` is above the last entry's (Kafka's
    /// `maybeAppend`), which keeps the index monotonic.
    pub(crate) fn maybe_append(&mut self, timestamp: i64, relative_offset: u32) {
        if timestamp == NO_TIMESTAMP {
            return;
        }
        if let Some(&(t, o)) = self.entries.last() {
            if timestamp <= t || relative_offset < o {
                return;
            }
        }
        self.entries.push((timestamp, relative_offset));
    }

    /// Largest entry with timestamp <= `target`: batches before its offset all
    /// have smaller max timestamps, so a search for the first batch with max
    /// timestamp >= `target` can start there.
    pub(crate) fn lookup(&self, target: i64) -> Option<(i64, u32)> {
        let idx = self.entries.partition_point(|&(t, _)| t <= target);
        idx.checked_sub(1).map(|i| self.entries[i])
    }

    pub(crate) fn last(&self) -> Option<(i64, u32)> {
        self.entries.last().copied()
    }

    /// Drops entries pointing at relative offsets >= `relative_end`.
    pub(crate) fn truncate_to_offset(&mut self, relative_end: u32) {
        self.entries.retain(|&(_, o)| o < relative_end);
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.entries.len() * TIME_ENTRY_SIZE);
        for &(t, o) in &self.entries {
            out.extend_from_slice(&t.to_be_bytes());
            out.extend_from_slice(&o.to_be_bytes());
        }
        out
    }

    /// Parses a file image; `None` if its shape is wrong or an entry points
    /// at or beyond `relative_end` (the segment's next offset, relative).
    pub(crate) fn from_bytes(bytes: &[u8], relative_end: u64) -> Option<TimeIndex> {
        if bytes.len() % TIME_ENTRY_SIZE != 0 {
            return None;
        }
        let mut index = TimeIndex::default();
        for chunk in bytes.chunks_exact(TIME_ENTRY_SIZE) {
            let mut t = [0u8; 8];
            t.copy_from_slice(&chunk[..8]);
            let t = i64::from_be_bytes(t);
            let o = u32::from_be_bytes([chunk[8], chunk[9], chunk[10], chunk[11]]);
            if let Some(&(lt, lo)) = index.entries.last() {
                if t <= lt || o < lo {
                    return None;
                }
            }
            if u64::from(o) >= relative_end {
                return None;
            }
            index.entries.push((t, o));
        }
        Some(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_lookup_is_floor() {
        let mut idx = OffsetIndex::default();
        assert_eq!(idx.lookup(5), None);
        idx.append(10, 100);
        idx.append(20, 200);
        idx.append(20, 300); // ignored: offset not increasing
        idx.append(25, 150); // ignored: position not increasing
        idx.append(30, 300);
        assert_eq!(idx.entries().len(), 3);
        assert_eq!(idx.lookup(9), None);
        assert_eq!(idx.lookup(10), Some((10, 100)));
        assert_eq!(idx.lookup(19), Some((10, 100)));
        assert_eq!(idx.lookup(20), Some((20, 200)));
        assert_eq!(idx.lookup(1000), Some((30, 300)));
        assert_eq!(idx.floor_by_position(99), None);
        assert_eq!(idx.floor_by_position(250), Some((20, 200)));
        assert_eq!(idx.floor_by_position(300), Some((30, 300)));
    }

    #[test]
    fn offset_index_bytes_roundtrip_and_checks() {
        let mut idx = OffsetIndex::default();
        idx.append(1, 10);
        idx.append(2, 20);
        let b = idx.to_bytes();
        assert_eq!(b.len(), 16);
        assert_eq!(OffsetIndex::from_bytes(&b, 21), Some(idx.clone()));
        assert_eq!(OffsetIndex::from_bytes(&b, 20), None, "position beyond segment");
        assert_eq!(OffsetIndex::from_bytes(&b[..15], 100), None, "partial entry");
        let mut swapped = b[8..].to_vec();
        swapped.extend_from_slice(&b[..8]);
        assert_eq!(OffsetIndex::from_bytes(&swapped, 100), None, "not increasing");
        idx.truncate_to_position(20);
        assert_eq!(idx.entries(), &[(1, 10)]);
    }

    #[test]
    fn time_index_monotonic_and_lookup() {
        let mut idx = TimeIndex::default();
        idx.maybe_append(NO_TIMESTAMP, 0);
        idx.maybe_append(100, 0);
        idx.maybe_append(100, 1); // not increasing
        idx.maybe_append(90, 2); // not increasing
        idx.maybe_append(200, 5);
        assert_eq!(idx.entries(), &[(100, 0), (200, 5)]);
        assert_eq!(idx.lookup(99), None);
        assert_eq!(idx.lookup(150), Some((100, 0)));
        assert_eq!(idx.lookup(200), Some((200, 5)));
        let b = idx.to_bytes();
        assert_eq!(TimeIndex::from_bytes(&b, 6), Some(idx.clone()));
        assert_eq!(TimeIndex::from_bytes(&b, 5), None);
        assert_eq!(TimeIndex::from_bytes(&b[..13], 6), None);
        idx.truncate_to_offset(5);
        assert_eq!(idx.last(), Some((100, 0)));
    }
}
