//! `kavka bench consume`: read a topic from the beginning as fast as possible.
//!
//! Partitions are assigned directly (no consumer group), so the numbers are pure fetch
//! throughput. Without `--records` the run stops once every partition's high
//! watermark at the start has been read.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::Offset;
use serde_json::json;

use super::super::args::ClientArgs;
use super::super::client;
use super::super::consume::{assign_only_config, assign_partitions, consumer_partitions, interrupt_flag};
use super::super::error::CliError;
use super::report::{rates, PROGRESS_EVERY};
use super::Outcome;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchConsumeArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[arg(long)]
    pub topic: String,

    /// Stop after this many records (default: everything present at the start).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: Option<u64>,

    /// Stop when no record arrived for this many milliseconds.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
}

pub(super) async fn run(args: BenchConsumeArgs) -> Result<Outcome, CliError> {
    let stop = interrupt_flag();
    client::blocking(move || bench(&args, &stop)).await
}

/// Records present in the topic now: the sum of high minus low watermarks. May
/// over-count (transaction markers, compacted gaps); the idle timeout covers that.
fn available_records(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: &[i32],
    timeout: Duration,
) -> Result<u64, CliError> {
    let mut total = 0u64;
    for &p in partitions {
        let (low, high) = consumer
            .fetch_watermarks(topic, p, timeout)
            .map_err(|e| CliError::client(format!("fetching watermarks of {topic}-{p}"), e))?;
        total += u64::try_from(high.saturating_sub(low)).unwrap_or(0);
    }
    Ok(total)
}

/// librdkafka stops fetching a partition once `queued.min.messages` (100 000)
/// records are queued and then waits `fetch.queue.backoff.ms` (1 s) before the
/// next fetch: with small records a throughput run would mostly measure that
/// pause. A benchmark drains the queue as fast as it can, so it keeps fetching.
/// `--property` still overrides both.
const BENCH_CONSUMER_DEFAULTS: &[(&str, &str)] = &[
    ("queued.min.messages", "1000000"),
    ("fetch.queue.backoff.ms", "5"),
];

fn bench(args: &BenchConsumeArgs, stop: &AtomicBool) -> Result<Outcome, CliError> {
    let mut cfg = assign_only_config(&args.client)?;
    for (k, v) in BENCH_CONSUMER_DEFAULTS {
        if !args.client.properties.iter().any(|(pk, _)| pk == k) {
            cfg.set(*k, *v);
        }
    }
    let consumer: BaseConsumer = cfg
        .create()
        .map_err(|e| CliError::client("creating consumer", e))?;
    let timeout = args.client.request_timeout();
    let partitions = consumer_partitions(&consumer, &args.topic, timeout)?;
    let target = match args.records {
        Some(n) => n,
        None => available_records(&consumer, &args.topic, &partitions, timeout)?,
    };
    if target == 0 {
        return Err(CliError::invalid(
            "--topic",
            format!(
                "topic '{}' is empty; produce to it first or pass --records",
                args.topic
            ),
        ));
    }
    eprintln!(
        "Consuming {target} records from {} partition(s) of {}",
        partitions.len(),
        args.topic
    );
    let idle_limit = Duration::from_millis(args.timeout_ms);
    let start = Instant::now();
    assign_partitions(&consumer, &args.topic, &partitions, Offset::Beginning)?;

    let mut records = 0u64;
    let mut bytes = 0u64;
    let mut first: Option<Duration> = None;
    let mut last = start.elapsed();
    let mut last_progress = (Instant::now(), 0u64, 0u64);
    let mut timed_out = false;
    while records < target && !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(msg)) => {
                last = start.elapsed();
                first.get_or_insert(last);
                records += 1;
                bytes += (msg.payload_len() + msg.key_len()) as u64;
            }
            Some(Err(KafkaError::PartitionEOF(_))) => {}
            Some(Err(e @ KafkaError::MessageConsumptionFatal(_))) => {
                return Err(CliError::client("consuming", e));
            }
            Some(Err(e)) => eprintln!("warning: {}", CliError::client("consuming", e)),
            None => {
                if start.elapsed().saturating_sub(last) >= idle_limit {
                    timed_out = true;
                    break;
                }
            }
        }
        let (at, r0, b0) = last_progress;
        if at.elapsed() >= PROGRESS_EVERY {
            let (rps, mbps) = rates(records - r0, bytes - b0, at.elapsed());
            eprintln!("{records} of {target} records consumed, {rps:.1} records/sec ({mbps:.2} MB/sec)");
            last_progress = (Instant::now(), records, bytes);
        }
    }

    let elapsed = last;
    let (rps, mbps) = rates(records, bytes, elapsed);
    let first_ms = first.map(|f| f.as_secs_f64() * 1000.0);
    // Throughput once data flows: excludes connection setup and the first fetch.
    let fetch_elapsed = first.map_or(Duration::ZERO, |f| last.saturating_sub(f));
    let (fetch_rps, fetch_mbps) = rates(records.saturating_sub(1), bytes, fetch_elapsed);
    eprintln!(
        "{records} records consumed ({:.2} MB) in {:.3} s, {rps:.1} records/sec ({mbps:.2} MB/sec); \
         first record after {:.1} ms; {fetch_rps:.1} records/sec ({fetch_mbps:.2} MB/sec) after it",
        bytes as f64 / (1024.0 * 1024.0),
        elapsed.as_secs_f64(),
        first_ms.unwrap_or(0.0),
    );
    let report = json!({
        "bench": "consume",
        "topic": args.topic,
        "partitions": partitions.len(),
        "records_target": target,
        "records": records,
        "bytes": bytes,
        "elapsed_s": elapsed.as_secs_f64(),
        "records_per_sec": rps,
        "mb_per_sec": mbps,
        "first_record_ms": first_ms,
        "fetch_records_per_sec": fetch_rps,
        "fetch_mb_per_sec": fetch_mbps,
        "timed_out": timed_out,
    });
    if timed_out {
        eprintln!(
            "note: stopped after {} ms without data, {records} of {target} records read",
            args.timeout_ms
        );
    }
    let failure = (records < target && args.records.is_some())
        .then(|| CliError::Incomplete(format!("consumed {records} of the {target} requested records")));
    Ok(Outcome { report, failure })
}
