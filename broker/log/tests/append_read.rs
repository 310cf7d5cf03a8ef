mod common;

use common::*;
use kavka_log::records::{decode_records, encode_batch, BatchSpec, Record};
use kavka_log::{validate_batches, BatchIter, Log, LogConfig, LogError, TimestampType, ValidatedRecords};

#[test]
fn append_assigns_offsets_and_reads_every_offset() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let mut expected_base = 0;
    for i in 0..40 {
        let n = 1 + i % 4;
        let mut b = batch(n, 10_000 + i as i64, &format!("b{i}"));
        let info = log.append_as_leader(&mut b, 3, 2_000).unwrap();
        assert_eq!(info.base_offset, expected_base);
        assert_eq!(info.last_offset, expected_base + n as i64 - 1);
        assert_eq!(info.record_count, n as i64);
        assert_eq!(info.log_append_time, None);
        expected_base += n as i64;
        // The caller's buffer now holds exactly what was stored.
        let h = validate_batches(&b, usize::MAX).unwrap()[0];
        assert_eq!(h.base_offset, info.base_offset);
        assert_eq!(h.partition_leader_epoch, 3);
    }
    assert_eq!(log.log_end_offset(), expected_base);
    assert!(log.segment_count() > 3, "small segments must have rolled");
    let end = log.log_end_offset();
    for offset in 0..end {
        let slice = log.read(offset, 1, end, true).unwrap();
        let bytes = slice.read_bytes().unwrap();
        let (h, _) = BatchIter::new(&bytes).next().expect("one whole batch");
        assert!(
            h.base_offset <= offset && offset <= h.last_offset(),
            "offset {offset} not in {h:?}"
        );
        assert_eq!(slice.first_offset, h.base_offset);
        assert_eq!(bytes.len(), h.size(), "min_one_batch returns exactly one batch");
    }
    // Reading everything returns every record once, in order.
    let offsets: Vec<i64> = all_records(&log).iter().map(|r| r.0).collect();
    assert_eq!(offsets, (0..end).collect::<Vec<_>>());
}

#[test]
fn read_limits_and_ranges() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.segment_bytes = 1 << 20;
    let mut log = open(dir.path(), cfg);
    let mut sizes = Vec::new();
    for i in 0..10 {
        let mut b = batch(2, i, "r");
        sizes.push(b.len());
        log.append_as_leader(&mut b, 0, 0).unwrap();
    }
    let end = log.log_end_offset();
    assert_eq!(end, 20);
    // Byte limit: only whole batches that fit.
    let slice = log
        .read(0, sizes[0] + sizes[1] + sizes[2] - 1, end, false)
        .unwrap();
    assert_eq!(slice.len(), sizes[0] + sizes[1]);
    // First batch bigger than the limit: empty unless min_one_batch.
    assert!(log.read(4, 10, end, false).unwrap().is_empty());
    assert_eq!(log.read(4, 10, end, true).unwrap().len(), sizes[2]);
    // Offset limit (high watermark) is exclusive and batch aligned.
    let slice = log.read(0, 1 << 20, 6, true).unwrap();
    let hs: Vec<_> = BatchIter::new(&slice.read_bytes().unwrap())
        .map(|(h, _)| h)
        .collect();
    assert_eq!(
        hs.iter().map(|h| h.base_offset).collect::<Vec<_>>(),
        vec![0, 2, 4]
    );
    // A batch straddling the limit is not returned.
    assert!(log.read(4, 1 << 20, 5, true).unwrap().is_empty());
    // At the end / at the limit: empty, not an error.
    assert!(log.read(end, 100, end, true).unwrap().is_empty());
    assert!(log.read(6, 100, 6, true).unwrap().is_empty());
    assert!(matches!(
        log.read(end + 1, 100, end, true),
        Err(LogError::OffsetOutOfRange {
            offset: 21,
            start: 0,
            end: 20
        })
    ));
    assert!(matches!(
        log.read(-1, 100, end, true),
        Err(LogError::OffsetOutOfRange { .. })
    ));
}

#[test]
fn rejects_invalid_input_without_side_effects() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.max_message_bytes = 200;
    let mut log = open(dir.path(), cfg);
    let mut big = batch(10, 0, "big");
    assert!(matches!(
        log.append_as_leader(&mut big, 0, 0),
        Err(LogError::TooLarge { .. })
    ));
    let mut bad = batch(1, 0, "x");
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    assert!(matches!(
        log.append_as_leader(&mut bad, 0, 0),
        Err(LogError::Corrupt(_))
    ));
    let mut magic = batch(1, 0, "x");
    magic[16] = 1;
    let err = log.append_as_leader(&mut magic, 0, 0).unwrap_err();
    assert!(matches!(err, LogError::UnsupportedMagic(1)));
    assert_eq!(err.kafka_error_code(), 87);
    assert!(matches!(
        log.append_as_leader(&mut [], 0, 0),
        Err(LogError::InvalidRecord(_))
    ));
    assert_eq!(log.log_end_offset(), 0);
    assert_eq!(log.size_bytes(), 0);
    // A stale leader epoch is refused.
    log.append_as_leader(&mut batch(1, 0, "ok"), 5, 0).unwrap();
    assert!(matches!(
        log.append_as_leader(&mut batch(1, 0, "old"), 4, 0),
        Err(LogError::StaleLeaderEpoch { epoch: 4, latest: 5 })
    ));
}

#[test]
fn log_append_time_is_stamped_and_crc_valid() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = small_config();
    cfg.timestamp_type = TimestampType::LogAppendTime;
    let mut log = open(dir.path(), cfg);
    let mut b = batch(3, 5, "lat");
    let info = log.append_as_leader(&mut b, 0, 777_000).unwrap();
    assert_eq!(info.log_append_time, Some(777_000));
    assert_eq!(info.max_timestamp, 777_000);
    let stored = &read_all(&log, 0)[0];
    let h = validate_batches(&stored.1, usize::MAX).expect("CRC recomputed")[0];
    assert_eq!(h.timestamp_type(), TimestampType::LogAppendTime);
    assert_eq!(h.max_timestamp, 777_000);
    let (dh, recs) = decode_records(&stored.1).unwrap();
    assert!(recs.iter().all(|r| r.timestamp(&dh) == 777_000));
    // CreateTime topic: a batch claiming LogAppendTime is stored as CreateTime.
    let dir2 = tempfile::tempdir().unwrap();
    let mut log2 = open(dir2.path(), small_config());
    let mut spec = BatchSpec::new(0);
    spec.log_append_time = Some(42);
    let mut b = encode_batch(&spec, &[Record::new(42, None, Some(b"v".to_vec()))]);
    log2.append_as_leader(&mut b, 0, 99).unwrap();
    let h = validate_batches(&read_all(&log2, 0)[0].1, usize::MAX).unwrap()[0];
    assert_eq!(h.timestamp_type(), TimestampType::CreateTime);
}

#[test]
fn rolls_by_size_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let size = batch(2, 10_000, "s0").len() as u64;
    let mut cfg = small_config();
    // Room for two batches but not three.
    cfg.segment_bytes = size * 2 + size / 2;
    cfg.segment_ms = Some(1_000);
    let mut log = open(dir.path(), cfg);
    for i in 0..6 {
        let mut b = batch(2, 10_000, &format!("s{i}"));
        assert_eq!(b.len() as u64, size);
        log.append_as_leader(&mut b, 0, 10_000).unwrap();
    }
    assert_eq!(log.segment_base_offsets(), vec![0, 4, 8]);
    for name in [
        "00000000000000000000.log",
        "00000000000000000004.log",
        "00000000000000000004.index",
        "00000000000000000004.timeindex",
        "00000000000000000008.log",
    ] {
        assert!(dir.path().join(name).exists(), "{name}");
    }
    // Time: maybe_roll only after segment.ms since the first batch's (max)
    // timestamp, here 10_001.
    log.maybe_roll(11_001).unwrap();
    assert_eq!(log.segment_count(), 3);
    log.maybe_roll(11_002).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 4, 8, 12]);
    log.maybe_roll(50_000).unwrap();
    assert_eq!(log.segment_count(), 4, "an empty active segment never rolls");
    // On append, the incoming batch's timestamp drives the time roll (Kafka).
    log.append_as_leader(&mut batch(1, 20_000, "t"), 0, 20_000)
        .unwrap();
    log.append_as_leader(&mut batch(1, 21_001, "t"), 0, 21_001)
        .unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, 4, 8, 12, 13]);
}

#[test]
fn clean_reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..30 {
        log.append_as_leader(&mut batch(1 + i % 3, 100 + i as i64, "c"), (i / 10) as i32, 1_000)
            .unwrap();
    }
    log.set_high_watermark(20);
    let before = read_all(&log, 0);
    let end = log.log_end_offset();
    let epochs = log.leader_epoch_entries().to_vec();
    let segs = log.segment_base_offsets();
    let max_ts = log.max_timestamp();
    log.close().unwrap();
    assert!(dir.path().join(".kavka_cleanshutdown").exists());
    assert_eq!(
        std::fs::read_to_string(dir.path().join("partition.metadata")).unwrap(),
        "version: 0\ntopic_id: topic-id-1\n"
    );

    let log = open(dir.path(), small_config());
    assert!(
        !dir.path().join(".kavka_cleanshutdown").exists(),
        "marker consumed"
    );
    assert_eq!(log.log_end_offset(), end);
    assert_eq!(log.high_watermark(), 20);
    assert_eq!(log.recovery_point(), end);
    assert_eq!(log.segment_base_offsets(), segs);
    assert_eq!(log.leader_epoch_entries(), &epochs[..]);
    assert_eq!(log.max_timestamp(), max_ts);
    assert_eq!(read_all(&log, 0), before);
    assert_eq!(log.topic_id(), Some("topic-id-1"));
    drop(log);
    // A different topic id for the same directory is refused.
    let err = Log::open(dir.path(), Some("other"), small_config(), 0).unwrap_err();
    assert!(matches!(err, LogError::TopicIdMismatch { .. }));
    let log = Log::open(dir.path(), None, small_config(), 0).unwrap();
    assert_eq!(log.topic_id(), Some("topic-id-1"));
}

#[test]
fn follower_append_keeps_offsets() {
    let leader_dir = tempfile::tempdir().unwrap();
    let follower_dir = tempfile::tempdir().unwrap();
    let mut leader = open(leader_dir.path(), small_config());
    let mut follower = open(follower_dir.path(), small_config());
    for i in 0..12 {
        leader
            .append_as_leader(&mut batch(2, i, "f"), 1 + (i / 5) as i32, 0)
            .unwrap();
    }
    let end = leader.log_end_offset();
    let mut next = 0;
    while next < end {
        let bytes = leader.read(next, 400, end, true).unwrap().read_bytes().unwrap();
        let info = follower.append_as_follower(&bytes, 0).unwrap();
        assert_eq!(info.base_offset, next);
        next = info.last_offset + 1;
    }
    assert_eq!(follower.log_end_offset(), end);
    assert_eq!(follower.leader_epoch_entries(), leader.leader_epoch_entries());
    assert_eq!(read_all(&follower, 0), read_all(&leader, 0));
    // Replaying already-present offsets is refused.
    let bytes = leader.read(0, 400, end, true).unwrap().read_bytes().unwrap();
    assert!(matches!(
        follower.append_as_follower(&bytes, 0),
        Err(LogError::InvalidOffset(_))
    ));
}

#[test]
fn offset_gap_beyond_32_bits_rolls() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(
        dir.path(),
        LogConfig {
            segment_ms: None,
            ..LogConfig::default()
        },
    );
    let mut spec = BatchSpec::new(0);
    spec.partition_leader_epoch = 0;
    let b = encode_batch(&spec, &[Record::new(1, None, Some(b"a".to_vec()))]);
    log.append_as_follower(&b, 0).unwrap();
    let far = 5_000_000_000i64;
    spec.base_offset = far;
    let b = encode_batch(&spec, &[Record::new(2, None, Some(b"b".to_vec()))]);
    log.append_as_follower(&b, 0).unwrap();
    assert_eq!(log.segment_base_offsets(), vec![0, far]);
    assert_eq!(log.log_end_offset(), far + 1);
    // Offsets inside the gap read the next batch.
    let s = log.read(7, 1000, far + 1, true).unwrap();
    assert_eq!(s.first_offset, far);
}

/// Parses Kafka's index entry formats from disk and checks them against
/// the batches they point at.
#[test]
fn index_files_use_kafka_entry_formats() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..40 {
        log.append_as_leader(&mut batch(1 + i % 3, 50 * i as i64, "ix"), 0, 0)
            .unwrap();
    }
    let all = read_all(&log, 0);
    let segs = log.segment_base_offsets();
    log.close().unwrap();
    let mut checked = 0;
    for (si, base) in segs.iter().enumerate() {
        let seg_end = segs.get(si + 1).copied().unwrap_or(i64::MAX);
        // Batch positions inside this segment.
        let mut pos = 0u32;
        let mut layout = Vec::new();
        for (h, _) in all
            .iter()
            .filter(|(h, _)| h.base_offset >= *base && h.base_offset < seg_end)
        {
            layout.push((pos, *h));
            pos += h.size() as u32;
        }
        let index = std::fs::read(dir.path().join(format!("{base:020}.index"))).unwrap();
        assert_eq!(index.len() % 8, 0);
        for e in index.chunks(8) {
            let rel = u32::from_be_bytes(e[..4].try_into().unwrap());
            let p = u32::from_be_bytes(e[4..].try_into().unwrap());
            let (_, h) = layout
                .iter()
                .find(|(lp, _)| *lp == p)
                .expect("entry points at a batch start");
            assert_eq!(h.last_offset(), base + i64::from(rel));
            checked += 1;
        }
        let time = std::fs::read(dir.path().join(format!("{base:020}.timeindex"))).unwrap();
        assert_eq!(time.len() % 12, 0);
        let mut last_ts = i64::MIN;
        for e in time.chunks(12) {
            let ts = i64::from_be_bytes(e[..8].try_into().unwrap());
            let rel = u32::from_be_bytes(e[8..].try_into().unwrap());
            assert!(ts > last_ts);
            last_ts = ts;
            let (_, h) = layout
                .iter()
                .find(|(_, h)| h.last_offset() == base + i64::from(rel))
                .unwrap();
            assert_eq!(h.max_timestamp, ts);
        }
        // The last time index entry is the segment's max timestamp.
        let max = layout.iter().map(|(_, h)| h.max_timestamp).max().unwrap();
        assert_eq!(last_ts, max);
    }
    assert!(checked > 5, "the index must have entries");
}

#[test]
fn clean_shutdown_skips_the_scan_and_unclean_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..5 {
        log.append_as_leader(&mut batch(2, i, "cs"), 0, 0).unwrap();
    }
    let end = log.log_end_offset();
    let base = *log.segment_base_offsets().last().unwrap();
    log.close().unwrap();
    // Damage a CRC-covered byte of the last batch.
    let path = dir.path().join(format!("{base:020}.log"));
    let mut bytes = std::fs::read(&path).unwrap();
    let last = bytes.len() - 2;
    bytes[last] ^= 0x55;
    std::fs::write(&path, &bytes).unwrap();
    // Trusted after a clean shutdown (like Kafka): no scan, nothing cut.
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_end_offset(), end);
    drop(log); // now a crash: the marker was consumed by the open
    let log = open(dir.path(), small_config());
    assert_eq!(log.log_end_offset(), end - 2, "unclean open validates the tail");
}

#[test]
fn validation_outside_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    let mut b = batch(2, 0, "v");
    let v = ValidatedRecords::new(&b, 10_000).unwrap();
    assert_eq!(v.headers().len(), 1);
    let info = log.append_as_leader_validated(&mut b, v, 0, 0).unwrap();
    assert_eq!((info.base_offset, info.last_offset), (0, 1));
    // A different buffer than the validated one is refused.
    let v = ValidatedRecords::new(&batch(2, 0, "v"), 10_000).unwrap();
    let mut other = batch(3, 0, "w");
    assert!(matches!(
        log.append_as_leader_validated(&mut other, v, 0, 0),
        Err(LogError::InvalidRecord(_))
    ));
    assert!(ValidatedRecords::new(&b[..10], 10_000).is_err());
    // One append bigger than a segment is RECORD_LIST_TOO_LARGE.
    let mut many = Vec::new();
    for i in 0..20 {
        many.extend(batch(2, i, "many"));
    }
    let err = log.append_as_leader(&mut many, 0, 0).unwrap_err();
    assert!(matches!(err, LogError::RecordSetTooLarge { .. }));
    assert_eq!(err.kafka_error_code(), 18);
    assert_eq!(log.log_end_offset(), 2);
}
