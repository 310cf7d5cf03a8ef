//! Group-level APIs: DescribeGroups, ListGroups, DeleteGroups, unload;
//! error codes and state names.

use super::*;

#[test]
fn describe_shows_metadata_only_when_stable() {
    let mut h = Harness::new();
    let a = h.join_new("a");
    let d = h.coord.describe(&h.gid);
    assert_eq!(d.state, GroupState::PreparingRebalance);
    assert_eq!(d.state.name(), "PreparingRebalance");
    assert_eq!(d.protocol_type, "consumer");
    assert_eq!(d.protocol_data, "");
    assert!(d.members[0].metadata.is_empty());
    h.advance(3_000);
    h.take_join(&a);
    h.sync(&a, 1, vec![(a.clone(), Bytes::from_static(b"A"))]);
    h.finish_writes(Ok(()));
    let d = h.coord.describe(&h.gid);
    assert_eq!(d.state.to_string(), "Stable");
    assert_eq!(d.protocol_data, "range");
    let m = &d.members[0];
    assert_eq!(
        (m.client_id.as_str(), m.client_host.as_str()),
        ("a", "/127.0.0.1")
    );
    assert_eq!(m.metadata, subscription(&["t"]));
    assert_eq!(m.assignment, Bytes::from_static(b"A"));
    let unknown = h.coord.describe(&GroupId::new("nope"));
    assert_eq!(unknown, GroupDescription::dead(GroupId::new("nope")));
}

#[test]
fn list_groups_filters_by_state_and_type() {
    let mut h = Harness::new();
    h.stable_group(&["a"]);
    h.gid = GroupId::new("g2");
    h.join_new("b");
    h.gid = GroupId::new("simple");
    let mut fx = Effects::new();
    let req = OffsetCommitRequest {
        member_id: MemberId::UNKNOWN,
        group_instance_id: None,
        generation: Generation::UNKNOWN,
        retention_ms: None,
        partitions: Vec::new(),
    };
    h.coord
        .commit_offsets(&GroupId::new("simple"), &req, h.now, &mut fx);
    let names = |l: Vec<GroupListing>| l.into_iter().map(|g| g.group_id.0).collect::<Vec<_>>();
    assert_eq!(names(h.coord.list_groups(&[], &[])), vec!["g", "g2", "simple"]);
    assert_eq!(names(h.coord.list_groups(&["stable".into()], &[])), vec!["g"]);
    assert_eq!(
        names(
            h.coord
                .list_groups(&["Empty".into(), "PREPARINGREBALANCE".into()], &[])
        ),
        vec!["g2", "simple"]
    );
    assert_eq!(
        names(h.coord.list_groups(&["bogus".into()], &[])),
        Vec::<String>::new()
    );
    assert_eq!(names(h.coord.list_groups(&[], &["Classic".into()])).len(), 3);
    assert!(h.coord.list_groups(&[], &["consumer".into()]).is_empty());
    let simple = h.coord.list_groups(&["empty".into()], &[]).remove(0);
    assert_eq!(simple.protocol_type, "");
}

#[test]
fn delete_groups() {
    let mut h = Harness::new();
    h.stable_group(&["a"]);
    let busy = h.gid.clone();
    let idle = GroupId::new("idle");
    let mut fx = Effects::new();
    let req = OffsetCommitRequest {
        member_id: MemberId::UNKNOWN,
        group_instance_id: None,
        generation: Generation::UNKNOWN,
        retention_ms: None,
        partitions: vec![OffsetCommitEntry {
            partition: TopicPartition::new("t", 0),
            offset: 1,
            leader_epoch: None,
            metadata: None,
        }],
    };
    let out = h.coord.commit_offsets(&idle, &req, h.now, &mut fx);
    h.coord.finish_commit(out.write.unwrap().1, Ok(()));
    let missing = GroupId::new("missing");
    let out = h
        .coord
        .delete_groups(&[busy.clone(), idle.clone(), missing.clone()], h.now, &mut fx);
    assert_eq!(
        out.results,
        vec![
            (busy.clone(), Err(GroupError::NonEmptyGroup)),
            (idle.clone(), Ok(())),
            (missing, Err(GroupError::GroupIdNotFound)),
        ]
    );
    assert_eq!(
        out.tombstones,
        vec![
            offset_tombstone(&idle, &TopicPartition::new("t", 0)),
            group_tombstone(&idle)
        ]
    );
    assert!(h.coord.group(&idle).is_none());
    assert!(h.coord.group(&busy).is_some());
    assert_eq!(GroupError::NonEmptyGroup.kafka_code(), 68);
    assert_eq!(GroupError::GroupIdNotFound.kafka_code(), 69);
}

#[test]
fn delete_group_after_members_expired() {
    let mut h = Harness::new();
    h.stable_group(&["a"]);
    // No tick ran; deletion first applies the expiry.
    h.now += i64::from(SESSION);
    let gid = h.gid.clone();
    let out = h
        .coord
        .delete_groups(std::slice::from_ref(&gid), h.now, &mut Effects::new());
    assert_eq!(out.results, vec![(gid, Ok(()))]);
}

#[test]
fn unload_answers_parked_requests_with_not_coordinator() {
    let mut h = Harness::new();
    h.stable_group(&["a", "b"]);
    let leader = h.group().leader().cloned().unwrap();
    h.join(jreq(leader.as_str()));
    let c = h.join_new("c");
    let mut fx = Effects::new();
    h.coord.unload(h.now, &mut fx);
    assert_eq!(h.coord.groups().count(), 0);
    let errors: Vec<_> = fx
        .completions
        .iter()
        .filter_map(|c| match &c.kind {
            CompletionKind::Join(Err(e)) => Some((c.member_id.clone(), e.error)),
            _ => None,
        })
        .collect();
    assert!(errors.contains(&(leader.clone(), GroupError::NotCoordinator)));
    assert!(errors.contains(&(c, GroupError::NotCoordinator)));
    assert_eq!(errors.len(), 2);
    assert_eq!(h.coord.next_deadline_ms(), None);
}

#[test]
fn every_error_has_its_kafka_code() {
    use GroupError::*;
    let all = [
        (UnknownServerError, -1),
        (OffsetMetadataTooLarge, 12),
        (CoordinatorLoadInProgress, 14),
        (CoordinatorNotAvailable, 15),
        (NotCoordinator, 16),
        (IllegalGeneration, 22),
        (InconsistentGroupProtocol, 23),
        (InvalidGroupId, 24),
        (UnknownMemberId, 25),
        (InvalidSessionTimeout, 26),
        (RebalanceInProgress, 27),
        (InvalidCommitOffsetSize, 28),
        (NonEmptyGroup, 68),
        (GroupIdNotFound, 69),
        (MemberIdRequired, 79),
        (GroupMaxSizeReached, 81),
        (FencedInstanceId, 82),
        (GroupSubscribedToTopic, 86),
        (UnstableOffsetCommit, 88),
    ];
    for (e, code) in all {
        assert_eq!(e.kafka_code(), code, "{e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn state_names_and_transitions() {
    use GroupState::*;
    let names: Vec<_> = GroupState::ALL.iter().map(|s| s.name()).collect();
    assert_eq!(
        names,
        [
            "Empty",
            "PreparingRebalance",
            "CompletingRebalance",
            "Stable",
            "Dead"
        ]
    );
    for s in GroupState::ALL {
        assert_eq!(GroupState::parse(&s.name().to_lowercase()), Some(s));
        assert!(s.can_transition_to(Dead));
    }
    assert!(Empty.can_transition_to(PreparingRebalance));
    assert!(Stable.can_transition_to(PreparingRebalance));
    assert!(!PreparingRebalance.can_transition_to(PreparingRebalance));
    assert!(!Empty.can_transition_to(Stable));
    assert!(!Stable.can_transition_to(CompletingRebalance));
    assert!(PreparingRebalance.can_transition_to(Empty));
    assert!(!Dead.can_rebalance());
    assert_eq!(GroupState::parse("AwaitingSync"), None);
}
