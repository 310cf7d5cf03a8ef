//! The `kavka` client subcommands against a broker process, as a user runs
//! them: topic create/describe/alter/list/delete, produce and consume.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::TestBroker;

fn kavka(bootstrap: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kavka"))
        .args(args)
        .env("KAVKA_BOOTSTRAP_SERVER", bootstrap)
        .env("KAVKA_LOG", "error")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "status {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn topic_produce_consume_round_trip() {
    let b = TestBroker::start().await;
    let bs = b.bootstrap.clone();
    let run = move |args: Vec<&'static str>, stdin: Option<&'static str>| {
        let bs = bs.clone();
        tokio::task::spawn_blocking(move || kavka(&bs, &args, stdin))
    };
    ok(&run(
        vec![
            "topic",
            "create",
            "events",
            "--partitions",
            "3",
            "--config",
            "retention.ms=60000",
        ],
        None,
    )
    .await
    .unwrap());
    let out = run(vec!["topic", "create", "events", "--partitions", "3"], None)
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("TOPIC_ALREADY_EXISTS"));

    let describe = ok(&run(vec!["topic", "describe", "events"], None).await.unwrap());
    assert!(describe.contains("Topic: events\tTopicId: "), "{describe}");
    assert!(
        describe.contains("PartitionCount: 3\tReplicationFactor: 1"),
        "{describe}"
    );
    assert!(describe.contains("retention.ms=60000"), "{describe}");
    for p in 0..3 {
        let line = format!("\tTopic: events\tPartition: {p}\tLeader: 1\tReplicas: 1\tIsr: 1");
        assert!(describe.contains(&line), "missing `{line}` in\n{describe}");
    }

    ok(&run(
        vec![
            "topic",
            "alter",
            "events",
            "--partitions",
            "4",
            "--config",
            "retention.ms=120000",
        ],
        None,
    )
    .await
    .unwrap());
    let describe = ok(&run(vec!["topic", "describe", "events"], None).await.unwrap());
    assert!(
        describe.contains("PartitionCount: 4") && describe.contains("retention.ms=120000"),
        "{describe}"
    );

    ok(&run(
        vec!["produce", "--topic", "events", "--parse-key"],
        Some("k1\thello\nk2\tworld\nk1\tagain\n"),
    )
    .await
    .unwrap());
    let consumed = ok(&run(
        vec![
            "consume",
            "--topic",
            "events",
            "--from-beginning",
            "--max-messages",
            "3",
            "--print-key",
            "--timeout-ms",
            "10000",
        ],
        None,
    )
    .await
    .unwrap());
    let mut lines: Vec<&str> = consumed.lines().collect();
    lines.sort();
    assert_eq!(lines, vec!["k1\tagain", "k1\thello", "k2\tworld"]);

    // The consumer above looked up a group coordinator, which creates the
    // internal __consumer_offsets topic; Kafka's tool lists it too.
    let list = ok(&run(vec!["topic", "list", "--exclude-internal"], None)
        .await
        .unwrap());
    assert_eq!(list.lines().collect::<Vec<_>>(), vec!["events"]);
    ok(&run(vec!["topic", "delete", "events"], None).await.unwrap());
    let list = ok(&run(vec!["topic", "list", "--exclude-internal"], None)
        .await
        .unwrap());
    assert!(list.trim().is_empty(), "{list}");
    b.stop().await;
}
