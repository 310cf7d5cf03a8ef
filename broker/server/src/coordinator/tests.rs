//! Unit tests of the async coordinator layer: settings, parked requests,
//! shard phases, replaying a partition, and routing on a running broker.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use kavka_controller::TopicId;
use kavka_log::records::{control_record, encode_batch, BatchSpec, Record as LogRecord};
use kavka_log::{Log, LogConfig};

use super::load::replay;
use super::shard::{ParkKind, Parked, Phase, Shard, Step};
use super::*;
use crate::broker::{start, RunningBroker};
use crate::config::ConfigSource;
use crate::group::{
    offset_commit_record, CompletionKind, GroupConfig, GroupId, JoinRequest, MemberId, OffsetCommitValue,
    Protocol, SyncResponse, TopicPartition,
};
use crate::replica::{Partition, TopicPartition as ReplicaTp};

async fn broker_with(sets: &[(&str, &str)]) -> (tempfile::TempDir, RunningBroker) {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = BrokerConfig::default();
    let src = ConfigSource::CommandLine;
    cfg.set_value("listeners", "PLAINTEXT://127.0.0.1:0", src.clone())
        .unwrap();
    cfg.set_value("log.dirs", dir.path().to_str().unwrap(), src.clone())
        .unwrap();
    for (k, v) in sets {
        cfg.set_value(k, v, src.clone()).unwrap();
    }
    let running = start(cfg).await.unwrap();
    (dir, running)
}

#[test]
fn settings_map_to_the_coordinator_config() {
    let mut cfg = BrokerConfig::default();
    for (k, v) in [
        ("group.min.session.timeout.ms", "100"),
        ("group.max.session.timeout.ms", "200"),
        ("group.initial.rebalance.delay.ms", "0"),
        ("group.max.size", "7"),
        ("offsets.retention.minutes", "2"),
        ("offset.metadata.max.bytes", "9"),
    ] {
        cfg.set_value(k, v, ConfigSource::CommandLine).unwrap();
    }
    let g = group_config(&cfg.group);
    assert_eq!((g.min_session_timeout_ms, g.max_session_timeout_ms), (100, 200));
    assert_eq!(g.initial_rebalance_delay_ms, 0);
    assert_eq!(g.max_size, 7);
    assert_eq!(g.offsets_retention_ms, 120_000);
    assert_eq!(g.offset_metadata_max_bytes, 9);
    // Kafka's defaults.
    let d = group_config(&BrokerConfig::default().group);
    assert_eq!(d, GroupConfig::default());
    assert!(cfg
        .set_value("offsets.topic.num.partitions", "0", ConfigSource::CommandLine)
        .is_err());
}

#[test]
fn one_answer_reaches_every_request_parked_under_its_key() {
    let mut parked = Parked::default();
    let g = GroupId::new("g");
    let m = MemberId::new("m");
    let mut first = parked.park(&g, &m, ParkKind::Sync);
    let mut second = parked.park(&g, &m, ParkKind::Sync);
    let mut join = parked.park(&g, &m, ParkKind::Join);
    assert_eq!(parked.len(), 3);
    let answer = CompletionKind::Sync(Ok(SyncResponse {
        protocol_type: None,
        protocol_name: None,
        assignment: Bytes::from_static(b"a"),
    }));
    parked.answer(&g, &m, ParkKind::Sync, &answer);
    assert_eq!(first.try_recv().unwrap(), answer);
    assert_eq!(second.try_recv().unwrap(), answer);
    assert!(join.try_recv().is_err(), "the join is still parked");
    assert_eq!(parked.len(), 1);
    // An answer nobody waits for is dropped.
    parked.answer(&g, &MemberId::new("other"), ParkKind::Join, &answer);
    assert_eq!(parked.len(), 1);
}

#[tokio::test]
async fn a_shard_answers_load_in_progress_then_serves_then_not_coordinator() {
    let (_dir, running) = broker_with(&[]).await;
    let broker = running.broker.clone();
    let shard = Shard::new(0, TopicId::random());
    async fn op(shard: &Shard, b: &Broker) -> Result<crate::group::GroupState, GroupError> {
        shard
            .run(
                b,
                |c, _, _, _| Step::now(c.describe(&GroupId::new("g")).state),
                |_, v, _| v,
            )
            .await
    }
    assert_eq!(shard.phase(), Phase::Loading);
    assert_eq!(
        op(&shard, &broker).await,
        Err(GroupError::CoordinatorLoadInProgress)
    );
    assert!(
        shard
            .activate(crate::group::GroupCoordinator::new(GroupConfig::default()))
            .await
    );
    assert_eq!(op(&shard, &broker).await, Ok(crate::group::GroupState::Dead));
    shard.unload().await;
    assert_eq!(op(&shard, &broker).await, Err(GroupError::NotCoordinator));
    assert!(
        !shard
            .activate(crate::group::GroupCoordinator::new(GroupConfig::default()))
            .await
    );
    running.shutdown().await;
}

fn commit_value(offset: i64) -> OffsetCommitValue {
    OffsetCommitValue {
        offset,
        leader_epoch: -1,
        metadata: String::new(),
        commit_timestamp: 1,
        expire_timestamp: None,
    }
}

#[tokio::test]
async fn replay_keeps_the_latest_commit_and_skips_what_it_cannot_use() {
    let dir = tempfile::tempdir().unwrap();
    let topic_id = TopicId::random();
    let log = Log::open(
        &dir.path().join("__consumer_offsets-0"),
        Some(&topic_id.to_kafka_string()),
        LogConfig::default(),
        0,
    )
    .unwrap();
    let p = Partition::new(
        ReplicaTp {
            topic: OFFSETS_TOPIC.to_string(),
            partition: 0,
        },
        topic_id,
        log,
        0,
    );
    let tp = TopicPartition::new("t", 0);
    let g = GroupId::new("g");
    let rec = |r: crate::group::Record| LogRecord::new(1, Some(r.key.to_vec()), r.value.map(|v| v.to_vec()));
    let batches = [
        encode_batch(
            &BatchSpec::new(0),
            &[
                rec(offset_commit_record(&g, &tp, &commit_value(5))),
                // A key no version of Kafka's formats decodes.
                LogRecord::new(1, Some(vec![0xff]), Some(vec![1])),
            ],
        ),
        encode_batch(
            &BatchSpec {
                control: true,
                transactional: true,
                producer_id: 7,
                producer_epoch: 0,
                ..BatchSpec::new(0)
            },
            &[control_record(true, 0, 1)],
        ),
        encode_batch(
            &BatchSpec::new(0),
            &[rec(offset_commit_record(&g, &tp, &commit_value(9)))],
        ),
    ];
    for b in batches {
        p.append(&Bytes::from(b), 1).await.unwrap();
    }
    let (coordinator, stats, skipped) = replay(&p, GroupConfig::default(), 10).unwrap();
    assert_eq!(stats.offset_commits, 2);
    assert_eq!(skipped.bad_records, 1);
    assert_eq!(skipped.control_batches, 1);
    let fetched = coordinator.fetch_offsets(&g, Some(std::slice::from_ref(&tp)));
    assert_eq!(fetched[0].1.as_ref().map(|o| o.offset), Some(9));
    p.close();
}

fn join_request(member: &MemberId) -> JoinRequest {
    JoinRequest {
        member_id: member.clone(),
        group_instance_id: None,
        client_id: "c".into(),
        client_host: "/127.0.0.1".into(),
        session_timeout_ms: 10_000,
        rebalance_timeout_ms: 10_000,
        protocol_type: "consumer".into(),
        protocols: vec![Protocol::new("range", Bytes::new())],
        require_known_member_id: false,
        supports_skip_assignment: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_route_to_their_partition_and_parked_joins_end_on_shutdown() {
    let (_dir, running) = broker_with(&[
        ("offsets.topic.num.partitions", "4"),
        ("group.initial.rebalance.delay.ms", "0"),
    ])
    .await;
    let broker: Arc<Broker> = running.broker.clone();
    let groups = &broker.groups;
    // No topic yet: routing creates it and the shards load.
    let g = GroupId::new("routed");
    let first = groups
        .join(&broker, &g, join_request(&MemberId::UNKNOWN))
        .await
        .unwrap();
    assert_eq!(first.generation.0, 1);
    let partition = crate::group::group_partition("routed", 4);
    let shard = groups.shards.read().get(&partition).cloned().unwrap();
    assert_eq!(shard.phase(), Phase::Active);
    assert_eq!(groups.shards.read().len(), 4, "this broker leads every partition");

    // A second member's join is parked: the first member has not rejoined.
    let b2 = broker.clone();
    let g2 = g.clone();
    let parked =
        tokio::spawn(async move { b2.groups.join(&b2, &g2, join_request(&MemberId::UNKNOWN)).await });
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while shard.parked_count().await == 0 {
        assert!(std::time::Instant::now() < deadline, "the join was never parked");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    groups.shutdown().await;
    let answer = tokio::time::timeout(Duration::from_secs(5), parked)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(answer.unwrap_err().error, GroupError::NotCoordinator);
    // Closed: nothing is served any more.
    let err = groups.describe(&broker, &g).await.unwrap_err();
    assert_eq!(err, GroupError::NotCoordinator);
    running.shutdown().await;
}

async fn committed_offset(shard: &Shard, g: &GroupId, tp: &TopicPartition) -> Option<i64> {
    shard
        .read(|c| {
            c.fetch_offsets(g, Some(std::slice::from_ref(tp)))[0]
                .1
                .as_ref()
                .map(|o| o.offset)
        })
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_runs_only_when_asked_and_writes_tombstones() {
    let (_dir, running) = broker_with(&[("offsets.topic.num.partitions", "1")]).await;
    let broker = running.broker.clone();
    assert!(ensure_offsets_topic(&broker).await.unwrap());
    let topic_id = broker.image().topic_by_name(OFFSETS_TOPIC).unwrap().id;
    // A shard of its own on partition 0, whose offsets expire after 1 ms.
    let shard = Shard::new(0, topic_id);
    let config = GroupConfig {
        offsets_retention_ms: 1,
        ..GroupConfig::default()
    };
    assert!(shard.activate(crate::group::GroupCoordinator::new(config)).await);
    let g = GroupId::new("expiring");
    let tp = TopicPartition::new("t", 0);
    let req = crate::group::OffsetCommitRequest {
        member_id: MemberId::UNKNOWN,
        group_instance_id: None,
        generation: crate::group::Generation::UNKNOWN,
        retention_ms: None,
        partitions: vec![crate::group::OffsetCommitEntry {
            partition: tp.clone(),
            offset: 42,
            leader_epoch: None,
            metadata: None,
        }],
    };
    let results = shard
        .run(
            &broker,
            |c, _, now, fx| {
                let out = c.commit_offsets(&g, &req, now, fx);
                let (records, pending) = out.write.unwrap();
                Step {
                    value: pending,
                    records,
                }
            },
            |c, pending, append| c.finish_commit(pending, append),
        )
        .await
        .unwrap();
    assert!(results.iter().all(|r| r.result.is_ok()));
    let p = broker.replicas.get(OFFSETS_TOPIC, 0).unwrap();
    let end = || p.offsets().unwrap().2;
    let committed_end = end();
    tokio::time::sleep(Duration::from_millis(10)).await;
    shard.tick(&broker, false).await;
    assert_eq!(
        committed_offset(&shard, &g, &tp).await,
        Some(42),
        "timers alone do not expire offsets"
    );
    assert_eq!(end(), committed_end);

    shard.tick(&broker, true).await;
    assert_eq!(committed_offset(&shard, &g, &tp).await, None);
    // The offset's tombstone, then the now empty group's.
    assert_eq!(end(), committed_end + 2);
    let (reloaded, stats, _) = replay(&p, GroupConfig::default(), 0).unwrap();
    assert_eq!(
        (
            stats.offset_commits,
            stats.offset_tombstones,
            stats.group_tombstones
        ),
        (1, 1, 1)
    );
    assert!(reloaded.group(&g).is_none());
    drop(p);
    running.shutdown().await;
}
