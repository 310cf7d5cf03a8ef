//! Idempotent-producer state through the public `Log` API: checks on
//! append, snapshots, recovery, truncation, retention and expiry.
mod common;

use common::*;
use kavka_log::records::{encode_batch, BatchSpec, Record};
use kavka_log::{AppendInfo, Log, LogError, ProducerSnapshotEntry};
use std::fs;
use std::path::Path;

/// An idempotent batch of `n` records from `pid`/`epoch` starting at `seq`.
fn pbatch(pid: i64, epoch: i16, seq: i32, n: usize, ts: i64) -> Vec<u8> {
    let spec = BatchSpec {
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        ..BatchSpec::new(0)
    };
    let recs: Vec<Record> = (0..n)
        .map(|i| {
            Record::new(
                ts,
                Some(format!("k{pid}-{seq}-{i}").into_bytes()),
                Some(vec![b'v'; 40]),
            )
        })
        .collect();
    encode_batch(&spec, &recs)
}

fn produce(log: &mut Log, pid: i64, epoch: i16, seq: i32, n: usize) -> Result<AppendInfo, LogError> {
    log.append_as_leader(&mut pbatch(pid, epoch, seq, n, 5_000), 0, 5_000)
}

/// One written batch: (pid, first seq, record count, base offset, last offset).
type Written = (i64, i32, usize, i64, i64);

/// Three producers interleaved, `rounds` batches each, over many segments.
fn fill(log: &mut Log, rounds: i32) -> Vec<Written> {
    let mut out = Vec::new();
    for r in 0..rounds {
        for pid in [10, 20, 30] {
            let n = 1 + (pid as usize / 10 + r as usize) % 3;
            let seq = out
                .iter()
                .rev()
                .find(|w: &&Written| w.0 == pid)
                .map_or(0, |w| w.1 + w.2 as i32);
            let info = produce(log, pid, 0, seq, n).unwrap();
            assert!(!info.duplicate);
            out.push((pid, seq, n, info.base_offset, info.last_offset));
        }
    }
    out
}

/// Each producer's last five batches are answered as duplicates with their
/// original offsets, and the next sequence is what the history says.
fn assert_history(log: &mut Log, written: &[Written]) {
    let end = log.log_end_offset();
    for pid in [10, 20, 30] {
        let mine: Vec<&Written> = written.iter().filter(|w| w.0 == pid).collect();
        for w in mine.iter().rev().take(5) {
            let info = produce(log, pid, 0, w.1, w.2).unwrap();
            assert!(info.duplicate, "{w:?} not detected as duplicate");
            assert_eq!((info.base_offset, info.last_offset), (w.3, w.4));
            assert_eq!(info.record_count, 0);
        }
        let last = mine.last().unwrap();
        let next = last.1 + last.2 as i32;
        match produce(log, pid, 0, next + 1, 1) {
            Err(LogError::OutOfOrderSequence { expected, got, .. }) => {
                assert_eq!((expected, got), (next, next + 1))
            }
            other => panic!("expected OutOfOrderSequence, got {other:?}"),
        }
    }
    assert_eq!(
        log.log_end_offset(),
        end,
        "duplicates and refused batches write nothing"
    );
}

fn snapshot_files(dir: &Path) -> Vec<i64> {
    let mut v: Vec<i64> = fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".snapshot").and_then(|d| d.parse().ok())
        })
        .collect();
    v.sort_unstable();
    v
}

fn state(log: &Log) -> Vec<ProducerSnapshotEntry> {
    log.producers()
}

#[test]
fn crash_recovery_keeps_duplicate_detection() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let written = fill(&mut log, 12);
    assert!(log.segment_count() >= 4, "test needs several segments");
    assert_eq!(snapshot_files(dir.path()), log.producer_snapshot_offsets());
    assert!(!snapshot_files(dir.path()).is_empty(), "rolls take snapshots");
    let before = state(&log);
    assert_eq!(before.len(), 3);
    drop(log); // crash: no clean shutdown, nothing flushed

    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &written);
}

#[test]
fn clean_close_snapshots_at_the_log_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let written = fill(&mut log, 6);
    let end = log.log_end_offset();
    let before = state(&log);
    log.close().unwrap();
    assert_eq!(snapshot_files(dir.path()).last(), Some(&end));
    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &written);
}

#[test]
fn corrupt_or_missing_snapshots_fall_back_to_older_ones_or_a_rescan() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let written = fill(&mut log, 12);
    let before = state(&log);
    log.close().unwrap();
    let snaps = snapshot_files(dir.path());
    assert!(snaps.len() >= 3);
    let path = |o: i64| dir.path().join(format!("{o:020}.snapshot"));

    // Newest snapshot damaged: the next older one plus a replay.
    let newest = *snaps.last().unwrap();
    let mut bytes = fs::read(path(newest)).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    fs::write(path(newest), &bytes).unwrap();
    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &written);
    drop(log);

    // Every snapshot torn or garbage: a full rescan of the segments.
    for o in snapshot_files(dir.path()) {
        fs::write(path(o), b"KVPS\x00").unwrap();
    }
    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &written);
    drop(log);

    // No snapshot at all.
    for o in snapshot_files(dir.path()) {
        fs::remove_file(path(o)).unwrap();
    }
    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &written);
}

#[test]
fn torn_tail_invalidates_newer_snapshots() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let written = fill(&mut log, 8);
    let last_segment = *log.segment_base_offsets().last().unwrap();
    log.close().unwrap();
    let end_snapshot = *snapshot_files(dir.path()).last().unwrap();
    // A crash that lost the end of the last batch (marker gone, file cut).
    fs::remove_file(dir.path().join(".kavka_cleanshutdown")).unwrap();
    let seg = dir.path().join(format!("{last_segment:020}.log"));
    let len = fs::metadata(&seg).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&seg)
        .unwrap()
        .set_len(len - 3)
        .unwrap();

    let mut log = open(dir.path(), small_config());
    let lost = *written.last().unwrap();
    assert_eq!(log.log_end_offset(), lost.3);
    assert!(!snapshot_files(dir.path()).contains(&end_snapshot));
    assert!(snapshot_files(dir.path()).iter().all(|&o| o <= lost.3));
    assert_history(&mut log, &written[..written.len() - 1]);
    // The lost batch's retry is appended again where it was.
    let info = produce(&mut log, lost.0, 0, lost.1, lost.2).unwrap();
    assert!(!info.duplicate);
    assert_eq!((info.base_offset, info.last_offset), (lost.3, lost.4));
}

#[test]
fn truncation_rewinds_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let written = fill(&mut log, 12);
    // Cut at a batch of producer 20 in the middle of the history.
    let cut_at = (written.len() / 2..).find(|&i| written[i].0 == 20).unwrap();
    let cut = written[cut_at];
    let segments_before = log.segment_count();
    log.truncate_to(cut.3).unwrap();
    assert!(
        log.segment_count() < segments_before,
        "test should cut across segments"
    );
    assert!(snapshot_files(dir.path()).iter().all(|&o| o <= cut.3));
    assert_eq!(snapshot_files(dir.path()), log.producer_snapshot_offsets());
    let kept = &written[..cut_at];
    assert_history(&mut log, kept);

    // The removed batch is no duplicate any more: its retry is appended
    // anew, at the truncation point.
    let info = produce(&mut log, 20, 0, cut.1, cut.2).unwrap();
    assert!(!info.duplicate);
    assert_eq!(info.base_offset, cut.3);
    let mut history = kept.to_vec();
    history.push((20, cut.1, cut.2, info.base_offset, info.last_offset));

    // The same after a crash.
    let before = state(&log);
    drop(log);
    let mut log = open(dir.path(), small_config());
    assert_eq!(state(&log), before);
    assert_history(&mut log, &history);
}

#[test]
fn truncate_fully_forgets_every_producer() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    fill(&mut log, 6);
    log.truncate_fully_and_start_at(5_000).unwrap();
    assert!(state(&log).is_empty());
    assert!(snapshot_files(dir.path()).is_empty());
    // Unknown producers may start at any sequence.
    let info = produce(&mut log, 10, 0, 777, 1).unwrap();
    assert_eq!(info.base_offset, 5_000);
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(state(&log)[0].last_sequence, 777);
}

#[test]
fn deleted_segments_keep_producer_state() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    // Producer 99 writes once, at the start; the others fill segments.
    let early = produce(&mut log, 99, 0, 0, 2).unwrap();
    let written = fill(&mut log, 12);
    let end = log.log_end_offset();
    log.set_high_watermark(end);
    let start = log.delete_records_before(end - 5).unwrap();
    assert!(log.segment_base_offsets()[0] > early.last_offset);
    let first_base = log.segment_base_offsets()[0];
    assert!(snapshot_files(dir.path()).iter().all(|&o| o >= first_base));
    assert!(snapshot_files(dir.path()).len() <= 5);
    // Kafka (since KIP-360) keeps the state of producers whose data is gone.
    let dup = produce(&mut log, 99, 0, 0, 2).unwrap();
    assert!(dup.duplicate);
    assert_eq!(
        (dup.base_offset, dup.log_start_offset),
        (early.base_offset, start)
    );
    assert!(matches!(
        produce(&mut log, 99, 0, 5, 1),
        Err(LogError::OutOfOrderSequence { expected: 2, .. })
    ));
    // ... also across a crash (the state comes from a snapshot).
    drop(log);
    let mut log = open(dir.path(), small_config());
    assert!(produce(&mut log, 99, 0, 0, 2).unwrap().duplicate);
    assert_history(&mut log, &written);
    drop(log);
    // Without snapshots only the remaining data can be replayed: producer
    // 99 is unknown and may continue anywhere.
    for o in snapshot_files(dir.path()) {
        fs::remove_file(dir.path().join(format!("{o:020}.snapshot"))).unwrap();
    }
    let mut log = open(dir.path(), small_config());
    assert!(state(&log).iter().all(|p| p.producer_id != 99));
    assert!(!produce(&mut log, 99, 0, 5, 1).unwrap().duplicate);
}

#[test]
fn snapshots_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    fill(&mut log, 30);
    assert!(log.segment_count() > 10);
    let snaps = snapshot_files(dir.path());
    assert_eq!(snaps.len(), 5);
    assert_eq!(
        *snaps.last().unwrap(),
        *log.segment_base_offsets().last().unwrap()
    );
}

#[test]
fn follower_state_serves_a_later_leadership() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let mut leader = open(leader_dir.path(), small_config());
    let written = fill(&mut leader, 6);
    let mut follower = open(follower_dir.path(), small_config());
    for (_, bytes) in read_all(&leader, 0) {
        follower.append_as_follower(&bytes, 6_000).unwrap();
    }
    assert_eq!(state(&follower), state(&leader));
    // The follower takes over: retries of the old leader's batches are
    // recognised with the same offsets.
    assert_history(&mut follower, &written);
}

#[test]
fn fenced_epochs_and_gaps_write_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    produce(&mut log, 1, 3, 0, 2).unwrap();
    let end = log.log_end_offset();
    let err = produce(&mut log, 1, 2, 2, 1).unwrap_err();
    assert!(matches!(
        err,
        LogError::InvalidProducerEpoch {
            producer_id: 1,
            current: 3,
            got: 2
        }
    ));
    assert_eq!(err.kafka_error_code(), 47);
    assert_eq!(produce(&mut log, 1, 3, 3, 1).unwrap_err().kafka_error_code(), 45);
    // Two batches in one append, the second out of sequence: neither goes in.
    let mut two = pbatch(1, 3, 2, 1, 5_000);
    two.extend(pbatch(1, 3, 4, 1, 5_000));
    assert!(matches!(
        log.append_as_leader(&mut two, 0, 5_000),
        Err(LogError::OutOfOrderSequence {
            expected: 3,
            got: 4,
            ..
        })
    ));
    assert_eq!(log.log_end_offset(), end);
    let mut two = pbatch(1, 3, 2, 1, 5_000);
    two.extend(pbatch(1, 3, 3, 1, 5_000));
    log.append_as_leader(&mut two, 0, 5_000).unwrap();
    assert_eq!(log.producers()[0].last_sequence, 3);
}

#[test]
fn duplicate_answers_with_the_original_log_append_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.timestamp_type = kavka_log::TimestampType::LogAppendTime;
    let mut log = open(dir.path(), cfg);
    let first = log
        .append_as_leader(&mut pbatch(1, 0, 0, 3, 10), 0, 7_000)
        .unwrap();
    assert_eq!(first.log_append_time, Some(7_000));
    let dup = log
        .append_as_leader(&mut pbatch(1, 0, 0, 3, 10), 0, 9_000)
        .unwrap();
    assert!(dup.duplicate);
    assert_eq!(dup.log_append_time, Some(7_000));
    assert_eq!(
        (dup.base_offset, dup.last_offset),
        (first.base_offset, first.last_offset)
    );
}

#[test]
fn expired_producers_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    // Batch timestamps are 5_000 (see `produce`).
    produce(&mut log, 1, 0, 0, 1).unwrap();
    log.append_as_leader(&mut pbatch(2, 0, 0, 1, 50_000), 0, 50_000)
        .unwrap();
    assert_eq!(log.expire_producers(54_999, 50_000), 0);
    assert_eq!(log.expire_producers(55_000, 50_000), 1);
    assert_eq!(
        state(&log).iter().map(|p| p.producer_id).collect::<Vec<_>>(),
        vec![2]
    );
    // Producer 1 is unknown now: its retry is not a duplicate, any
    // sequence is accepted.
    assert!(!produce(&mut log, 1, 0, 0, 1).unwrap().duplicate);
    assert_eq!(
        log.expire_producers(i64::MAX, kavka_log::DEFAULT_PRODUCER_ID_EXPIRATION_MS),
        2
    );
    assert!(state(&log).is_empty());
}
