//! Rebuilding a partition's groups from its records.

use super::*;

fn tp(topic: &str, p: i32) -> TopicPartition {
    TopicPartition::new(topic, p)
}

fn replay_all(log: &[Record]) -> PartitionLoader {
    let mut loader = PartitionLoader::new();
    for r in log {
        loader.replay(&r.key, r.value.as_deref()).unwrap();
    }
    loader
}

fn commit_record(group: &str, topic: &str, p: i32, offset: i64) -> Record {
    let v = OffsetCommitValue {
        offset,
        leader_epoch: 2,
        metadata: "m".into(),
        commit_timestamp: 10,
        expire_timestamp: None,
    };
    offset_commit_record(&GroupId::new(group), &tp(topic, p), &v)
}

#[test]
fn state_written_by_the_coordinator_reloads() {
    let mut h = Harness::new();
    let mut log = Vec::new();
    // A stable group with a static member, and a commit by its leader.
    let s = match h.join(static_jreq("", "inst")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    let d = h.join_new("d");
    h.advance(6_000);
    let generation = h.take_join(&s).unwrap().unwrap().generation.0;
    let leader = h.group().leader().cloned().unwrap();
    h.sync(
        &leader,
        generation,
        vec![
            (s.clone(), Bytes::from_static(b"S")),
            (d.clone(), Bytes::from_static(b"D")),
        ],
    );
    log.extend(h.writes.iter().map(|w| w.record.clone()));
    h.finish_writes(Ok(()));
    let mut fx = Effects::new();
    let gid = h.gid.clone();
    let req = OffsetCommitRequest {
        member_id: leader.clone(),
        group_instance_id: h.group().member(&leader).unwrap().instance_id.clone(),
        generation: Generation(generation),
        retention_ms: None,
        partitions: vec![OffsetCommitEntry {
            partition: tp("t", 0),
            offset: 77,
            leader_epoch: None,
            metadata: None,
        }],
    };
    let out = h.coord.commit_offsets(&gid, &req, h.now, &mut fx);
    let (records, pending) = out.write.unwrap();
    log.extend(records);
    h.coord.finish_commit(pending, Ok(()));

    let before = h.group().clone();
    let loader = replay_all(&log);
    assert_eq!(loader.stats().group_records, 1);
    assert_eq!(loader.stats().offset_commits, 1);
    let mut coord = loader.finish(config(), h.now);
    let g = coord.group(&gid).unwrap();
    assert_eq!(g.state(), GroupState::Stable);
    assert_eq!(g.generation(), before.generation());
    assert_eq!(g.leader(), before.leader());
    assert_eq!(g.protocol_name(), Some("range"));
    assert_eq!(g.protocol_type(), Some("consumer"));
    assert_eq!(g.static_member_id(&GroupInstanceId::new("inst")), Some(&s));
    assert_eq!(g.member(&d).unwrap().assignment, Bytes::from_static(b"D"));
    assert_eq!(g.member(&s).unwrap().rebalance_timeout_ms, REBALANCE);
    assert_eq!(g.offsets().get(&tp("t", 0)).unwrap().offset, 77);
    assert_eq!(
        g.subscribed_topics().unwrap().iter().collect::<Vec<_>>(),
        vec!["t"]
    );

    // Members carry on: heartbeats with the loaded generation, syncs get
    // the loaded assignment.
    let mut fx = Effects::new();
    let hb = HeartbeatRequest {
        member_id: d.clone(),
        group_instance_id: None,
        generation: Generation(generation),
    };
    assert_eq!(coord.heartbeat(&gid, &hb, h.now, &mut fx), Ok(()));
    let sync = SyncRequest {
        member_id: d.clone(),
        group_instance_id: None,
        generation: Generation(generation),
        protocol_type: None,
        protocol_name: None,
        assignments: Vec::new(),
    };
    let r = coord.sync(&gid, sync, h.now, &mut fx).done().unwrap().unwrap();
    assert_eq!(r.assignment, Bytes::from_static(b"D"));
}

#[test]
fn loaded_members_must_heartbeat_within_their_session() {
    let mut h = Harness::new();
    h.stable_group(&["a", "b"]);
    let record = h.group().metadata_record(None);
    let mut coord = replay_all(&[record]).finish(config(), 5_000);
    let mut fx = Effects::new();
    coord.tick(5_000 + i64::from(SESSION), &mut fx);
    // Nobody heartbeated: both expired, the group emptied.
    let g = coord.group(&h.gid).unwrap();
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(fx.writes.len(), 1);
}

#[test]
fn later_records_and_tombstones_win() {
    let log = vec![
        commit_record("g", "t", 0, 1),
        commit_record("g", "t", 0, 2),
        commit_record("g", "t", 1, 5),
        offset_tombstone(&GroupId::new("g"), &tp("t", 1)),
        commit_record("gone", "t", 0, 1),
        offset_tombstone(&GroupId::new("gone"), &tp("t", 0)),
    ];
    let loader = replay_all(&log);
    assert_eq!(loader.stats().offset_tombstones, 2);
    let coord = loader.finish(config(), 0);
    let g = coord.group(&GroupId::new("g")).unwrap();
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(g.offsets().len(), 1);
    assert_eq!(g.offsets().get(&tp("t", 0)).unwrap().offset, 2);
    assert_eq!(g.offsets().get(&tp("t", 0)).unwrap().leader_epoch, Some(2));
    assert!(coord.group(&GroupId::new("gone")).is_none());
}

#[test]
fn group_tombstone_removes_membership_but_not_later_offsets() {
    let meta = GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 3,
        protocol: Some("range".into()),
        leader: Some("m".into()),
        current_state_timestamp: 5,
        members: vec![MemberMetadata {
            member_id: "m".into(),
            group_instance_id: None,
            client_id: "c".into(),
            client_host: "h".into(),
            rebalance_timeout: 1000,
            session_timeout: 2000,
            subscription: subscription(&["t"]),
            assignment: Bytes::new(),
        }],
    };
    let g = GroupId::new("g");
    let log = vec![
        group_metadata_record(&g, &meta),
        group_tombstone(&g),
        commit_record("g", "t", 0, 9),
        group_metadata_record(&GroupId::new("h"), &meta),
        group_tombstone(&GroupId::new("h")),
    ];
    let coord = replay_all(&log).finish(config(), 0);
    let loaded = coord.group(&g).unwrap();
    assert_eq!(loaded.state(), GroupState::Empty);
    assert_eq!(loaded.size(), 0);
    assert_eq!(loaded.offsets().len(), 1);
    assert!(coord.group(&GroupId::new("h")).is_none());
}

#[test]
fn empty_group_record_keeps_generation_and_state_time() {
    let meta = GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 8,
        protocol: None,
        leader: None,
        current_state_timestamp: 1234,
        members: Vec::new(),
    };
    let g = GroupId::new("g");
    let coord = replay_all(&[group_metadata_record(&g, &meta)]).finish(config(), 99_999);
    let loaded = coord.group(&g).unwrap();
    assert_eq!(loaded.state(), GroupState::Empty);
    assert_eq!(loaded.generation(), Generation(8));
    assert_eq!(loaded.state_timestamp_ms(), Some(1234));
    assert_eq!(loaded.protocol_type(), Some("consumer"));
}

#[test]
fn oversized_loaded_group_rebalances() {
    let mut h = Harness::new();
    h.stable_group(&["a", "b", "c"]);
    let record = h.group().metadata_record(None);
    let small = GroupConfig {
        max_size: 2,
        ..config()
    };
    let coord = replay_all(&[record]).finish(small, 0);
    assert_eq!(
        coord.group(&h.gid).unwrap().state(),
        GroupState::PreparingRebalance
    );
}

#[test]
fn v0_member_rebalance_timeout_defaults_to_session() {
    let bytes: Vec<u8> = [
        &[0u8, 0][..],
        &[0, 8],
        b"consumer",
        &[0, 0, 0, 4],
        &[0, 5],
        b"range",
        &[0, 2],
        b"m1",
        &[0, 0, 0, 1],
        &[0, 2],
        b"m1",
        &[0, 1],
        b"c",
        &[0, 1],
        b"h",
        &[0, 0, 0x13, 0x88],
        &[0, 0, 0, 0],
        &[0, 0, 0, 0],
    ]
    .concat();
    let key = encode_key(&RecordKey::GroupMetadata { group: "old".into() });
    let mut loader = PartitionLoader::new();
    loader.replay(&key, Some(&bytes)).unwrap();
    let coord = loader.finish(config(), 0);
    let m = coord
        .group(&GroupId::new("old"))
        .unwrap()
        .member(&mid("m1"))
        .unwrap()
        .clone();
    assert_eq!((m.session_timeout_ms, m.rebalance_timeout_ms), (5000, 5000));
    assert_eq!(
        coord.group(&GroupId::new("old")).unwrap().state_timestamp_ms(),
        None
    );
}

#[test]
fn foreign_and_corrupt_records() {
    let mut loader = PartitionLoader::new();
    loader.replay(&[0, 7, 1, 2, 3], Some(&[9, 9])).unwrap();
    assert_eq!(loader.stats().skipped, 1);
    let key = encode_key(&RecordKey::OffsetCommit {
        group: "g".into(),
        topic: "t".into(),
        partition: 0,
    });
    let err = loader.replay(&key, Some(&[0, 3, 1])).unwrap_err();
    assert!(matches!(err, LoadError::OffsetValue { ref group, .. } if group == "g"));
    assert!(err.to_string().contains("t-0"));
    assert!(matches!(loader.replay(&[0], None), Err(LoadError::Key(_))));
    // The loader is still usable after errors.
    let ok = commit_record("g", "t", 0, 3);
    loader.replay(&ok.key, ok.value.as_deref()).unwrap();
    let coord = loader.finish(config(), 0);
    assert_eq!(coord.group(&GroupId::new("g")).unwrap().offsets().len(), 1);
}
