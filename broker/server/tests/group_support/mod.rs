//! Helpers for the consumer-group tests: broker settings that make group
//! timers fast, topic creation and production, and `Member`, an rdkafka
//! group consumer polling on its own thread that records its assignment,
//! its rebalances and what it received.
#![allow(dead_code)]

pub mod raw;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseProducer, BaseRecord, Producer};
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};

/// Broker settings for group tests: no initial rebalance delay, short
/// session timeouts allowed, few `__consumer_offsets` partitions.
pub const FAST_GROUPS: &[(&str, &str)] = &[
    ("group.initial.rebalance.delay.ms", "0"),
    ("group.min.session.timeout.ms", "500"),
    ("offsets.topic.num.partitions", "3"),
];

pub async fn create_topic(bootstrap: &str, name: &str, partitions: i32) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .create()
        .unwrap();
    let t = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    let res = admin.create_topics(&[t], &AdminOptions::new()).await.unwrap();
    assert!(res[0].is_ok(), "create {name}: {:?}", res[0]);
}

/// Produces `n` records `"<prefix>-<i>"` to one partition and waits for them.
pub fn produce(bootstrap: &str, topic: &str, partition: i32, n: usize, prefix: &str) {
    let producer: BaseProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("enable.idempotence", "false")
        .set("linger.ms", "1")
        .create()
        .unwrap();
    for i in 0..n {
        let payload = format!("{prefix}-{i}");
        producer
            .send(
                BaseRecord::<(), String>::to(topic)
                    .partition(partition)
                    .payload(&payload),
            )
            .unwrap();
    }
    producer.flush(Duration::from_secs(10)).unwrap();
}

/// Polls `cond` until it holds or `timeout` passes; panics with `what`.
pub async fn wait_until(timeout: Duration, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub fn consumer_config(bootstrap: &str, group: &str, extra: &[(&str, &str)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", bootstrap)
        .set("broker.address.family", "v4")
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("heartbeat.interval.ms", "300")
        .set("fetch.wait.max.ms", "100")
        .set("socket.timeout.ms", "10000");
    for (k, v) in extra {
        c.set(*k, *v);
    }
    c
}

/// What a member thread shares with the test.
#[derive(Default)]
pub struct MemberState {
    stop: AtomicBool,
    /// Commit synchronously after each record up to this many records.
    commit_up_to: AtomicUsize,
    pub assignment: Mutex<BTreeSet<i32>>,
    pub rebalances: AtomicUsize,
    /// Revokes that left the member with no partition (eager protocols
    /// revoke everything; cooperative ones only what moves).
    pub full_revokes: AtomicUsize,
    /// The generation librdkafka last reported (-1 before joining).
    pub generation: AtomicI32,
    /// (partition, offset, payload) in arrival order.
    pub records: Mutex<Vec<(i32, i64, String)>>,
    pub errors: Mutex<Vec<String>>,
}

struct Ctx(Arc<MemberState>);

impl ClientContext for Ctx {}

impl ConsumerContext for Ctx {
    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if matches!(rebalance, Rebalance::Assign(_) | Rebalance::Revoke(_)) {
            self.0.rebalances.fetch_add(1, Ordering::SeqCst);
        }
        if let Ok(tpl) = consumer.assignment() {
            let now: BTreeSet<i32> = tpl.elements().iter().map(|e| e.partition()).collect();
            if matches!(rebalance, Rebalance::Revoke(_)) && now.is_empty() {
                self.0.full_revokes.fetch_add(1, Ordering::SeqCst);
            }
            *self.0.assignment.lock().unwrap() = now;
        }
    }
}

/// A group consumer on its own thread.
pub struct Member {
    pub state: Arc<MemberState>,
    thread: Option<JoinHandle<()>>,
}

impl Member {
    /// Subscribes to `topic` with `config`; commits after each of the first
    /// `commit_up_to` records (0: never commits).
    pub fn start(config: ClientConfig, topic: &str, commit_up_to: usize) -> Member {
        let state = Arc::new(MemberState::default());
        state.commit_up_to.store(commit_up_to, Ordering::SeqCst);
        let s = state.clone();
        let topic = topic.to_string();
        let thread = std::thread::spawn(move || {
            let consumer: BaseConsumer<Ctx> = config.create_with_context(Ctx(s.clone())).unwrap();
            consumer.subscribe(&[&topic]).unwrap();
            while !s.stop.load(Ordering::SeqCst) {
                s.generation.store(generation(&consumer), Ordering::SeqCst);
                match consumer.poll(Duration::from_millis(100)) {
                    Some(Ok(m)) => {
                        let payload = String::from_utf8_lossy(m.payload().unwrap_or_default()).to_string();
                        let count = {
                            let mut r = s.records.lock().unwrap();
                            r.push((m.partition(), m.offset(), payload));
                            r.len()
                        };
                        if count <= s.commit_up_to.load(Ordering::SeqCst) {
                            let mut tpl = TopicPartitionList::new();
                            tpl.add_partition_offset(&topic, m.partition(), Offset::Offset(m.offset() + 1))
                                .unwrap();
                            if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
                                s.errors.lock().unwrap().push(format!("commit: {e}"));
                            }
                        }
                    }
                    Some(Err(KafkaError::PartitionEOF(_))) | None => {}
                    Some(Err(e)) => s.errors.lock().unwrap().push(e.to_string()),
                }
            }
            // Dropping the consumer closes it: a dynamic member sends
            // LeaveGroup, a static one does not (KIP-345).
            drop(consumer);
        });
        Member {
            state,
            thread: Some(thread),
        }
    }

    pub fn assignment(&self) -> BTreeSet<i32> {
        self.state.assignment.lock().unwrap().clone()
    }

    pub fn rebalances(&self) -> usize {
        self.state.rebalances.load(Ordering::SeqCst)
    }

    pub fn full_revokes(&self) -> usize {
        self.state.full_revokes.load(Ordering::SeqCst)
    }

    pub fn generation(&self) -> i32 {
        self.state.generation.load(Ordering::SeqCst)
    }

    pub fn records(&self) -> Vec<(i32, i64, String)> {
        self.state.records.lock().unwrap().clone()
    }

    /// Closes the consumer (in its thread) and waits for it.
    pub fn close(mut self) {
        self.stop_thread();
    }

    fn stop_thread(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        self.stop_thread();
    }
}

/// The group generation librdkafka currently holds (-1 if none).
pub fn generation<C: ConsumerContext>(consumer: &BaseConsumer<C>) -> i32 {
    use rdkafka::bindings as rd;
    // SAFETY: the pointer comes from a live consumer; the metadata copy is
    // destroyed right after reading it.
    unsafe {
        let md = rd::rd_kafka_consumer_group_metadata(consumer.client().native_ptr());
        if md.is_null() {
            return -1;
        }
        let generation = rd::rd_kafka_consumer_group_metadata_generation_id(md);
        rd::rd_kafka_consumer_group_metadata_destroy(md);
        generation
    }
}

/// True if the members' assignments are disjoint and cover `0..partitions`,
/// and every member has at least `min_each` partitions.
pub fn covers(members: &[&Member], partitions: i32, min_each: usize) -> bool {
    let mut seen = BTreeSet::new();
    for m in members {
        let a = m.assignment();
        if a.len() < min_each {
            return false;
        }
        for p in a {
            if !seen.insert(p) {
                return false;
            }
        }
    }
    seen == (0..partitions).collect()
}

// ---- processes: a broker binary that can be SIGKILLed, and a group member
// in a child process that can be frozen with SIGSTOP ----

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed (SIGKILL) when dropped, so a failing assertion
/// never leaves an orphan behind.
pub struct ChildProcess(pub std::process::Child);

impl ChildProcess {
    pub fn signal(&self, sig: i32) {
        let pid = i32::try_from(self.0.id()).unwrap();
        // SAFETY: plain kill(2) on our own child.
        let rc = unsafe { libc::kill(pid, sig) };
        assert_eq!(rc, 0, "kill({pid}, {sig}) failed");
    }

    /// SIGKILL and reap.
    pub fn kill(mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the `kavka` binary on `port` with its data in `dir`.
pub fn spawn_broker(dir: &std::path::Path, port: u16, sets: &[(&str, &str)]) -> ChildProcess {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_kavka"));
    cmd.arg("serve")
        .arg("--set")
        .arg(format!("listeners=PLAINTEXT://127.0.0.1:{port}"))
        .arg("--set")
        .arg(format!("log.dirs={}", dir.display()));
    for (k, v) in sets {
        cmd.arg("--set").arg(format!("{k}={v}"));
    }
    let child = cmd
        .env("KAVKA_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let child = ChildProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "broker did not start listening on {port}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

/// Environment variable that turns the `member_process` helper test of a
/// test binary into a group member (value: `bootstrap,group,topic,session_ms`).
pub const MEMBER_PROCESS_ENV: &str = "KAVKA_TEST_MEMBER_PROCESS";

/// Runs this test binary's `member_process` helper as a child process.
pub fn spawn_member_process(bootstrap: &str, group: &str, topic: &str, session_ms: u32) -> ChildProcess {
    let exe = std::env::current_exe().unwrap();
    let child = std::process::Command::new(exe)
        .args(["member_process", "--exact", "--nocapture", "--test-threads", "1"])
        .env(
            MEMBER_PROCESS_ENV,
            format!("{bootstrap},{group},{topic},{session_ms}"),
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    ChildProcess(child)
}

/// The body of the `member_process` helper: if the environment asks for
/// it, be a group member until killed.
pub fn run_member_process_if_asked() {
    let Ok(spec) = std::env::var(MEMBER_PROCESS_ENV) else {
        return;
    };
    let parts: Vec<&str> = spec.split(',').collect();
    let [bootstrap, group, topic, session] = parts[..] else {
        panic!("bad {MEMBER_PROCESS_ENV}: {spec}");
    };
    let consumer: BaseConsumer = consumer_config(bootstrap, group, &[("session.timeout.ms", session)])
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    loop {
        let _ = consumer.poll(Duration::from_millis(100));
    }
}

/// DescribeGroups (v5) of one group through the raw client.
pub async fn describe_group(
    bootstrap: &str,
    group: &str,
) -> kafka_protocol::messages::describe_groups_response::DescribedGroup {
    use kafka_protocol::messages::{ApiKey, DescribeGroupsRequest, DescribeGroupsResponse, GroupId};
    use kafka_protocol::protocol::StrBytes;
    let mut raw = crate::common::raw::RawClient::connect(bootstrap).await;
    let req =
        DescribeGroupsRequest::default().with_groups(vec![GroupId(StrBytes::from_string(group.to_string()))]);
    let resp: DescribeGroupsResponse = raw.call(ApiKey::DescribeGroups, 5, &req).await;
    resp.groups.into_iter().next().unwrap()
}
