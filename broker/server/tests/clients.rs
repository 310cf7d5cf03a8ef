//! Produce/consume through librdkafka (the `rdkafka` crate) against an
//! in-process broker: every codec, large records, headers, timestamps,
//! per-key partitioning, acks levels, size limits, and restarts.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::{TestBroker, TIMEOUT};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Headers, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{Offset, TopicPartitionList};

async fn create_topic(b: &TestBroker, name: &str, partitions: i32, configs: &[(&str, &str)]) {
    let admin: AdminClient<DefaultClientContext> = b.client_config().create().unwrap();
    let mut t = NewTopic::new(name, partitions, TopicReplication::Fixed(1));
    for (k, v) in configs {
        t = t.set(k, v);
    }
    let res = admin.create_topics(&[t], &AdminOptions::new()).await.unwrap();
    assert!(res[0].is_ok(), "create {name}: {:?}", res[0]);
}

/// Reads `n` messages from every partition of `topic` from the beginning.
fn consume_all(
    b: &TestBroker,
    topic: &str,
    partitions: i32,
    n: usize,
) -> Vec<rdkafka::message::OwnedMessage> {
    let consumer: BaseConsumer = b
        .consumer_config()
        .set("fetch.message.max.bytes", "2000000")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in 0..partitions {
        tpl.add_partition_offset(topic, p, Offset::Beginning).unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let mut out = Vec::new();
    let deadline = std::time::Instant::now() + TIMEOUT;
    while out.len() < n && std::time::Instant::now() < deadline {
        match consumer.poll(Duration::from_millis(200)) {
            Some(Ok(m)) => out.push(m.detach()),
            Some(Err(KafkaError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => panic!("consume error: {e}"),
        }
    }
    out
}

async fn produce_and_check(codec: &str) {
    let b = TestBroker::start().await;
    let topic = format!("codec-{codec}");
    create_topic(&b, &topic, 1, &[]).await;
    let producer: FutureProducer = b
        .producer_config()
        .set("compression.type", codec)
        .set("batch.num.messages", "50")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for i in 0..200 {
        let payload = format!("value-{i}-{}", "x".repeat(i % 50));
        let key = format!("key-{i}");
        let headers = OwnedHeaders::new().insert(Header {
            key: "h",
            value: Some(format!("hv{i}").as_bytes()),
        });
        let rec = FutureRecord::to(&topic)
            .payload(&payload)
            .key(&key)
            .headers(headers)
            .timestamp(1_700_000_000_000 + i as i64);
        acks.push(producer.send_result(rec).unwrap());
    }
    let mut offsets = Vec::new();
    for a in acks {
        let d = a.await.unwrap().unwrap();
        offsets.push(d.offset);
    }
    offsets.sort();
    assert_eq!(
        offsets,
        (0..200).collect::<Vec<i64>>(),
        "{codec}: offsets are dense"
    );
    let msgs = consume_all(&b, &topic, 1, 200);
    assert_eq!(msgs.len(), 200, "{codec}");
    for (i, m) in msgs.iter().enumerate() {
        assert_eq!(m.offset(), i as i64);
        let payload = format!("value-{i}-{}", "x".repeat(i % 50));
        assert_eq!(m.payload().unwrap(), payload.as_bytes(), "{codec} #{i}");
        assert_eq!(m.key().unwrap(), format!("key-{i}").as_bytes());
        assert_eq!(m.timestamp().to_millis(), Some(1_700_000_000_000 + i as i64));
        let h = m.headers().unwrap();
        assert_eq!(h.count(), 1);
        assert_eq!(h.get(0).value.unwrap(), format!("hv{i}").as_bytes());
    }
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codec_none() {
    produce_and_check("none").await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codec_gzip() {
    produce_and_check("gzip").await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codec_snappy() {
    produce_and_check("snappy").await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codec_lz4() {
    produce_and_check("lz4").await;
}
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn codec_zstd() {
    produce_and_check("zstd").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_megabyte_records_and_size_limit() {
    let b = TestBroker::start().await;
    create_topic(&b, "big", 1, &[]).await;
    create_topic(&b, "small", 1, &[("max.message.bytes", "2000")]).await;
    let producer: FutureProducer = b
        .producer_config()
        .set("message.max.bytes", "2000000")
        .set("compression.type", "none")
        .create()
        .unwrap();
    let big = vec![7u8; 1_000_000];
    for _ in 0..3 {
        producer
            .send(FutureRecord::<(), _>::to("big").payload(&big), TIMEOUT)
            .await
            .unwrap();
    }
    let msgs = consume_all(&b, "big", 1, 3);
    assert_eq!(msgs.len(), 3);
    assert!(msgs.iter().all(|m| m.payload().unwrap() == big.as_slice()));

    let r = producer
        .send(
            FutureRecord::<(), _>::to("small").payload(&vec![1u8; 5000]),
            TIMEOUT,
        )
        .await;
    match r {
        Err((KafkaError::MessageProduction(code), _)) => {
            assert_eq!(code, RDKafkaErrorCode::MessageSizeTooLarge, "{code:?}")
        }
        other => panic!("expected MESSAGE_TOO_LARGE, got {other:?}"),
    }
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_partition_consistently_and_acks_levels() {
    let b = TestBroker::start().await;
    create_topic(&b, "keyed", 6, &[]).await;
    for acks in ["0", "1", "all"] {
        let producer: FutureProducer = b.producer_config().set("acks", acks).create().unwrap();
        let mut placed: HashMap<String, i32> = HashMap::new();
        for i in 0..120 {
            let key = format!("k{}", i % 12);
            let d = producer
                .send(FutureRecord::to("keyed").key(&key).payload(acks), TIMEOUT)
                .await
                .unwrap();
            if acks != "0" {
                if let Some(prev) = placed.insert(key.clone(), d.partition) {
                    assert_eq!(prev, d.partition, "key {key} moved partitions");
                }
            }
        }
    }
    let msgs = consume_all(&b, "keyed", 6, 360);
    assert_eq!(msgs.len(), 360);
    let mut by_key: HashMap<Vec<u8>, i32> = HashMap::new();
    for m in &msgs {
        let k = m.key().unwrap().to_vec();
        let p = by_key.entry(k).or_insert(m.partition());
        assert_eq!(*p, m.partition());
    }
    assert!(
        by_key.values().collect::<std::collections::HashSet<_>>().len() > 1,
        "keys spread over partitions"
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_create_on_produce_and_metadata() {
    let b = TestBroker::start_with(&[("num.partitions", "3")]).await;
    let producer: FutureProducer = b.producer_config().create().unwrap();
    producer
        .send(FutureRecord::to("auto-created").key("k").payload("v"), TIMEOUT)
        .await
        .unwrap();
    let md = producer
        .client()
        .fetch_metadata(Some("auto-created"), TIMEOUT)
        .unwrap();
    assert_eq!(md.topics()[0].partitions().len(), 3);
    b.stop().await;

    let b = TestBroker::start_with(&[("auto.create.topics.enable", "false")]).await;
    let producer: FutureProducer = b
        .producer_config()
        .set("message.timeout.ms", "1500")
        .create()
        .unwrap();
    let r = producer
        .send(FutureRecord::to("not-there").key("k").payload("v"), TIMEOUT)
        .await;
    assert!(
        r.is_err(),
        "produce to a missing topic must fail without auto-create"
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_and_topics_survive_restart() {
    let mut b = TestBroker::start().await;
    create_topic(&b, "durable", 2, &[("retention.ms", "-1")]).await;
    {
        let producer: FutureProducer = b.producer_config().create().unwrap();
        for i in 0..50 {
            producer
                .send(
                    FutureRecord::to("durable")
                        .key(&format!("{i}"))
                        .payload(&format!("{i}")),
                    TIMEOUT,
                )
                .await
                .unwrap();
        }
    }
    b.restart().await;
    let msgs = consume_all(&b, "durable", 2, 50);
    assert_eq!(msgs.len(), 50);
    let admin: AdminClient<DefaultClientContext> = b.client_config().create().unwrap();
    let cfg = admin
        .describe_configs(
            &[rdkafka::admin::ResourceSpecifier::Topic("durable")],
            &AdminOptions::new(),
        )
        .await
        .unwrap();
    let cfg = cfg[0].as_ref().unwrap();
    assert_eq!(cfg.get("retention.ms").unwrap().value.as_deref(), Some("-1"));
    // Appends continue after the restart at the next offsets.
    let producer: FutureProducer = b.producer_config().create().unwrap();
    let d = producer
        .send(
            FutureRecord::<(), _>::to("durable").partition(0).payload("after"),
            TIMEOUT,
        )
        .await
        .unwrap();
    let before = msgs.iter().filter(|m| m.partition() == 0).count() as i64;
    assert_eq!(d.offset, before);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watermarks_and_offsets_for_times() {
    let b = TestBroker::start().await;
    create_topic(&b, "times", 1, &[]).await;
    let producer: FutureProducer = b.producer_config().set("linger.ms", "0").create().unwrap();
    for i in 0..10i64 {
        producer
            .send(
                FutureRecord::to("times")
                    .payload("x")
                    .key("k")
                    .timestamp(1_000_000 + i * 1000),
                TIMEOUT,
            )
            .await
            .unwrap();
    }
    let consumer: BaseConsumer = b.consumer_config().create().unwrap();
    let (lo, hi) = consumer.fetch_watermarks("times", 0, TIMEOUT).unwrap();
    assert_eq!((lo, hi), (0, 10));
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("times", 0, Offset::Offset(1_005_000))
        .unwrap();
    let found = consumer.offsets_for_times(tpl, TIMEOUT).unwrap();
    assert_eq!(found.elements()[0].offset(), Offset::Offset(5));
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("times", 0, Offset::Offset(9_000_000))
        .unwrap();
    let found = consumer.offsets_for_times(tpl, TIMEOUT).unwrap();
    assert_eq!(found.elements()[0].offset(), Offset::End);
    b.stop().await;
}

/// A consumer waiting in a long poll (fetch.wait.max.ms = 500, librdkafka's
/// default) gets a record well before its timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_fetch_wakes_on_data() {
    let b = TestBroker::start().await;
    create_topic(&b, "wake", 1, &[]).await;
    let consumer: BaseConsumer = b
        .consumer_config()
        .set("fetch.wait.max.ms", "500")
        .create()
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("wake", 0, Offset::Beginning).unwrap();
    consumer.assign(&tpl).unwrap();
    // Let the consumer settle into its long poll.
    for _ in 0..10 {
        let _ = consumer.poll(Duration::from_millis(100));
    }
    let producer: FutureProducer = b.producer_config().set("linger.ms", "0").create().unwrap();
    let mut latencies = Vec::new();
    for i in 0..10 {
        let sent = std::time::Instant::now();
        producer
            .send(
                FutureRecord::to("wake").key("k").payload(&format!("{i}")),
                TIMEOUT,
            )
            .await
            .unwrap();
        loop {
            match consumer.poll(Duration::from_millis(1000)) {
                Some(Ok(m)) if m.payload() == Some(format!("{i}").as_bytes()) => break,
                Some(Ok(_)) | None | Some(Err(KafkaError::PartitionEOF(_))) => {}
                Some(Err(e)) => panic!("{e}"),
            }
            assert!(sent.elapsed() < Duration::from_secs(5));
        }
        latencies.push(sent.elapsed());
    }
    latencies.sort();
    // The median must be far below the 500 ms poll timeout.
    assert!(
        latencies[5] < Duration::from_millis(250),
        "latencies {latencies:?}"
    );
    b.stop().await;
}
