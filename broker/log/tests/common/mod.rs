//! Shared helpers for the integration tests.
#![allow(dead_code)]

use kavka_log::records::{decode_records, encode_batch, BatchSpec, Record};
use kavka_log::{BatchHeader, BatchIter, Log, LogConfig};
use std::path::Path;

/// Small segments and dense indexes so tests exercise rolls and lookups.
pub fn small_config() -> LogConfig {
    LogConfig {
        segment_bytes: 1024,
        segment_ms: None,
        index_interval_bytes: 100,
        retention_ms: None,
        ..LogConfig::default()
    }
}

pub fn open(dir: &Path, config: LogConfig) -> Log {
    Log::open(dir, Some("topic-id-1"), config, 1_000).unwrap()
}

/// A producer batch of `n` records with timestamps `ts, ts+1, ...`, keys
/// `tag-i` and values of varying size.
pub fn batch(n: usize, ts: i64, tag: &str) -> Vec<u8> {
    let recs: Vec<Record> = (0..n)
        .map(|i| {
            Record::new(
                ts + i as i64,
                Some(format!("{tag}-{i}").into_bytes()),
                Some(vec![b'x'; 10 + (i * 7) % 50]),
            )
        })
        .collect();
    encode_batch(&BatchSpec::new(0), &recs)
}

pub fn keyed(records: &[(&str, Option<&str>)], ts: i64) -> Vec<u8> {
    let recs: Vec<Record> = records
        .iter()
        .map(|(k, v)| Record::new(ts, Some(k.as_bytes().to_vec()), v.map(|v| v.as_bytes().to_vec())))
        .collect();
    encode_batch(&BatchSpec::new(0), &recs)
}

/// Every batch from `from` to the log end, via the public read path.
pub fn read_all(log: &Log, from: i64) -> Vec<(BatchHeader, Vec<u8>)> {
    let mut out = Vec::new();
    let mut next = from;
    let end = log.log_end_offset();
    while next < end {
        let slice = log.read(next, 300, end, true).unwrap();
        let bytes = slice.read_bytes().unwrap();
        if bytes.is_empty() {
            break;
        }
        for (h, b) in BatchIter::new(&bytes) {
            next = h.next_offset();
            out.push((h, b.to_vec()));
        }
    }
    out
}

/// (offset, key, value) of a record.
pub type Rec = (i64, Option<Vec<u8>>, Option<Vec<u8>>);

/// Every record in the log.
pub fn all_records(log: &Log) -> Vec<Rec> {
    let mut out = Vec::new();
    for (_, b) in read_all(log, log.log_start_offset()) {
        let (h, recs) = decode_records(&b).unwrap();
        for r in recs {
            out.push((
                r.offset(&h),
                r.key.map(<[u8]>::to_vec),
                r.value.map(<[u8]>::to_vec),
            ));
        }
    }
    out
}
