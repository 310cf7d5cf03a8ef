//! The broker's admin APIs against Kafka's semantics, through rdkafka's
//! AdminClient where it has the call and the raw protocol client where the
//! version-specific fields (messages, sources, topic ids, docs) matter:
//! CreateTopics, DeleteTopics, CreatePartitions, DescribeConfigs,
//! AlterConfigs, IncrementalAlterConfigs, DeleteRecords and retention,
//! ListOffsets, OffsetForLeaderEpoch, DescribeCluster, DescribeLogDirs,
//! Metadata (topic ids, auto-creation) and ApiVersions.
//!
//! This file holds the topic lifecycle (CreateTopics, DeleteTopics,
//! CreatePartitions); the other groups are its submodules, kept apart for
//! size: configs (common/admin_configs.rs), DeleteRecords and retention
//! (common/admin_log.rs), the read-side APIs (common/admin_reads.rs), and the
//! request helpers they share (common/admin.rs).

mod common;
#[path = "common/admin_configs.rs"]
mod configs;
#[path = "common/admin.rs"]
mod helpers;
#[path = "common/admin_log.rs"]
mod log;
#[path = "common/admin_reads.rs"]
mod reads;

use std::time::Duration;

use common::raw::RawClient;
use common::TestBroker;
use helpers::*;
use kafka_protocol::messages::*;
use rdkafka::admin::{
    AdminClient, AdminOptions, ConfigSource, NewPartitions, NewTopic, ResourceSpecifier, TopicReplication,
};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::BaseConsumer;
use rdkafka::error::RDKafkaErrorCode;
use uuid::Uuid;

// Kafka error codes asserted below.
const OFFSET_OUT_OF_RANGE: i16 = 1;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const INVALID_TOPIC_EXCEPTION: i16 = 17;
const TOPIC_ALREADY_EXISTS: i16 = 36;
const INVALID_PARTITIONS: i16 = 37;
const INVALID_REPLICATION_FACTOR: i16 = 38;
const INVALID_REPLICA_ASSIGNMENT: i16 = 39;
const INVALID_CONFIG: i16 = 40;
const INVALID_REQUEST: i16 = 42;
const TOPIC_DELETION_DISABLED: i16 = 73;
const UNKNOWN_LEADER_EPOCH: i16 = 75;
const UNKNOWN_TOPIC_ID: i16 = 100;
const UNSUPPORTED_ENDPOINT_TYPE: i16 = 115;

fn admin(b: &TestBroker) -> AdminClient<DefaultClientContext> {
    b.client_config().create().unwrap()
}

fn opts() -> AdminOptions {
    AdminOptions::new().operation_timeout(Some(Duration::from_secs(5)))
}

fn consumer(b: &TestBroker) -> BaseConsumer {
    b.consumer_config().create().unwrap()
}

/// Topic names Metadata (v12, all topics) lists.
async fn listed_topics(c: &mut RawClient) -> Vec<String> {
    let m = metadata(c, 12, None, false).await;
    m.topics
        .iter()
        .filter_map(|t| t.name.as_ref().map(|n| n.to_string()))
        .collect()
}

fn msg(m: &Option<kafka_protocol::protocol::StrBytes>) -> String {
    m.as_ref().map(|s| s.to_string()).unwrap_or_default()
}

// ---- CreateTopics -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_defaults_come_from_broker_config() {
    let b = TestBroker::start_with(&[("num.partitions", "3")]).await;
    let a = admin(&b);
    let t = NewTopic::new("defaults", -1, TopicReplication::Fixed(-1));
    let r = a.create_topics(&[t], &opts()).await.unwrap();
    assert_eq!(r, vec![Ok("defaults".to_string())]);
    let mut c = connect(&b).await;
    let m = metadata(&mut c, 12, Some(&["defaults"]), false).await;
    assert_eq!(m.topics[0].error_code, 0);
    assert_eq!(m.topics[0].partitions.len(), 3);
    for p in &m.topics[0].partitions {
        assert_eq!(p.replica_nodes, vec![BrokerId(1)]);
        assert_eq!(p.leader_id, BrokerId(1));
    }
    // v5+ reports what the defaults resolved to.
    let r = create_topics(&mut c, 5, vec![new_topic("defaults-v5", -1, -1, &[])], false).await;
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[0].num_partitions, 3);
    assert_eq!(r.topics[0].replication_factor, 1);
    b.stop().await;

    // default.replication.factor is honoured too: 2 cannot be met by one broker.
    let b = TestBroker::start_with(&[("default.replication.factor", "2")]).await;
    let mut c = connect(&b).await;
    let r = create_topics(&mut c, 7, vec![new_topic("rf-default", 1, -1, &[])], false).await;
    assert_eq!(
        r.topics[0].error_code, INVALID_REPLICATION_FACTOR,
        "{:?}",
        r.topics[0]
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_explicit_partitions_and_configs() {
    let b = TestBroker::start().await;
    let a = admin(&b);
    let t = NewTopic::new("explicit", 4, TopicReplication::Fixed(1))
        .set("retention.ms", "12345")
        .set("cleanup.policy", "compact");
    let r = a.create_topics(&[t], &opts()).await.unwrap();
    assert_eq!(r, vec![Ok("explicit".to_string())]);
    let mut c = connect(&b).await;
    let m = metadata(&mut c, 12, Some(&["explicit"]), false).await;
    assert_eq!(m.topics[0].partitions.len(), 4);
    let idx: Vec<i32> = m.topics[0].partitions.iter().map(|p| p.partition_index).collect();
    assert_eq!(idx, vec![0, 1, 2, 3]);
    for p in 0..4 {
        assert!(b.dir.path().join(format!("explicit-{p}")).is_dir());
    }
    let d = a
        .describe_configs(&[ResourceSpecifier::Topic("explicit")], &opts())
        .await
        .unwrap();
    let res = d[0].as_ref().unwrap();
    let retention = res.get("retention.ms").unwrap();
    assert_eq!(retention.value.as_deref(), Some("12345"));
    assert_eq!(retention.source, ConfigSource::DynamicTopic);
    assert!(!retention.is_default);
    assert_eq!(
        res.get("cleanup.policy").unwrap().value.as_deref(),
        Some("compact")
    );
    let seg = res.get("segment.bytes").unwrap();
    assert_eq!(seg.source, ConfigSource::Default);
    assert_eq!(seg.value.as_deref(), Some("1073741824"));
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_validate_only_creates_nothing() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    for v in [5, 7] {
        let name = format!("validate-{v}");
        let r = create_topics(
            &mut c,
            v,
            vec![new_topic(&name, 2, 1, &[("retention.ms", "1000")])],
            true,
        )
        .await;
        let t = &r.topics[0];
        assert_eq!(t.error_code, 0, "{t:?}");
        assert_eq!(t.num_partitions, 2);
        assert_eq!(t.replication_factor, 1);
        let configs = t.configs.as_ref().expect("configs at v5+");
        let ret = configs
            .iter()
            .find(|e| e.name.as_str() == "retention.ms")
            .unwrap();
        assert_eq!(ret.value.as_deref(), Some("1000"));
        assert_eq!(ret.config_source, SRC_TOPIC);
        let seg = configs
            .iter()
            .find(|e| e.name.as_str() == "segment.bytes")
            .unwrap();
        assert_eq!(seg.config_source, SRC_DEFAULT);
        // Checks still run: an invalid request fails the same way.
        let r = create_topics(&mut c, v, vec![new_topic(&name, 0, 1, &[])], true).await;
        assert_eq!(r.topics[0].error_code, INVALID_PARTITIONS);
        let m = metadata(&mut c, 12, Some(&[&name]), false).await;
        assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
        assert!(!b.dir.path().join(format!("{name}-0")).exists());
    }
    // rdkafka's validate_only option.
    let a = admin(&b);
    let t = NewTopic::new("validate-rd", 1, TopicReplication::Fixed(1));
    let r = a.create_topics(&[t], &opts().validate_only(true)).await.unwrap();
    assert_eq!(r, vec![Ok("validate-rd".to_string())]);
    assert!(listed_topics(&mut c).await.is_empty());
    // ... and it can then be created for real.
    create_ok(&mut c, "validate-5", 2, &[]).await;
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_with_replica_assignments() {
    let b = TestBroker::start().await;
    let a = admin(&b);
    let assignment: &[&[i32]] = &[&[1], &[1], &[1]];
    let t = NewTopic::new("assigned", 3, TopicReplication::Variable(assignment));
    let r = a.create_topics(&[t], &opts()).await.unwrap();
    assert_eq!(r, vec![Ok("assigned".to_string())]);
    let mut c = connect(&b).await;
    let m = metadata(&mut c, 12, Some(&["assigned"]), false).await;
    assert_eq!(m.topics[0].partitions.len(), 3);

    let assign = |parts: &[(i32, i32)]| {
        parts
            .iter()
            .map(|(p, b)| {
                create_topics_request::CreatableReplicaAssignment::default()
                    .with_partition_index(*p)
                    .with_broker_ids(vec![BrokerId(*b)])
            })
            .collect::<Vec<_>>()
    };
    let raw = new_topic("assigned-raw", -1, -1, &[]).with_assignments(assign(&[(0, 1), (1, 1)]));
    let r = create_topics(&mut c, 7, vec![raw], false).await;
    assert_eq!(r.topics[0].error_code, 0, "{:?}", r.topics[0]);
    assert_eq!(r.topics[0].num_partitions, 2);
    assert_eq!(r.topics[0].replication_factor, 1);

    // A broker that does not exist, gaps in the partition indices, a broker
    // twice in one replica list.
    let mut twice = assign(&[(0, 1)]);
    twice[0].broker_ids.push(BrokerId(1));
    for (what, a) in [
        ("unknown broker", assign(&[(0, 2)])),
        ("gap", assign(&[(0, 1), (2, 1)])),
        ("not from 0", assign(&[(1, 1)])),
        ("broker twice", twice),
    ] {
        let bad = new_topic("assigned-bad", -1, -1, &[]).with_assignments(a);
        let r = create_topics(&mut c, 7, vec![bad], false).await;
        assert_eq!(
            r.topics[0].error_code, INVALID_REPLICA_ASSIGNMENT,
            "{what}: {:?}",
            r.topics[0]
        );
        assert!(!msg(&r.topics[0].error_message).is_empty());
    }
    // Assignments exclude explicit counts.
    let both = new_topic("assigned-bad", 2, -1, &[]).with_assignments(assign(&[(0, 1), (1, 1)]));
    let r = create_topics(&mut c, 7, vec![both], false).await;
    assert_eq!(r.topics[0].error_code, INVALID_REQUEST, "{:?}", r.topics[0]);
    let t = NewTopic::new("assigned-bad-rd", 1, TopicReplication::Variable(&[&[7]]));
    let r = a.create_topics(&[t], &opts()).await.unwrap();
    assert_eq!(
        r,
        vec![Err((
            "assigned-bad-rd".to_string(),
            RDKafkaErrorCode::InvalidReplicaAssignment
        ))]
    );
    let names = listed_topics(&mut c).await;
    assert!(!names.iter().any(|n| n.starts_with("assigned-bad")), "{names:?}");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_errors() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "exists", 1, &[]).await;
    create_ok(&mut c, "my.topic", 1, &[]).await;

    let one = |name: &str, p: i32, rf: i16, cfg: &[(&str, &str)]| vec![new_topic(name, p, rf, cfg)];
    let long = "x".repeat(250);
    let cases: Vec<(&str, Vec<create_topics_request::CreatableTopic>, i16, Vec<&str>)> = vec![
        (
            "exists",
            one("exists", 1, 1, &[]),
            TOPIC_ALREADY_EXISTS,
            vec!["exists"],
        ),
        ("empty name", one("", 1, 1, &[]), INVALID_TOPIC_EXCEPTION, vec![]),
        ("dot", one(".", 1, 1, &[]), INVALID_TOPIC_EXCEPTION, vec![]),
        ("dotdot", one("..", 1, 1, &[]), INVALID_TOPIC_EXCEPTION, vec![]),
        (
            "space",
            one("bad name", 1, 1, &[]),
            INVALID_TOPIC_EXCEPTION,
            vec![],
        ),
        ("slash", one("a/b", 1, 1, &[]), INVALID_TOPIC_EXCEPTION, vec![]),
        ("too long", one(&long, 1, 1, &[]), INVALID_TOPIC_EXCEPTION, vec![]),
        (
            "collision",
            one("my_topic", 1, 1, &[]),
            INVALID_TOPIC_EXCEPTION,
            vec!["my.topic"],
        ),
        (
            "rf 3",
            one("rf3", 1, 3, &[]),
            INVALID_REPLICATION_FACTOR,
            vec!["3", "1"],
        ),
        ("rf 0", one("rf0", 1, 0, &[]), INVALID_REPLICATION_FACTOR, vec![]),
        (
            "partitions 0",
            one("p0", 0, 1, &[]),
            INVALID_PARTITIONS,
            vec!["0"],
        ),
        (
            "partitions -2",
            one("pm2", -2, 1, &[]),
            INVALID_PARTITIONS,
            vec![],
        ),
        (
            "unknown config",
            one("cfg1", 1, 1, &[("no.such.config", "1")]),
            INVALID_CONFIG,
            vec!["no.such.config"],
        ),
        (
            "bad value",
            one("cfg2", 1, 1, &[("retention.ms", "soon")]),
            INVALID_CONFIG,
            vec!["retention.ms", "soon"],
        ),
        (
            "bad enum",
            one("cfg3", 1, 1, &[("cleanup.policy", "shred")]),
            INVALID_CONFIG,
            vec!["cleanup.policy"],
        ),
    ];
    for v in [2, 4, 7] {
        for (what, topics, code, words) in &cases {
            let r = create_topics(&mut c, v, topics.clone(), false).await;
            let t = &r.topics[0];
            assert_eq!(t.error_code, *code, "v{v} {what}: {t:?}");
            let m = msg(&t.error_message);
            assert!(!m.is_empty(), "v{v} {what}: an error message");
            for w in words {
                assert!(m.contains(w), "v{v} {what}: {m:?} should mention {w:?}");
            }
            if v >= 7 {
                assert_eq!(t.topic_id, Uuid::nil(), "{what}: no id for a failed topic");
                assert_eq!(t.num_partitions, -1);
                assert_eq!(t.replication_factor, -1);
            }
        }
    }
    let m = create_topics(&mut c, 7, one("rf3", 1, 3, &[]), false).await;
    let text = msg(&m.topics[0].error_message);
    assert!(
        text.contains("replication factor of 3") && text.contains("only 1 broker"),
        "{text}"
    );

    // The same name twice in one request: both refused, the others created.
    let r = create_topics(
        &mut c,
        7,
        vec![
            new_topic("dup", 1, 1, &[]),
            new_topic("dup", 2, 1, &[]),
            new_topic("not-dup", 1, 1, &[]),
        ],
        false,
    )
    .await;
    let dup: Vec<_> = r.topics.iter().filter(|t| t.name.as_str() == "dup").collect();
    assert!(!dup.is_empty());
    assert!(dup.iter().all(|t| t.error_code == INVALID_REQUEST), "{dup:?}");
    let other = r.topics.iter().find(|t| t.name.as_str() == "not-dup").unwrap();
    assert_eq!(other.error_code, 0);

    let mut names = listed_topics(&mut c).await;
    names.sort();
    assert_eq!(names, vec!["exists", "my.topic", "not-dup"]);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_topics_returns_topic_id_at_v7() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let t = create_ok(&mut c, "with-id", 2, &[]).await;
    assert_ne!(t.topic_id, Uuid::nil());
    assert_eq!(topic_id(&mut c, "with-id").await, t.topic_id);
    let other = create_ok(&mut c, "with-id-2", 1, &[]).await;
    assert_ne!(other.topic_id, t.topic_id);
    // Before v7 the field does not exist.
    let r = create_topics(&mut c, 6, vec![new_topic("no-id", 1, 1, &[])], false).await;
    assert_eq!(r.topics[0].error_code, 0);
    assert_eq!(r.topics[0].topic_id, Uuid::nil());
    assert_ne!(topic_id(&mut c, "no-id").await, Uuid::nil());
    b.stop().await;
}

// ---- DeleteTopics -----------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topics_by_name() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let a = admin(&b);
    create_ok(&mut c, "doomed", 2, &[]).await;
    produce(&b, "doomed", 0, 3, 10, None).await;
    assert!(b.dir.path().join("doomed-0").is_dir());
    let r = a.delete_topics(&["doomed"], &opts()).await.unwrap();
    assert_eq!(r, vec![Ok("doomed".to_string())]);
    assert!(!b.dir.path().join("doomed-0").exists());
    assert!(!b.dir.path().join("doomed-1").exists());
    assert!(!listed_topics(&mut c).await.contains(&"doomed".to_string()));
    let m = metadata(&mut c, 12, Some(&["doomed"]), false).await;
    assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION);
    let r = a.delete_topics(&["doomed"], &opts()).await.unwrap();
    assert_eq!(
        r,
        vec![Err((
            "doomed".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );

    // Every by-name version; messages from v5.
    for v in 1..=5 {
        let name = format!("gone-v{v}");
        create_ok(&mut c, &name, 1, &[]).await;
        let req = DeleteTopicsRequest::default()
            .with_topic_names(vec![topic(&name), topic("never-was")])
            .with_timeout_ms(5000);
        let r: DeleteTopicsResponse = c.call(ApiKey::DeleteTopics, v, &req).await;
        assert_eq!(r.responses.len(), 2);
        let ok = r.responses.iter().find(|t| t.name == Some(topic(&name))).unwrap();
        assert_eq!(ok.error_code, 0, "v{v}");
        let bad = r
            .responses
            .iter()
            .find(|t| t.name == Some(topic("never-was")))
            .unwrap();
        assert_eq!(bad.error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
        assert_eq!(bad.error_message.is_some(), v >= 5, "v{v}: {bad:?}");
        assert!(!b.dir.path().join(format!("{name}-0")).exists());
    }
    assert!(listed_topics(&mut c).await.is_empty());
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topics_disabled() {
    let b = TestBroker::start_with(&[("delete.topic.enable", "false")]).await;
    let mut c = connect(&b).await;
    let id = create_ok(&mut c, "kept", 1, &[]).await.topic_id;
    let r = admin(&b).delete_topics(&["kept"], &opts()).await.unwrap();
    assert_eq!(
        r,
        vec![Err(("kept".to_string(), RDKafkaErrorCode::TopicDeletionDisabled))]
    );
    let req =
        DeleteTopicsRequest::default().with_topics(vec![delete_topics_request::DeleteTopicState::default()
            .with_name(None)
            .with_topic_id(id)]);
    let r: DeleteTopicsResponse = c.call(ApiKey::DeleteTopics, 6, &req).await;
    assert_eq!(r.responses[0].error_code, TOPIC_DELETION_DISABLED);
    assert_eq!(listed_topics(&mut c).await, vec!["kept"]);
    assert!(b.dir.path().join("kept-0").is_dir());
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_topics_by_id_and_recreate() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let first = create_ok(&mut c, "phoenix", 1, &[]).await.topic_id;
    produce(&b, "phoenix", 0, 5, 10, None).await;
    let del = |id: Uuid| {
        DeleteTopicsRequest::default()
            .with_topics(vec![delete_topics_request::DeleteTopicState::default()
                .with_name(None)
                .with_topic_id(id)])
            .with_timeout_ms(5000)
    };
    let r: DeleteTopicsResponse = c.call(ApiKey::DeleteTopics, 6, &del(first)).await;
    let t = &r.responses[0];
    assert_eq!(t.error_code, 0, "{t:?}");
    assert_eq!(t.name, Some(topic("phoenix")));
    assert_eq!(t.topic_id, first);
    assert!(!b.dir.path().join("phoenix-0").exists());
    assert!(listed_topics(&mut c).await.is_empty());
    let m = metadata_by_ids(&mut c, 12, &[first]).await;
    assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC_ID);

    // The id is gone for good.
    let r: DeleteTopicsResponse = c.call(ApiKey::DeleteTopics, 6, &del(first)).await;
    assert_eq!(r.responses[0].error_code, UNKNOWN_TOPIC_ID);
    assert_eq!(r.responses[0].name, None);
    assert_eq!(r.responses[0].topic_id, first);
    assert!(!msg(&r.responses[0].error_message).is_empty());

    // Same name again: a new id and an empty log.
    let second = create_ok(&mut c, "phoenix", 1, &[]).await.topic_id;
    assert_ne!(second, first);
    assert_eq!(topic_id(&mut c, "phoenix").await, second);
    for ts in [EARLIEST, LATEST] {
        let o = list_offset(&mut c, 7, "phoenix", 0, ts).await;
        assert_eq!((o.error_code, o.offset), (0, 0), "ts {ts}");
    }
    let f = fetch(&mut c, "phoenix", 0, 0, 0).await;
    assert_eq!(f.error_code, 0);
    assert_eq!(f.high_watermark, 0);
    assert!(f.records.unwrap_or_default().is_empty());
    let offsets = produce(&b, "phoenix", 0, 1, 10, None).await;
    assert_eq!(offsets, vec![0]);

    // v6 by name works as well.
    let req = DeleteTopicsRequest::default().with_topics(vec![
        delete_topics_request::DeleteTopicState::default().with_name(Some(topic("phoenix"))),
    ]);
    let r: DeleteTopicsResponse = c.call(ApiKey::DeleteTopics, 6, &req).await;
    assert_eq!(r.responses[0].error_code, 0);
    assert_eq!(r.responses[0].topic_id, second);
    b.stop().await;
}

// ---- CreatePartitions -------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_partitions_grow_and_refuse_shrink() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let a = admin(&b);
    create_ok(&mut c, "growing", 1, &[]).await;
    let count = |n: i32| {
        CreatePartitionsRequest::default()
            .with_timeout_ms(5000)
            .with_topics(vec![create_partitions_request::CreatePartitionsTopic::default()
                .with_name(topic("growing"))
                .with_count(n)
                .with_assignments(None)])
    };

    // validate_only: accepted, nothing changes.
    let r = a
        .create_partitions(&[NewPartitions::new("growing", 3)], &opts().validate_only(true))
        .await
        .unwrap();
    assert_eq!(r, vec![Ok("growing".to_string())]);
    let m = metadata(&mut c, 12, Some(&["growing"]), false).await;
    assert_eq!(m.topics[0].partitions.len(), 1);
    assert!(!b.dir.path().join("growing-1").exists());

    let r = a
        .create_partitions(&[NewPartitions::new("growing", 3)], &opts())
        .await
        .unwrap();
    assert_eq!(r, vec![Ok("growing".to_string())]);
    let m = metadata(&mut c, 12, Some(&["growing"]), false).await;
    assert_eq!(m.topics[0].partitions.len(), 3);
    for p in 1..3 {
        let offsets = produce(&b, "growing", p, 2, 10, None).await;
        assert_eq!(offsets, vec![0, 1], "partition {p}");
        let f = fetch(&mut c, "growing", p, 0, 0).await;
        assert_eq!((f.error_code, f.high_watermark), (0, 2));
        assert!(!f.records.unwrap_or_default().is_empty());
    }

    for v in 0..=3 {
        let r: CreatePartitionsResponse = c.call(ApiKey::CreatePartitions, v, &count(2)).await;
        assert_eq!(r.results[0].error_code, INVALID_PARTITIONS, "v{v} shrink");
        let text = msg(&r.results[0].error_message);
        assert!(text.contains('3') && text.contains('2'), "{text}");
        let r: CreatePartitionsResponse = c.call(ApiKey::CreatePartitions, v, &count(3)).await;
        assert_eq!(r.results[0].error_code, INVALID_PARTITIONS, "v{v} same count");
    }
    // Explicit assignments: one replica list per new partition, on known brokers.
    let assigned = |n: i32, lists: &[&[i32]]| {
        count(n).with_topics(vec![create_partitions_request::CreatePartitionsTopic::default()
            .with_name(topic("growing"))
            .with_count(n)
            .with_assignments(Some(
                lists
                    .iter()
                    .map(|l| {
                        create_partitions_request::CreatePartitionsAssignment::default()
                            .with_broker_ids(l.iter().map(|b| BrokerId(*b)).collect())
                    })
                    .collect(),
            ))])
    };
    for (what, req) in [
        ("unknown broker", assigned(4, &[&[2]])),
        ("too few lists", assigned(5, &[&[1]])),
        ("wrong replication factor", assigned(4, &[&[1, 1]])),
    ] {
        let r: CreatePartitionsResponse = c.call(ApiKey::CreatePartitions, 3, &req).await;
        assert_eq!(
            r.results[0].error_code, INVALID_REPLICA_ASSIGNMENT,
            "{what}: {:?}",
            r.results[0]
        );
    }
    let r: CreatePartitionsResponse = c.call(ApiKey::CreatePartitions, 3, &assigned(4, &[&[1]])).await;
    assert_eq!(r.results[0].error_code, 0, "{:?}", r.results[0]);
    assert_eq!(r.results[0].error_message, None);
    assert!(b.dir.path().join("growing-3").is_dir());
    let r = a
        .create_partitions(&[NewPartitions::new("no-such-topic", 2)], &opts())
        .await
        .unwrap();
    assert_eq!(
        r,
        vec![Err((
            "no-such-topic".to_string(),
            RDKafkaErrorCode::UnknownTopicOrPartition
        ))]
    );
    let m = metadata(&mut c, 12, Some(&["growing"]), false).await;
    assert_eq!(m.topics[0].partitions.len(), 4);
    b.stop().await;
}
