//! `kavka group` against real Kafka-protocol servers.
//!
//! - librdkafka's mock cluster implements OffsetFetch, OffsetCommit, ListOffsets
//!   and Metadata but none of ListGroups/DescribeGroups/DeleteGroups/OffsetDelete:
//!   it exercises the offset calls of `group_ffi` and the error paths of the
//!   commands.
//! - An in-process Kavka broker, once its ApiVersions lists the group APIs, runs
//!   every subcommand end to end next to a real rdkafka group consumer.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use kafka_protocol::messages::ApiKey;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::mocking::MockCluster;
use rdkafka::producer::{BaseProducer, BaseRecord, DefaultProducerContext, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::args::ClientArgs;
use super::client;
use super::group::{execute, GroupCommand, Printed, ResetArgs, ResetScenario};
use super::group_args::TopicSpec;
use super::group_ffi::{self as gffi, OffsetQuery};
use super::group_model::TopicPartition;
use super::group_reset::{plan_reset, LogOffsets, ResetSpec};

fn tp(t: &str, p: i32) -> TopicPartition {
    TopicPartition::new(t, p)
}

fn args_for(bootstrap: String) -> ClientArgs {
    ClientArgs {
        bootstrap_server: bootstrap,
        command_config: None,
        properties: vec![("broker.address.family".into(), "v4".into())],
        request_timeout_ms: 10_000,
    }
}

/// Produces `count` records to `partition`, record `i` with timestamp `ts0 + i s`.
fn produce(bootstrap: &str, topic: &str, partition: i32, count: i64, ts0: i64) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("linger.ms", "1")
        .create()
        .unwrap();
    for i in 0..count {
        let payload = format!("r{i}");
        producer
            .send(
                BaseRecord::<(), _>::to(topic)
                    .partition(partition)
                    .payload(&payload)
                    .timestamp(ts0 + i * 1000),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(20)).unwrap();
}

async fn run(args: &ClientArgs, cmd: GroupCommand) -> (Result<(), String>, Printed) {
    let mut p = Printed::default();
    let r = execute(cmd, args, &mut p).await.map_err(|e| e.to_string());
    (r, p)
}

// ---------------------------------------------------------------- mock cluster

fn mock(topics: &[(&str, i32)]) -> MockCluster<'static, DefaultProducerContext> {
    let m = MockCluster::new(3).unwrap();
    for (name, partitions) in topics {
        m.create_topic(name, *partitions, 1).unwrap();
    }
    m
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offsets_round_trip_through_the_mock() {
    let m = mock(&[("t", 2)]);
    let bootstrap = m.bootstrap_servers();
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || {
        produce(&b, "t", 0, 10, 1_000);
        produce(&b, "t", 1, 12, 1_000);
    })
    .await
    .unwrap();
    let args = args_for(bootstrap.clone());
    let admin = client::admin(&args).unwrap();
    let timeout = args.request_timeout();
    let parts = vec![tp("t", 0), tp("t", 1)];

    let a = Arc::clone(&admin);
    let ps = parts.clone();
    let config = args.client_config(&[]).unwrap();
    let result = client::blocking(move || {
        let before = gffi::committed_offsets(&config, "g", Some(&ps), timeout)?;
        let outcome = gffi::alter_offsets(a.inner(), "g", &[(tp("t", 0), 3), (tp("t", 1), 7)], timeout)?;
        let after = gffi::committed_offsets(&config, "g", Some(&ps), timeout)?;
        let earliest = gffi::list_offsets(a.inner(), &ps, OffsetQuery::Earliest, timeout)?;
        let latest = gffi::list_offsets(a.inner(), &ps, OffsetQuery::Latest, timeout)?;
        let at_time = gffi::list_offsets(a.inner(), &ps, OffsetQuery::Timestamp(5_000), timeout)?;
        let missing = gffi::list_offsets(a.inner(), &[tp("t", 0), tp("t", 9)], OffsetQuery::Latest, timeout);
        Ok((before, outcome, after, earliest, latest, at_time, missing))
    })
    .await;
    let (before, outcome, after, earliest, latest, at_time, missing) = result.unwrap();
    assert!(before.is_empty(), "{before:?}");
    assert!(outcome.iter().all(|(_, e)| e.is_none()), "{outcome:?}");
    let expected: BTreeMap<_, _> = [(tp("t", 0), 3), (tp("t", 1), 7)].into_iter().collect();
    assert_eq!(after, expected);
    assert_eq!(earliest.get(&tp("t", 0)), Some(&Ok(0)));
    assert_eq!(latest.get(&tp("t", 0)), Some(&Ok(10)));
    assert_eq!(latest.get(&tp("t", 1)), Some(&Ok(12)));
    // The mock does not index timestamps: "no such record" (-1), the fallback path.
    assert_eq!(at_time.get(&tp("t", 1)), Some(&Ok(-1)));
    eprintln!("MIXED {missing:?}");

    // An independent reader of the commits: a plain consumer of the same group.
    let b = bootstrap.clone();
    let seen = tokio::task::spawn_blocking(move || {
        let c: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &b)
            .set("group.id", "g")
            .create()
            .unwrap();
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition("t", 0);
        tpl.add_partition("t", 1);
        let got = c.committed_offsets(tpl, Duration::from_secs(10)).unwrap();
        (0..2)
            .map(|p| got.find_partition("t", p).unwrap().offset())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(seen, vec![Offset::Offset(3), Offset::Offset(7)]);

    // The plan for --shift-by -5 from these inputs, with clamping at the log start.
    let ok = |m: std::collections::HashMap<TopicPartition, Result<i64, _>>| {
        m.into_iter()
            .filter_map(|(k, v)| v.ok().map(|v| (k, v)))
            .collect()
    };
    let logs = LogOffsets {
        earliest: ok(earliest),
        latest: ok(latest),
        at_time: ok(at_time),
    };
    let plan = plan_reset(ResetSpec::ShiftBy(-5), &parts, &after, &logs).unwrap();
    assert_eq!(plan.offsets, vec![(tp("t", 0), 0), (tp("t", 1), 2)]);
    assert_eq!(plan.warnings.len(), 1, "{:?}", plan.warnings);
    let plan = plan_reset(ResetSpec::ToDatetime(5_000), &parts, &after, &logs).unwrap();
    assert_eq!(plan.offsets, vec![(tp("t", 0), 10), (tp("t", 1), 12)]);
}

/// librdkafka's ListConsumerGroupOffsets crashes a handle without a consumer group
/// on NOT_COORDINATOR-like answers (see `group_ffi::committed_offsets`); the mock
/// gives exactly those answers on request, and the call must ride them out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coordinator_errors_are_retried_not_fatal() {
    use rdkafka::types::{RDKafkaApiKey, RDKafkaRespErr};
    let m = mock(&[("t", 1)]);
    let args = args_for(m.bootstrap_servers());
    let admin = client::admin(&args).unwrap();
    let a = Arc::clone(&admin);
    client::blocking(move || {
        gffi::alter_offsets(a.inner(), "g", &[(tp("t", 0), 5)], Duration::from_secs(10))
    })
    .await
    .unwrap();
    m.request_errors(
        RDKafkaApiKey::OffsetFetch,
        &[
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR,
            RDKafkaRespErr::RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS,
        ],
    );
    let config = args.client_config(&[]).unwrap();
    let got = client::blocking(move || {
        gffi::committed_offsets(&config, "g", Some(&[tp("t", 0)]), Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert_eq!(got.get(&tp("t", 0)), Some(&5));

    // A non-retriable error ends the call with its name.
    m.request_errors(
        RDKafkaApiKey::OffsetFetch,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED],
    );
    let config = args.client_config(&[]).unwrap();
    let err = client::blocking(move || {
        gffi::committed_offsets(&config, "g", Some(&[tp("t", 0)]), Duration::from_secs(10))
    })
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("GROUP_AUTHORIZATION_FAILED"), "{err}");

    // Commits retry the same way.
    m.request_errors(
        RDKafkaApiKey::OffsetCommit,
        &[RDKafkaRespErr::RD_KAFKA_RESP_ERR_NOT_COORDINATOR],
    );
    let a = Arc::clone(&admin);
    let outcome = client::blocking(move || {
        gffi::alter_offsets(a.inner(), "g", &[(tp("t", 0), 6)], Duration::from_secs(10))
    })
    .await
    .unwrap();
    assert!(outcome.iter().all(|(_, e)| e.is_none()), "{outcome:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_apis_missing_on_the_broker_fail_with_a_reason() {
    let m = mock(&[("t", 1)]);
    let mut args = args_for(m.bootstrap_servers());
    args.request_timeout_ms = 3_000;

    let (r, p) = run(&args, GroupCommand::List { state: None }).await;
    let err = r.unwrap_err();
    assert!(err.contains("incomplete"), "{err}");
    assert!(p.err.contains("ListGroups failed on a broker: _"), "{}", p.err);

    let describe = GroupCommand::Describe {
        groups: vec!["g".into()],
        all_groups: false,
        offsets: false,
        members: false,
        state: false,
        verbose: false,
    };
    let (r, _) = run(&args, describe).await;
    let err = r.unwrap_err();
    assert!(
        err.contains("ListGroups/DescribeGroups failed for group 'g'"),
        "{err}"
    );

    // reset-offsets must not commit anything when it cannot check the group's state.
    let reset = GroupCommand::ResetOffsets(ResetArgs {
        groups: vec!["g".into()],
        topics: vec![TopicSpec::All("t".into())],
        all_topics: false,
        scenario: ResetScenario {
            to_earliest: true,
            to_latest: false,
            to_offset: None,
            to_datetime: None,
            shift_by: None,
        },
        execute: true,
        dry_run: false,
    });
    let (r, p) = run(&args, reset).await;
    assert!(r.is_err(), "{}", p.out);
    assert!(!p.out.contains("NEW-OFFSET"), "{}", p.out);
    let config = args.client_config(&[]).unwrap();
    let none = client::blocking(move || {
        gffi::committed_offsets(&config, "g", Some(&[tp("t", 0)]), Duration::from_secs(5))
    })
    .await
    .unwrap();
    assert!(none.is_empty());
}

// ------------------------------------------------------------ kavka broker

/// The group APIs the subcommands and the test consumer need.
const GROUP_APIS: [ApiKey; 11] = [
    ApiKey::FindCoordinator,
    ApiKey::JoinGroup,
    ApiKey::SyncGroup,
    ApiKey::Heartbeat,
    ApiKey::LeaveGroup,
    ApiKey::OffsetCommit,
    ApiKey::OffsetFetch,
    ApiKey::ListGroups,
    ApiKey::DescribeGroups,
    ApiKey::DeleteGroups,
    ApiKey::OffsetDelete,
];

fn kavka_lacks_group_apis() -> Option<Vec<ApiKey>> {
    let missing: Vec<ApiKey> = GROUP_APIS
        .into_iter()
        .filter(|k| crate::api::versions::range(*k).is_none())
        .collect();
    (!missing.is_empty()).then_some(missing)
}

async fn start_kavka(dir: &std::path::Path) -> crate::broker::RunningBroker {
    use crate::config::{BrokerConfig, ConfigSource};
    let mut cfg = BrokerConfig::default();
    for (k, v) in [
        ("listeners", "PLAINTEXT://127.0.0.1:0"),
        ("log.dirs", dir.to_str().unwrap()),
        ("group.initial.rebalance.delay.ms", "0"),
        ("offsets.topic.num.partitions", "3"),
    ] {
        cfg.set_value(k, v, ConfigSource::CommandLine).unwrap();
    }
    crate::broker::start(cfg).await.unwrap()
}

/// A group member that consumes everything, commits `commits`, then keeps polling
/// (so it stays in the group) until stopped; dropping it leaves the group.
struct Member {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Member {
    fn start(bootstrap: &str, group: &str, topic: &str, expect: usize, commits: Vec<(i32, i64)>) -> Member {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", bootstrap)
            .set("broker.address.family", "v4")
            .set("group.id", group)
            .set("client.id", "client-a")
            .set("enable.auto.commit", "false")
            .set("auto.offset.reset", "earliest")
            .set("session.timeout.ms", "10000")
            .create()
            .unwrap();
        consumer.subscribe(&[topic]).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let topic = topic.to_string();
        let thread = std::thread::spawn(move || {
            let mut seen = 0;
            let deadline = Instant::now() + Duration::from_secs(30);
            while seen < expect && Instant::now() < deadline {
                if let Some(Ok(_)) = consumer.poll(Duration::from_millis(100)) {
                    seen += 1;
                }
            }
            assert_eq!(seen, expect, "the member did not receive every record");
            let mut tpl = TopicPartitionList::new();
            for (p, o) in &commits {
                tpl.add_partition_offset(&topic, *p, Offset::Offset(*o)).unwrap();
            }
            consumer.commit(&tpl, CommitMode::Sync).unwrap();
            while !flag.load(Ordering::Relaxed) {
                consumer.poll(Duration::from_millis(100));
            }
        });
        Member {
            stop,
            thread: Some(thread),
        }
    }

    fn stop(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn describe_cmd(group: &str, members: bool, state: bool, verbose: bool) -> GroupCommand {
    GroupCommand::Describe {
        groups: vec![group.into()],
        all_groups: false,
        offsets: false,
        members,
        state,
        verbose,
    }
}

fn reset_cmd(topics: Vec<TopicSpec>, scenario: ResetScenario, execute: bool) -> GroupCommand {
    GroupCommand::ResetOffsets(ResetArgs {
        groups: vec!["g1".into()],
        all_topics: topics.is_empty(),
        topics,
        scenario,
        execute,
        dry_run: false,
    })
}

fn scenario() -> ResetScenario {
    ResetScenario {
        to_earliest: false,
        to_latest: false,
        to_offset: None,
        to_datetime: None,
        shift_by: None,
    }
}

/// Data rows of a table: whitespace-split columns of the lines after the header.
fn rows(out: &str) -> Vec<Vec<String>> {
    out.lines()
        .skip_while(|l| !l.starts_with("GROUP") && !l.starts_with("TOPIC"))
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.split_whitespace().map(String::from).collect())
        .collect()
}

async fn committed_now(args: &ClientArgs, group: &str) -> BTreeMap<TopicPartition, i64> {
    let config = args.client_config(&[]).unwrap();
    let g = group.to_string();
    client::blocking(move || gffi::committed_offsets(&config, &g, None, Duration::from_secs(10)))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_subcommand_against_kavka() {
    if let Some(missing) = kavka_lacks_group_apis() {
        eprintln!("SKIPPED every_subcommand_against_kavka: the broker does not implement {missing:?} yet");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let broker = start_kavka(dir.path()).await;
    let bootstrap = broker.addr().to_string();
    let args = args_for(bootstrap.clone());
    let admin = client::admin(&args).unwrap();
    let topic = rdkafka::admin::NewTopic::new("orders", 3, rdkafka::admin::TopicReplication::Fixed(1))
        .set("retention.ms", "-1");
    let created = admin
        .create_topics([&topic], &client::admin_options(&args))
        .await
        .unwrap();
    assert!(created.iter().all(Result::is_ok), "{created:?}");
    // 10 records per partition, timestamps 2024-01-01T00:00:00Z + i seconds.
    let ts0 = 1_704_067_200_000;
    let b = bootstrap.clone();
    tokio::task::spawn_blocking(move || (0..3).for_each(|p| produce(&b, "orders", p, 10, ts0)))
        .await
        .unwrap();

    let member = Member::start(&bootstrap, "g1", "orders", 30, vec![(0, 4), (1, 6), (2, 10)]);
    // Wait for the commit: the group is then Stable with the member holding all three.
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed_now(&args, "g1").await.len() < 3 {
        assert!(Instant::now() < deadline, "the member never committed");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    let (r, p) = run(&args, GroupCommand::List { state: None }).await;
    r.unwrap();
    assert!(p.out.lines().any(|l| l == "g1"), "{}", p.out);
    let (r, p) = run(&args, GroupCommand::List { state: Some(vec![]) }).await;
    r.unwrap();
    assert!(
        p.out
            .lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["g1", "Stable"]),
        "{}",
        p.out
    );
    let (r, p) = run(
        &args,
        GroupCommand::List {
            state: Some(vec![crate::cli::group_model::GroupState::Empty]),
        },
    )
    .await;
    r.unwrap();
    assert!(!p.out.contains("g1"), "{}", p.out);

    // The offsets view: CURRENT-OFFSET, LOG-END-OFFSET, LAG and the member's columns.
    let (r, p) = run(&args, describe_cmd("g1", false, false, false)).await;
    r.unwrap();
    let table = rows(&p.out);
    assert_eq!(table.len(), 3, "{}", p.out);
    for (row, (part, current, lag)) in table
        .iter()
        .zip([("0", "4", "6"), ("1", "6", "4"), ("2", "10", "0")])
    {
        assert_eq!(&row[..6], ["g1", "orders", part, current, "10", lag], "{}", p.out);
        assert!(row[6].starts_with("client-a"), "{}", p.out);
        assert_eq!(row[8], "client-a", "{}", p.out);
    }
    let (r, p) = run(&args, describe_cmd("g1", true, false, true)).await;
    r.unwrap();
    let table = rows(&p.out);
    assert_eq!(table.len(), 1, "{}", p.out);
    assert_eq!(table[0][4], "3", "{}", p.out);
    assert!(p.out.contains("orders:0,1,2"), "{}", p.out);
    let (r, p) = run(&args, describe_cmd("g1", false, true, false)).await;
    r.unwrap();
    assert!(
        p.out
            .contains(&format!("{bootstrap}  ({})", broker.broker.node_id())),
        "{}",
        p.out
    );
    let state_row = rows(&p.out).remove(0);
    assert_eq!(state_row[state_row.len() - 2..], ["Stable", "1"], "{}", p.out);

    // --all-groups, and a missing group next to an existing one: the existing one is
    // still described, the missing one is the error.
    let all = GroupCommand::Describe {
        groups: vec![],
        all_groups: true,
        offsets: false,
        members: false,
        state: true,
        verbose: false,
    };
    let (r, p) = run(&args, all).await;
    r.unwrap();
    assert!(p.out.contains("\ng1 "), "{}", p.out);
    let mut two = describe_cmd("g1", false, false, false);
    if let GroupCommand::Describe { groups, .. } = &mut two {
        groups.push("nope".into());
    }
    let (r, p) = run(&args, two).await;
    assert_eq!(r.unwrap_err(), "Consumer group 'nope' does not exist.");
    assert_eq!(rows(&p.out).len(), 3, "{}", p.out);

    // Resetting a live group is refused and changes nothing.
    let mut s = scenario();
    s.to_earliest = true;
    let (r, _) = run(
        &args,
        reset_cmd(vec![TopicSpec::All("orders".into())], s.clone(), true),
    )
    .await;
    assert_eq!(
        r.unwrap_err(),
        "Assignments can only be reset if the group 'g1' is inactive, but the current state is Stable."
    );

    member.stop();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, p) = run(&args, describe_cmd("g1", false, true, false)).await;
        if p.out.contains("Empty") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the group never became Empty: {}",
            p.out
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (r, p) = run(&args, describe_cmd("g1", false, false, false)).await;
    r.unwrap();
    assert!(
        p.err.contains("Consumer group 'g1' has no active members."),
        "{}",
        p.err
    );
    assert!(
        rows(&p.out).iter().all(|r| r[6..] == ["-", "-", "-"]),
        "{}",
        p.out
    );

    // Dry run: the plan is printed, nothing is committed.
    let (r, p) = run(&args, reset_cmd(vec![TopicSpec::All("orders".into())], s, false)).await;
    r.unwrap();
    assert!(p.err.contains("No action will be performed"), "{}", p.err);
    let plan: Vec<Vec<String>> = rows(&p.out);
    assert_eq!(
        plan,
        [
            ["g1", "orders", "0", "0"],
            ["g1", "orders", "1", "0"],
            ["g1", "orders", "2", "0"]
        ]
    );
    let before: BTreeMap<_, _> = [(tp("orders", 0), 4), (tp("orders", 1), 6), (tp("orders", 2), 10)]
        .into_iter()
        .collect();
    assert_eq!(committed_now(&args, "g1").await, before);

    // --to-datetime finds the first record at or after the time (record 5 of p1).
    let mut s = scenario();
    s.to_datetime = Some(ts0 + 4_500);
    let (r, p) = run(
        &args,
        reset_cmd(vec![TopicSpec::Partitions("orders".into(), vec![1])], s, true),
    )
    .await;
    r.unwrap();
    assert_eq!(rows(&p.out), [["g1", "orders", "1", "5"]]);
    // --shift-by over every committed partition, clamped at the log end.
    let mut s = scenario();
    s.shift_by = Some(3);
    let (r, p) = run(&args, reset_cmd(vec![], s, true)).await;
    r.unwrap();
    assert!(p.err.contains("higher than latest offset"), "{}", p.err);
    let after: BTreeMap<_, _> = [(tp("orders", 0), 7), (tp("orders", 1), 8), (tp("orders", 2), 10)]
        .into_iter()
        .collect();
    assert_eq!(committed_now(&args, "g1").await, after);
    // --to-offset on one partition.
    let mut s = scenario();
    s.to_offset = Some(2);
    let (r, _) = run(
        &args,
        reset_cmd(vec![TopicSpec::Partitions("orders".into(), vec![0])], s, true),
    )
    .await;
    r.unwrap();
    assert_eq!(committed_now(&args, "g1").await.get(&tp("orders", 0)), Some(&2));

    // Deleting one partition's offset, then the group.
    let (r, p) = run(
        &args,
        GroupCommand::Delete {
            groups: vec!["g1".into()],
            delete_offsets: true,
            topics: vec![TopicSpec::Partitions("orders".into(), vec![2])],
        },
    )
    .await;
    r.unwrap();
    assert!(
        p.out
            .contains("Request succeeded for deleting offsets from group g1."),
        "{}",
        p.out
    );
    assert_eq!(committed_now(&args, "g1").await.len(), 2);
    let delete = |g: &str| GroupCommand::Delete {
        groups: vec![g.into()],
        delete_offsets: false,
        topics: vec![],
    };
    let (r, p) = run(&args, delete("g1")).await;
    r.unwrap();
    assert_eq!(
        p.out,
        "Deletion of requested consumer groups ('g1') was successful.\n"
    );
    let (r, _) = run(&args, describe_cmd("g1", false, false, false)).await;
    assert_eq!(r.unwrap_err(), "Consumer group 'g1' does not exist.");
    let (r, p) = run(&args, delete("nope")).await;
    assert!(r.is_err());
    assert!(
        p.out
            .contains("* Group 'nope' could not be deleted due to: GROUP_ID_NOT_FOUND"),
        "{}",
        p.out
    );

    broker.shutdown().await;
}
