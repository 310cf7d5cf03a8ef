//! JoinGroup: creation, initial delay, KIP-394, protocol selection, limits,
//! and rejoins in every state.

use super::*;

#[test]
fn first_join_waits_for_the_initial_delay() {
    let mut h = Harness::new();
    let a = h.join_new("a");
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    h.advance(2_999);
    assert!(h.take_join(&a).is_none(), "not before the delay");
    h.advance(1);
    let r = h.take_join(&a).expect("completed").expect("ok");
    assert_eq!(r.generation, Generation(1));
    assert_eq!(r.leader, a);
    assert_eq!(r.protocol_name.as_deref(), Some("range"));
    assert_eq!(r.protocol_type.as_deref(), Some("consumer"));
    assert_eq!(r.members.len(), 1);
    assert_eq!(r.members[0].metadata, subscription(&["t"]));
    assert_eq!(h.state(), GroupState::CompletingRebalance);
}

#[test]
fn member_ids_are_client_id_dash_uuid() {
    let mut h = Harness::new();
    let a = h.join_new("app");
    assert_eq!(a.as_str(), format!("app-{}", Uuid::from_u128(1)));
}

#[test]
fn initial_delay_is_extended_while_members_arrive() {
    let mut h = Harness::new();
    let a = h.join_new("a");
    h.advance(1_000);
    let b = h.join_new("b");
    // First delay ends at 3000 but b arrived: wait another 3000.
    h.advance(2_000);
    assert!(h.take_join(&a).is_none());
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    h.advance(2_999);
    assert!(h.take_join(&a).is_none());
    h.advance(1);
    let ra = h.take_join(&a).unwrap().unwrap();
    let rb = h.take_join(&b).unwrap().unwrap();
    assert_eq!(ra.members.len(), 2, "leader sees everyone");
    assert!(rb.members.is_empty(), "followers see nobody");
    assert_eq!(rb.leader, a);
    assert_eq!(ra.generation, rb.generation);
}

#[test]
fn initial_delay_is_bounded_by_the_rebalance_timeout() {
    let mut h = Harness::new();
    let short = JoinRequest {
        rebalance_timeout_ms: 5_000,
        client_id: "a".into(),
        ..jreq("")
    };
    let a = match h.join(short) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    // remaining = 5000 - 3000 = 2000
    h.advance(1_000);
    h.join_new("b"); // b's rebalance timeout (30s) does not change the plan
    h.advance(2_000); // t=3000: extend by min(3000, 2000) = 2000, remaining 0
    assert!(h.take_join(&a).is_none());
    h.advance(1_000);
    h.join_new("c");
    h.advance(1_000); // t=5000: remaining is 0, complete despite c
    assert!(h.take_join(&a).unwrap().is_ok());
    assert_eq!(h.group().size(), 3);
}

#[test]
fn member_id_required_then_rejoin() {
    let mut h = Harness::new();
    let req = JoinRequest {
        require_known_member_id: true,
        ..jreq("")
    };
    let id = match h.join(req.clone()) {
        JoinReply::Done(Err(JoinError { member_id, error })) => {
            assert_eq!(error, GroupError::MemberIdRequired);
            member_id
        }
        r => panic!("{r:?}"),
    };
    assert!(!id.is_unknown());
    assert_eq!(h.state(), GroupState::Empty);
    assert!(h.group().is_pending_member(&id));
    assert_eq!(h.group().size(), 0);
    let again = JoinRequest {
        member_id: id.clone(),
        ..req
    };
    assert_eq!(
        h.join(again),
        JoinReply::Pending {
            member_id: id.clone()
        }
    );
    assert!(!h.group().is_pending_member(&id));
    assert!(h.group().member(&id).is_some());
    h.advance(3_000);
    assert!(h.take_join(&id).unwrap().is_ok());
}

#[test]
fn pending_member_blocks_an_early_join_completion() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a"]);
    let req = JoinRequest {
        require_known_member_id: true,
        ..jreq("")
    };
    let pending = match h.join(req) {
        JoinReply::Done(Err(e)) => e.member_id,
        r => panic!("{r:?}"),
    };
    // The leader rejoins: everybody "known" has joined, but a pending member
    // is expected too.
    let r = h.join(JoinRequest {
        member_id: ids[0].clone(),
        ..jreq("")
    });
    assert!(matches!(r, JoinReply::Pending { .. }));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    // The pending member's session (10s) ends before the rebalance timeout.
    h.advance(i64::from(SESSION));
    assert!(!h.group().is_pending_member(&pending));
    let r = h.take_join(&ids[0]).unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
}

#[test]
fn unknown_member_ids_are_rejected() {
    let mut h = Harness::new();
    let r = h.join(jreq("ghost"));
    assert_eq!(
        r,
        JoinReply::Done(Err(JoinError {
            member_id: mid("ghost"),
            error: GroupError::UnknownMemberId
        }))
    );
    assert!(h.coord.group(&h.gid).is_none(), "no group created");
    h.join_new("a");
    let r = h.join(jreq("ghost")).done().unwrap().unwrap_err();
    assert_eq!(r.error, GroupError::UnknownMemberId);
}

#[test]
fn session_timeout_bounds() {
    let mut h = Harness::new();
    for bad in [999, 60_001] {
        let req = JoinRequest {
            session_timeout_ms: bad,
            ..jreq("")
        };
        let e = h.join(req).done().unwrap().unwrap_err();
        assert_eq!(e.error, GroupError::InvalidSessionTimeout);
        assert_eq!(e.error.kafka_code(), 26);
    }
    assert!(h.coord.group(&h.gid).is_none());
    for ok in [1_000, 60_000] {
        let req = JoinRequest {
            session_timeout_ms: ok,
            ..jreq("")
        };
        assert!(matches!(h.join(req), JoinReply::Pending { .. }));
    }
}

#[test]
fn empty_group_id_is_invalid() {
    let mut h = Harness::new();
    h.gid = GroupId::new("");
    let e = h.join(jreq("")).done().unwrap().unwrap_err();
    assert_eq!(e.error, GroupError::InvalidGroupId);
}

#[test]
fn inconsistent_protocols_are_rejected() {
    let mut h = Harness::new();
    let none = JoinRequest {
        protocols: Vec::new(),
        ..jreq("")
    };
    let e = h.join(none).done().unwrap().unwrap_err();
    assert_eq!(e.error, GroupError::InconsistentGroupProtocol);
    assert!(
        h.coord.group(&h.gid).is_none(),
        "failed first join leaves no group"
    );

    h.join_new("a");
    let other_type = JoinRequest {
        protocol_type: "connect".into(),
        ..jreq("")
    };
    let e = h.join(other_type).done().unwrap().unwrap_err();
    assert_eq!(e.error, GroupError::InconsistentGroupProtocol);
    let other_protocol = JoinRequest {
        protocols: protocols(&["roundrobin"], &["t"]),
        ..jreq("")
    };
    let e = h.join(other_protocol).done().unwrap().unwrap_err();
    assert_eq!(
        (e.error, e.member_id),
        (GroupError::InconsistentGroupProtocol, MemberId::UNKNOWN)
    );
    let overlapping = JoinRequest {
        protocols: protocols(&["roundrobin", "range"], &["t"]),
        ..jreq("")
    };
    assert!(matches!(h.join(overlapping), JoinReply::Pending { .. }));
}

fn join_with(h: &mut Harness, names: &[&str]) -> MemberId {
    let req = JoinRequest {
        protocols: protocols(names, &["t"]),
        ..jreq("")
    };
    match h.join(req) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    }
}

#[test]
fn protocol_is_chosen_by_votes_among_common_protocols() {
    let mut h = Harness::new();
    let a = join_with(&mut h, &["roundrobin", "range", "sticky"]);
    join_with(&mut h, &["roundrobin", "range"]);
    join_with(&mut h, &["range", "roundrobin"]);
    h.advance(6_000);
    let r = h.take_join(&a).unwrap().unwrap();
    assert_eq!(r.protocol_name.as_deref(), Some("roundrobin"), "2 votes to 1");

    let mut h = Harness::new();
    let a = join_with(&mut h, &["roundrobin", "range"]);
    join_with(&mut h, &["roundrobin", "range"]);
    join_with(&mut h, &["range"]);
    h.advance(6_000);
    let r = h.take_join(&a).unwrap().unwrap();
    assert_eq!(r.protocol_name.as_deref(), Some("range"), "only range is common");
}

#[test]
fn group_max_size() {
    let mut h = Harness::with_config(GroupConfig {
        max_size: 2,
        ..config()
    });
    h.join_new("a");
    h.join_new("b");
    let e = h.join(jreq("")).done().unwrap().unwrap_err();
    assert_eq!(
        (e.error, e.member_id),
        (GroupError::GroupMaxSizeReached, MemberId::UNKNOWN)
    );
    assert_eq!(e.error.kafka_code(), 81);
    assert_eq!(h.group().size(), 2);
}

#[test]
fn follower_rejoin_with_same_metadata_in_stable_returns_current_generation() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let leader = h.group().leader().cloned().unwrap();
    let follower = ids.iter().find(|i| **i != leader).unwrap().clone();
    let r = h.join(jreq(follower.as_str())).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation);
    assert_eq!(r.leader, leader);
    assert!(r.members.is_empty());
    assert_eq!(h.state(), GroupState::Stable);
}

#[test]
fn follower_rejoin_with_new_metadata_starts_a_rebalance() {
    // KIP-429: cooperative clients rejoin after revoking partitions; the
    // coordinator only sees changed metadata.
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let leader = h.group().leader().cloned().unwrap();
    let follower = ids.iter().find(|i| **i != leader).unwrap().clone();
    let changed = JoinRequest {
        protocols: protocols(&["range"], &["t", "u"]),
        ..jreq(follower.as_str())
    };
    assert!(matches!(h.join(changed), JoinReply::Pending { .. }));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert_eq!(
        h.heartbeat(&leader, generation),
        Err(GroupError::RebalanceInProgress)
    );
    // The leader rejoins: everybody joined, the phase ends at once.
    let r = h.join(jreq(leader.as_str())).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(r.members.len(), 2);
    let rf = h.take_join(&follower).unwrap().unwrap();
    assert_eq!(rf.generation.0, generation + 1);
    assert_eq!(h.group().subscribed_topics().unwrap().len(), 2);
}

#[test]
fn leader_rejoin_in_stable_forces_a_rebalance() {
    let mut h = Harness::new();
    let (_, generation) = h.stable_group(&["a", "b"]);
    let leader = h.group().leader().cloned().unwrap();
    assert!(matches!(h.join(jreq(leader.as_str())), JoinReply::Pending { .. }));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert_eq!(h.group().generation().0, generation);
}

#[test]
fn repeated_join_in_completing_rebalance_gets_the_same_answer() {
    let mut h = Harness::new();
    let a = h.join_new("a");
    let b = h.join_new("b");
    h.advance(6_000);
    let first = h.take_join(&a).unwrap().unwrap();
    h.take_join(&b).unwrap().unwrap();
    // a's response was lost; it asks again with the same metadata.
    let again = h.join(jreq(a.as_str())).done().unwrap().unwrap();
    assert_eq!(again, first);
    assert_eq!(h.state(), GroupState::CompletingRebalance);
    // b changes its metadata: parked syncs are cancelled, rebalance again.
    assert!(h.sync(&a, first.generation.0, Vec::new()).done().is_none());
    let changed = JoinRequest {
        protocols: protocols(&["range"], &["x"]),
        ..jreq(b.as_str())
    };
    assert!(matches!(h.join(changed), JoinReply::Pending { .. }));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert_eq!(h.take_sync(&a), Some(Err(GroupError::RebalanceInProgress)));
}

#[test]
fn join_completes_as_soon_as_everyone_rejoined() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b", "c"]);
    let leader = h.group().leader().cloned().unwrap();
    assert!(matches!(h.join(jreq(leader.as_str())), JoinReply::Pending { .. }));
    for id in ids.iter().filter(|i| **i != leader) {
        h.join(jreq(id.as_str()));
    }
    // The last joiner got its answer directly; the others as completions.
    for id in &ids {
        if let Some(r) = h.take_join(id) {
            assert_eq!(r.unwrap().generation.0, generation + 1);
        }
    }
    assert_eq!(h.state(), GroupState::CompletingRebalance);
    assert_eq!(h.group().generation().0, generation + 1);
}
