//! SyncGroup and Heartbeat.

use super::*;

/// Two members through the join phase: (leader, follower, generation).
fn completing(h: &mut Harness) -> (MemberId, MemberId, i32) {
    let a = h.join_new("a");
    let b = h.join_new("b");
    h.advance(6_000);
    let generation = h.take_join(&a).unwrap().unwrap().generation.0;
    h.take_join(&b).unwrap().unwrap();
    let leader = h.group().leader().cloned().unwrap();
    let follower = if leader == a { b } else { a };
    (leader, follower, generation)
}

#[test]
fn assignment_is_delivered_once_durable() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    assert_eq!(
        h.sync(&follower, generation, Vec::new()),
        SyncReply::Pending {
            member_id: follower.clone()
        }
    );
    let assignments = vec![
        (leader.clone(), Bytes::from_static(b"L")),
        (follower.clone(), Bytes::from_static(b"F")),
        (mid("stranger"), Bytes::from_static(b"S")),
    ];
    assert_eq!(
        h.sync(&leader, generation, assignments),
        SyncReply::Pending {
            member_id: leader.clone()
        }
    );
    assert!(h.completions.is_empty(), "nothing before the write");
    assert_eq!(h.writes.len(), 1);
    // The record carries the new assignment (and not the stranger's).
    let value = decode_group_metadata_value(h.writes[0].record.value.as_ref().unwrap()).unwrap();
    assert_eq!(value.generation, generation);
    let mut got: Vec<(String, Bytes)> = value
        .members
        .iter()
        .map(|m| (m.member_id.clone(), m.assignment.clone()))
        .collect();
    got.sort();
    let mut want = vec![
        (leader.0.clone(), Bytes::from_static(b"L")),
        (follower.0.clone(), Bytes::from_static(b"F")),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(h.state(), GroupState::CompletingRebalance);

    h.finish_writes(Ok(()));
    assert_eq!(h.state(), GroupState::Stable);
    let l = h.take_sync(&leader).unwrap().unwrap();
    let f = h.take_sync(&follower).unwrap().unwrap();
    assert_eq!(l.assignment, Bytes::from_static(b"L"));
    assert_eq!(f.assignment, Bytes::from_static(b"F"));
    assert_eq!(f.protocol_name.as_deref(), Some("range"));
    assert_eq!(f.protocol_type.as_deref(), Some("consumer"));
    // A late sync in Stable gets the stored assignment right away.
    let again = h.sync(&follower, generation, Vec::new()).done().unwrap().unwrap();
    assert_eq!(again.assignment, Bytes::from_static(b"F"));
}

#[test]
fn members_missing_from_the_assignment_get_an_empty_one() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    h.sync(
        &leader,
        generation,
        vec![(leader.clone(), Bytes::from_static(b"L"))],
    );
    h.finish_writes(Ok(()));
    let f = h.sync(&follower, generation, Vec::new()).done().unwrap().unwrap();
    assert!(f.assignment.is_empty());
}

#[test]
fn failed_assignment_write_fails_the_syncs_and_rebalances() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    h.sync(&follower, generation, Vec::new());
    h.sync(
        &leader,
        generation,
        vec![(follower.clone(), Bytes::from_static(b"F"))],
    );
    h.finish_writes(Err(AppendError(6))); // NOT_LEADER_OR_FOLLOWER
    assert_eq!(h.take_sync(&leader), Some(Err(GroupError::NotCoordinator)));
    assert_eq!(h.take_sync(&follower), Some(Err(GroupError::NotCoordinator)));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert!(h.group().member(&follower).unwrap().assignment.is_empty());
}

#[test]
fn append_error_mapping_follows_kafka() {
    let g = GroupError::from_group_append;
    assert_eq!(g(AppendError(3)), GroupError::CoordinatorNotAvailable);
    assert_eq!(g(AppendError(19)), GroupError::CoordinatorNotAvailable);
    assert_eq!(g(AppendError(56)), GroupError::NotCoordinator);
    assert_eq!(g(AppendError(10)), GroupError::UnknownServerError);
    assert_eq!(g(AppendError(7)), GroupError::Append { code: 7 });
    assert_eq!(g(AppendError(7)).kafka_code(), 7);
    let o = GroupError::from_offset_append;
    assert_eq!(o(AppendError(18)), GroupError::InvalidCommitOffsetSize);
    assert_eq!(o(AppendError(20)), GroupError::CoordinatorNotAvailable);
}

#[test]
fn sync_errors() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    let e = |r: SyncReply| r.done().unwrap().unwrap_err();
    assert_eq!(
        e(h.sync(&follower, generation + 1, Vec::new())),
        GroupError::IllegalGeneration
    );
    assert_eq!(
        e(h.sync(&mid("ghost"), generation, Vec::new())),
        GroupError::UnknownMemberId
    );
    let wrong_protocol = SyncRequest {
        member_id: follower.clone(),
        group_instance_id: None,
        generation: Generation(generation),
        protocol_type: Some("consumer".into()),
        protocol_name: Some("roundrobin".into()),
        assignments: Vec::new(),
    };
    assert_eq!(
        e(h.sync_req(wrong_protocol.clone())),
        GroupError::InconsistentGroupProtocol
    );
    let wrong_type = SyncRequest {
        protocol_type: Some("connect".into()),
        protocol_name: None,
        ..wrong_protocol
    };
    assert_eq!(e(h.sync_req(wrong_type)), GroupError::InconsistentGroupProtocol);
    // Leader rejoins: PreparingRebalance.
    h.sync(&leader, generation, Vec::new());
    h.finish_writes(Ok(()));
    h.join(jreq(leader.as_str()));
    assert_eq!(
        e(h.sync(&follower, generation, Vec::new())),
        GroupError::RebalanceInProgress
    );
    let mut missing = Harness::new();
    assert_eq!(
        e(missing.sync(&mid("x"), 1, Vec::new())),
        GroupError::UnknownMemberId
    );
    missing.gid = GroupId::new("");
    assert_eq!(
        e(missing.sync(&mid("x"), 1, Vec::new())),
        GroupError::InvalidGroupId
    );
}

#[test]
fn new_member_during_completing_rebalance_cancels_parked_syncs() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    h.sync(&follower, generation, Vec::new());
    let c = h.join_new("c");
    assert_eq!(h.take_sync(&follower), Some(Err(GroupError::RebalanceInProgress)));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    // Everyone rejoins; c was parked.
    h.join(jreq(leader.as_str()));
    let r = h.join(jreq(follower.as_str())).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(h.take_join(&c).unwrap().unwrap().generation.0, generation + 1);
}

#[test]
fn stale_assignment_write_is_ignored() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    h.sync(
        &leader,
        generation,
        vec![(follower.clone(), Bytes::from_static(b"F"))],
    );
    assert_eq!(h.writes.len(), 1);
    // A rebalance starts before the write completes: the leader's parked
    // sync is answered by it.
    h.join_new("c");
    assert_eq!(h.take_sync(&leader), Some(Err(GroupError::RebalanceInProgress)));
    h.finish_writes(Ok(()));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert!(h
        .completions
        .iter()
        .all(|c| !matches!(c.kind, CompletionKind::Sync(_))));
}

#[test]
fn heartbeat_by_state() {
    let mut h = Harness::new();
    let (leader, follower, generation) = completing(&mut h);
    // Between join and sync responses heartbeats are fine.
    assert_eq!(h.heartbeat(&follower, generation), Ok(()));
    h.sync(&leader, generation, Vec::new());
    h.finish_writes(Ok(()));
    assert_eq!(h.heartbeat(&follower, generation), Ok(()));
    assert_eq!(
        h.heartbeat(&follower, generation - 1),
        Err(GroupError::IllegalGeneration)
    );
    assert_eq!(
        h.heartbeat(&mid("ghost"), generation),
        Err(GroupError::UnknownMemberId)
    );
    h.join(jreq(leader.as_str()));
    assert_eq!(
        h.heartbeat(&follower, generation),
        Err(GroupError::RebalanceInProgress)
    );
    let mut none = Harness::new();
    assert_eq!(none.heartbeat(&mid("x"), 0), Err(GroupError::UnknownMemberId));
    none.gid = GroupId::new("");
    assert_eq!(none.heartbeat(&mid("x"), 0), Err(GroupError::InvalidGroupId));
}

#[test]
fn heartbeats_keep_a_member_alive() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    for _ in 0..10 {
        h.advance(i64::from(SESSION) / 2);
        for id in &ids {
            assert_eq!(h.heartbeat(id, generation), Ok(()));
        }
    }
    assert_eq!(h.state(), GroupState::Stable);
    assert_eq!(h.group().size(), 2);
}
