//! Session expiry, rebalance timeout, new-member timeout, pending sync.

use super::*;

#[test]
fn silent_member_expires_after_its_session_timeout() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let (a, b) = (&ids[0], &ids[1]);
    // Both got a fresh session when their syncs were answered.
    h.advance(i64::from(SESSION) - 1);
    assert_eq!(h.heartbeat(a, generation), Ok(()));
    h.advance(1);
    assert!(h.group().member(b).is_none(), "b expired");
    assert!(h.group().member(a).is_some());
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    assert_eq!(h.heartbeat(a, generation), Err(GroupError::RebalanceInProgress));
    assert_eq!(h.heartbeat(b, generation), Err(GroupError::UnknownMemberId));
}

#[test]
fn expiry_is_applied_before_a_late_request() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a"]);
    // No tick ran, but the request comes after the session ended.
    h.now += i64::from(SESSION) + 5;
    assert_eq!(h.heartbeat(&ids[0], generation), Err(GroupError::UnknownMemberId));
    // The group emptied at its deadline (handled as if on time).
    assert_eq!(h.state(), GroupState::Empty);
    assert_eq!(h.group().state_timestamp_ms(), Some(h.now - 5));
}

#[test]
fn rebalance_timeout_drops_members_that_did_not_rejoin() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    let (a, b) = (&ids[0], &ids[1]);
    h.join(jreq(a.as_str()));
    // b keeps heartbeating but ignores REBALANCE_IN_PROGRESS.
    for _ in 0..5 {
        h.advance(5_000);
        assert_eq!(h.heartbeat(b, generation), Err(GroupError::RebalanceInProgress));
    }
    // a is parked past its own session timeout: parked members are alive.
    assert!(h.group().member(a).is_some());
    h.advance(i64::from(REBALANCE) - 25_000);
    let r = h.take_join(a).unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert_eq!(r.members.len(), 1);
    assert!(h.group().member(b).is_none());
    assert_eq!(h.heartbeat(b, generation), Err(GroupError::UnknownMemberId));
}

#[test]
fn new_member_parked_too_long_is_dropped() {
    let mut h = Harness::with_config(GroupConfig {
        new_member_join_timeout_ms: 4_000,
        ..config()
    });
    let (ids, _) = h.stable_group(&["a"]);
    let c = h.join_new("c");
    assert_eq!(h.state(), GroupState::PreparingRebalance);
    h.advance(4_000);
    let e = h.take_join(&c).unwrap().unwrap_err();
    assert_eq!(e.error, GroupError::UnknownMemberId);
    assert!(h.group().member(&c).is_none());
    // a never rejoined either; the group completes without both at the
    // rebalance timeout and ends up Empty.
    h.advance(i64::from(REBALANCE));
    assert!(h.group().member(&ids[0]).is_none());
    assert_eq!(h.state(), GroupState::Empty);
}

#[test]
fn members_that_never_sync_are_removed() {
    let mut h = Harness::new();
    let a = h.join_new("a");
    let b = h.join_new("b");
    h.advance(6_000);
    let generation = h.take_join(&a).unwrap().unwrap().generation.0;
    h.take_join(&b).unwrap().unwrap();
    let leader = h.group().leader().cloned().unwrap();
    let follower = if leader == a { b.clone() } else { a.clone() };
    h.sync(&leader, generation, Vec::new());
    h.finish_writes(Ok(()));
    assert_eq!(h.state(), GroupState::Stable);
    // The follower heartbeats but never syncs.
    for _ in 0..5 {
        h.advance(5_000);
        h.heartbeat(&leader, generation).unwrap();
        h.heartbeat(&follower, generation).unwrap();
    }
    h.advance(4_999);
    h.heartbeat(&leader, generation).unwrap();
    assert!(h.group().member(&follower).is_some());
    h.advance(1);
    assert!(h.group().member(&follower).is_none());
    assert_eq!(h.state(), GroupState::PreparingRebalance);
}

#[test]
fn sync_timer_is_cancelled_once_all_synced() {
    let mut h = Harness::new();
    let (ids, generation) = h.stable_group(&["a", "b"]);
    // Past the rebalance timeout, with live sessions: nobody is removed.
    for _ in 0..8 {
        h.advance(4_000);
        for id in &ids {
            h.heartbeat(id, generation).unwrap();
        }
    }
    assert_eq!(h.state(), GroupState::Stable);
    assert_eq!(h.group().size(), 2);
}

#[test]
fn static_members_are_not_dropped_when_the_join_phase_ends() {
    let mut h = Harness::new();
    let s = match h.join(static_jreq("", "inst")) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    let d = h.join_new("d");
    h.advance(6_000);
    let generation = h.take_join(&s).unwrap().unwrap().generation.0;
    h.take_join(&d).unwrap().unwrap();
    let leader = h.group().leader().cloned().unwrap();
    h.sync(&leader, generation, Vec::new());
    h.finish_writes(Ok(()));
    // d rejoins with new metadata; the static member is offline.
    let changed = JoinRequest {
        protocols: protocols(&["range"], &["t", "u"]),
        ..jreq(d.as_str())
    };
    let r = h.join(changed);
    assert!(matches!(r, JoinReply::Pending { .. }));
    // The static member heartbeats (alive) but does not rejoin in time; a
    // dynamic member would be dropped at the rebalance timeout.
    for _ in 0..6 {
        assert_eq!(h.heartbeat(&s, generation), Err(GroupError::RebalanceInProgress));
        h.advance(5_000);
    }
    let r = h.take_join(&d).unwrap().unwrap();
    assert_eq!(r.generation.0, generation + 1);
    assert!(h.group().member(&s).is_some(), "static member kept");
    assert_eq!(r.leader, d, "leadership moves to a member that rejoined");
}

#[test]
fn next_deadline_is_the_earliest_timer() {
    let mut h = Harness::new();
    assert_eq!(h.coord.next_deadline_ms(), None);
    let start = h.now;
    h.join_new("a");
    assert_eq!(h.coord.next_deadline_ms(), Some(start + 3_000));
    h.advance(3_000);
    // Join done: heartbeat (10s) and pending sync (30s) timers remain.
    assert_eq!(
        h.coord.next_deadline_ms(),
        Some(start + 3_000 + i64::from(SESSION))
    );
}

#[test]
fn zero_delays_still_make_progress() {
    let mut h = Harness::with_config(GroupConfig {
        initial_rebalance_delay_ms: 0,
        min_session_timeout_ms: 0,
        ..config()
    });
    let req = JoinRequest {
        session_timeout_ms: 0,
        rebalance_timeout_ms: 0,
        ..jreq("")
    };
    let a = match h.join(req) {
        JoinReply::Pending { member_id } => member_id,
        r => panic!("{r:?}"),
    };
    h.advance(1);
    assert!(h.take_join(&a).unwrap().is_ok());
    h.advance(10);
    assert_eq!(h.state(), GroupState::Empty, "expired with a 0 ms session");
}
