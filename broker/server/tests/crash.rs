//! Crash test: a broker process under continuous acks=1 produce is killed
//! with SIGKILL and restarted; every acknowledged record is read back at the
//! offset it was acknowledged with, in order, and the log stays readable.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{ClientConfig, ClientContext, Offset, TopicPartitionList};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

fn spawn_broker(dir: &std::path::Path, port: u16) -> BrokerProcess {
    let child = Command::new(env!("CARGO_BIN_EXE_kavka"))
        .arg("serve")
        .arg("--set")
        .arg(format!("listeners=PLAINTEXT://127.0.0.1:{port}"))
        .arg("--set")
        .arg(format!("log.dirs={}", dir.display()))
        .arg("--set")
        .arg("num.partitions=3")
        .env("KAVKA_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let child = BrokerProcess(child);
    wait_listening(port);
    child
}

fn wait_listening(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("broker did not start listening on {port}");
}

/// Records acknowledged deliveries: (partition, offset) -> payload.
#[derive(Clone, Default)]
struct Acks(Arc<Mutex<Records>>);

/// (partition, offset) -> payload
type Records = BTreeMap<(i32, i64), Vec<u8>>;

impl ClientContext for Acks {}
impl ProducerContext for Acks {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if let Ok(m) = result {
            self.0.lock().unwrap().insert(
                (m.partition(), m.offset()),
                m.payload().unwrap_or_default().to_vec(),
            );
        }
    }
}

#[test]
fn sigkill_under_load_loses_no_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bootstrap = format!("127.0.0.1:{port}");
    let mut broker = spawn_broker(dir.path(), port);

    let acks = Acks::default();
    let producer: ThreadedProducer<Acks> = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("acks", "1")
        .set("linger.ms", "2")
        .set("enable.idempotence", "false")
        .set("message.timeout.ms", "3000")
        .set("retries", "0")
        .create_with_context(acks.clone())
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let writer = std::thread::spawn(move || {
        let mut i = 0u64;
        while !stop2.load(Ordering::Relaxed) {
            let payload = format!("record-{i}");
            let key = format!("k{}", i % 7);
            if producer
                .send(
                    BaseRecord::<String, String>::to("crash")
                        .key(&key)
                        .payload(&payload),
                )
                .is_ok()
            {
                i += 1;
            }
            if i % 200 == 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        let _ = producer.flush(Duration::from_secs(5));
    });
    // Let enough data accumulate, then kill without warning.
    let deadline = Instant::now() + Duration::from_secs(20);
    while acks.0.lock().unwrap().len() < 5000 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    broker.0.kill().unwrap();
    broker.0.wait().unwrap();
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    let acked = acks.0.lock().unwrap().clone();
    assert!(acked.len() >= 1000, "only {} records acknowledged", acked.len());

    let _broker = spawn_broker(dir.path(), port);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "crash-check")
        .set("enable.auto.commit", "false")
        .set("enable.partition.eof", "true")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset("crash", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut seen: Records = BTreeMap::new();
    let mut eof = std::collections::HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while eof.len() < 3 && Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(500)) {
            Some(Ok(m)) => {
                eof.remove(&m.partition());
                seen.insert(
                    (m.partition(), m.offset()),
                    m.payload().unwrap_or_default().to_vec(),
                );
            }
            Some(Err(KafkaError::PartitionEOF(p))) => {
                eof.insert(p);
            }
            Some(Err(e)) => panic!("consume after restart: {e}"),
            None => {}
        }
    }
    assert_eq!(eof.len(), 3, "did not reach the end of every partition");
    for ((p, o), payload) in &acked {
        assert_eq!(
            seen.get(&(*p, *o)),
            Some(payload),
            "acknowledged record {p}/{o} lost or changed"
        );
    }
    // Offsets are dense per partition: the log is readable without holes.
    for p in 0..3 {
        let offs: Vec<i64> = seen.keys().filter(|(q, _)| *q == p).map(|(_, o)| *o).collect();
        for (i, o) in offs.iter().enumerate() {
            assert_eq!(*o, i as i64, "partition {p} has a hole");
        }
    }
}

/// SIGTERM is a clean shutdown: the process exits 0 promptly, every log is
/// closed with its clean-shutdown marker, and the data is there on restart.
#[test]
fn sigterm_shuts_down_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bootstrap = format!("127.0.0.1:{port}");
    let mut broker = spawn_broker(dir.path(), port);
    {
        let producer: ThreadedProducer<Acks> = ClientConfig::new()
            .set("bootstrap.servers", &bootstrap)
            .set("acks", "1")
            .create_with_context(Acks::default())
            .unwrap();
        for i in 0..300 {
            producer
                .send(
                    BaseRecord::<String, String>::to("term")
                        .key(&format!("{i}"))
                        .payload(&format!("{i}")),
                )
                .unwrap();
        }
        producer.flush(Duration::from_secs(10)).unwrap();
    }
    // SAFETY: plain kill(2) on our own child's pid.
    let rc = unsafe { libc::kill(broker.0.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(s) = broker.0.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "broker did not exit within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "exit status {status:?}");
    for p in 0..3 {
        let marker = dir.path().join(format!("term-{p}")).join(".kavka_cleanshutdown");
        assert!(marker.exists(), "{} missing", marker.display());
    }
    let _broker = spawn_broker(dir.path(), port);
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &bootstrap)
        .set("group.id", "term-check")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..3 {
        tpl.add_partition_offset("term", p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut n = 0;
    let deadline = Instant::now() + Duration::from_secs(20);
    while n < 300 && Instant::now() < deadline {
        if let Some(Ok(_)) = consumer.poll(Duration::from_millis(200)) {
            n += 1;
        }
    }
    assert_eq!(n, 300);
}
