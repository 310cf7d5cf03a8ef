//! The client subcommands against librdkafka's built-in mock cluster: a real Kafka
//! protocol server (Produce, Fetch, ListOffsets, Metadata, groups) running in-process.
//! It has no admin APIs (CreateTopics, DescribeConfigs, ...), so topics are created
//! through the mock's own API and admin commands are tested for their error path.

use std::io::Cursor;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use super::args::ClientArgs;
use super::bench::{run_one_for_test, BenchCommand, BenchConsumeArgs, BenchE2eArgs, BenchProduceArgs};
use super::client;
use super::consume::{consume, ConsumeArgs, StartOffset};
use super::produce::{produce_lines, ProduceArgs};
use super::topic::{run_topic, TopicCommand};

fn cluster(topics: &[(&str, i32)]) -> MockCluster<'static, DefaultProducerContext> {
    let mock = MockCluster::new(3).unwrap();
    for (name, partitions) in topics {
        mock.create_topic(name, *partitions, 1).unwrap();
    }
    mock
}

fn client_args(mock: &MockCluster<'static, DefaultProducerContext>) -> ClientArgs {
    ClientArgs {
        bootstrap_server: mock.bootstrap_servers(),
        command_config: None,
        properties: vec![],
        request_timeout_ms: 10_000,
    }
}

fn produce_args(client: ClientArgs, topic: &str) -> ProduceArgs {
    ProduceArgs {
        client,
        topic: topic.into(),
        parse_key: false,
        key_separator: "\\t".into(),
        acks: None,
        compression: None,
        partition: None,
    }
}

fn consume_args(client: ClientArgs, topic: &str) -> ConsumeArgs {
    ConsumeArgs {
        client,
        topic: topic.into(),
        from_beginning: true,
        partition: None,
        offset: None,
        max_messages: None,
        group: None,
        print_key: false,
        key_separator: "\\t".into(),
        timeout_ms: Some(3_000),
    }
}

#[test]
fn produced_lines_come_back_with_keys() {
    let mock = cluster(&[("lines", 1)]);
    let mut p = produce_args(client_args(&mock), "lines");
    p.parse_key = true;
    p.compression = Some(super::Compression::Lz4);
    let input = "k1\tv1\nk2\tv2 with\ttab\r\n\tempty-key\n";
    let stats = produce_lines(&p, &mut Cursor::new(input)).unwrap();
    assert_eq!((stats.sent, stats.delivered, stats.failed), (3, 3, 0));
    assert!(stats.input_error.is_none());

    let mut c = consume_args(client_args(&mock), "lines");
    c.print_key = true;
    c.max_messages = Some(3);
    let mut out = Vec::new();
    let n = consume(&c, &AtomicBool::new(false), &mut out).unwrap();
    assert_eq!(n, 3);
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "k1\tv1\nk2\tv2 with\ttab\n\tempty-key\n"
    );
}

#[test]
fn missing_separator_stops_input_but_keeps_earlier_records() {
    let mock = cluster(&[("sep", 1)]);
    let mut p = produce_args(client_args(&mock), "sep");
    p.parse_key = true;
    let stats = produce_lines(&p, &mut Cursor::new("a\tb\nno separator\nc\td\n")).unwrap();
    assert_eq!(stats.sent, 1);
    assert_eq!(stats.delivered, 1);
    let err = stats.input_error.expect("bad line must be reported").to_string();
    assert!(err.contains("line 2"), "{err}");
}

#[test]
fn consume_one_partition_from_an_offset() {
    let mock = cluster(&[("parts", 2)]);
    for partition in 0..2 {
        let mut p = produce_args(client_args(&mock), "parts");
        p.partition = Some(partition);
        let lines: String = (0..5).map(|i| format!("p{partition}-{i}\n")).collect();
        let stats = produce_lines(&p, &mut Cursor::new(lines)).unwrap();
        assert_eq!(stats.delivered, 5);
    }
    let mut c = consume_args(client_args(&mock), "parts");
    c.from_beginning = false;
    c.partition = Some(1);
    c.offset = Some(StartOffset::At(3));
    c.timeout_ms = Some(1_500);
    let mut out = Vec::new();
    let n = consume(&c, &AtomicBool::new(false), &mut out).unwrap();
    assert_eq!(n, 2);
    assert_eq!(String::from_utf8(out).unwrap(), "p1-3\np1-4\n");

    // Asking for more than exists ends in an error after the idle timeout.
    c.max_messages = Some(10);
    let err = consume(&c, &AtomicBool::new(false), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("2 of 10"), "{err}");

    c.partition = Some(7);
    let err = consume(&c, &AtomicBool::new(false), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("no partition 7"), "{err}");
}

#[test]
fn consume_unknown_topic_fails() {
    let mock = cluster(&[]);
    let mut c = consume_args(client_args(&mock), "nope");
    c.client
        .properties
        .push(("allow.auto.create.topics".into(), "false".into()));
    let err = consume(&c, &AtomicBool::new(false), &mut Vec::new()).unwrap_err();
    assert!(err.to_string().contains("nope"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_produce_then_consume() {
    let mock = cluster(&[("bench", 3)]);
    let produce = BenchProduceArgs {
        client: client_args(&mock),
        topic: "bench".into(),
        records: 3_000,
        record_size: 200,
        acks: Some(super::Acks::All),
        compression: Some(super::Compression::Zstd),
        partitions: 3,
        replication_factor: 1,
        linger_ms: Some(1),
        batch_size: None,
        throughput: -1.0,
        producer_properties: vec![],
    };
    let out = run_one_for_test(BenchCommand::Produce(produce)).await.unwrap();
    assert!(out.failure.is_none(), "{:?}", out.failure);
    let r = out.report;
    assert_eq!(r["records_delivered"], 3_000);
    assert_eq!(r["partitions"], 3);
    assert_eq!(r["latency_ms"]["count"], 3_000);
    assert!(r["records_per_sec"].as_f64().unwrap() > 0.0);
    assert!(r["latency_ms"]["p99"].as_f64().unwrap() <= r["latency_ms"]["max"].as_f64().unwrap());

    let consume = BenchConsumeArgs {
        client: client_args(&mock),
        topic: "bench".into(),
        records: None,
        timeout_ms: 5_000,
    };
    let out = run_one_for_test(BenchCommand::Consume(consume)).await.unwrap();
    assert!(out.failure.is_none(), "{:?}", out.failure);
    assert_eq!(out.report["records"], 3_000);
    assert_eq!(out.report["bytes"], 3_000 * 200);
    assert!(out.report["first_record_ms"].as_f64().is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_throughput_limit_is_respected() {
    let mock = cluster(&[("slow", 1)]);
    let args = BenchProduceArgs {
        client: client_args(&mock),
        topic: "slow".into(),
        records: 200,
        record_size: 10,
        acks: None,
        compression: None,
        partitions: 1,
        replication_factor: 1,
        linger_ms: None,
        batch_size: None,
        throughput: 400.0,
        producer_properties: vec![],
    };
    let out = run_one_for_test(BenchCommand::Produce(args)).await.unwrap();
    // 200 records at 400/s cannot finish in less than ~0.5 s.
    assert!(
        out.report["elapsed_s"].as_f64().unwrap() >= 0.45,
        "{}",
        out.report
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bench_e2e_measures_every_record() {
    let mock = cluster(&[("e2e", 2)]);
    let args = BenchE2eArgs {
        client: client_args(&mock),
        topic: "e2e".into(),
        records: 300,
        record_size: 64,
        throughput: 1_000.0,
        acks: Some(super::Acks::Leader),
        linger_ms: 0,
        partitions: 2,
        replication_factor: 1,
        warmup_records: 5,
        timeout_ms: 5_000,
        producer_properties: vec![],
        consumer_properties: vec![],
    };
    let out = run_one_for_test(BenchCommand::EndToEnd(args)).await.unwrap();
    assert!(out.failure.is_none(), "{:?}", out.failure);
    let r = out.report;
    assert_eq!(r["records_received"], 300);
    assert_eq!(r["duplicates"], 0);
    assert_eq!(r["e2e_latency_ms"]["count"], 300);
    assert_eq!(r["ack_latency_ms"]["count"], 300);
    assert!(r["e2e_latency_ms"]["p50"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_and_topic_ids() {
    let mock = cluster(&[("alpha", 2), ("beta", 1)]);
    let args = client_args(&mock);
    let admin = client::admin(&args).unwrap();
    let info = client::cluster_info(&admin, None, args.request_timeout())
        .await
        .unwrap();
    assert_eq!(info.brokers.len(), 3);
    let alpha = info.topic("alpha").unwrap();
    assert_eq!(alpha.partitions.len(), 2);
    assert!(alpha
        .partitions
        .iter()
        .all(|p| p.leader.is_some() && p.replicas.len() == 1));
    assert_eq!(
        client::ensure_topic(&admin, &args, "alpha", 2, 1).await.unwrap(),
        vec![0, 1]
    );

    // Topic ids come from DescribeTopics, which librdkafka sends to the controller;
    // the mock cluster reports none (controller id 0 is not one of its brokers), so the
    // lookup fails with a named error and `describe` falls back to the zero id.
    let names = vec!["alpha".to_string()];
    let a = std::sync::Arc::clone(&admin);
    let res =
        client::blocking(move || super::ffi::describe_topic_ids(&a, &names, Duration::from_secs(1))).await;
    match res {
        Ok(ids) => assert_eq!(ids.get("alpha").map(String::len), Some(22), "{ids:?}"),
        Err(e) => assert!(e.to_string().contains("_TIMED_OUT"), "{e}"),
    }

    // Listing and describing go through Metadata only (plus best-effort extras).
    run_topic(
        TopicCommand::List {
            exclude_internal: true,
        },
        &args,
    )
    .await
    .unwrap();
    run_topic(
        TopicCommand::Describe {
            names: vec!["alpha".into()],
            under_replicated_partitions: false,
            unavailable_partitions: false,
            exclude_internal: false,
        },
        &args,
    )
    .await
    .unwrap();
    let err = run_topic(
        TopicCommand::Describe {
            names: vec!["missing".into()],
            under_replicated_partitions: false,
            unavailable_partitions: false,
            exclude_internal: false,
        },
        &args,
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("'missing' does not exist"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_errors_name_the_kafka_error_code() {
    // The mock cluster does not implement CreateTopics/IncrementalAlterConfigs, so the
    // request fails; the message must name an error code rather than a Rust enum.
    let mock = cluster(&[("existing", 1)]);
    let mut args = client_args(&mock);
    args.request_timeout_ms = 3_000;
    let err = run_topic(
        TopicCommand::Alter {
            name: "existing".into(),
            partitions: None,
            replica_assignment: None,
            configs: vec![("retention.ms".into(), "1000".into())],
            delete_configs: vec![],
        },
        &args,
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(err.contains("IncrementalAlterConfigs"), "{err}");
    assert!(
        err.split(|c: char| !(c.is_ascii_uppercase() || c == '_'))
            .any(|w| w.len() > 4 && w.contains('_')),
        "no error code name in {err}"
    );
}

#[test]
fn consume_as_group_member() {
    let mock = cluster(&[("grouped", 2)]);
    let p = produce_args(client_args(&mock), "grouped");
    let stats = produce_lines(&p, &mut Cursor::new("r1\nr2\nr3\nr4\n")).unwrap();
    assert_eq!(stats.delivered, 4);
    let mut c = consume_args(client_args(&mock), "grouped");
    c.group = Some("g1".into());
    c.max_messages = Some(4);
    c.timeout_ms = Some(15_000);
    let mut out = Vec::new();
    assert_eq!(consume(&c, &AtomicBool::new(false), &mut out).unwrap(), 4);
    let mut lines: Vec<&str> = std::str::from_utf8(&out).unwrap().lines().collect();
    lines.sort_unstable();
    assert_eq!(lines, ["r1", "r2", "r3", "r4"]);
}
