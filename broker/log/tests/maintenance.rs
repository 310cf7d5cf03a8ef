mod common;

use common::*;
use kavka_log::records::{encode_batch, BatchSpec, Record};
use kavka_log::{CleanupPolicy, LogConfig, LogError, RetentionReason};
use std::fs;

fn fill(log: &mut kavka_log::Log, batches: usize, ts_of: impl Fn(usize) -> i64) {
    for i in 0..batches {
        log.append_as_leader(&mut batch(2, ts_of(i), "m"), 0, ts_of(i))
            .unwrap();
    }
    let end = log.log_end_offset();
    log.set_high_watermark(end);
}

#[test]
fn retention_by_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_ms = Some(1_000);
    let mut log = open(dir.path(), cfg);
    fill(&mut log, 40, |i| 10_000 + (i as i64) * 100);
    let segs = log.segment_base_offsets();
    assert!(segs.len() >= 4);
    // Nothing is old enough yet.
    assert!(log.apply_retention(10_500).unwrap().deleted.is_empty());
    // At t, segments whose newest batch is older than t - 1000 go.
    let now = 13_500;
    let result = log.apply_retention(now).unwrap();
    assert!(!result.deleted.is_empty());
    for d in &result.deleted {
        assert_eq!(d.reason, RetentionReason::Time);
        assert!(!dir.path().join(format!("{:020}.log", d.base_offset)).exists());
        assert!(!dir.path().join(format!("{:020}.index", d.base_offset)).exists());
    }
    assert_eq!(log.log_start_offset(), log.segment_base_offsets()[0]);
    assert_eq!(result.log_start_offset, log.log_start_offset());
    // Every remaining non-active segment has recent data; the first deleted
    // boundary matches the timestamps: batch i has max ts 10_001 + 100 i.
    let first_kept = log.log_start_offset();
    let kept_batch = (first_kept / 2) as i64;
    assert!(10_001 + 100 * (kept_batch - 1) < now - 1_000 || kept_batch == 0);
    // Far in the future the active segment expires too (Kafka): a new empty
    // one is rolled at the log end and the log start reaches the log end.
    let end = log.log_end_offset();
    log.apply_retention(1_000_000).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![end]);
    assert_eq!(log.log_start_offset(), end);
    assert!(matches!(
        log.read(0, 100, 100, true),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    assert_eq!(log.log_start_offset(), log.segment_base_offsets()[0]);
    // The checkpoint survives a crash.
    let start = log.log_start_offset();
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_start_offset(), start);
}

#[test]
fn retention_by_size_and_high_watermark_guard() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_bytes = Some(2_000);
    let mut log = open(dir.path(), cfg);
    for i in 0..30 {
        log.append_as_leader(&mut batch(2, i, "s"), 0, 0).unwrap();
    }
    // High watermark at 0: nothing may be deleted.
    assert!(log.apply_retention(0).unwrap().deleted.is_empty());
    log.set_high_watermark(log.log_end_offset());
    let before = log.size_bytes();
    let result = log.apply_retention(0).unwrap();
    assert!(result.deleted.iter().all(|d| d.reason == RetentionReason::Size));
    assert_eq!(before - result.deleted_bytes(), log.size_bytes());
    // Kafka's rule: stay at or above retention.bytes; one more deletion would go below.
    assert!(log.size_bytes() >= 2_000);
    let sizes: Vec<u64> = {
        let mut v = Vec::new();
        for b in log.segment_base_offsets() {
            v.push(
                fs::metadata(dir.path().join(format!("{b:020}.log")))
                    .unwrap()
                    .len(),
            );
        }
        v
    };
    assert!(log.size_bytes() - sizes[0] < 2_000, "sizes {sizes:?}");
    // Compact-only logs ignore size and time retention.
    let mut cfg = small_config();
    cfg.retention_bytes = Some(1);
    cfg.cleanup_policy = CleanupPolicy::Compact;
    log.set_config(cfg);
    assert!(log.apply_retention(0).unwrap().deleted.is_empty());
}

#[test]
fn delete_records_before_moves_log_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    fill(&mut log, 20, |i| i as i64);
    log.set_high_watermark(30);
    assert!(matches!(
        log.delete_records_before(31),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    let segs = log.segment_base_offsets();
    assert!(segs.len() >= 3 && segs[1] + 1 < 30, "{segs:?}");
    let target = segs[1] + 1;
    assert_eq!(log.delete_records_before(target).unwrap(), target);
    assert_eq!(log.log_start_offset(), target);
    assert_eq!(
        log.segment_base_offsets()[0],
        segs[1],
        "segments wholly below were removed"
    );
    assert!(matches!(
        log.read(target - 1, 100, 30, true),
        Err(LogError::OffsetOutOfRange { .. })
    ));
    // Reading at the new start returns the batch containing it.
    let s = log.read(target, 1000, 30, true).unwrap();
    assert!(s.first_offset <= target);
    // Lower values are no-ops.
    assert_eq!(log.delete_records_before(3).unwrap(), target);
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_start_offset(), target);
    assert!(log.high_watermark() >= target);
}

#[test]
fn truncate_to_removes_log_indexes_epochs_and_hw() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..20 {
        log.append_as_leader(&mut batch(2, 100 + i, "t"), (i / 5) as i32, 0)
            .unwrap();
    }
    log.set_high_watermark(35);
    log.flush().unwrap();
    assert_eq!(log.recovery_point(), 40);
    let before = read_all(&log, 0);
    // Epoch 3 starts at 30; truncating to 25 removes it.
    assert_eq!(log.latest_epoch(), Some(3));
    log.truncate_to(25).unwrap();
    assert_eq!(log.log_end_offset(), 25);
    assert_eq!(log.high_watermark(), 25);
    assert_eq!(log.recovery_point(), 25);
    assert_eq!(log.latest_epoch(), Some(2));
    let after = read_all(&log, 0);
    assert_eq!(after[..], before[..12], "batch 24..25 removed as a whole");
    // Target inside a batch: the whole batch goes, log end = target.
    // (Batch [24,25] was removed above and the end is 25.)
    assert!(log.read(24, 100, 25, true).unwrap().is_empty());
    let info = log.append_as_leader(&mut batch(1, 0, "new"), 4, 0).unwrap();
    assert_eq!(info.base_offset, 25);
    assert_eq!(log.end_offset_for_epoch(2), Some((2, 25)));
    // Truncate below the first segment: the log restarts there.
    log.set_high_watermark(log.log_end_offset());
    log.delete_records_before(log.log_end_offset()).unwrap();
    let first = log.segment_base_offsets()[0];
    assert!(first > 0);
    log.truncate_to(first - 1).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![first - 1]);
    assert_eq!(log.log_start_offset(), first - 1);
    assert_eq!(log.log_end_offset(), first - 1);
    assert!(log.leader_epoch_entries().is_empty());
    // Survives a crash.
    log.append_as_leader(&mut batch(1, 0, "x"), 7, 0).unwrap();
    drop(log);
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_end_offset(), first);
    assert_eq!(log.leader_epoch_entries().len(), 1);
}

#[test]
fn truncated_log_does_not_trust_stale_recovery_point() {
    // A recovery point checkpointed before a truncation must be lowered
    // immediately, or a crash after re-appending would skip validation.
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    fill(&mut log, 10, |i| i as i64);
    log.flush().unwrap();
    log.truncate_to(4).unwrap();
    log.append_as_leader(&mut batch(3, 0, "re"), 1, 0).unwrap();
    let end = log.log_end_offset();
    let path = dir
        .path()
        .join(format!("{:020}.log", log.segment_base_offsets().last().unwrap()));
    drop(log);
    // Tear the re-appended batch.
    let len = fs::metadata(&path).unwrap().len();
    fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len - 3)
        .unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_end_offset(), 4);
    assert!(end > 4);
}

#[test]
fn epoch_cache_and_offset_for_leader_epoch() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    assert_eq!(log.end_offset_for_epoch(0), None);
    for (epoch, n) in [(1, 3), (1, 2), (4, 1), (6, 2)] {
        log.append_as_leader(&mut batch(n, 0, "e"), epoch, 0).unwrap();
    }
    let entries: Vec<(i32, i64)> = log
        .leader_epoch_entries()
        .iter()
        .map(|e| (e.epoch, e.start_offset))
        .collect();
    assert_eq!(entries, vec![(1, 0), (4, 5), (6, 6)]);
    assert_eq!(log.end_offset_for_epoch(6), Some((6, 8)));
    assert_eq!(log.end_offset_for_epoch(5), Some((4, 6)));
    assert_eq!(log.end_offset_for_epoch(4), Some((4, 6)));
    assert_eq!(log.end_offset_for_epoch(1), Some((1, 5)));
    assert_eq!(
        log.end_offset_for_epoch(0),
        Some((0, 0)),
        "Kafka: older than all known epochs"
    );
    assert_eq!(log.end_offset_for_epoch(7), None);
    assert_eq!(log.end_offset_for_epoch(-1), None);
    assert_eq!(
        fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap(),
        "0\n3\n1 0\n4 5\n6 6\n",
        "each new epoch is checkpointed before its data"
    );
    assert_eq!(log.epoch_for_offset(5), Some(4));
}

#[test]
fn offset_for_timestamp_and_max_timestamp() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    // Batch i has records with timestamps 1000+10i, 1000+10i+1, 1000+10i+2;
    // batch 7 has an out-of-order high timestamp.
    for i in 0..15i64 {
        let ts = if i == 7 { 9_000 } else { 1_000 + 10 * i };
        log.append_as_leader(&mut batch(3, ts, "ts"), 2, 0).unwrap();
    }
    assert!(log.segment_count() > 2);
    assert_eq!(log.offset_for_timestamp(0).unwrap().unwrap().offset, 0);
    // Exact record inside an uncompressed batch.
    let r = log.offset_for_timestamp(1_011).unwrap().unwrap();
    assert_eq!((r.offset, r.timestamp, r.leader_epoch), (4, 1_011, Some(2)));
    let r = log.offset_for_timestamp(1_013).unwrap().unwrap();
    assert_eq!((r.offset, r.timestamp), (6, 1_020));
    // The out-of-order batch 7 (offsets 21..23) is the first with ts >= 5000.
    let r = log.offset_for_timestamp(5_000).unwrap().unwrap();
    assert_eq!((r.offset, r.timestamp), (21, 9_000));
    assert_eq!(log.offset_for_timestamp(9_003).unwrap(), None);
    // Brute-force agreement for every target timestamp.
    let recs: Vec<(i64, i64)> = (0..15i64)
        .flat_map(|i| {
            let ts = if i == 7 { 9_000 } else { 1_000 + 10 * i };
            (0..3).map(move |j| (3 * i + j, ts + j))
        })
        .collect();
    for target in (990..1_160).chain([8_999, 9_000, 9_002]) {
        let expected = recs.iter().find(|(_, t)| *t >= target).copied();
        let got = log
            .offset_for_timestamp(target)
            .unwrap()
            .map(|r| (r.offset, r.timestamp));
        assert_eq!(got, expected, "target {target}");
    }
    let m = log.max_timestamp().unwrap();
    assert_eq!((m.offset, m.timestamp, m.leader_epoch), (23, 9_002, Some(2)));
    // Respecting the log start offset.
    log.set_high_watermark(45);
    log.delete_records_before(5).unwrap();
    let r = log.offset_for_timestamp(0).unwrap().unwrap();
    assert_eq!((r.offset, r.timestamp), (5, 1_012));
}

#[test]
fn compressed_batches_answer_at_batch_granularity() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let mut b = batch(3, 500, "z");
    // Mark as lz4 (records are opaque to the log; CRC recomputed).
    b[22] |= 3;
    kavka_log::batch::write_crc(&mut b);
    log.append_as_leader(&mut b, 0, 0).unwrap();
    let r = log.offset_for_timestamp(501).unwrap().unwrap();
    assert_eq!((r.offset, r.timestamp), (0, 502));
}

#[test]
fn group_commit_flush_handles() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.flush_interval_messages = Some(5);
    cfg.flush_interval_ms = Some(100);
    let mut log = open(dir.path(), cfg);
    assert!(log.flush_handle().is_none());
    log.append_as_leader(&mut batch(2, 0, "g"), 0, 1_000).unwrap();
    assert!(!log.flush_due(1_050));
    assert!(log.flush_due(1_100), "flush.ms since the first unflushed append");
    log.append_as_leader(&mut batch(3, 0, "g"), 0, 1_010).unwrap();
    assert!(log.flush_due(1_010), "flush.messages reached");
    let handle = log.flush_handle().unwrap();
    assert_eq!(handle.end_offset, 5);
    // Appends continue while the caller syncs outside the lock.
    log.append_as_leader(&mut batch(1, 0, "g"), 0, 1_020).unwrap();
    handle.sync().unwrap();
    log.mark_flushed(handle.end_offset);
    assert_eq!(log.recovery_point(), 5);
    assert!(!log.flush_due(1_020));
    let h2 = log.flush_handle().unwrap();
    assert_eq!(h2.end_offset, 6);
    // A truncation in between invalidates the handle.
    log.truncate_to(5).unwrap();
    h2.sync().unwrap();
    log.mark_flushed(h2.end_offset);
    assert_eq!(log.recovery_point(), 5);
    assert!(log.flush_handle().is_none());
    log.flush().unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("recovery-point-offset-checkpoint")).unwrap(),
        "0\n5\n"
    );
}

#[test]
fn read_slice_outlives_segment_deletion() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.retention_ms = Some(0);
    let mut log = open(dir.path(), cfg);
    fill(&mut log, 10, |i| i as i64);
    let slice = log.read(0, 1000, log.log_end_offset(), true).unwrap();
    let expected = read_all(&log, 0)[0].1.clone();
    log.apply_retention(1_000_000).unwrap();
    assert!(log.log_start_offset() > 0);
    let bytes = slice.read_bytes().unwrap();
    assert_eq!(&bytes[..expected.len()], &expected[..]);
}

#[test]
fn delete_removes_directory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t-0");
    let mut log = open(&path, small_config());
    log.append_as_leader(&mut batch(1, 0, "d"), 0, 0).unwrap();
    log.delete().unwrap();
    assert!(!path.exists());
}

#[test]
fn compaction_keeps_latest_per_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.cleanup_policy = CleanupPolicy::Compact;
    let mut log = open(dir.path(), cfg);
    let mut expected = std::collections::BTreeMap::new();
    let mut offset = 0i64;
    // Rounds 0..12 overwrite six keys; round 9 deletes k3, which is never
    // written again. Rounds 12..22 add unique keys so that all of the above
    // lands in cleanable (non-active) segments.
    for round in 0..22 {
        let recs: Vec<(String, Option<String>)> = (0..4)
            .map(|k| {
                let key = if round < 12 {
                    format!("k{}", (k + round) % 6)
                } else {
                    format!("u{round}-{k}")
                };
                let value = if round == 9 && k == 0 {
                    None
                } else {
                    Some(format!("v{round}-{k}"))
                };
                (key, value)
            })
            .collect();
        let refs: Vec<(&str, Option<&str>)> = recs.iter().map(|(k, v)| (k.as_str(), v.as_deref())).collect();
        log.append_as_leader(&mut keyed(&refs, 1_000 + round), 0, 0)
            .unwrap();
        for (k, v) in &recs {
            expected.insert(k.clone(), (offset, v.clone()));
            offset += 1;
        }
    }
    let end = log.log_end_offset();
    log.set_high_watermark(end);
    let before_records = all_records(&log);
    let stats = log.compact(10_000, 1_000).unwrap();
    assert!(stats.segments_rewritten > 0);
    assert!(stats.bytes_after < stats.bytes_before);
    assert_eq!(log.log_end_offset(), end);
    let active_base = *log.segment_base_offsets().last().unwrap();
    let after = all_records(&log);
    // Below the cleanable end every key appears once, with its latest value
    // as of the whole cleanable range; the active segment is untouched.
    let mut seen = std::collections::HashSet::new();
    for (o, k, _) in after.iter().filter(|r| r.0 < active_base) {
        assert!(seen.insert(k.clone()), "duplicate key {k:?} at {o}");
    }
    let tail_before: Vec<_> = before_records
        .iter()
        .filter(|r| r.0 >= active_base)
        .cloned()
        .collect();
    let tail_after: Vec<_> = after.iter().filter(|r| r.0 >= active_base).cloned().collect();
    assert_eq!(tail_before, tail_after);
    // Replaying the compacted log gives the same final state as the original.
    let replay = |recs: &[Rec]| {
        let mut m = std::collections::BTreeMap::new();
        for (_, k, v) in recs {
            match v {
                Some(v) => {
                    m.insert(k.clone(), v.clone());
                }
                None => {
                    m.remove(k);
                }
            }
        }
        m
    };
    assert_eq!(replay(&after), replay(&before_records));
    // Offsets only ever increase and reads at any offset still work.
    assert!(after.windows(2).all(|w| w[0].0 < w[1].0));
    for o in 0..end {
        log.read(o, 10, end, true).unwrap();
    }
    // Tombstone for k5 (round 5) is still there until its horizon passes.
    let has_tombstone = |recs: &[Rec]| recs.iter().any(|r| r.2.is_none());
    let (tomb_offset, _) = expected["k3"];
    assert_eq!(expected["k3"].1, None);
    assert!(tomb_offset < active_base, "the tombstone must be cleanable");
    assert!(has_tombstone(&after));
    log.compact(10_999, 1_000).unwrap();
    assert!(has_tombstone(&all_records(&log)));
    let s = log.compact(11_000, 1_000).unwrap();
    assert_eq!(s.tombstones_removed, 1);
    assert!(!has_tombstone(&all_records(&log)));
    assert!(all_records(&log)
        .iter()
        .all(|r| r.1.as_deref() != Some(&b"k3"[..])));
    // Compacted segments survive a crash-restart (indexes rebuilt or loaded).
    let snapshot = all_records(&log);
    drop(log);
    let log = open(
        dir.path(),
        LogConfig {
            cleanup_policy: CleanupPolicy::Compact,
            ..small_config()
        },
    );
    assert_eq!(all_records(&log), snapshot);
    assert_eq!(log.log_end_offset(), end);
}

#[test]
fn compaction_is_noop_for_delete_policy_and_keeps_transactional() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for _ in 0..10 {
        log.append_as_leader(&mut keyed(&[("a", Some("1"))], 0), 0, 0)
            .unwrap();
    }
    log.set_high_watermark(10);
    assert_eq!(log.compact(0, 0).unwrap().segments_rewritten, 0);

    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            cleanup_policy: CleanupPolicy::Compact,
            ..small_config()
        },
    );
    let mut spec = BatchSpec::new(0);
    spec.transactional = true;
    spec.producer_id = 1;
    spec.producer_epoch = 0;
    spec.base_sequence = 0;
    for i in 0..30 {
        spec.base_sequence = i;
        let mut b = encode_batch(&spec, &[Record::new(0, Some(b"a".to_vec()), Some(b"1".to_vec()))]);
        log.append_as_leader(&mut b, 0, 0).unwrap();
    }
    log.set_high_watermark(30);
    let before = read_all(&log, 0);
    let stats = log.compact(0, 0).unwrap();
    assert_eq!(stats.segments_rewritten, 0);
    assert!(stats.batches_skipped > 0);
    assert_eq!(read_all(&log, 0), before);
}
