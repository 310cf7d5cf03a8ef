//! The group APIs over the raw protocol client: FindCoordinator (and the
//! lazy creation of `__consumer_offsets`), the JoinGroup/SyncGroup/
//! Heartbeat/LeaveGroup flow with parked requests, OffsetCommit/
//! OffsetFetch, ListGroups, DescribeGroups, DeleteGroups, OffsetDelete and
//! their error cases; compaction of `__consumer_offsets`.

mod common;
mod group_support;

use std::time::Duration;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use group_support::raw::*;
use group_support::{create_topic, FAST_GROUPS};
use kafka_protocol::messages::leave_group_request::MemberIdentity;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_coordinator_creates_the_offsets_topic_and_batches_keys() {
    // Kafka's defaults: 50 partitions, replication factor 3 (capped at the
    // single broker), compacted.
    let b = TestBroker::start().await;
    let broker = b.running.as_ref().unwrap().broker.clone();
    assert!(
        broker.image().topic_by_name("__consumer_offsets").is_none(),
        "created lazily"
    );
    let mut raw = RawClient::connect(&b.bootstrap).await;
    let port = b.running.as_ref().unwrap().addr().port() as i32;

    let v0: FindCoordinatorResponse = raw
        .call(
            ApiKey::FindCoordinator,
            0,
            &FindCoordinatorRequest::default().with_key(s("g1")),
        )
        .await;
    assert_eq!((v0.error_code, v0.node_id.0, v0.port), (NONE, 1, port));
    let image = broker.image();
    let t = image
        .topic_by_name("__consumer_offsets")
        .expect("created on first use");
    assert_eq!(t.partitions.len(), 50);
    assert_eq!(t.replication_factor(), 1);
    let configs = image.topic_configs("__consumer_offsets").unwrap();
    assert_eq!(configs.get("cleanup.policy").map(String::as_str), Some("compact"));

    let v3: FindCoordinatorResponse = raw
        .call(
            ApiKey::FindCoordinator,
            3,
            &FindCoordinatorRequest::default()
                .with_key(s("g2"))
                .with_key_type(0),
        )
        .await;
    assert_eq!(
        (v3.error_code, v3.node_id.0, v3.host.as_str()),
        (NONE, 1, "127.0.0.1")
    );

    let batch = FindCoordinatorRequest::default()
        .with_key_type(0)
        .with_coordinator_keys(vec![s("a"), s("b"), s("c")]);
    let v6: FindCoordinatorResponse = raw.call(ApiKey::FindCoordinator, 6, &batch).await;
    let keys: Vec<(String, i16, i32, i32)> = v6
        .coordinators
        .iter()
        .map(|c| (c.key.to_string(), c.error_code, c.node_id.0, c.port))
        .collect();
    assert_eq!(
        keys,
        vec![
            ("a".to_string(), NONE, 1, port),
            ("b".to_string(), NONE, 1, port),
            ("c".to_string(), NONE, 1, port)
        ]
    );

    // No transaction coordinator yet: a clear, retriable error.
    let txn: FindCoordinatorResponse = raw
        .call(
            ApiKey::FindCoordinator,
            4,
            &FindCoordinatorRequest::default()
                .with_key_type(1)
                .with_coordinator_keys(vec![s("tx")]),
        )
        .await;
    assert_eq!(txn.coordinators[0].error_code, COORDINATOR_NOT_AVAILABLE);
    assert!(txn.coordinators[0]
        .error_message
        .as_ref()
        .unwrap()
        .contains("transactions"));
    assert_eq!(txn.coordinators[0].node_id.0, -1);
    let bad: FindCoordinatorResponse = raw
        .call(
            ApiKey::FindCoordinator,
            2,
            &FindCoordinatorRequest::default()
                .with_key(s("x"))
                .with_key_type(7),
        )
        .await;
    assert_eq!(bad.error_code, INVALID_REQUEST);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_sync_heartbeat_leave_with_a_parked_join() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    let mut a = RawClient::connect(&b.bootstrap).await;
    let meta = Bytes::from_static(b"a-meta");

    // Session timeout below group.min.session.timeout.ms.
    let bad = join(
        &mut a,
        5,
        &join_request("g", "", "x", meta.clone()).with_session_timeout_ms(100),
    )
    .await;
    assert_eq!(bad.error_code, INVALID_SESSION_TIMEOUT);
    // Empty group id.
    let bad = join(&mut a, 5, &join_request("", "", "x", meta.clone())).await;
    assert_eq!(bad.error_code, INVALID_GROUP_ID);
    // An id the group never gave out.
    let bad = join(&mut a, 5, &join_request("g", "nobody", "x", meta.clone())).await;
    assert_eq!(bad.error_code, UNKNOWN_MEMBER_ID);

    let ja = join_new(&mut a, "g", "x", meta.clone()).await;
    assert_eq!(ja.error_code, NONE);
    assert_eq!(ja.generation_id, 1);
    assert_eq!(ja.leader, ja.member_id, "the only member leads");
    assert_eq!(ja.members.len(), 1);
    assert_eq!(ja.members[0].metadata, meta);
    let a_id = ja.member_id.to_string();
    let sa = sync(&mut a, "g", 1, &a_id, &[(a_id.as_str(), b"for-a")]).await;
    assert_eq!((sa.error_code, sa.assignment.as_ref()), (NONE, &b"for-a"[..]));
    assert_eq!(heartbeat(&mut a, "g", 1, &a_id).await, NONE);
    assert_eq!(heartbeat(&mut a, "g", 0, &a_id).await, ILLEGAL_GENERATION);
    assert_eq!(heartbeat(&mut a, "g", 1, "nobody").await, UNKNOWN_MEMBER_ID);
    // A different protocol type cannot join a non-empty group.
    let mut c = RawClient::connect(&b.bootstrap).await;
    let bad = join(&mut c, 5, &join_request("g", "", "other", meta.clone())).await;
    assert_eq!(bad.error_code, INCONSISTENT_GROUP_PROTOCOL);

    // B joins: its join is parked until A rejoins.
    let bootstrap = b.bootstrap.clone();
    let b_join = tokio::spawn(async move {
        let mut bc = RawClient::connect(&bootstrap).await;
        let r = join_new(&mut bc, "g", "x", Bytes::from_static(b"b-meta")).await;
        (bc, r)
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let code = heartbeat(&mut a, "g", 1, &a_id).await;
        if code == REBALANCE_IN_PROGRESS {
            break;
        }
        assert_eq!(code, NONE);
        assert!(std::time::Instant::now() < deadline, "no rebalance started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!b_join.is_finished(), "B's join waits for A");
    let ja2 = join(&mut a, 5, &join_request("g", &a_id, "x", meta.clone())).await;
    let (mut bc, jb) = b_join.await.unwrap();
    assert_eq!((ja2.error_code, jb.error_code), (NONE, NONE));
    assert_eq!((ja2.generation_id, jb.generation_id), (2, 2));
    assert_eq!(ja2.leader, jb.leader);
    let b_id = jb.member_id.to_string();
    let (leader, follower) = if ja2.leader.as_str() == a_id {
        (&mut a, &mut bc)
    } else {
        (&mut bc, &mut a)
    };

    // The follower's sync is parked until the leader's assignment is stored.
    let follower_id = if ja2.leader.as_str() == a_id {
        b_id.clone()
    } else {
        a_id.clone()
    };
    let leader_id = ja2.leader.to_string();
    let early = sync(follower, "g", 1, &follower_id, &[]).await;
    assert_eq!(early.error_code, ILLEGAL_GENERATION);
    let bootstrap = b.bootstrap.clone();
    let fid = follower_id.clone();
    let parked = tokio::spawn(async move {
        let mut f = RawClient::connect(&bootstrap).await;
        sync(&mut f, "g", 2, &fid, &[]).await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!parked.is_finished(), "the follower's sync waits for the leader");
    let assignment: [(&str, &[u8]); 2] = [(leader_id.as_str(), b"L"), (follower_id.as_str(), b"F")];
    let sl = sync(leader, "g", 2, &leader_id, &assignment).await;
    let sf = parked.await.unwrap();
    assert_eq!((sl.error_code, sl.assignment.as_ref()), (NONE, &b"L"[..]));
    assert_eq!((sf.error_code, sf.assignment.as_ref()), (NONE, &b"F"[..]));

    // LeaveGroup v3 batch: one known member, one unknown.
    let req = LeaveGroupRequest::default()
        .with_group_id(gid("g"))
        .with_members(vec![
            MemberIdentity::default().with_member_id(s(&follower_id)),
            MemberIdentity::default().with_member_id(s("nobody")),
        ]);
    let left: LeaveGroupResponse = leader.call(ApiKey::LeaveGroup, 3, &req).await;
    assert_eq!(left.error_code, NONE);
    let codes: Vec<i16> = left.members.iter().map(|m| m.error_code).collect();
    assert_eq!(codes, vec![NONE, UNKNOWN_MEMBER_ID]);
    // LeaveGroup v0: the single member's result is the response's error.
    let v0: LeaveGroupResponse = leader
        .call(
            ApiKey::LeaveGroup,
            0,
            &LeaveGroupRequest::default()
                .with_group_id(gid("g"))
                .with_member_id(s("nobody")),
        )
        .await;
    assert_eq!(v0.error_code, UNKNOWN_MEMBER_ID);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parked_join_is_answered_when_the_broker_stops() {
    let mut b = TestBroker::start_with(FAST_GROUPS).await;
    let mut a = RawClient::connect(&b.bootstrap).await;
    let ja = join_new(&mut a, "g", "x", Bytes::from_static(b"m")).await;
    let a_id = ja.member_id.to_string();
    assert_eq!(
        sync(&mut a, "g", 1, &a_id, &[(a_id.as_str(), b"x")])
            .await
            .error_code,
        NONE
    );
    let bootstrap = b.bootstrap.clone();
    let parked = tokio::spawn(async move {
        let mut c = RawClient::connect(&bootstrap).await;
        join_new(&mut c, "g", "x", Bytes::from_static(b"m")).await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!parked.is_finished());
    let stopped = std::time::Instant::now();
    b.restart().await;
    let r = tokio::time::timeout(Duration::from_secs(5), parked)
        .await
        .expect("answered")
        .unwrap();
    assert_eq!(r.error_code, NOT_COORDINATOR);
    assert!(
        stopped.elapsed() < Duration::from_secs(5),
        "shutdown did not wait for the parked join"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_commit_and_fetch_across_versions() {
    let b = TestBroker::start_with(&[
        ("group.initial.rebalance.delay.ms", "0"),
        ("offsets.topic.num.partitions", "3"),
        ("offset.metadata.max.bytes", "8"),
    ])
    .await;
    create_topic(&b.bootstrap, "t", 3).await;
    let mut raw = RawClient::connect(&b.bootstrap).await;

    assert_eq!(
        commit(&mut raw, 8, "g1", "t", &[(0, 5, "m0"), (2, 9, "")]).await,
        vec![NONE, NONE]
    );
    assert_eq!(commit(&mut raw, 2, "g1", "t", &[(1, 3, "")]).await, vec![NONE]);
    assert_eq!(
        commit(
            &mut raw,
            8,
            "g1",
            "t",
            &[(0, 6, "way-too-long"), (3, 1, ""), (1, 4, "ok")]
        )
        .await,
        vec![OFFSET_METADATA_TOO_LARGE, UNKNOWN_TOPIC_OR_PARTITION, NONE]
    );
    assert_eq!(
        commit(&mut raw, 8, "g1", "nope", &[(0, 1, "")]).await,
        vec![UNKNOWN_TOPIC_OR_PARTITION]
    );

    // v7: listed partitions (unknown ones are -1), then all of them (null).
    let (err, listed) = fetch_v7(&mut raw, "g1", Some(("t", vec![0, 1, 2]))).await;
    assert_eq!(err, NONE);
    let offsets: Vec<(i32, i64, &str)> = listed
        .iter()
        .map(|(_, p, o, m, _)| (*p, *o, m.as_str()))
        .collect();
    assert_eq!(offsets, vec![(0, 5, "m0"), (1, 4, "ok"), (2, 9, "")]);
    let (_, all) = fetch_v7(&mut raw, "g1", None).await;
    assert_eq!(all.len(), 3);
    let (_, none) = fetch_v7(&mut raw, "unknown-group", Some(("t", vec![0]))).await;
    assert_eq!(none, vec![("t".to_string(), 0, -1, String::new(), NONE)]);

    // v1: per-partition results, no leader epoch.
    let v1: OffsetFetchResponse = raw
        .call(
            ApiKey::OffsetFetch,
            1,
            &OffsetFetchRequest::default()
                .with_group_id(gid("g1"))
                .with_topics(Some(vec![OffsetFetchRequestTopic::default()
                    .with_name(topic("t"))
                    .with_partition_indexes(vec![2])])),
        )
        .await;
    assert_eq!(v1.topics[0].partitions[0].committed_offset, 9);

    // v8: several groups at once; v9 also carries the leader epoch.
    let req = OffsetFetchRequest::default().with_groups(vec![
        OffsetFetchRequestGroup::default()
            .with_group_id(gid("g1"))
            .with_topics(Some(vec![OffsetFetchRequestTopics::default()
                .with_name(topic("t"))
                .with_partition_indexes(vec![0])])),
        OffsetFetchRequestGroup::default()
            .with_group_id(gid("unknown-group"))
            .with_topics(None),
    ]);
    let v9: OffsetFetchResponse = raw.call(ApiKey::OffsetFetch, 9, &req).await;
    assert_eq!(v9.groups.len(), 2);
    let p = &v9.groups[0].topics[0].partitions[0];
    assert_eq!((p.committed_offset, p.committed_leader_epoch), (5, 7));
    assert_eq!(v9.groups[1].group_id.0.as_str(), "unknown-group");
    assert!(v9.groups[1].topics.is_empty());
    assert_eq!(v9.groups[1].error_code, NONE);

    // A member of a generation the coordinator never saw.
    let req = OffsetCommitRequest::default()
        .with_group_id(gid("never-joined"))
        .with_generation_id_or_member_epoch(3)
        .with_member_id(s("m"))
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic("t"))
            .with_partitions(vec![OffsetCommitRequestPartition::default()
                .with_partition_index(0)
                .with_committed_offset(1)])]);
    let resp: OffsetCommitResponse = raw.call(ApiKey::OffsetCommit, 8, &req).await;
    assert_eq!(resp.topics[0].partitions[0].error_code, ILLEGAL_GENERATION);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_describe_delete_groups_and_offsets() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "t", 2).await;
    create_topic(&b.bootstrap, "other", 1).await;
    let mut raw = RawClient::connect(&b.bootstrap).await;

    // "active": a consumer group with one member subscribed to "t".
    let ja = join_new(&mut raw, "active", "consumer", subscription(&["t"])).await;
    let a_id = ja.member_id.to_string();
    assert_eq!(
        sync(&mut raw, "active", 1, &a_id, &[(a_id.as_str(), b"")])
            .await
            .error_code,
        NONE
    );
    // "connect": a non-consumer protocol type, also active.
    let mut rc = RawClient::connect(&b.bootstrap).await;
    let jc = join_new(&mut rc, "connect", "connect", Bytes::from_static(b"c")).await;
    let c_id = jc.member_id.to_string();
    assert_eq!(
        sync(&mut rc, "connect", 1, &c_id, &[(c_id.as_str(), b"")])
            .await
            .error_code,
        NONE
    );
    // "simple": offsets only; "active" commits too.
    assert_eq!(
        commit(&mut raw, 8, "simple", "t", &[(0, 1, ""), (1, 2, "")]).await,
        vec![NONE, NONE]
    );
    assert_eq!(
        commit(&mut raw, 8, "simple", "other", &[(0, 3, "")]).await,
        vec![NONE]
    );
    let req = OffsetCommitRequest::default()
        .with_group_id(gid("active"))
        .with_generation_id_or_member_epoch(1)
        .with_member_id(s(&a_id))
        .with_topics(vec![
            OffsetCommitRequestTopic::default()
                .with_name(topic("t"))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(4)]),
            OffsetCommitRequestTopic::default()
                .with_name(topic("other"))
                .with_partitions(vec![OffsetCommitRequestPartition::default()
                    .with_partition_index(0)
                    .with_committed_offset(5)]),
        ]);
    let resp: OffsetCommitResponse = raw.call(ApiKey::OffsetCommit, 8, &req).await;
    assert!(resp.topics.iter().all(|t| t.partitions[0].error_code == NONE));

    // ListGroups: all (v0), by state (v4), by type (v5).
    let all = list(&mut raw, 0, &[], &[]).await;
    let names: Vec<&str> = all.iter().map(|(g, _, _)| g.as_str()).collect();
    assert_eq!(names, vec!["active", "connect", "simple"]);
    let stable = list(&mut raw, 4, &["stable"], &[]).await;
    assert_eq!(
        stable,
        vec![
            ("active".into(), "Stable".into(), "consumer".into()),
            ("connect".into(), "Stable".into(), "connect".into())
        ]
    );
    let empty = list(&mut raw, 4, &["Empty"], &[]).await;
    assert_eq!(empty, vec![("simple".into(), "Empty".into(), String::new())]);
    assert_eq!(list(&mut raw, 5, &[], &["classic"]).await.len(), 3);
    assert!(list(&mut raw, 5, &[], &["consumer"]).await.is_empty());

    // DescribeGroups: members of a Stable group; unknown groups are Dead
    // (v5) or GROUP_ID_NOT_FOUND (v6, KIP-1043).
    let d = describe(&mut raw, 5, &["active", "missing"]).await;
    let active = &d.groups[0];
    assert_eq!((active.error_code, active.group_state.as_str()), (NONE, "Stable"));
    assert_eq!(
        (active.protocol_type.as_str(), active.protocol_data.as_str()),
        ("consumer", "range")
    );
    assert_eq!(active.members.len(), 1);
    assert_eq!(active.members[0].member_id.as_str(), a_id);
    assert_eq!(active.members[0].client_id.as_str(), "raw-test");
    assert_eq!(active.members[0].client_host.as_str(), "/127.0.0.1");
    assert_eq!(active.members[0].member_metadata, subscription(&["t"]));
    assert_ne!(
        active.authorized_operations,
        i32::MIN,
        "requested operations are listed"
    );
    assert_eq!(
        (d.groups[1].error_code, d.groups[1].group_state.as_str()),
        (NONE, "Dead")
    );
    let d6 = describe(&mut raw, 6, &["missing"]).await;
    assert_eq!(d6.groups[0].error_code, GROUP_ID_NOT_FOUND);

    // OffsetDelete: refused for a topic the consumer group subscribes to,
    // allowed for one it does not; a non-consumer active group refuses.
    let (err, parts) = delete_offsets(&mut raw, "active", "t", &[0]).await;
    assert_eq!((err, parts), (NONE, vec![(0, GROUP_SUBSCRIBED_TO_TOPIC)]));
    let (err, parts) = delete_offsets(&mut raw, "active", "other", &[0]).await;
    assert_eq!((err, parts), (NONE, vec![(0, NONE)]));
    let (err, _) = delete_offsets(&mut raw, "connect", "t", &[0]).await;
    assert_eq!(err, NON_EMPTY_GROUP);
    let (err, _) = delete_offsets(&mut raw, "missing", "t", &[0]).await;
    assert_eq!(err, GROUP_ID_NOT_FOUND);
    let (err, parts) = delete_offsets(&mut raw, "simple", "t", &[1, 5]).await;
    assert_eq!(
        (err, parts),
        (NONE, vec![(1, NONE), (5, UNKNOWN_TOPIC_OR_PARTITION)])
    );
    let (_, left) = fetch_v7(&mut raw, "simple", None).await;
    let left: Vec<(String, i32, i64)> = left.into_iter().map(|(t, p, o, _, _)| (t, p, o)).collect();
    assert_eq!(left, vec![("other".to_string(), 0, 3), ("t".to_string(), 0, 1)]);

    // DeleteGroups: only empty groups; the offsets go with the group.
    let results = delete_groups(&mut raw, &["active", "simple", "missing"]).await;
    assert_eq!(
        results,
        vec![
            ("active".to_string(), NON_EMPTY_GROUP),
            ("simple".to_string(), NONE),
            ("missing".to_string(), GROUP_ID_NOT_FOUND)
        ]
    );
    let (_, gone) = fetch_v7(&mut raw, "simple", Some(("t", vec![0]))).await;
    assert_eq!(gone[0].2, -1);
    assert!(!list(&mut raw, 0, &[], &[])
        .await
        .iter()
        .any(|(g, _, _)| g == "simple"));

    // The member leaves: the group is Empty and can be deleted.
    let v1: LeaveGroupResponse = raw
        .call(
            ApiKey::LeaveGroup,
            1,
            &LeaveGroupRequest::default()
                .with_group_id(gid("active"))
                .with_member_id(s(&a_id)),
        )
        .await;
    assert_eq!(v1.error_code, NONE);
    assert_eq!(
        delete_groups(&mut raw, &["active"]).await,
        vec![("active".to_string(), NONE)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_topic_is_compacted_and_reloads_to_the_latest_commit() {
    let mut b = TestBroker::start_with(&[
        ("offsets.topic.num.partitions", "1"),
        ("offsets.topic.segment.bytes", "2048"),
        ("log.retention.check.interval.ms", "200"),
    ])
    .await;
    create_topic(&b.bootstrap, "t", 1).await;
    let mut raw = RawClient::connect(&b.bootstrap).await;
    for i in 0..300 {
        assert_eq!(commit(&mut raw, 8, "g", "t", &[(0, i, "")]).await, vec![NONE]);
    }
    let broker = b.running.as_ref().unwrap().broker.clone();
    let p = broker.replicas.get("__consumer_offsets", 0).unwrap();
    let written = p.size_bytes();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while p.size_bytes() * 4 > written {
        assert!(
            std::time::Instant::now() < deadline,
            "not compacted: {} of {written} bytes",
            p.size_bytes()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop(p);
    drop(broker);
    b.restart().await;
    let mut raw = RawClient::connect(&b.bootstrap).await;
    // Right after the start the partition may still be loading.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let got = loop {
        match fetch_v7(&mut raw, "g", Some(("t", vec![0]))).await {
            (NONE, got) => break got,
            (COORDINATOR_LOAD_IN_PROGRESS, _) if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            (err, _) => panic!("OffsetFetch failed with {err}"),
        }
    };
    assert_eq!(got[0].2, 299);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_auto_creation_of_the_offsets_topic_uses_the_group_settings() {
    let b = TestBroker::start_with(&[
        ("offsets.topic.num.partitions", "3"),
        ("group.initial.rebalance.delay.ms", "0"),
    ])
    .await;
    let mut raw = RawClient::connect(&b.bootstrap).await;
    let req = MetadataRequest::default()
        .with_topics(Some(vec![
            metadata_request::MetadataRequestTopic::default().with_name(Some(topic("__consumer_offsets")))
        ]))
        .with_allow_auto_topic_creation(true);
    let resp: MetadataResponse = raw.call(ApiKey::Metadata, 9, &req).await;
    let t = &resp.topics[0];
    assert_eq!(t.error_code, NONE);
    assert!(t.is_internal);
    assert_eq!(
        t.partitions.len(),
        3,
        "offsets.topic.num.partitions, not num.partitions"
    );
    let broker = b.running.as_ref().unwrap().broker.clone();
    let configs = broker
        .image()
        .topic_configs("__consumer_offsets")
        .cloned()
        .unwrap();
    assert_eq!(configs.get("cleanup.policy").map(String::as_str), Some("compact"));
    // The coordinator serves groups on the topic created that way.
    create_topic(&b.bootstrap, "t", 1).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match commit(&mut raw, 8, "g", "t", &[(0, 1, "")]).await[..] {
            [NONE] => break,
            [COORDINATOR_LOAD_IN_PROGRESS] if std::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(50)).await
            }
            ref other => panic!("commit failed: {other:?}"),
        }
    }
}
