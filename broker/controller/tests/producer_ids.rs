//! Producer-id block allocation: consecutive, non-overlapping blocks, only
//! for the current broker registration, durable before they are returned,
//! and strictly increasing across controller restarts.

mod common;

use common::*;
use kavka_controller::records::ProducerIdsRecord;
use kavka_controller::*;

fn epoch_of(c: &Controller, id: i32) -> BrokerEpoch {
    c.image().broker(BrokerId(id)).unwrap().epoch
}

#[test]
fn blocks_are_consecutive_and_disjoint() {
    let mut c = start(MemoryStore::new());
    let e = epoch_of(&c, 0);
    let a = c.allocate_producer_ids(BrokerId(0), e).unwrap();
    let b = c.allocate_producer_ids(BrokerId(0), e).unwrap();
    assert_eq!(a.first_id, 0);
    assert_eq!(a.len, PRODUCER_ID_BLOCK_SIZE);
    assert_eq!(a.last_id(), 999);
    assert_eq!(b.first_id, a.end());
    assert_eq!(b.broker, BrokerId(0));
    assert_eq!(c.image().next_producer_id(), b.end());
}

#[test]
fn only_the_current_registration_gets_blocks() {
    let store = store_with_brokers(3, &[], None);
    let mut c = start(store);
    let e1 = epoch_of(&c, 1);
    let err = c
        .allocate_producer_ids(BrokerId(1), BrokerEpoch(e1.0 + 1))
        .unwrap_err();
    assert!(matches!(err, ControllerError::StaleBrokerEpoch { .. }), "{err}");
    assert_eq!(err.kafka_error_code(), 77);
    let err = c.allocate_producer_ids(BrokerId(9), BrokerEpoch(0)).unwrap_err();
    assert!(
        matches!(err, ControllerError::StaleBrokerEpoch { current: None, .. }),
        "{err}"
    );
    assert_eq!(c.image().next_producer_id(), 0, "refusals allocate nothing");
    // Two brokers interleaving get disjoint blocks.
    let a = c.allocate_producer_ids(BrokerId(1), e1).unwrap();
    let b = c.allocate_producer_ids(BrokerId(2), epoch_of(&c, 2)).unwrap();
    assert!(a.end() <= b.first_id);
}

#[test]
fn failed_commit_hands_out_nothing_and_reuses_nothing() {
    let store = MemoryStore::new();
    let mut c = start(store.clone());
    let e = epoch_of(&c, 0);
    let first = c.allocate_producer_ids(BrokerId(0), e).unwrap();
    store.fail_next_commits(1);
    let err = c.allocate_producer_ids(BrokerId(0), e).unwrap_err();
    assert!(matches!(err, ControllerError::Store(_)), "{err}");
    assert_eq!(c.image().next_producer_id(), first.end());
    let next = c.allocate_producer_ids(BrokerId(0), e).unwrap();
    assert_eq!(next.first_id, first.end());
}

#[test]
fn exhaustion_is_an_error_not_a_wrap() {
    let store = store_with_brokers(1, &[], None);
    let mut image = store.committed_image().unwrap();
    let near_end = i64::MAX - i64::from(PRODUCER_ID_BLOCK_SIZE) + 1;
    image
        .apply(&MetadataRecord::ProducerIds(ProducerIdsRecord {
            broker: BrokerId(0),
            broker_epoch: BrokerEpoch(0),
            next_producer_id: near_end,
        }))
        .unwrap();
    store.clone().commit(&image, &[]).unwrap();
    let mut c = start(store);
    let e = epoch_of(&c, 0);
    let err = c.allocate_producer_ids(BrokerId(0), e).unwrap_err();
    assert!(
        matches!(err, ControllerError::ProducerIdsExhausted { .. }),
        "{err}"
    );
    assert_eq!(c.image().next_producer_id(), near_end);
}

#[test]
fn file_store_restart_never_repeats_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let mut handed_out = Vec::new();
    for _ in 0..3 {
        // Each start is a new broker registration with a higher epoch; the
        // previous epoch is refused.
        let mut c = start(FileStore::open(dir.path()).unwrap());
        let e = epoch_of(&c, 0);
        if let Some(prev) = handed_out
            .last()
            .map(|(_, e): &(ProducerIdBlock, BrokerEpoch)| *e)
        {
            assert!(e > prev);
            assert!(c.allocate_producer_ids(BrokerId(0), prev).is_err());
        }
        for _ in 0..2 {
            handed_out.push((c.allocate_producer_ids(BrokerId(0), e).unwrap(), e));
        }
    }
    for w in handed_out.windows(2) {
        assert!(
            w[0].0.end() <= w[1].0.first_id,
            "blocks overlap or go backwards: {:?}",
            handed_out
        );
    }
    let reopened = start(FileStore::open(dir.path()).unwrap());
    assert_eq!(
        reopened.image().next_producer_id(),
        handed_out.last().unwrap().0.end()
    );
}
