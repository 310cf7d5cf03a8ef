//! OffsetCommit, OffsetFetch, OffsetDelete and retention.

use super::*;

fn tp(topic: &str, p: i32) -> TopicPartition {
    TopicPartition::new(topic, p)
}

fn entry(topic: &str, p: i32, offset: i64) -> OffsetCommitEntry {
    OffsetCommitEntry {
        partition: tp(topic, p),
        offset,
        leader_epoch: Some(3),
        metadata: Some("m".into()),
    }
}

fn simple(entries: Vec<OffsetCommitEntry>) -> OffsetCommitRequest {
    OffsetCommitRequest {
        member_id: MemberId::UNKNOWN,
        group_instance_id: None,
        generation: Generation::UNKNOWN,
        retention_ms: None,
        partitions: entries,
    }
}

fn by_member(member: &MemberId, generation: i32, entries: Vec<OffsetCommitEntry>) -> OffsetCommitRequest {
    OffsetCommitRequest {
        member_id: member.clone(),
        generation: Generation(generation),
        ..simple(entries)
    }
}

impl Harness {
    /// Commits and completes the write with `outcome`; returns all results.
    fn commit(&mut self, req: &OffsetCommitRequest, outcome: AppendResult) -> Vec<PartitionResult> {
        let mut fx = Effects::new();
        let gid = self.gid.clone();
        let out = self.coord.commit_offsets(&gid, req, self.now, &mut fx);
        let mut results = out.rejected;
        if let Some((records, pending)) = out.write {
            assert_eq!(records.len(), pending.offsets.len());
            results.extend(self.coord.finish_commit(pending, outcome));
        }
        results
    }

    fn fetch(&self, partitions: Option<&[TopicPartition]>) -> Vec<(TopicPartition, Option<CommittedOffset>)> {
        self.coord.fetch_offsets(&self.gid, partitions)
    }

    fn expire(&mut self) -> Vec<Record> {
        let mut fx = Effects::new();
        self.coord.expire_offsets(self.now, &mut fx)
    }
}

fn all_ok(results: &[PartitionResult]) -> bool {
    !results.is_empty() && results.iter().all(|r| r.result.is_ok())
}

#[test]
fn simple_commit_creates_the_group_and_is_fetchable() {
    let mut h = Harness::new();
    let r = h.commit(&simple(vec![entry("t", 0, 42), entry("t", 1, 7)]), Ok(()));
    assert!(all_ok(&r));
    assert_eq!(h.state(), GroupState::Empty);
    assert_eq!(h.group().protocol_type(), None);
    let got = h.fetch(Some(&[tp("t", 0), tp("u", 0)]));
    let o = got[0].1.clone().unwrap();
    assert_eq!(
        (o.offset, o.leader_epoch, o.metadata.as_str()),
        (42, Some(3), "m")
    );
    assert_eq!(o.commit_timestamp_ms, h.now);
    assert_eq!(o.expire_timestamp_ms, None);
    assert_eq!(got[1], (tp("u", 0), None));
    assert_eq!(h.fetch(None).len(), 2);
}

#[test]
fn commit_records_are_kafka_offset_records() {
    let mut h = Harness::new();
    let mut fx = Effects::new();
    let gid = h.gid.clone();
    let req = OffsetCommitRequest {
        retention_ms: Some(500),
        ..simple(vec![entry("t", 4, 9)])
    };
    let out = h.coord.commit_offsets(&gid, &req, h.now, &mut fx);
    let (records, _) = out.write.unwrap();
    assert_eq!(
        decode_key(&records[0].key).unwrap(),
        RecordKey::OffsetCommit {
            group: "g".into(),
            topic: "t".into(),
            partition: 4
        }
    );
    let v = decode_offset_commit_value(records[0].value.as_ref().unwrap()).unwrap();
    assert_eq!(v.offset, 9);
    assert_eq!(
        v.expire_timestamp,
        Some(h.now + 500),
        "explicit retention: value v1"
    );
}

#[test]
fn failed_commit_write_is_not_applied() {
    let mut h = Harness::new();
    let r = h.commit(&simple(vec![entry("t", 0, 1)]), Err(AppendError(10)));
    assert_eq!(r[0].result, Err(GroupError::InvalidCommitOffsetSize));
    assert_eq!(h.fetch(Some(&[tp("t", 0)]))[0].1, None);
}

#[test]
fn commit_with_a_generation_to_an_unknown_group_is_illegal() {
    let mut h = Harness::new();
    let r = h.commit(&by_member(&mid("m"), 3, vec![entry("t", 0, 1)]), Ok(()));
    assert_eq!(r[0].result, Err(GroupError::IllegalGeneration));
    assert!(h.coord.group(&h.gid).is_none());
}

#[test]
fn member_commits_are_validated() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let a = &ids[0];
    assert!(all_ok(
        &h.commit(&by_member(a, generation, vec![entry("t", 0, 5)]), Ok(()))
    ));
    let err = |h: &mut Harness, req: OffsetCommitRequest| h.commit(&req, Ok(()))[0].result;
    assert_eq!(
        err(&mut h, by_member(a, generation + 1, vec![entry("t", 0, 6)])),
        Err(GroupError::IllegalGeneration)
    );
    assert_eq!(
        err(&mut h, by_member(&mid("x"), generation, vec![entry("t", 0, 6)])),
        Err(GroupError::UnknownMemberId)
    );
    // A simple commit into a group with members.
    assert_eq!(
        err(&mut h, simple(vec![entry("t", 0, 6)])),
        Err(GroupError::UnknownMemberId)
    );
    // Allowed while preparing a rebalance (the member learns from heartbeats).
    let leader = h.group().leader().cloned().unwrap();
    h.join(jreq(leader.as_str()));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert_eq!(
        err(&mut h, by_member(a, generation, vec![entry("t", 0, 7)])),
        Ok(())
    );
    // In CompletingRebalance: REBALANCE_IN_PROGRESS.
    h.join(jreq(ids.iter().find(|i| **i != leader).unwrap().as_str()));
    assert_eq!(h.state(), GroupState::CompletingRebalance);
    assert_eq!(
        err(&mut h, by_member(a, generation + 1, vec![entry("t", 0, 8)])),
        Err(GroupError::RebalanceInProgress)
    );
    assert_eq!(h.fetch(Some(&[tp("t", 0)]))[0].1.as_ref().unwrap().offset, 7);
}

#[test]
fn oversized_metadata_is_rejected_per_partition() {
    let mut h = Harness::new();
    let mut big = entry("t", 1, 1);
    big.metadata = Some("x".repeat(17));
    let r = h.commit(&simple(vec![entry("t", 0, 1), big]), Ok(()));
    let got: Vec<_> = r.iter().map(|x| (x.partition.partition, x.result)).collect();
    assert!(got.contains(&(0, Ok(()))));
    assert!(got.contains(&(1, Err(GroupError::OffsetMetadataTooLarge))));
    assert_eq!(GroupError::OffsetMetadataTooLarge.kafka_code(), 12);
}

#[test]
fn delete_offsets_rules() {
    let mut h = Harness::new();
    assert_eq!(
        h.coord
            .delete_offsets(&h.gid.clone(), &[tp("t", 0)], h.now, &mut Effects::new()),
        Err(GroupError::GroupIdNotFound)
    );
    // A consumer group subscribed to "t".
    let (ids, generation) = h.stable_group(&["a"]);
    h.commit(
        &by_member(&ids[0], generation, vec![entry("t", 0, 1), entry("old", 0, 2)]),
        Ok(()),
    );
    let gid = h.gid.clone();
    let (results, tombstones) = h
        .coord
        .delete_offsets(&gid, &[tp("t", 0), tp("old", 0)], h.now, &mut Effects::new())
        .unwrap();
    assert_eq!(results[0].result, Err(GroupError::GroupSubscribedToTopic));
    assert_eq!(results[1].result, Ok(()));
    assert_eq!(tombstones, vec![offset_tombstone(&gid, &tp("old", 0))]);
    assert_eq!(h.fetch(None).len(), 1);

    // A non-consumer group with members refuses outright.
    let mut h = Harness::new();
    let req = JoinRequest {
        protocol_type: "connect".into(),
        ..jreq("")
    };
    h.join(req);
    let gid = h.gid.clone();
    assert_eq!(
        h.coord
            .delete_offsets(&gid, &[tp("t", 0)], h.now, &mut Effects::new()),
        Err(GroupError::NonEmptyGroup)
    );
}

#[test]
fn commit_in_flight_during_delete_is_dropped() {
    let mut h = Harness::new();
    h.commit(&simple(vec![entry("t", 0, 1)]), Ok(()));
    let gid = h.gid.clone();
    let out = h
        .coord
        .commit_offsets(&gid, &simple(vec![entry("t", 0, 2)]), h.now, &mut Effects::new());
    h.coord
        .delete_offsets(&gid, &[tp("t", 0)], h.now, &mut Effects::new())
        .unwrap();
    let (_, pending) = out.write.unwrap();
    assert!(h.coord.finish_commit(pending, Ok(()))[0].result.is_ok());
    assert_eq!(h.fetch(Some(&[tp("t", 0)]))[0].1, None);
}

#[test]
fn out_of_order_completion_keeps_the_later_commit() {
    let mut h = Harness::new();
    let gid = h.gid.clone();
    let first = h
        .coord
        .commit_offsets(&gid, &simple(vec![entry("t", 0, 1)]), h.now, &mut Effects::new());
    let second = h
        .coord
        .commit_offsets(&gid, &simple(vec![entry("t", 0, 2)]), h.now, &mut Effects::new());
    h.coord.finish_commit(second.write.unwrap().1, Ok(()));
    h.coord.finish_commit(first.write.unwrap().1, Ok(()));
    assert_eq!(h.fetch(Some(&[tp("t", 0)]))[0].1.as_ref().unwrap().offset, 2);
}

#[test]
fn simple_group_offsets_expire_after_retention_from_commit() {
    let mut h = Harness::new();
    h.commit(&simple(vec![entry("t", 0, 1)]), Ok(()));
    h.now += 500_000;
    h.commit(&simple(vec![entry("t", 1, 1)]), Ok(()));
    h.now += 500_000; // t-0 is now exactly 1_000_000 old
    let tombstones = h.expire();
    assert_eq!(tombstones, vec![offset_tombstone(&h.gid, &tp("t", 0))]);
    assert_eq!(h.fetch(None).len(), 1);
    h.now += 500_000;
    let tombstones = h.expire();
    // Last offset gone: the Empty group is deleted too.
    assert_eq!(
        tombstones,
        vec![offset_tombstone(&h.gid, &tp("t", 1)), group_tombstone(&h.gid)]
    );
    assert!(h.coord.group(&h.gid).is_none());
}

#[test]
fn empty_consumer_group_retention_counts_from_becoming_empty() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a"]);
    h.commit(&by_member(&ids[0], generation, vec![entry("t", 0, 1)]), Ok(()));
    // Long after the commit (heartbeating all along), the member leaves.
    for _ in 0..400 {
        h.now += 5_000;
        h.heartbeat(&ids[0], generation).unwrap();
    }
    h.leave(&[LeaveMember {
        member_id: ids[0].clone(),
        group_instance_id: None,
    }])
    .unwrap();
    assert_eq!(h.state(), GroupState::Empty);
    assert!(
        h.expire().is_empty(),
        "the commit is old but the group just became empty"
    );
    h.now += 999_999;
    assert!(h.expire().is_empty());
    h.now += 1;
    assert_eq!(h.expire().len(), 2, "offset and group tombstones");
}

#[test]
fn stable_consumer_group_expires_only_unsubscribed_topics() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a"]);
    h.commit(
        &by_member(&ids[0], generation, vec![entry("t", 0, 1), entry("gone", 0, 1)]),
        Ok(()),
    );
    // Live member, a retention period later.
    for _ in 0..200 {
        h.now += 5_000;
        h.heartbeat(&ids[0], generation).unwrap();
    }
    let tombstones = h.expire();
    assert_eq!(tombstones, vec![offset_tombstone(&h.gid, &tp("gone", 0))]);
    assert_eq!(h.state(), GroupState::Stable);
}

#[test]
fn explicit_expire_timestamp_wins() {
    let mut h = Harness::new();
    let req = OffsetCommitRequest {
        retention_ms: Some(10),
        ..simple(vec![entry("t", 0, 1)])
    };
    h.commit(&req, Ok(()));
    h.now += 9;
    assert!(h.expire().is_empty());
    h.now += 1;
    assert_eq!(h.expire().len(), 2);
}

#[test]
fn pending_commits_are_not_expired() {
    let mut h = Harness::new();
    h.commit(&simple(vec![entry("t", 0, 1)]), Ok(()));
    h.now += 2_000_000;
    let gid = h.gid.clone();
    let out = h.coord.commit_offsets(
        &gid,
        &simple(vec![entry("t", 0, 2)]),
        h.now - 2_000_000,
        &mut Effects::new(),
    );
    assert!(h.expire().is_empty());
    h.coord.finish_commit(out.write.unwrap().1, Ok(()));
    assert_eq!(h.fetch(None)[0].1.as_ref().unwrap().offset, 2);
}
