use super::*;

/// Header of a data batch of `n` records (offsets are assigned by `Leader`).
fn b(pid: i64, epoch: i16, seq: i32, n: i32) -> BatchHeader {
    BatchHeader {
        base_offset: 0,
        batch_length: 49,
        partition_leader_epoch: 0,
        magic: 2,
        crc: 0,
        attributes: 0,
        last_offset_delta: n - 1,
        base_timestamp: 1_000,
        max_timestamp: 1_000,
        producer_id: pid,
        producer_epoch: epoch,
        base_sequence: seq,
        records_count: n,
    }
}

fn control(pid: i64, epoch: i16) -> BatchHeader {
    BatchHeader {
        attributes: 0x30,
        base_sequence: -1,
        ..b(pid, epoch, 0, 1)
    }
}

/// A leader in miniature: checks, then assigns offsets and applies, the
/// way `Log::append_as_leader` does.
#[derive(Default)]
struct Leader {
    state: ProducerStateMap,
    end: i64,
    clock: i64,
}

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Appended { first: i64, last: i64 },
    Duplicate { first: i64, last: i64 },
}

impl Leader {
    fn append(&mut self, batches: &[BatchHeader]) -> Result<Outcome, LogError> {
        if let Some(d) = self.state.check_leader_append(batches)? {
            return Ok(Outcome::Duplicate {
                first: d.first_offset,
                last: d.last_offset,
            });
        }
        let first = self.end;
        for h in batches {
            self.clock += 1;
            let h = BatchHeader {
                base_offset: self.end,
                max_timestamp: self.clock,
                ..*h
            };
            self.state.apply(&h);
            self.end = h.next_offset();
        }
        Ok(Outcome::Appended {
            first,
            last: self.end - 1,
        })
    }

    fn ok(&mut self, batches: &[BatchHeader]) -> (i64, i64) {
        match self.append(batches).unwrap() {
            Outcome::Appended { first, last } => (first, last),
            other => panic!("expected an append, got {other:?}"),
        }
    }
}

fn out_of_order(r: Result<Outcome, LogError>) -> (i32, i32) {
    match r {
        Err(LogError::OutOfOrderSequence { expected, got, .. }) => (expected, got),
        other => panic!("expected OutOfOrderSequence, got {other:?}"),
    }
}

#[test]
fn each_of_the_last_five_batches_is_a_duplicate() {
    let mut l = Leader::default();
    let mut written = Vec::new();
    for i in 0..7 {
        written.push(l.ok(&[b(7, 0, i * 3, 3)]));
    }
    let end = l.end;
    // Batches 2..7 are remembered; each retry answers its own offsets.
    for (i, &(first, last)) in written.iter().enumerate().skip(2) {
        let seq = i as i32 * 3;
        assert_eq!(
            l.append(&[b(7, 0, seq, 3)]).unwrap(),
            Outcome::Duplicate { first, last },
            "batch {i}"
        );
    }
    // The two oldest are forgotten: their retry is out of sequence.
    for seq in [0, 3] {
        assert_eq!(out_of_order(l.append(&[b(7, 0, seq, 3)])), (21, seq));
    }
    // A different range at a remembered start is not a duplicate.
    assert_eq!(out_of_order(l.append(&[b(7, 0, 18, 2)])), (21, 18));
    assert_eq!(l.end, end, "nothing was written");
    assert_eq!(l.ok(&[b(7, 0, 21, 1)]), (end, end));
}

#[test]
fn gaps_are_out_of_order() {
    let mut l = Leader::default();
    l.ok(&[b(1, 0, 0, 5)]);
    assert_eq!(out_of_order(l.append(&[b(1, 0, 6, 1)])), (5, 6));
    assert_eq!(out_of_order(l.append(&[b(1, 0, 4, 1)])), (5, 4));
    let err = l.append(&[b(1, 0, 9, 1)]).unwrap_err();
    assert_eq!(err.kafka_error_code(), 45);
    l.ok(&[b(1, 0, 5, 1)]);
}

#[test]
fn unknown_producer_starts_anywhere_then_must_follow() {
    let mut l = Leader::default();
    l.ok(&[b(3, 2, 1234, 2)]);
    assert_eq!(out_of_order(l.append(&[b(3, 2, 0, 1)])), (1236, 0));
    l.ok(&[b(3, 2, 1236, 1)]);
    // Another producer is independent of the first.
    l.ok(&[b(4, 0, 99, 1)]);
    let ids: Vec<i64> = l.state.describe().iter().map(|p| p.producer_id).collect();
    assert_eq!(ids, vec![3, 4]);
}

#[test]
fn epoch_bump_restarts_at_zero_and_fences_the_old_epoch() {
    let mut l = Leader::default();
    l.ok(&[b(1, 0, 0, 2)]);
    let retry_target = l.ok(&[b(1, 0, 2, 2)]);
    assert_eq!(
        l.append(&[b(1, 0, 2, 2)]).unwrap(),
        Outcome::Duplicate {
            first: retry_target.0,
            last: retry_target.1
        }
    );
    // A new epoch must start at 0.
    assert_eq!(out_of_order(l.append(&[b(1, 1, 4, 1)])), (0, 4));
    l.ok(&[b(1, 1, 0, 1)]);
    // The old epoch is fenced, even for a retry of a once-appended batch.
    match l.append(&[b(1, 0, 2, 2)]) {
        Err(e @ LogError::InvalidProducerEpoch { .. }) => {
            assert_eq!(e.kafka_error_code(), 47);
            assert!(matches!(
                e,
                LogError::InvalidProducerEpoch {
                    producer_id: 1,
                    current: 1,
                    got: 0
                }
            ));
        }
        other => panic!("expected InvalidProducerEpoch, got {other:?}"),
    }
    // Epochs may jump by more than one.
    l.ok(&[b(1, 5, 0, 1)]);
    assert_eq!(l.state.describe()[0].producer_epoch, 5);
}

#[test]
fn sequences_wrap_at_i32_max() {
    assert_eq!(increment_sequence(i32::MAX, 1), 0);
    assert_eq!(increment_sequence(i32::MAX - 1, 3), 1);
    assert_eq!(increment_sequence(5, 0), 5);
    assert_eq!(increment_sequence(i32::MAX - 2, 2), i32::MAX);
    let mut l = Leader::default();
    l.ok(&[b(1, 0, i32::MAX - 3, 3)]); // MAX-3 ..= MAX-1
    assert_eq!(out_of_order(l.append(&[b(1, 0, 0, 1)])), (i32::MAX, 0));
    let wrapped = l.ok(&[b(1, 0, i32::MAX, 3)]); // MAX, 0, 1
    assert_eq!(l.state.describe()[0].last_sequence, 1);
    assert_eq!(out_of_order(l.append(&[b(1, 0, 3, 1)])), (2, 3));
    assert_eq!(
        l.append(&[b(1, 0, i32::MAX, 3)]).unwrap(),
        Outcome::Duplicate {
            first: wrapped.0,
            last: wrapped.1
        }
    );
    l.ok(&[b(1, 0, 2, 1)]);
}

#[test]
fn batch_ending_exactly_at_max_is_followed_by_zero() {
    let mut l = Leader::default();
    l.ok(&[b(1, 0, i32::MAX - 1, 2)]);
    assert_eq!(out_of_order(l.append(&[b(1, 0, 1, 1)])), (0, 1));
    l.ok(&[b(1, 0, 0, 1)]);
}

#[test]
fn multi_batch_appends_are_all_or_nothing() {
    let mut l = Leader::default();
    l.ok(&[b(1, 0, 0, 2)]);
    let before = l.state.clone();
    // The second batch of producer 1 must follow the first one of this append.
    assert_eq!(
        out_of_order(l.append(&[b(1, 0, 2, 2), b(2, 0, 0, 1), b(1, 0, 2, 1)])),
        (4, 2)
    );
    assert_eq!(l.state, before, "a refused append changes nothing");
    // A stale epoch after a bump inside the same append.
    assert!(matches!(
        l.append(&[b(1, 1, 0, 1), b(1, 0, 2, 1)]),
        Err(LogError::InvalidProducerEpoch {
            current: 1,
            got: 0,
            ..
        })
    ));
    assert_eq!(l.state, before);
    let (first, last) = l.ok(&[b(1, 0, 2, 2), b(2, 0, 0, 1), b(1, 0, 4, 1), b(-1, -1, -1, 3)]);
    assert_eq!(last - first + 1, 7);
    assert_eq!(l.state.describe()[0].last_sequence, 4);
}

#[test]
fn duplicates_in_multi_batch_appends() {
    let mut l = Leader::default();
    let a = l.ok(&[b(1, 0, 0, 2)]);
    let c = l.ok(&[b(2, 0, 0, 2)]);
    // Every batch a retry: the span of the originals.
    assert_eq!(
        l.append(&[b(1, 0, 0, 2), b(2, 0, 0, 2)]).unwrap(),
        Outcome::Duplicate {
            first: a.0,
            last: c.1
        }
    );
    // A retry mixed with new data cannot be answered with one offset range.
    assert!(matches!(
        l.append(&[b(1, 0, 0, 2), b(1, 0, 2, 1)]),
        Err(LogError::InvalidRecord(_))
    ));
    assert!(matches!(
        l.append(&[b(1, 0, 0, 2), b(-1, -1, -1, 1)]),
        Err(LogError::InvalidRecord(_))
    ));
    // The same batch twice in one append is not a duplicate of itself.
    assert_eq!(out_of_order(l.append(&[b(1, 0, 2, 1), b(1, 0, 2, 1)])), (3, 2));
}

#[test]
fn idempotent_batch_without_sequence_is_invalid() {
    let mut l = Leader::default();
    assert!(matches!(
        l.append(&[b(1, 0, -1, 1)]),
        Err(LogError::InvalidRecord(_))
    ));
    assert!(matches!(
        l.append(&[b(1, 0, -5, 1)]),
        Err(LogError::InvalidRecord(_))
    ));
    // Batches of non-idempotent producers are not tracked at all.
    l.ok(&[b(-1, -1, -1, 4)]);
    assert!(l.state.describe().is_empty());
}

#[test]
fn control_batches_move_epochs_but_not_sequences() {
    let mut l = Leader::default();
    let mut txn = b(1, 0, 0, 2);
    txn.attributes = 0x10;
    let (first, _) = l.ok(&[txn]);
    assert_eq!(l.state.describe()[0].current_txn_start_offset, Some(first));
    // A marker of the same epoch: the sequence continues after it.
    l.ok(&[control(1, 0)]);
    let p = l.state.describe()[0];
    assert_eq!((p.last_sequence, p.current_txn_start_offset), (1, None));
    assert_eq!(out_of_order(l.append(&[b(1, 0, 0, 1)])), (2, 0));
    l.ok(&[b(1, 0, 2, 1)]);
    // A marker with a bumped epoch (KIP-890 style): the next data batch of
    // that epoch is its first and starts at 0.
    l.ok(&[control(1, 1)]);
    assert_eq!(l.state.describe()[0].last_sequence, NO_SEQUENCE);
    assert_eq!(out_of_order(l.append(&[b(1, 1, 3, 1)])), (0, 3));
    l.ok(&[b(1, 1, 0, 1)]);
    // A marker from an older epoch is fenced like data.
    assert!(matches!(
        l.append(&[control(1, 0)]),
        Err(LogError::InvalidProducerEpoch { .. })
    ));
}

#[test]
fn expiry_uses_last_timestamp_and_spares_open_transactions() {
    let mut s = ProducerStateMap::default();
    let at = |pid: i64, ts: i64, txn: bool| {
        let mut h = b(pid, 0, 0, 1);
        h.max_timestamp = ts;
        if txn {
            h.attributes = 0x10;
        }
        h
    };
    s.apply(&at(1, 1_000, false));
    s.apply(&at(2, 5_000, false));
    s.apply(&at(3, 1_000, true));
    assert!(s.expire(5_999, 5_000).is_empty());
    // Kafka: expired once `now - last_timestamp >= expiration`.
    assert_eq!(s.expire(6_000, 5_000), vec![1]);
    assert_eq!(s.expire(100_000, 5_000), vec![2]);
    assert_eq!(s.len(), 1, "the open transaction keeps producer 3");
    // Expired producers are unknown again: any sequence goes.
    let mut l = Leader {
        state: s,
        ..Leader::default()
    };
    l.ok(&[b(1, 0, 77, 1)]);
}

#[test]
fn followers_apply_without_checks() {
    let mut s = ProducerStateMap::default();
    s.apply(&b(1, 3, 10, 1));
    // Lower epoch and a gap: replicated data is authoritative.
    s.apply(&b(1, 2, 50, 2));
    let p = s.describe()[0];
    assert_eq!((p.producer_epoch, p.last_sequence), (2, 51));
}
