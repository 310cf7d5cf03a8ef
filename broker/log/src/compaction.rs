//! Pure part of log compaction: deciding, batch by batch, which records
//! survive. The I/O (reading segments, swapping files) is in `log/compact.rs`.
//!
//! Scope: only uncompressed, non-transactional data batches are compacted.
//! Compressed batches (records are not decompressed), transactional batches
//! (commit/abort status is not tracked here) and control batches are kept
//! byte for byte, and their keys do not take part in deduplication.
//! Tombstones follow KIP-534: the first cleaning that keeps a tombstone
//! stamps the batch with a delete horizon (`now + delete.retention.ms`, in
//! `baseTimestamp` with attribute bit 6); a later cleaning after the horizon
//! drops it.

use crate::batch::{BatchHeader, Compression, DELETE_HORIZON_BIT};
use crate::records::{self, decode_records, DecodedRecord};
use std::collections::HashMap;

/// Counters reported by `Log::compact`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompactionStats {
    /// Offsets below this were considered (end of the last cleanable segment).
    pub cleanable_end_offset: i64,
    pub segments_rewritten: usize,
    pub bytes_before: u64,
    pub bytes_after: u64,
    /// Superseded records removed (tombstones included).
    pub records_removed: u64,
    /// Latest-version tombstones removed after their delete horizon.
    pub tombstones_removed: u64,
    pub batches_removed: u64,
    /// Batches kept as they are because they are compressed,
    /// transactional, control or undecodable.
    pub batches_skipped: u64,
}

/// Whether compaction looks inside this batch.
pub(crate) fn is_compactable(h: &BatchHeader) -> bool {
    h.compression() == Some(Compression::None) && !h.is_transactional() && !h.is_control()
}

/// What pass 1 learns about the cleanable range.
#[derive(Debug, Default)]
pub(crate) struct KeyMap {
    /// Key -> offset of its latest record.
    pub latest: HashMap<Vec<u8>, i64>,
    /// Producer id -> base offset of its last batch (its empty batch is kept
    /// so producer state can still be rebuilt from the log).
    pub producer_last_batch: HashMap<i64, i64>,
    /// Base offset of the first batch we could not look into; tombstones
    /// after it must stay, since an older value for the key may hide in it.
    pub first_opaque_data_batch: Option<i64>,
}

impl KeyMap {
    /// Pass 1: records keys of one complete batch.
    pub(crate) fn add_batch(&mut self, header: &BatchHeader, batch: &[u8]) {
        if header.has_producer_id() {
            self.producer_last_batch
                .insert(header.producer_id, header.base_offset);
        }
        let decoded = if is_compactable(header) {
            decode_records(batch).ok()
        } else {
            None
        };
        match decoded {
            Some((h, recs)) => {
                for r in &recs {
                    if let Some(k) = r.key {
                        self.latest.insert(k.to_vec(), r.offset(&h));
                    }
                }
            }
            None if !header.is_control() && self.first_opaque_data_batch.is_none() => {
                self.first_opaque_data_batch = Some(header.base_offset);
            }
            None => {}
        }
    }
}

/// Pass 2 verdict for one batch.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    Rewrite(Vec<u8>),
    Drop,
}

/// Decides the fate of one complete batch.
pub(crate) fn clean_batch(
    header: &BatchHeader,
    batch: &[u8],
    map: &KeyMap,
    now_ms: i64,
    delete_retention_ms: i64,
    stats: &mut CompactionStats,
) -> Verdict {
    if !is_compactable(header) {
        stats.batches_skipped += 1;
        return Verdict::Keep;
    }
    let Ok((h, recs)) = decode_records(batch) else {
        stats.batches_skipped += 1;
        return Verdict::Keep;
    };
    let horizon_passed = h.delete_horizon_ms().is_some_and(|t| now_ms >= t);
    let mut kept: Vec<&DecodedRecord<'_>> = Vec::with_capacity(recs.len());
    for r in &recs {
        let offset = r.offset(&h);
        let Some(key) = r.key else {
            // Kafka refuses keyless records on compacted topics at produce
            // time; if one got in anyway, keeping it loses nothing.
            kept.push(r);
            continue;
        };
        if map.latest.get(key) != Some(&offset) {
            stats.records_removed += 1;
            continue;
        }
        let older_data_hidden = map.first_opaque_data_batch.is_some_and(|o| o < offset);
        if r.is_tombstone() && horizon_passed && !older_data_hidden {
            stats.records_removed += 1;
            stats.tombstones_removed += 1;
            continue;
        }
        kept.push(r);
    }
    let needs_horizon = h.delete_horizon_ms().is_none() && kept.iter().any(|r| r.is_tombstone());
    if kept.len() == recs.len() && !needs_horizon {
        return Verdict::Keep;
    }
    if kept.is_empty() && map.producer_last_batch.get(&h.producer_id) != Some(&h.base_offset) {
        stats.batches_removed += 1;
        return Verdict::Drop;
    }
    let mut template = h;
    if needs_horizon {
        template.attributes |= DELETE_HORIZON_BIT;
        template.base_timestamp = now_ms.saturating_add(delete_retention_ms);
    }
    let mut body = Vec::with_capacity(batch.len());
    for r in &kept {
        if template.base_timestamp == h.base_timestamp {
            body.extend_from_slice(r.raw);
        } else {
            // Same absolute timestamp, relative to the new base.
            let ts = h.base_timestamp.wrapping_add(r.timestamp_delta);
            records::encode_record_into(
                &mut body,
                r.attributes,
                ts.wrapping_sub(template.base_timestamp),
                r.offset_delta,
                r.key,
                r.value,
                &r.headers,
            );
        }
    }
    // Offsets and producer fields stay: lastOffsetDelta keeps the batch's
    // offset range so the next offset and producer sequences are preserved.
    Verdict::Rewrite(records::assemble_batch(&template, &body, kept.len() as i32))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::{validate_batches_with, ValidationMode};
    use crate::records::{encode_batch, BatchSpec, Record};

    fn rec(ts: i64, k: &str, v: Option<&str>) -> Record {
        Record::new(ts, Some(k.as_bytes().to_vec()), v.map(|v| v.as_bytes().to_vec()))
    }

    fn map_of(batches: &[&[u8]]) -> KeyMap {
        let mut m = KeyMap::default();
        for b in batches {
            let h = BatchHeader::parse(b).unwrap();
            m.add_batch(&h, b);
        }
        m
    }

    #[test]
    fn keeps_only_latest_per_key() {
        let b1 = encode_batch(
            &BatchSpec::new(0),
            &[rec(10, "a", Some("1")), rec(11, "b", Some("1"))],
        );
        let b2 = encode_batch(&BatchSpec::new(2), &[rec(12, "a", Some("2"))]);
        let map = map_of(&[&b1, &b2]);
        let mut stats = CompactionStats::default();
        let h1 = BatchHeader::parse(&b1).unwrap();
        let Verdict::Rewrite(out) = clean_batch(&h1, &b1, &map, 0, 0, &mut stats) else {
            panic!("expected rewrite")
        };
        let h = validate_batches_with(&out, usize::MAX, ValidationMode::Replica).unwrap()[0];
        assert_eq!((h.base_offset, h.last_offset_delta, h.records_count), (0, 1, 1));
        let (_, recs) = decode_records(&out).unwrap();
        assert_eq!(recs[0].key, Some(&b"b"[..]));
        assert_eq!(recs[0].offset(&h), 1);
        assert_eq!(recs[0].timestamp(&h), 11);
        assert_eq!(stats.records_removed, 1);
        let h2 = BatchHeader::parse(&b2).unwrap();
        assert_eq!(clean_batch(&h2, &b2, &map, 0, 0, &mut stats), Verdict::Keep);
    }

    #[test]
    fn fully_superseded_batch_is_dropped_unless_last_of_producer() {
        let b1 = encode_batch(&BatchSpec::new(0), &[rec(10, "a", Some("1"))]);
        let b2 = encode_batch(&BatchSpec::new(1), &[rec(12, "a", Some("2"))]);
        let map = map_of(&[&b1, &b2]);
        let mut stats = CompactionStats::default();
        let h1 = BatchHeader::parse(&b1).unwrap();
        assert_eq!(clean_batch(&h1, &b1, &map, 0, 0, &mut stats), Verdict::Drop);

        let mut spec = BatchSpec::new(0);
        spec.producer_id = 9;
        spec.producer_epoch = 0;
        spec.base_sequence = 0;
        let p1 = encode_batch(&spec, &[rec(10, "a", Some("1")), rec(11, "a", Some("2"))]);
        let later = encode_batch(&BatchSpec::new(2), &[rec(12, "a", Some("3"))]);
        let map = map_of(&[&p1, &later]);
        let h = BatchHeader::parse(&p1).unwrap();
        // Both records are superseded, but this is producer 9's last batch.
        let Verdict::Rewrite(out) = clean_batch(&h, &p1, &map, 0, 0, &mut stats) else {
            panic!("the producer's last batch must stay, empty")
        };
        let e = BatchHeader::parse(&out).unwrap();
        assert_eq!((e.records_count, e.last_offset_delta, e.producer_id), (0, 1, 9));
    }

    #[test]
    fn tombstones_get_horizon_then_go() {
        let b = encode_batch(
            &BatchSpec::new(0),
            &[rec(100, "a", Some("1")), rec(150, "k", None)],
        );
        let map = map_of(&[&b]);
        let mut stats = CompactionStats::default();
        let h = BatchHeader::parse(&b).unwrap();
        let Verdict::Rewrite(stamped) = clean_batch(&h, &b, &map, 1_000, 500, &mut stats) else {
            panic!("expected horizon stamp")
        };
        let sh = BatchHeader::parse(&stamped).unwrap();
        assert_eq!(sh.delete_horizon_ms(), Some(1_500));
        let (_, recs) = decode_records(&stamped).unwrap();
        assert_eq!(
            recs.iter().map(|r| r.timestamp(&sh)).collect::<Vec<_>>(),
            vec![100, 150]
        );
        // Before the horizon: unchanged.
        assert_eq!(
            clean_batch(&sh, &stamped, &map, 1_499, 500, &mut stats),
            Verdict::Keep
        );
        // After: the tombstone goes, the live record stays.
        let Verdict::Rewrite(out) = clean_batch(&sh, &stamped, &map, 1_500, 500, &mut stats) else {
            panic!("expected tombstone removal")
        };
        let (oh, recs) = decode_records(&out).unwrap();
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].key, Some(&b"a"[..]));
        assert_eq!(recs[0].timestamp(&oh), 100);
        assert_eq!(stats.tombstones_removed, 1);
    }

    #[test]
    fn opaque_batches_are_kept_and_protect_tombstones() {
        let mut gz = encode_batch(&BatchSpec::new(0), &[rec(1, "k", Some("old"))]);
        gz[crate::batch::ATTRIBUTES_OFFSET + 1] |= 1; // claims gzip; never decoded
        crate::batch::write_crc(&mut gz);
        let mut t = encode_batch(&BatchSpec::new(1), &[rec(2, "k", None)]);
        let h = BatchHeader::parse(&t).unwrap();
        // Stamp a horizon in the past.
        let map0 = map_of(&[&gz, &t]);
        let mut stats = CompactionStats::default();
        if let Verdict::Rewrite(s) = clean_batch(&h, &t, &map0, 0, 0, &mut stats) {
            t = s;
        }
        let h = BatchHeader::parse(&t).unwrap();
        assert_eq!(h.delete_horizon_ms(), Some(0));
        let map = map_of(&[&gz, &t]);
        assert_eq!(map.first_opaque_data_batch, Some(0));
        assert_eq!(
            clean_batch(&h, &t, &map, 10, 0, &mut stats),
            Verdict::Keep,
            "tombstone must stay"
        );
        let gh = BatchHeader::parse(&gz).unwrap();
        assert_eq!(clean_batch(&gh, &gz, &map, 10, 0, &mut stats), Verdict::Keep);
        assert_eq!(stats.batches_skipped, 1);
    }
}
