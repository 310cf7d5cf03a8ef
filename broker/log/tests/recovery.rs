mod common;

use common::*;
use kavka_log::{BatchHeader, Log};
use proptest::prelude::*;
use std::fs::{self, OpenOptions};
use std::path::Path;

#[derive(Debug, Clone)]
enum Damage {
    /// Cut the last segment file to this fraction of its length.
    Truncate(f64),
    /// XOR a byte at this fraction of the file with a non-zero mask.
    Flip(f64, u8),
}

fn last_segment_path(dir: &Path, log: &Log) -> std::path::PathBuf {
    let base = *log.segment_base_offsets().last().unwrap();
    dir.join(format!("{base:020}.log"))
}

/// Byte ranges of the batches in the last segment: (start, header).
fn last_segment_layout(log: &Log) -> Vec<(u64, BatchHeader)> {
    let base = *log.segment_base_offsets().last().unwrap();
    let mut pos = 0u64;
    let mut out = Vec::new();
    for (h, _) in read_all(log, 0) {
        if h.base_offset >= base {
            out.push((pos, h));
            pos += h.size() as u64;
        }
    }
    out
}

/// Offsets 0..8 (base offset) and 12..16 (leader epoch) of a batch lie
/// outside the CRC and are rewritten by the broker; a flipped bit there is
/// indistinguishable from a legitimate value (as in Kafka), so the random
/// corruption avoids them.
fn in_unchecked_field(layout: &[(u64, BatchHeader)], at: u64) -> bool {
    layout.iter().any(|(start, _)| {
        let rel = at.wrapping_sub(*start);
        rel < 8 || (12..16).contains(&rel)
    })
}

fn run_recovery_case(
    batches: Vec<(usize, usize)>,
    damage: Damage,
    flushed: bool,
) -> Result<(), TestCaseError> {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for (i, (n, epoch_step)) in batches.iter().enumerate() {
        log.append_as_leader(
            &mut batch(*n, 1_000 + i as i64, &format!("p{i}")),
            *epoch_step as i32,
            0,
        )
        .unwrap();
    }
    log.set_high_watermark(log.log_end_offset());
    if flushed {
        log.flush().unwrap();
    }
    let all = read_all(&log, 0);
    let layout = last_segment_layout(&log);
    let path = last_segment_path(dir.path(), &log);
    let epochs_before = log.leader_epoch_entries().to_vec();
    drop(log); // crash: no clean-shutdown marker

    let len = fs::metadata(&path).unwrap().len();
    // The first batch position in the last segment that is damaged.
    let damaged_from = match damage {
        Damage::Truncate(f) => {
            let cut = ((len as f64) * f) as u64;
            OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(cut)
                .unwrap();
            layout.iter().position(|(s, h)| s + h.size() as u64 > cut)
        }
        Damage::Flip(f, mask) => {
            let at = (((len as f64) * f) as u64).min(len.saturating_sub(1));
            prop_assume!(len > 0 && !in_unchecked_field(&layout, at));
            let mut bytes = fs::read(&path).unwrap();
            bytes[at as usize] ^= mask;
            fs::write(&path, bytes).unwrap();
            layout
                .iter()
                .position(|(s, h)| at >= *s && at < s + h.size() as u64)
        }
    };
    let intact_in_last = damaged_from.unwrap_or(layout.len());
    let lost = layout.len() - intact_in_last;
    let survivors = &all[..all.len() - lost];
    let expected_end = survivors.last().map_or(0, |(h, _)| h.next_offset());

    let mut log = open(dir.path(), small_config());
    prop_assert_eq!(log.log_end_offset(), expected_end);
    prop_assert_eq!(&read_all(&log, 0), &survivors.to_vec());
    prop_assert!(log.high_watermark() <= expected_end);
    // The epoch cache never points past the end.
    for e in log.leader_epoch_entries() {
        prop_assert!(e.start_offset < expected_end.max(1));
        prop_assert!(
            epochs_before.contains(e),
            "{:?} not in {:?}",
            log.leader_epoch_entries(),
            epochs_before
        );
    }
    // Appends continue right after the last intact batch.
    let info = log
        .append_as_leader(&mut batch(2, 9_999, "after"), 100, 0)
        .unwrap();
    prop_assert_eq!(info.base_offset, expected_end);
    let tail = read_all(&log, expected_end);
    prop_assert_eq!(tail.len(), 1);
    prop_assert_eq!(tail[0].0.base_offset, expected_end);
    // And the repaired log survives a clean restart.
    log.close().unwrap();
    let log = open(dir.path(), small_config());
    prop_assert_eq!(log.log_end_offset(), expected_end + 2);
    Ok(())
}

fn damage_strategy() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (0.0f64..1.0).prop_map(Damage::Truncate),
        (0.0f64..1.0, 1u8..=255).prop_map(|(f, m)| Damage::Flip(f, m)),
    ]
}

proptest! {
    // Each case opens a log three times (fsync-heavy); keep the count modest.
    #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

    #[test]
    fn recovers_torn_or_corrupt_tail(
        // Epoch bumps are rare (each one is an fsynced checkpoint write).
        batches in proptest::collection::vec(
            (1usize..5, prop_oneof![6 => Just(0usize), 1 => Just(1usize), 1 => Just(3usize)]),
            3..30,
        ),
        damage in damage_strategy(),
        flushed in any::<bool>(),
    ) {
        // Epochs must not decrease: turn the steps into a running sum.
        let mut epoch = 0;
        let batches = batches.into_iter().map(|(n, step)| { epoch += step; (n, epoch) }).collect();
        run_recovery_case(batches, damage, flushed)?;
    }
}

#[test]
fn truncation_at_every_byte_of_a_small_log() {
    // Exhaustive over one small log: every cut point.
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..3 {
        log.append_as_leader(&mut batch(1, i, "e"), 0, 0).unwrap();
    }
    log.flush().unwrap();
    let all = read_all(&log, 0);
    let path = last_segment_path(dir.path(), &log);
    drop(log);
    let original = fs::read(&path).unwrap();
    let mut ends = Vec::new();
    let mut acc = 0;
    for (h, _) in &all {
        acc += h.size();
        ends.push((acc, h.next_offset()));
    }
    for cut in 0..original.len() {
        fs::write(&path, &original[..cut]).unwrap();
        fs::remove_file(dir.path().join(".kavka_cleanshutdown")).ok();
        let log = open(dir.path(), small_config());
        let expected = ends
            .iter()
            .filter(|(e, _)| *e <= cut)
            .map(|(_, o)| *o)
            .next_back()
            .unwrap_or(0);
        assert_eq!(log.log_end_offset(), expected, "cut at {cut}");
        assert_eq!(
            fs::metadata(&path).unwrap().len() as usize,
            ends.iter()
                .filter(|(e, _)| *e <= cut)
                .map(|(e, _)| *e)
                .next_back()
                .unwrap_or(0)
        );
        drop(log);
    }
}

#[test]
fn corruption_in_middle_segment_drops_later_segments() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..20 {
        log.append_as_leader(&mut batch(2, i, "m"), 0, 0).unwrap();
    }
    // Not flushed: the recovery point stays at 0, so every segment is scanned.
    let segs = log.segment_base_offsets();
    assert!(segs.len() >= 3);
    drop(log);
    let victim = dir.path().join(format!("{:020}.log", segs[1]));
    let mut bytes = fs::read(&victim).unwrap();
    bytes[70] ^= 0x10; // inside the first batch's records (CRC covered)
    fs::write(&victim, bytes).unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(log.segment_base_offsets(), vec![segs[0], segs[1]]);
    assert_eq!(log.log_end_offset(), segs[1]);
    for later in &segs[2..] {
        assert!(!dir.path().join(format!("{later:020}.log")).exists());
    }
}

#[test]
fn missing_or_garbled_indexes_are_rebuilt_after_clean_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..30 {
        log.append_as_leader(&mut batch(3, i * 10, "i"), 0, 0).unwrap();
    }
    let before = read_all(&log, 0);
    let ts_answer = log.offset_for_timestamp(155).unwrap();
    let segs = log.segment_base_offsets();
    log.close().unwrap();
    fs::remove_file(dir.path().join(format!("{:020}.index", segs[0]))).unwrap();
    fs::write(dir.path().join(format!("{:020}.index", segs[1])), [0xffu8; 13]).unwrap();
    fs::write(dir.path().join(format!("{:020}.timeindex", segs[2])), [0u8; 24]).unwrap();
    // Leftovers of interrupted operations and an orphan index.
    fs::write(dir.path().join("00000000000000000000.log.cleaned"), b"junk").unwrap();
    fs::write(dir.path().join("high-watermark-checkpoint.tmp"), b"junk").unwrap();
    fs::write(dir.path().join("00000000000099999999.index"), b"").unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(read_all(&log, 0), before);
    assert_eq!(log.offset_for_timestamp(155).unwrap(), ts_answer);
    let end = log.log_end_offset();
    for offset in 0..end {
        let s = log.read(offset, 1, end, true).unwrap();
        let h = BatchHeader::parse(&s.read_bytes().unwrap()).unwrap();
        assert!(h.base_offset <= offset && offset <= h.last_offset());
    }
    for junk in [
        "00000000000000000000.log.cleaned",
        "high-watermark-checkpoint.tmp",
        "00000000000099999999.index",
    ] {
        assert!(!dir.path().join(junk).exists(), "{junk}");
    }
}

#[test]
fn lost_epoch_checkpoint_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = open(dir.path(), small_config());
    for i in 0..12 {
        log.append_as_leader(&mut batch(1, i, "ep"), (i / 4) as i32, 0)
            .unwrap();
    }
    let epochs = log.leader_epoch_entries().to_vec();
    assert_eq!(epochs.len(), 3);
    log.close().unwrap();
    fs::write(dir.path().join("leader-epoch-checkpoint"), "garbage").unwrap();
    let log = open(dir.path(), small_config());
    assert_eq!(log.leader_epoch_entries(), &epochs[..]);
    assert_eq!(
        fs::read_to_string(dir.path().join("leader-epoch-checkpoint")).unwrap(),
        "0\n3\n0 0\n1 4\n2 8\n"
    );
}
