//! Behaviour that follows newer Kafka semantics: MAX_TIMESTAMP answers with
//! the record inside a batch (Kafka 3.8+), retention deletes an expired
//! active segment after rolling, and a leader records its epoch at the log
//! end before any data exists in it.
mod common;

use common::*;
use kavka_log::records::{encode_batch, BatchSpec, Record};
use kavka_log::{CleanupPolicy, Log, LogError, RetentionReason, TimestampType};
use proptest::prelude::*;
use std::fs;
use std::path::Path;

/// A batch with one record per timestamp, in the given order.
fn batch_with(timestamps: &[i64]) -> Vec<u8> {
    let recs: Vec<Record> = timestamps
        .iter()
        .map(|&t| Record::new(t, Some(b"k".to_vec()), Some(vec![b'v'; 30])))
        .collect();
    encode_batch(&BatchSpec::new(0), &recs)
}

fn max_ts(log: &Log) -> (i64, i64, Option<i32>) {
    let m = log.max_timestamp().unwrap();
    (m.offset, m.timestamp, m.leader_epoch)
}

fn remove_index_files(dir: &Path) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.to_string_lossy().into_owned();
        if name.ends_with(".index") || name.ends_with(".timeindex") {
            fs::remove_file(path).unwrap();
        }
    }
}

// ---- MAX_TIMESTAMP ----------------------------------------------------------

#[test]
fn max_timestamp_is_the_record_that_carries_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    // The newest record first: the batch's last offset (2) is not the answer.
    log.append_as_leader(&mut batch_with(&[9_000, 1_000, 2_000]), 3, 0)
        .unwrap();
    assert_eq!(max_ts(&log), (0, 9_000, Some(3)));
    // A later batch with a larger max in its middle, twice: the first wins.
    log.append_as_leader(&mut batch_with(&[5, 9_500, 9_500, 100]), 4, 0)
        .unwrap();
    assert_eq!(max_ts(&log), (4, 9_500, Some(4)));
    // Many more batches (rolling segments), one tying the max: unchanged.
    for i in 0..30 {
        let ts = if i == 17 { 9_500 } else { 2_000 + i };
        log.append_as_leader(&mut batch_with(&[ts, ts - 1]), 4, 0)
            .unwrap();
    }
    assert!(log.segment_count() > 3);
    assert_eq!(max_ts(&log), (4, 9_500, Some(4)));
    // Survives a clean reopen (indexes trusted), a crash (segments
    // recovered) and lost index files (rebuilt).
    log.close().unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(max_ts(&log), (4, 9_500, Some(4)));
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(max_ts(&log), (4, 9_500, Some(4)));
    log.close().unwrap();
    remove_index_files(dir.path());
    let mut log = open(dir.path(), small_config());
    assert_eq!(max_ts(&log), (4, 9_500, Some(4)));
    // Truncating the max away falls back to the next largest.
    log.truncate_to(4).unwrap();
    assert_eq!(max_ts(&log), (0, 9_000, Some(3)));
}

#[test]
fn max_timestamp_for_log_append_time_and_compressed_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.timestamp_type = TimestampType::LogAppendTime;
    let mut log = open(dir.path(), cfg);
    log.append_as_leader(&mut batch_with(&[1, 2, 3]), 0, 700).unwrap();
    log.append_as_leader(&mut batch_with(&[4, 5, 6]), 0, 800).unwrap();
    // Every record of a LogAppendTime batch carries the append time, so
    // Kafka answers with the batch's first offset.
    assert_eq!(max_ts(&log), (3, 800, Some(0)));

    // Compressed batches are not decoded: the batch's last offset.
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    log.append_as_leader(&mut batch_with(&[10, 20, 30]), 1, 0)
        .unwrap();
    let mut b = batch_with(&[900, 50, 60]);
    b[22] |= 3; // lz4; the records stay opaque to the log
    kavka_log::batch::write_crc(&mut b);
    log.append_as_leader(&mut b, 1, 0).unwrap();
    assert_eq!(max_ts(&log), (5, 900, Some(1)));
}

#[test]
fn max_timestamp_of_an_empty_log_is_none() {
    let dir = tempfile::tempdir().unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(log.max_timestamp(), None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Whatever the batches, the answer is the first record (in offset
    /// order) carrying the largest timestamp.
    #[test]
    fn max_timestamp_matches_a_record_scan(
        batches in proptest::collection::vec(proptest::collection::vec(0i64..50, 1..6), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = open(dir.path(), small_config());
        let mut all = Vec::new();
        for (i, ts) in batches.iter().enumerate() {
            let info = log.append_as_leader(&mut batch_with(ts), i as i32, 0).unwrap();
            all.extend(ts.iter().enumerate().map(|(j, &t)| (info.base_offset + j as i64, t, i as i32)));
        }
        let max = all.iter().map(|r| r.1).max().unwrap();
        let (offset, _, epoch) = *all.iter().find(|r| r.1 == max).unwrap();
        prop_assert_eq!(max_ts(&log), (offset, max, Some(epoch)));
    }
}

// ---- retention of the active segment ---------------------------------------

#[test]
fn time_retention_deletes_an_expired_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_ms = Some(1_000);
    let mut log = open(dir.path(), cfg.clone());
    for i in 0..25 {
        log.append_as_leader(&mut batch(2, 10_000 + i, "a"), 2, 10_000)
            .unwrap();
    }
    let end = log.log_end_offset();
    let old_bases = log.segment_base_offsets();
    assert!(old_bases.len() > 2);
    // Below the high watermark only: the active segment stays while the
    // high watermark is short of the log end.
    log.set_high_watermark(end - 1);
    let r = log.apply_retention(100_000).unwrap();
    assert!(r.deleted.iter().all(|d| d.end_offset < end));
    assert_eq!(log.segment_base_offsets(), vec![*old_bases.last().unwrap()]);
    assert!(log.log_start_offset() < end);

    log.set_high_watermark(end);
    let r = log.apply_retention(100_000).unwrap();
    assert_eq!(r.deleted.len(), 1);
    let d = &r.deleted[0];
    assert_eq!(
        (d.base_offset, d.end_offset, d.reason),
        (*old_bases.last().unwrap(), end, RetentionReason::Time)
    );
    assert_eq!(r.log_start_offset, end);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (end, end));
    assert_eq!(log.segment_base_offsets(), vec![end]);
    for base in old_bases {
        assert!(!dir.path().join(format!("{base:020}.log")).exists());
    }
    assert!(log.read(end, 100, end, true).unwrap().is_empty());
    assert!(matches!(
        log.read(end - 1, 100, end, true),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // The epoch still answers, now from the log end.
    assert_eq!(log.end_offset_for_epoch(2), Some((2, end)));
    // An empty active segment is left alone (no endless rolling).
    assert!(log.apply_retention(200_000).unwrap().deleted.is_empty());
    assert_eq!(log.segment_base_offsets(), vec![end]);
    // Appends continue at the log end; a crash keeps the new start.
    let info = log
        .append_as_leader(&mut batch(1, 99_000, "b"), 2, 99_000)
        .unwrap();
    assert_eq!(info.base_offset, end);
    drop(log);
    let log = open(dir.path(), cfg);
    assert_eq!((log.log_start_offset(), log.log_end_offset()), (end, end + 1));
}

#[test]
fn an_active_segment_with_fresh_data_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_ms = Some(1_000);
    let mut log = open(dir.path(), cfg);
    log.append_as_leader(&mut batch(2, 1_000, "old"), 0, 0).unwrap();
    log.append_as_leader(&mut batch(2, 50_000, "new"), 0, 0).unwrap();
    log.set_high_watermark(4);
    assert!(log.apply_retention(50_500).unwrap().deleted.is_empty());
    assert_eq!((log.log_start_offset(), log.segment_count()), (0, 1));
    // Compact-only logs never apply time retention, active segment included.
    let mut cfg = small_config();
    cfg.retention_ms = Some(1_000);
    cfg.cleanup_policy = CleanupPolicy::Compact;
    log.set_config(cfg);
    assert!(log.apply_retention(1_000_000).unwrap().deleted.is_empty());
    assert_eq!(log.log_start_offset(), 0);
}

#[test]
fn size_retention_can_take_the_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_bytes = Some(0);
    let mut log = open(dir.path(), cfg);
    for i in 0..10 {
        log.append_as_leader(&mut batch(2, i, "s"), 0, 0).unwrap();
    }
    let segments = log.segment_count();
    log.set_high_watermark(20);
    let r = log.apply_retention(0).unwrap();
    assert_eq!(r.deleted.len(), segments);
    assert!(r.deleted.iter().all(|d| d.reason == RetentionReason::Size));
    assert_eq!((log.log_start_offset(), log.size_bytes()), (20, 0));
    assert_eq!(log.segment_base_offsets(), vec![20]);
}

#[test]
fn producer_state_survives_deleting_the_active_segment() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_ms = Some(1_000);
    let mut log = open(dir.path(), cfg.clone());
    let pbatch = |seq: i32| {
        let spec = BatchSpec {
            producer_id: 7,
            producer_epoch: 0,
            base_sequence: seq,
            ..BatchSpec::new(0)
        };
        encode_batch(&spec, &[Record::new(1_000, None, Some(b"v".to_vec()))])
    };
    log.append_as_leader(&mut pbatch(0), 0, 1_000).unwrap();
    log.append_as_leader(&mut pbatch(1), 0, 1_000).unwrap();
    log.set_high_watermark(2);
    log.apply_retention(100_000).unwrap();
    assert_eq!(log.log_start_offset(), 2);
    // The producer is still known: a gap is refused, the next one accepted,
    // and the state is there after a crash too.
    assert!(matches!(
        log.append_as_leader(&mut pbatch(5), 0, 1_000),
        Err(LogError::OutOfOrderSequence { .. })
    ));
    assert_eq!(
        log.append_as_leader(&mut pbatch(2), 0, 1_000)
            .unwrap()
            .base_offset,
        2
    );
    drop(log);
    let mut log = open(dir.path(), cfg);
    assert!(log.append_as_leader(&mut pbatch(2), 0, 1_000).unwrap().duplicate);
    assert_eq!(
        log.append_as_leader(&mut pbatch(3), 0, 1_000)
            .unwrap()
            .base_offset,
        3
    );
}

// ---- leader epoch on becoming leader ---------------------------------------

fn epochs(log: &Log) -> Vec<(i32, i64)> {
    log.leader_epoch_entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect()
}

#[test]
fn assign_leader_epoch_before_any_data() {
    let dir = tempfile::tempdir().unwrap();
    let checkpoint = dir.path().join("leader-epoch-checkpoint");
    let mut log = open(dir.path(), small_config());
    assert_eq!(log.end_offset_for_epoch(0), None);
    log.assign_leader_epoch(0).unwrap();
    assert_eq!(log.end_offset_for_epoch(0), Some((0, 0)));
    assert_eq!(fs::read_to_string(&checkpoint).unwrap(), "0\n1\n0 0\n");

    log.append_as_leader(&mut batch(3, 0, "e"), 0, 0).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0)], "same epoch: no new entry");
    log.assign_leader_epoch(2).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (2, 3)]);
    assert_eq!(fs::read_to_string(&checkpoint).unwrap(), "0\n2\n0 0\n2 3\n");
    assert_eq!(log.end_offset_for_epoch(2), Some((2, 3)));
    assert_eq!(log.end_offset_for_epoch(1), Some((0, 3)));
    assert_eq!(log.end_offset_for_epoch(0), Some((0, 3)));
    // Not newer than the latest (or negative): no-ops.
    for e in [2, 1, 0, -1] {
        log.assign_leader_epoch(e).unwrap();
    }
    assert_eq!(epochs(&log), vec![(0, 0), (2, 3)]);
    // The new leader's appends keep the recorded start; older ones fail.
    assert!(matches!(
        log.append_as_leader(&mut batch(1, 0, "old"), 1, 0),
        Err(LogError::StaleLeaderEpoch { epoch: 1, latest: 2 })
    ));
    log.append_as_leader(&mut batch(2, 0, "new"), 2, 0).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (2, 3)]);
    assert_eq!(log.end_offset_for_epoch(2), Some((2, 5)));

    // An epoch without data is dropped when the log is truncated to its
    // start and, as in Kafka, when the log is reopened; the leader then
    // assigns it again.
    log.assign_leader_epoch(4).unwrap();
    assert_eq!(log.end_offset_for_epoch(4), Some((4, 5)));
    log.close().unwrap();
    let mut log = open(dir.path(), small_config());
    assert_eq!(log.latest_epoch(), Some(2));
    log.assign_leader_epoch(4).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (2, 3), (4, 5)]);
    log.truncate_to(4).unwrap();
    assert_eq!(epochs(&log), vec![(0, 0), (2, 3)]);
}

#[test]
fn assigned_epoch_with_data_survives_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    log.append_as_leader(&mut batch(2, 0, "a"), 1, 0).unwrap();
    log.assign_leader_epoch(3).unwrap();
    log.append_as_leader(&mut batch(2, 0, "b"), 3, 0).unwrap();
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(epochs(&log), vec![(1, 0), (3, 2)]);
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 2)));
}
