//! Idempotent producers end to end: InitProducerId, librdkafka with
//! `enable.idempotence=true` through a proxy that loses produce acks,
//! duplicate detection across clean and SIGKILL restarts, sequence and epoch
//! errors, transactional requests refused, and producer-id expiry.

mod common;
#[path = "idempotence/proxy.rs"]
mod proxy;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::raw::RawClient;
use common::{TestBroker, TIMEOUT};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kavka_log::records::{control_record, encode_batch, BatchSpec, Record};
use proxy::CutProxy;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

const COORDINATOR_NOT_AVAILABLE: i16 = 15;
const INVALID_REQUEST: i16 = 42;
const OUT_OF_ORDER_SEQUENCE_NUMBER: i16 = 45;
const INVALID_PRODUCER_EPOCH: i16 = 47;
const INVALID_TXN_STATE: i16 = 48;
const TRANSACTIONAL_ID_AUTHORIZATION_FAILED: i16 = 53;
const INVALID_RECORD: i16 = 87;

// ---- raw protocol helpers ------------------------------------------------

fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

async fn create(c: &mut RawClient, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    let req =
        CreateTopicsRequest::default().with_topics(vec![create_topics_request::CreatableTopic::default()
            .with_name(TopicName(s(name)))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        create_topics_request::CreatableTopicConfig::default()
                            .with_name(s(k))
                            .with_value(Some(s(v)))
                    })
                    .collect(),
            )]);
    let resp: CreateTopicsResponse = c.call(ApiKey::CreateTopics, 7, &req).await;
    assert_eq!(resp.topics[0].error_code, 0, "{:?}", resp.topics[0].error_message);
}

async fn init_producer_id(
    c: &mut RawClient,
    v: i16,
    txn: Option<&str>,
    id: i64,
    epoch: i16,
) -> InitProducerIdResponse {
    let req = InitProducerIdRequest::default()
        .with_transactional_id(txn.map(|t| TransactionalId(s(t))))
        .with_transaction_timeout_ms(60_000)
        .with_producer_id(ProducerId(id))
        .with_producer_epoch(epoch);
    c.call(ApiKey::InitProducerId, v, &req).await
}

async fn new_producer(c: &mut RawClient) -> i64 {
    let r = init_producer_id(c, 4, None, -1, -1).await;
    assert_eq!(r.error_code, 0);
    assert_eq!(r.producer_epoch, 0);
    assert!(r.producer_id.0 >= 0);
    r.producer_id.0
}

/// An idempotent batch of `n` records with sequences `seq..seq + n`, values
/// `tag-<seq>`.
fn idem_batch(pid: i64, epoch: i16, seq: i32, n: i32, tag: &str) -> Vec<u8> {
    let mut spec = BatchSpec::new(0);
    spec.producer_id = pid;
    spec.producer_epoch = epoch;
    spec.base_sequence = seq;
    let ts = now_ms();
    let records: Vec<Record> = (seq..seq + n)
        .map(|q| Record::new(ts, None, Some(format!("{tag}-{q}").into_bytes())))
        .collect();
    encode_batch(&spec, &records)
}

async fn produce_with(
    c: &mut RawClient,
    topic: &str,
    records: Vec<u8>,
    txn: Option<&str>,
) -> produce_response::PartitionProduceResponse {
    let req = ProduceRequest::default()
        .with_acks(-1)
        .with_timeout_ms(5000)
        .with_transactional_id(txn.map(|t| TransactionalId(s(t))))
        .with_topic_data(vec![produce_request::TopicProduceData::default()
            .with_name(TopicName(s(topic)))
            .with_partition_data(vec![produce_request::PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(Bytes::from(records)))])]);
    let resp: ProduceResponse = c.call(ApiKey::Produce, 9, &req).await;
    resp.responses[0].partition_responses[0].clone()
}

async fn produce(
    c: &mut RawClient,
    topic: &str,
    records: Vec<u8>,
) -> produce_response::PartitionProduceResponse {
    produce_with(c, topic, records, None).await
}

/// Produces and expects success; returns the base offset.
async fn produce_ok(c: &mut RawClient, topic: &str, records: Vec<u8>) -> i64 {
    let r = produce(c, topic, records).await;
    assert_eq!(r.error_code, 0, "{:?}", r.error_message);
    r.base_offset
}

// ---- InitProducerId and produce errors -------------------------------------

#[tokio::test]
async fn init_producer_id_versions_and_refusals() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    let mut ids = Vec::new();
    for v in 0..=5 {
        let r = init_producer_id(&mut c, v, None, -1, -1).await;
        assert_eq!((r.error_code, r.producer_epoch), (0, 0), "v{v}");
        ids.push(r.producer_id.0);
    }
    // KIP-360 (v3+): an idempotent producer sending its id and epoch gets a
    // fresh id with epoch 0, as from Kafka.
    let r = init_producer_id(&mut c, 4, None, ids[0], 0).await;
    assert_eq!((r.error_code, r.producer_epoch), (0, 0));
    ids.push(r.producer_id.0);
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids are unique and increasing: {ids:?}"
    );

    let r = init_producer_id(&mut c, 4, None, 17, -1).await;
    assert_eq!(r.error_code, INVALID_REQUEST);
    assert_eq!(r.producer_id.0, -1);
    let r = init_producer_id(&mut c, 4, Some(""), -1, -1).await;
    assert_eq!(r.error_code, INVALID_REQUEST);
    let r = init_producer_id(&mut c, 4, Some("txn-1"), -1, -1).await;
    assert_eq!(r.error_code, COORDINATOR_NOT_AVAILABLE);
    assert_eq!((r.producer_id.0, r.producer_epoch), (-1, -1));
    b.stop().await;
}

#[tokio::test]
async fn sequence_and_epoch_errors() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "seq", 1, &[]).await;
    let pid = new_producer(&mut c).await;

    assert_eq!(produce_ok(&mut c, "seq", idem_batch(pid, 0, 0, 5, "a")).await, 0);
    // A gap: the next batch must start at 5.
    let r = produce(&mut c, "seq", idem_batch(pid, 0, 7, 2, "a")).await;
    assert_eq!(
        r.error_code, OUT_OF_ORDER_SEQUENCE_NUMBER,
        "{:?}",
        r.error_message
    );
    assert_eq!(r.base_offset, -1);
    // A retry of the first batch: success with its original offset, and
    // nothing written (the next batch lands right after the first).
    assert_eq!(produce_ok(&mut c, "seq", idem_batch(pid, 0, 0, 5, "a")).await, 0);
    assert_eq!(produce_ok(&mut c, "seq", idem_batch(pid, 0, 5, 3, "a")).await, 5);
    // A bumped epoch restarts the sequence at 0 ...
    assert_eq!(produce_ok(&mut c, "seq", idem_batch(pid, 1, 0, 2, "b")).await, 8);
    // ... and fences the old epoch.
    let r = produce(&mut c, "seq", idem_batch(pid, 0, 8, 1, "a")).await;
    assert_eq!(r.error_code, INVALID_PRODUCER_EPOCH, "{:?}", r.error_message);
    // A new epoch must start at sequence 0.
    let r = produce(&mut c, "seq", idem_batch(pid, 2, 3, 1, "c")).await;
    assert_eq!(r.error_code, OUT_OF_ORDER_SEQUENCE_NUMBER);
    // Nothing refused was written.
    assert_eq!(produce_ok(&mut c, "seq", idem_batch(pid, 1, 2, 1, "b")).await, 10);
    b.stop().await;
}

#[tokio::test]
async fn transactional_and_control_batches_are_refused() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "txn", 1, &[]).await;
    let pid = new_producer(&mut c).await;
    let mut spec = BatchSpec::new(0);
    spec.producer_id = pid;
    spec.producer_epoch = 0;
    spec.base_sequence = 0;
    spec.transactional = true;
    let txn_batch = encode_batch(&spec, &[Record::new(now_ms(), None, Some(b"t".to_vec()))]);

    let r = produce_with(&mut c, "txn", txn_batch.clone(), None).await;
    assert_eq!(r.error_code, TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    let r = produce_with(&mut c, "txn", txn_batch, Some("app-1")).await;
    assert_eq!(r.error_code, INVALID_TXN_STATE, "{:?}", r.error_message);

    spec.control = true;
    let marker = encode_batch(&spec, &[control_record(true, 0, now_ms())]);
    let r = produce_with(&mut c, "txn", marker, Some("app-1")).await;
    assert_eq!(r.error_code, INVALID_RECORD, "{:?}", r.error_message);

    // None of it reached the log, and the producer may start normally.
    assert_eq!(produce_ok(&mut c, "txn", idem_batch(pid, 0, 0, 1, "ok")).await, 0);
    b.stop().await;
}

// ---- restarts ----------------------------------------------------------------

#[tokio::test]
async fn producer_ids_stay_unique_across_restarts() {
    let mut b = TestBroker::start().await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let mut c = RawClient::connect(&b.bootstrap).await;
        for _ in 0..3 {
            seen.push(new_producer(&mut c).await);
        }
        b.restart().await;
    }
    for w in seen.windows(2) {
        assert!(w[0] < w[1], "ids repeat or go backwards: {seen:?}");
    }
    // Each start takes a fresh block: ids left in the old one are skipped.
    assert!(seen[3] >= 1000 && seen[6] >= 2000, "{seen:?}");
    b.stop().await;
}

#[tokio::test]
async fn duplicates_are_detected_after_a_clean_restart() {
    let mut b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "clean", 1, &[]).await;
    let pid = new_producer(&mut c).await;
    let first = idem_batch(pid, 0, 0, 4, "x");
    assert_eq!(produce_ok(&mut c, "clean", first.clone()).await, 0);
    let second = idem_batch(pid, 0, 4, 3, "x");
    assert_eq!(produce_ok(&mut c, "clean", second.clone()).await, 4);

    b.restart().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    // Both retries are recognised (the state keeps the last five batches).
    assert_eq!(produce_ok(&mut c, "clean", second).await, 4);
    assert_eq!(produce_ok(&mut c, "clean", first).await, 0);
    let r = produce(&mut c, "clean", idem_batch(pid, 0, 9, 1, "x")).await;
    assert_eq!(r.error_code, OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert_eq!(
        produce_ok(&mut c, "clean", idem_batch(pid, 0, 7, 2, "x")).await,
        7
    );
    b.stop().await;
}

/// Kills the broker process when dropped, so a failing assertion never
/// leaves an orphan behind.
struct BrokerProcess(Child);

impl Drop for BrokerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn_broker(dir: &std::path::Path, port: u16) -> BrokerProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_kavka"))
        .arg("serve")
        .arg("--set")
        .arg(format!("listeners=PLAINTEXT://127.0.0.1:{port}"))
        .arg("--set")
        .arg(format!("log.dirs={}", dir.display()))
        .env("KAVKA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = BrokerProcess(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return child;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("broker did not start listening on {port}");
}

#[tokio::test]
async fn duplicates_are_detected_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut broker = spawn_broker(dir.path(), port);
    let mut c = RawClient::connect(&addr).await;
    create(&mut c, "killed", 1, &[]).await;
    let pid = new_producer(&mut c).await;
    let mut batches = Vec::new();
    let mut seq = 0;
    for (round, n) in [3, 5, 2].into_iter().enumerate() {
        let batch = idem_batch(pid, 0, seq, n, &format!("r{round}"));
        let base = produce_ok(&mut c, "killed", batch.clone()).await;
        batches.push((batch, base));
        seq += n;

        // SIGKILL: no clean shutdown, no final producer snapshot.
        broker.0.kill().unwrap();
        broker.0.wait().unwrap();
        drop(broker);
        broker = spawn_broker(dir.path(), port);
        c = RawClient::connect(&addr).await;
        for (batch, base) in &batches {
            assert_eq!(
                produce_ok(&mut c, "killed", batch.clone()).await,
                *base,
                "retry after restart {round} must be a duplicate"
            );
        }
    }
    // Nothing was appended twice: the next batch lands at the sum.
    let next = idem_batch(pid, 0, seq, 1, "end");
    assert_eq!(produce_ok(&mut c, "killed", next).await, i64::from(seq));
    // A new producer id after the crashes is past every earlier one.
    assert!(new_producer(&mut c).await > pid);
}

#[tokio::test]
async fn idle_producers_expire() {
    let b = TestBroker::start_with(&[
        ("producer.id.expiration.ms", "1000"),
        ("producer.id.expiration.check.interval.ms", "100"),
    ])
    .await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "exp", 1, &[]).await;
    let pid = new_producer(&mut c).await;
    let first = idem_batch(pid, 0, 0, 2, "e");
    assert_eq!(produce_ok(&mut c, "exp", first.clone()).await, 0);
    let r = produce(&mut c, "exp", idem_batch(pid, 0, 10, 1, "e")).await;
    assert_eq!(
        r.error_code, OUT_OF_ORDER_SEQUENCE_NUMBER,
        "state is known before expiry"
    );

    tokio::time::sleep(Duration::from_millis(1600)).await;
    // Forgotten: the old batch is no longer a duplicate, so it is written
    // again, and starts the producer's state afresh.
    assert_eq!(produce_ok(&mut c, "exp", first).await, 2);
    assert_eq!(produce_ok(&mut c, "exp", idem_batch(pid, 0, 2, 1, "e")).await, 4);
    b.stop().await;
}

// ---- librdkafka ---------------------------------------------------------------

/// Reads every record of `topic` (up to the high watermarks); returns
/// partition -> payloads in offset order, and the total log size.
fn read_topic(cfg: &ClientConfig, topic: &str, partitions: i32) -> (BTreeMap<i32, Vec<String>>, i64) {
    let consumer: BaseConsumer = cfg.create().unwrap();
    let mut total = 0;
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        let (low, high) = consumer.fetch_watermarks(topic, p, TIMEOUT).unwrap();
        assert_eq!(low, 0);
        total += high;
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    let mut got = 0;
    let deadline = Instant::now() + TIMEOUT;
    while got < total && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => {
                let payload = String::from_utf8(m.payload().unwrap().to_vec()).unwrap();
                out.entry(m.partition()).or_default().push(payload);
                got += 1;
            }
            Some(Err(KafkaError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => panic!("consume error: {e}"),
        }
    }
    assert_eq!(got, total, "could not read the whole topic");
    (out, total)
}

/// Sends `n` records (payload = sequence number, partition = n % partitions)
/// in paced chunks so that they travel in many produce requests; returns
/// the acknowledged (partition, offset) of each once every delivery
/// succeeded.
async fn send_numbered(producer: &FutureProducer, topic: &str, partitions: i32, n: usize) -> Vec<(i32, i64)> {
    let mut pending = Vec::with_capacity(n);
    for i in 0..n {
        let payload = format!("{i:06}");
        let rec = FutureRecord::<(), _>::to(topic)
            .payload(&payload)
            .partition(i as i32 % partitions);
        pending.push(producer.send_result(rec).map_err(|(e, _)| e).unwrap());
        if i % 40 == 39 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    let mut acked = Vec::with_capacity(n);
    for (i, d) in pending.into_iter().enumerate() {
        match d.await.unwrap() {
            Ok(d) => acked.push((d.partition, d.offset)),
            Err((e, _)) => panic!("record {i} was not delivered: {e}"),
        }
    }
    producer.flush(TIMEOUT).unwrap();
    acked
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rdkafka_idempotent_producer_keeps_order() {
    let b = TestBroker::start().await;
    let producer: FutureProducer = b
        .client_config()
        .set("enable.idempotence", "true")
        .set("linger.ms", "2")
        .set("batch.num.messages", "25")
        .create()
        .unwrap();
    let acked = send_numbered(&producer, "idem", 1, 500).await;
    assert_eq!(acked, (0..500).map(|o| (0, o)).collect::<Vec<_>>());
    let (data, total) = read_topic(&b.consumer_config(), "idem", 1);
    assert_eq!(total, 500);
    let want: Vec<String> = (0..500).map(|i| format!("{i:06}")).collect();
    assert_eq!(data[&0], want);
    b.stop().await;
}

/// Produces `n` numbered records through a proxy that loses the acks of
/// the produce responses numbered in `cut_at`; returns what the log holds
/// (partition -> payloads in offset order, total), and the acknowledged
/// (partition, offset) of every record.
async fn produce_through_lossy_proxy(
    idempotence: bool,
    n: usize,
    cut_at: &[usize],
) -> (BTreeMap<i32, Vec<String>>, i64, Vec<(i32, i64)>) {
    const PARTITIONS: i32 = 3;
    let mut proxy = CutProxy::bind().await;
    let advertised = format!("PLAINTEXT://{}", proxy.addr);
    let b = TestBroker::start_with(&[
        ("advertised.listeners", advertised.as_str()),
        ("num.partitions", "3"),
    ])
    .await;
    proxy.start(b.running.as_ref().unwrap().addr(), cut_at);
    let via_proxy = proxy.addr.to_string();

    let mut cfg = b.client_config();
    cfg.set("bootstrap.servers", &via_proxy)
        .set("enable.idempotence", if idempotence { "true" } else { "false" })
        .set("acks", "all")
        .set("linger.ms", "2")
        .set("batch.num.messages", "10")
        .set("retry.backoff.ms", "50")
        .set("reconnect.backoff.ms", "20")
        .set("message.timeout.ms", "60000");
    if !idempotence {
        // Keep order; retries stay at librdkafka's default (unbounded).
        cfg.set("max.in.flight.requests.per.connection", "1");
    }
    let producer: FutureProducer = cfg.create().unwrap();
    let acked = send_numbered(&producer, "lossy", PARTITIONS, n).await;
    let cuts = proxy.cuts();
    assert_eq!(
        cuts,
        cut_at.len(),
        "the proxy cut {cuts} of {} planned connections ({} produce responses seen)",
        cut_at.len(),
        proxy.produce_responses()
    );
    let mut consumer = b.consumer_config();
    consumer.set("bootstrap.servers", &via_proxy);
    let (data, total) = read_topic(&consumer, "lossy", PARTITIONS);
    b.stop().await;
    (data, total, acked)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_acks_are_retried_and_written_exactly_once() {
    const N: usize = 2000;
    let (data, total, acked) = produce_through_lossy_proxy(true, N, &[3, 10, 20, 35]).await;
    // Every record was acknowledged, including those whose first ack the
    // proxy dropped after the broker had appended them: their retries were
    // answered by the broker, and since the log holds each record once,
    // those answers came from duplicate detection, with the offsets of the
    // first append.
    assert_eq!(total, N as i64, "the log holds duplicates or lost records");
    let mut seen = vec![false; N];
    for (p, payloads) in &data {
        let mut last = None;
        for v in payloads {
            let i: usize = v.parse().unwrap();
            assert_eq!(i as i32 % 3, *p, "record {i} in the wrong partition");
            assert!(!seen[i], "record {i} is in the log twice");
            seen[i] = true;
            assert!(last < Some(i), "partition {p}: {i} after {last:?}");
            last = Some(i);
        }
    }
    for (i, (p, offset)) in acked.iter().enumerate() {
        let at = usize::try_from(*offset).unwrap();
        assert_eq!(
            data[p].get(at).map(String::as_str),
            Some(format!("{i:06}").as_str()),
            "record {i} was acknowledged at {p}/{offset}"
        );
    }
    assert!(seen.iter().all(|s| *s), "records are missing");
}

/// The control: the same faults without idempotence duplicate records, so
/// the test above would notice if the broker did not deduplicate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_idempotence_lost_acks_duplicate_records() {
    const N: usize = 600;
    let (_, total, _) = produce_through_lossy_proxy(false, N, &[3, 8, 15]).await;
    assert!(
        total > N as i64,
        "expected duplicates after 3 lost acks, the log holds {total} records"
    );
}
