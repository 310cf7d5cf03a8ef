//! KIP-345 static membership.

use super::*;

fn inst(s: &str) -> GroupInstanceId {
    GroupInstanceId::new(s)
}

/// A Stable group of static members "i0".."iN" (plus their member ids).
fn stable_static(h: &mut Harness, n: usize) -> (Vec<MemberId>, i32) {
    let mut ids = Vec::new();
    for i in 0..n {
        match h.join(static_jreq("", &format!("i{i}"))) {
            JoinReply::Pending { member_id } => ids.push(member_id),
            r => panic!("{r:?}"),
        }
    }
    h.advance(if n > 1 { 6_000 } else { 3_000 });
    let mut generation = 0;
    for id in &ids {
        generation = h.take_join(id).unwrap().unwrap().generation.0;
    }
    let leader = h.group().leader().cloned().unwrap();
    let assignment = ids
        .iter()
        .map(|id| (id.clone(), Bytes::from(id.0.clone())))
        .collect();
    h.sync(&leader, generation, assignment);
    h.finish_writes(Ok(()));
    h.take_sync(&leader).unwrap().unwrap();
    assert_eq!(h.state(), GroupState::Stable);
    (ids, generation)
}

#[test]
fn static_member_ids_use_the_instance_id_and_skip_member_id_required() {
    let mut h = Harness::new();
    let req = JoinRequest {
        require_known_member_id: true,
        ..static_jreq("", "host-1")
    };
    match h.join(req) {
        JoinReply::Pending { member_id } => {
            assert_eq!(member_id.as_str(), format!("host-1-{}", Uuid::from_u128(1)));
            assert_eq!(h.group().static_member_id(&inst("host-1")), Some(&member_id));
        }
        r => panic!("{r:?}"),
    }
}

#[test]
fn restarted_static_follower_rejoins_without_a_rebalance() {
    let mut h = Harness::new();
    let (ids, generation) = stable_static(&mut h, 2);
    let leader = h.group().leader().cloned().unwrap();
    let (old, name) = if ids[0] == leader {
        (ids[1].clone(), "i1")
    } else {
        (ids[0].clone(), "i0")
    };
    h.writes.clear();
    let new = match h.join(static_jreq("", name)) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    assert_ne!(new, old);
    assert_eq!(h.state(), GroupState::Stable, "no rebalance");
    assert_eq!(h.writes.len(), 1, "new member id persisted first");
    let v = decode_group_metadata_value(h.writes[0].record.value.as_ref().unwrap()).unwrap();
    assert!(v
        .members
        .iter()
        .any(|m| m.member_id == new.0 && m.assignment == old.0.as_bytes()));
    assert!(h.take_join(&new).is_none(), "answered after the write");
    h.finish_writes(Ok(()));
    let r = h.take_join(&new).unwrap().unwrap();
    assert_eq!(r.generation.0, generation);
    assert_eq!(r.leader, leader);
    assert!(r.members.is_empty());
    assert!(!r.skip_assignment);
    // The old id is fenced, the new one keeps the old assignment.
    assert_eq!(
        h.heartbeat_as(&old, Some(inst(name)), generation),
        Err(GroupError::FencedInstanceId)
    );
    assert_eq!(h.heartbeat_as(&new, Some(inst(name)), generation), Ok(()));
    let s = h.sync(&new, generation, Vec::new()).done().unwrap().unwrap();
    assert_eq!(s.assignment, Bytes::from(old.0.clone()));
    let e = h
        .join(static_jreq(old.as_str(), name))
        .done()
        .unwrap()
        .unwrap_err();
    assert_eq!(e.error, GroupError::FencedInstanceId);
    assert_eq!(e.error.kafka_code(), 82);
}

#[test]
fn restarted_static_leader_old_clients_see_the_old_leader_id() {
    let mut h = Harness::new();
    let (_, generation) = stable_static(&mut h, 2);
    let leader = h.group().leader().cloned().unwrap();
    let name = h.group().member(&leader).unwrap().instance_id.clone().unwrap();
    let new = match h.join(static_jreq("", name.as_str())) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    h.finish_writes(Ok(()));
    let r = h.take_join(&new).unwrap().unwrap();
    assert_eq!(r.leader, leader, "old id: the client must not think it leads");
    assert_eq!(h.group().leader(), Some(&new));
    assert_eq!(r.generation.0, generation);
}

#[test]
fn restarted_static_leader_with_skip_assignment() {
    let mut h = Harness::new();
    stable_static(&mut h, 2);
    let leader = h.group().leader().cloned().unwrap();
    let name = h.group().member(&leader).unwrap().instance_id.clone().unwrap();
    let req = JoinRequest {
        supports_skip_assignment: true,
        ..static_jreq("", name.as_str())
    };
    let new = match h.join(req) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    h.finish_writes(Ok(()));
    let r = h.take_join(&new).unwrap().unwrap();
    assert_eq!(r.leader, new);
    assert!(r.skip_assignment);
    assert_eq!(r.members.len(), 2);
}

#[test]
fn failed_write_reverts_the_static_rejoin() {
    let mut h = Harness::new();
    let (ids, generation) = stable_static(&mut h, 1);
    let old = ids[0].clone();
    let new = match h.join(static_jreq("", "i0")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    h.finish_writes(Err(AppendError(19))); // NOT_ENOUGH_REPLICAS
    let e = h.take_join(&new).unwrap().unwrap_err();
    assert_eq!(e.error, GroupError::CoordinatorNotAvailable);
    assert_eq!(h.group().static_member_id(&inst("i0")), Some(&old));
    assert!(h.group().member(&new).is_none());
    assert_eq!(h.heartbeat_as(&old, Some(inst("i0")), generation), Ok(()));
}

#[test]
fn static_rejoin_changing_the_protocol_rebalances() {
    let mut h = Harness::new();
    let (_, generation) = stable_static(&mut h, 1);
    let req = JoinRequest {
        protocols: protocols(&["roundrobin", "range"], &["t"]),
        ..static_jreq("", "i0")
    };
    h.writes.clear();
    // The only member now prefers roundrobin: a rebalance, which completes
    // at once since the only member has joined.
    let r = h.join(req).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(r.protocol_name.as_deref(), Some("roundrobin"));
    assert_eq!(h.state(), GroupState::CompletingRebalance);
    assert!(h.writes.is_empty(), "no static-rejoin write");
}

#[test]
fn static_rejoin_fences_a_parked_join_of_the_old_id() {
    let mut h = Harness::new();
    let (ids, generation) = stable_static(&mut h, 2);
    let (s0, s1) = (ids[0].clone(), ids[1].clone());
    // s0 rejoins (parks) to start a rebalance ...
    let changed = JoinRequest {
        protocols: protocols(&["range"], &["other"]),
        ..static_jreq(s0.as_str(), "i0")
    };
    assert!(matches!(h.join(changed), JoinReply::Pending { .. }));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    // ... then a second process with the same instance id shows up.
    let new = match h.join(static_jreq("", "i0")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    let e = h.take_join(&s0).unwrap().unwrap_err();
    assert_eq!((e.member_id, e.error), (s0.clone(), GroupError::FencedInstanceId));
    // s1 rejoins: everybody joined; the new id is in the next generation.
    let r = h.join(static_jreq(s1.as_str(), "i1"));
    let mut got = vec![r.done().map(|r| r.unwrap().generation)];
    got.push(h.take_join(&new).map(|r| r.unwrap().generation));
    assert!(got.contains(&Some(Generation(generation + 1))));
    assert!(h.group().member(&s0).is_none());
    assert!(h.group().member(&new).is_some());
}

#[test]
fn static_rejoin_during_completing_rebalance_restarts_it() {
    let mut h = Harness::new();
    let a = match h.join(static_jreq("", "i0")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    h.advance(3_000);
    let generation = h.take_join(&a).unwrap().unwrap().generation.0;
    assert_eq!(h.state(), GroupState::CompletingRebalance);
    h.sync(&a, generation, Vec::new());
    // The new id alone is the whole group: the restarted rebalance ends
    // at once and answers it directly.
    let r = h.join(static_jreq("", "i0")).done().unwrap().unwrap();
    // The parked sync of the old id is fenced.
    assert_eq!(h.take_sync(&a), Some(Err(GroupError::FencedInstanceId)));
    assert_ne!(r.member_id, a);
    assert_eq!(r.generation.0, generation + 1);
}

#[test]
fn unknown_instance_with_a_member_id_is_unknown() {
    let mut h = Harness::new();
    stable_static(&mut h, 1);
    let e = h
        .join(static_jreq("made-up", "nope"))
        .done()
        .unwrap()
        .unwrap_err();
    assert_eq!(e.error, GroupError::UnknownMemberId);
    assert_eq!(
        h.heartbeat_as(&mid("made-up"), Some(inst("nope")), 1),
        Err(GroupError::UnknownMemberId)
    );
}

#[test]
fn a_direct_answer_supersedes_a_parked_join() {
    let mut h = Harness::new();
    let (_, generation) = stable_static(&mut h, 1);
    let new = match h.join(static_jreq("", "i0")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    // The client retries with its new id before the write completed: the
    // leader's rejoin rebalances and is answered directly ...
    let r = h.join(static_jreq(new.as_str(), "i0")).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(h.group().num_awaiting_join(), 0);
    // ... so the late write answers nothing a second time.
    h.finish_writes(Ok(()));
    assert!(h.take_join(&new).is_none());
}
