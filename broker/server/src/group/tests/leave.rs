//! LeaveGroup, single and batched.

use super::*;

fn by_id(id: &MemberId) -> LeaveMember {
    LeaveMember {
        member_id: id.clone(),
        group_instance_id: None,
    }
}

#[test]
fn leaving_member_triggers_a_rebalance_without_it() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let r = h.leave(&[by_id(&ids[0])]).unwrap();
    assert_eq!(r[0].result, Ok(()));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert!(h.group().member(&ids[0]).is_none());
    assert_eq!(
        h.heartbeat(&ids[1], generation),
        Err(GroupError::RebalanceInProgress)
    );
    let r = h.join(jreq(ids[1].as_str())).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(r.leader, ids[1], "the remaining member leads");
    assert_eq!(r.members.len(), 1);
}

#[test]
fn batched_leave_reports_per_member() {
    let mut h = Harness::new();
    let s = match h.join(static_jreq("", "inst-s")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    let a = h.join_new("a");
    let b = h.join_new("b");
    h.advance(6_000);
    let req = [
        by_id(&a),
        by_id(&mid("ghost")),
        LeaveMember {
            member_id: MemberId::UNKNOWN,
            group_instance_id: Some(GroupInstanceId::new("inst-s")),
        },
        LeaveMember {
            member_id: MemberId::UNKNOWN,
            group_instance_id: Some(GroupInstanceId::new("inst-unknown")),
        },
    ];
    let r = h.leave(&req).unwrap();
    let results: Vec<_> = r.iter().map(|x| x.result).collect();
    assert_eq!(
        results,
        vec![
            Ok(()),
            Err(GroupError::UnknownMemberId),
            Ok(()),
            Err(GroupError::UnknownMemberId)
        ]
    );
    assert_eq!(r[2].group_instance_id, Some(GroupInstanceId::new("inst-s")));
    assert!(h.group().member(&s).is_none());
    assert!(h
        .group()
        .static_member_id(&GroupInstanceId::new("inst-s"))
        .is_none());
    assert_eq!(h.group().size(), 1);
    assert!(h.group().member(&b).is_some());
}

#[test]
fn static_member_leaving_with_a_stale_id_is_fenced() {
    let mut h = Harness::new();
    let s = match h.join(static_jreq("", "inst")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    let r = h
        .leave(&[LeaveMember {
            member_id: mid("inst-old"),
            group_instance_id: Some(GroupInstanceId::new("inst")),
        }])
        .unwrap();
    assert_eq!(r[0].result, Err(GroupError::FencedInstanceId));
    assert!(h.group().member(&s).is_some());
}

#[test]
fn last_member_leaving_empties_the_group() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a"]);
    h.writes.clear();
    h.leave(&[by_id(&ids[0])]).unwrap();
    assert_eq!(h.state(), GroupState::Empty);
    assert_eq!(h.group().generation().0, generation + 1);
    assert_eq!(h.group().protocol_name(), None);
    // The empty generation is persisted (nobody waits for it).
    assert_eq!(h.writes.len(), 1);
    let v = decode_group_metadata_value(h.writes[0].record.value.as_ref().unwrap()).unwrap();
    assert_eq!(v.generation, generation + 1);
    assert!(v.members.is_empty());
    assert_eq!(v.protocol, None);
    h.finish_writes(Err(AppendError(7)));
    assert_eq!(h.state(), GroupState::Empty, "failure only logged");
}

#[test]
fn leave_of_a_parked_member_answers_its_join() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let c = h.join_new("c");
    // a and b have not rejoined; c is parked.
    h.leave(&[by_id(&c)]).unwrap();
    let e = h.take_join(&c).unwrap().unwrap_err();
    assert_eq!(
        (e.member_id, e.error),
        (MemberId::UNKNOWN, GroupError::UnknownMemberId)
    );
    // The others rejoin and the phase completes without c.
    h.join(jreq(ids[0].as_str()));
    let r = h.join(jreq(ids[1].as_str())).done().unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
}

#[test]
fn leave_can_complete_the_join_phase() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    h.join(jreq(ids[0].as_str()));
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    // b leaves instead of rejoining: everybody left has joined.
    h.leave(&[by_id(&ids[1])]).unwrap();
    let r = h.take_join(&ids[0]).unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(h.state(), GroupState::CompletingRebalance);
}

#[test]
fn pending_member_leave_does_not_rebalance() {
    let mut h = Harness::new();
    let (_, generation) = h.stable_group(&["a"]);
    let req = JoinRequest {
        require_known_member_id: true,
        ..jreq("")
    };
    let pending = h.join(req).done().unwrap().unwrap_err().member_id;
    let r = h.leave(&[by_id(&pending)]).unwrap();
    assert_eq!(r[0].result, Ok(()));
    assert!(!h.group().is_pending_member(&pending));
    assert_eq!(h.state(), GroupState::Stable);
    assert_eq!(h.group().generation().0, generation);
}

#[test]
fn leave_on_unknown_group() {
    let mut h = Harness::new();
    let r = h.leave(&[by_id(&mid("x")), by_id(&mid("y"))]).unwrap();
    assert!(r.iter().all(|x| x.result == Err(GroupError::UnknownMemberId)));
    h.gid = GroupId::new("");
    assert_eq!(h.leave(&[]), Err(GroupError::InvalidGroupId));
}
