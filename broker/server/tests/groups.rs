//! Consumer groups with real clients (librdkafka through the `rdkafka`
//! crate): assignment and rebalancing, the assignors, session timeouts,
//! static membership, and committed offsets across consumer restarts,
//! broker restarts and a broker crash.

mod common;
mod group_support;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use common::TestBroker;
use group_support::{
    consumer_config, covers, create_topic, describe_group, free_port, produce, spawn_broker,
    spawn_member_process, wait_until, Member, FAST_GROUPS,
};

const WAIT: Duration = Duration::from_secs(15);

/// Not a test: the group member that `spawn_member_process` runs in a child
/// process (does nothing unless the environment asks for it).
#[test]
fn member_process() {
    group_support::run_member_process_if_asked();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_consumers_split_six_partitions_and_a_closed_ones_move() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "six", 6).await;
    let cfg = consumer_config(&b.bootstrap, "g-three", &[]);
    let m1 = Member::start(cfg.clone(), "six", 0);
    let m2 = Member::start(cfg.clone(), "six", 0);
    let m3 = Member::start(cfg, "six", 0);
    wait_until(WAIT, "three members with two partitions each", || {
        covers(&[&m1, &m2, &m3], 6, 2)
    })
    .await;
    let generation = m1.generation();
    assert!(generation >= 1, "joined generation {generation}");

    m3.close();
    wait_until(WAIT, "two members cover all six partitions", || {
        covers(&[&m1, &m2], 6, 3)
    })
    .await;
    assert!(m1.generation() > generation, "a leave starts a new generation");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frozen_member_loses_its_partitions_after_the_session_timeout() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "six", 6).await;
    let cfg = consumer_config(&b.bootstrap, "g-frozen", &[]);
    let m1 = Member::start(cfg.clone(), "six", 0);
    let m2 = Member::start(cfg, "six", 0);
    // The third member lives in another process, so that SIGSTOP freezes
    // its heartbeat thread too (librdkafka heartbeats in the background,
    // and closing a consumer sends LeaveGroup).
    let session_ms = 2500;
    let frozen = spawn_member_process(&b.bootstrap, "g-frozen", "six", session_ms);
    wait_until(WAIT, "three members with two partitions each", || {
        let (a1, a2) = (m1.assignment(), m2.assignment());
        a1.len() == 2 && a2.len() == 2 && a1.is_disjoint(&a2)
    })
    .await;

    frozen.signal(libc::SIGSTOP);
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        m1.assignment().len() + m2.assignment().len(),
        4,
        "partitions moved before the session timeout"
    );
    wait_until(WAIT, "the frozen member's partitions move", || {
        covers(&[&m1, &m2], 6, 3)
    })
    .await;
    let took = stopped.elapsed();
    assert!(
        took >= Duration::from_millis(u64::from(session_ms) - 500),
        "moved after {took:?}, before the {session_ms} ms session timeout"
    );
    frozen.kill();
}

/// Two members, then a third: the final assignment covers everything; eager
/// assignors revoke everything on a rebalance, cooperative-sticky only
/// what moves (and keeps the rest where it was).
async fn assignor_case(strategy: &str) {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "six", 6).await;
    let group = format!("g-{strategy}");
    let cfg = consumer_config(
        &b.bootstrap,
        &group,
        &[("partition.assignment.strategy", strategy)],
    );
    let m1 = Member::start(cfg.clone(), "six", 0);
    let m2 = Member::start(cfg.clone(), "six", 0);
    wait_until(WAIT, "two members with three partitions each", || {
        covers(&[&m1, &m2], 6, 3)
    })
    .await;
    let before = (m1.assignment(), m2.assignment());
    let revokes = (m1.full_revokes(), m2.full_revokes());

    let m3 = Member::start(cfg, "six", 0);
    wait_until(WAIT, "three members with two partitions each", || {
        covers(&[&m1, &m2, &m3], 6, 2)
    })
    .await;
    let description = describe_group(&b.bootstrap, &group).await;
    assert_eq!(description.group_state.as_str(), "Stable");
    assert_eq!(description.protocol_data.as_str(), strategy);
    assert_eq!(description.members.len(), 3);

    if strategy == "cooperative-sticky" {
        assert_eq!(
            (m1.full_revokes(), m2.full_revokes()),
            revokes,
            "cooperative rebalances never revoke everything"
        );
        assert!(
            m1.assignment().is_subset(&before.0),
            "sticky: m1 only gave partitions away"
        );
        assert!(
            m2.assignment().is_subset(&before.1),
            "sticky: m2 only gave partitions away"
        );
    } else {
        assert!(
            m1.full_revokes() > revokes.0 && m2.full_revokes() > revokes.1,
            "eager rebalances revoke everything"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn range_assignor() {
    assignor_case("range").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roundrobin_assignor() {
    assignor_case("roundrobin").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cooperative_sticky_assignor() {
    assignor_case("cooperative-sticky").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_static_member_restarting_within_its_session_keeps_its_partitions() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    create_topic(&b.bootstrap, "six", 6).await;
    let dynamic = Member::start(consumer_config(&b.bootstrap, "g-static", &[]), "six", 0);
    let static_cfg = consumer_config(&b.bootstrap, "g-static", &[("group.instance.id", "instance-1")]);
    let s1 = Member::start(static_cfg.clone(), "six", 0);
    wait_until(WAIT, "two members with three partitions each", || {
        covers(&[&dynamic, &s1], 6, 3)
    })
    .await;
    let kept = s1.assignment();
    let generation = dynamic.generation();
    let rebalances = dynamic.rebalances();
    let member_of = |d: &kafka_protocol::messages::describe_groups_response::DescribedGroup| {
        d.members
            .iter()
            .find(|m| m.group_instance_id.as_ref().map(|s| s.to_string()).as_deref() == Some("instance-1"))
            .map(|m| m.member_id.to_string())
    };
    let old_id = member_of(&describe_group(&b.bootstrap, "g-static").await).expect("static member listed");

    // A static member does not leave the group when it closes (KIP-345).
    s1.close();
    let s2 = Member::start(static_cfg, "six", 0);
    wait_until(
        WAIT,
        "the restarted static member gets its partitions back",
        || s2.assignment() == kept,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(1000)).await;

    assert_eq!(
        s2.generation(),
        generation,
        "the static member rejoined the same generation"
    );
    assert_eq!(dynamic.generation(), generation, "no new generation");
    assert_eq!(
        dynamic.rebalances(),
        rebalances,
        "the other member saw no rebalance"
    );
    let d = describe_group(&b.bootstrap, "g-static").await;
    assert_eq!(d.group_state.as_str(), "Stable");
    let new_id = member_of(&d).expect("static member listed");
    assert_ne!(new_id, old_id, "the restarted instance has a new member id");
}

/// The position each partition should resume from after the first
/// `committed` records were committed one by one.
fn expected_resume(records: &[(i32, i64, String)], committed: usize) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for (p, o, _) in &records[..committed] {
        out.insert(*p, o + 1);
    }
    out
}

/// The first offset received per partition.
fn first_offsets(records: &[(i32, i64, String)]) -> BTreeMap<i32, i64> {
    let mut out = BTreeMap::new();
    for (p, o, _) in records {
        out.entry(*p).or_insert(*o);
    }
    out
}

const PER_PARTITION: usize = 10;
const COMMITTED: usize = 13;

/// Produces to three partitions, consumes everything while committing the
/// first `COMMITTED` records one by one; returns where each partition
/// must resume.
async fn consume_and_commit(bootstrap: &str, group: &str) -> BTreeMap<i32, i64> {
    create_topic(bootstrap, "resume", 3).await;
    for p in 0..3 {
        produce(bootstrap, "resume", p, PER_PARTITION, &format!("p{p}"));
    }
    let m = Member::start(consumer_config(bootstrap, group, &[]), "resume", COMMITTED);
    wait_until(WAIT, "all records consumed", || {
        m.records().len() == 3 * PER_PARTITION
    })
    .await;
    let records = m.records();
    m.close();
    expected_resume(&records, COMMITTED)
}

/// A new consumer of the group starts exactly at the committed positions
/// (and at the beginning where nothing was committed).
async fn check_resumes(bootstrap: &str, group: &str, expected: &BTreeMap<i32, i64>) {
    let m = Member::start(consumer_config(bootstrap, group, &[]), "resume", 0);
    let want: usize = (0..3)
        .map(|p| PER_PARTITION - usize::try_from(*expected.get(&p).unwrap_or(&0)).unwrap())
        .sum();
    wait_until(WAIT, "the rest of the records consumed", || {
        m.records().len() >= want
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let records = m.records();
    assert_eq!(records.len(), want, "no record is read twice");
    let firsts = first_offsets(&records);
    for p in 0..3 {
        let resume = *expected.get(&p).unwrap_or(&0);
        if resume < PER_PARTITION as i64 {
            assert_eq!(
                firsts.get(&p),
                Some(&resume),
                "partition {p} resumes at its committed offset"
            );
        } else {
            assert!(!firsts.contains_key(&p));
        }
    }
    let distinct: BTreeSet<_> = records.iter().map(|(p, o, _)| (*p, *o)).collect();
    assert_eq!(distinct.len(), records.len());
    assert!(
        m.state.errors.lock().unwrap().is_empty(),
        "{:?}",
        m.state.errors.lock().unwrap()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumption_resumes_after_the_last_committed_offset() {
    let b = TestBroker::start_with(FAST_GROUPS).await;
    let expected = consume_and_commit(&b.bootstrap, "g-resume").await;
    assert_eq!(expected.values().map(|o| *o as usize).sum::<usize>(), COMMITTED);
    check_resumes(&b.bootstrap, "g-resume", &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_survive_a_broker_restart() {
    let mut b = TestBroker::start_with(FAST_GROUPS).await;
    let expected = consume_and_commit(&b.bootstrap, "g-restart").await;
    b.restart().await;
    check_resumes(&b.bootstrap, "g-restart", &expected).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_survive_a_broker_crash() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bootstrap = format!("127.0.0.1:{port}");
    let broker = spawn_broker(dir.path(), port, FAST_GROUPS);
    let expected = consume_and_commit(&bootstrap, "g-crash").await;
    broker.kill();
    let _broker = spawn_broker(dir.path(), port, FAST_GROUPS);
    check_resumes(&bootstrap, "g-crash", &expected).await;
}
