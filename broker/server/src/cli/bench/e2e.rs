//! `kavka bench e2e`: produce→consume latency through the broker.
//!
//! One producer thread sends paced records carrying their send time; one consumer,
//! left at librdkafka's default `fetch.wait.max.ms` (500), receives them. A broker that
//! wakes a waiting fetch as soon as data arrives shows latencies of a few ms; one that
//! lets fetches sit until their max wait shows hundreds.
//!
//! Value layout: run id (u64 LE) | sequence (u64 LE) | send time in ns since the
//! run's base instant (u64 LE) | padding. Producer and consumer share one process and
//! one monotonic clock, so no clock sync is involved.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, Producer, ThreadedProducer};
use rdkafka::Offset;
use serde_json::json;

use super::super::args::{parse_key_value, Acks, ClientArgs};
use super::super::client;
use super::super::consume::{assign_only_config, interrupt_flag};
use super::super::error::CliError;
use super::super::produce::send_with_backpressure;
use super::histogram::Histogram;
use super::produce::{drain, producer_config, LatencyRecorder};
use super::report::{latency_json, latency_line, payload, Throttle, PROGRESS_EVERY};
use super::Outcome;

/// Bytes of the header every e2e record starts with.
pub const HEADER_LEN: usize = 24;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchE2eArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[arg(long)]
    pub topic: String,

    /// Records to measure.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,

    /// Value size in bytes (at least 24).
    #[arg(long, default_value_t = 100)]
    pub record_size: usize,

    /// Records per second; -1 sends as fast as possible (then latency includes queueing).
    #[arg(long, default_value_t = 1000.0, allow_negative_numbers = true)]
    pub throughput: f64,

    /// Acknowledgements: 0, 1 or all (librdkafka default: all).
    #[arg(long)]
    pub acks: Option<Acks>,

    /// Producer `linger.ms`; 0 so records leave at once.
    #[arg(long, default_value_t = 0)]
    pub linger_ms: u64,

    /// Partitions to create the topic with if it does not exist.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: i32,

    /// Replication factor to create the topic with if it does not exist.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=i16::MAX as i64))]
    pub replication_factor: i32,

    /// Records sent and awaited before measuring, so connection setup is excluded.
    #[arg(long, default_value_t = 10)]
    pub warmup_records: u64,

    /// Give up when no record arrived for this many milliseconds.
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,

    /// Extra producer property `key=value`; repeatable.
    #[arg(long = "producer-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub producer_properties: Vec<(String, String)>,

    /// Extra consumer property `key=value`; repeatable (e.g. fetch.wait.max.ms=100).
    #[arg(long = "consumer-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub consumer_properties: Vec<(String, String)>,
}

/// Writes the e2e header into the first [`HEADER_LEN`] bytes of `buf`.
pub fn encode_header(buf: &mut [u8], run_id: u64, seq: u64, sent_ns: u64) {
    buf[0..8].copy_from_slice(&run_id.to_le_bytes());
    buf[8..16].copy_from_slice(&seq.to_le_bytes());
    buf[16..24].copy_from_slice(&sent_ns.to_le_bytes());
}

/// `(seq, sent_ns)` of a record of run `run_id`; `None` for foreign or short records.
pub fn decode_header(value: &[u8], run_id: u64) -> Option<(u64, u64)> {
    let word = |i: usize| -> Option<u64> { Some(u64::from_le_bytes(value.get(i..i + 8)?.try_into().ok()?)) };
    (word(0)? == run_id).then_some(())?;
    Some((word(8)?, word(16)?))
}

/// What the consumer saw.
#[derive(Debug, Default)]
struct Received {
    hist: Histogram,
    seen: Vec<bool>,
    unique: u64,
    duplicates: u64,
}

impl Received {
    fn new(records: u64) -> Self {
        Received {
            seen: vec![false; records as usize],
            ..Default::default()
        }
    }

    /// Counts one record; warmup records (seq beyond the measured range) are ignored.
    fn add(&mut self, seq: u64, latency_us: u64) {
        let Some(slot) = self.seen.get_mut(seq as usize) else {
            return;
        };
        if *slot {
            self.duplicates += 1;
            return;
        }
        *slot = true;
        self.unique += 1;
        self.hist.record(latency_us);
    }
}

pub(super) async fn run(args: BenchE2eArgs) -> Result<Outcome, CliError> {
    if args.record_size < HEADER_LEN {
        return Err(CliError::invalid(
            "--record-size",
            format!("must be at least {HEADER_LEN} bytes for the latency header"),
        ));
    }
    let admin = client::admin(&args.client)?;
    let partitions = client::ensure_topic(
        &admin,
        &args.client,
        &args.topic,
        args.partitions,
        args.replication_factor,
    )
    .await?;
    let stop = interrupt_flag();
    client::blocking(move || bench(&args, &partitions, &stop)).await
}

fn bench(args: &BenchE2eArgs, partitions: &[i32], stop: &AtomicBool) -> Result<Outcome, CliError> {
    let timeout = args.client.request_timeout();
    let mut ccfg = assign_only_config(&args.client)?;
    for (k, v) in &args.consumer_properties {
        ccfg.set(k, v);
    }
    let consumer: BaseConsumer = ccfg
        .create()
        .map_err(|e| CliError::client("creating consumer", e))?;
    // Start exactly at today's end: assigning with Offset::End would race with the
    // first records if the offset lookup happened after they were written.
    let mut tpl = rdkafka::TopicPartitionList::new();
    for &p in partitions {
        let (_, high) = consumer
            .fetch_watermarks(&args.topic, p, timeout)
            .map_err(|e| CliError::client(format!("fetching watermarks of {}-{p}", args.topic), e))?;
        tpl.add_partition_offset(&args.topic, p, Offset::Offset(high))
            .map_err(|e| CliError::client("building assignment", e))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| CliError::client("assigning partitions", e))?;

    let pcfg = producer_config(
        &args.client,
        &args.producer_properties,
        args.acks,
        None,
        Some(args.linger_ms),
        None,
    )?;
    let base = Instant::now();
    let producer: ThreadedProducer<LatencyRecorder> = pcfg
        .create_with_context(LatencyRecorder::new(base))
        .map_err(|e| CliError::client("creating producer", e))?;
    let run_id = u64::from(std::process::id()) << 32 | u64::from(base.elapsed().subsec_nanos());
    let idle_limit = Duration::from_millis(args.timeout_ms);

    // Warmup: sequence numbers past the measured range, so `Received` ignores them.
    if args.warmup_records > 0 {
        let mut value = payload(args.record_size, run_id);
        for i in 0..args.warmup_records {
            let now_ns = base.elapsed().as_nanos() as u64;
            encode_header(&mut value, run_id, args.records + i, now_ns);
            let record = BaseRecord::<[u8], [u8], usize>::with_opaque_to(&args.topic, now_ns as usize)
                .payload(&value[..]);
            send_with_backpressure(&producer, record)?;
        }
        let mut got = 0;
        let mut last = Instant::now();
        while got < args.warmup_records && !stop.load(Ordering::Relaxed) {
            match consumer.poll(Duration::from_millis(100)) {
                Some(Ok(m)) if m.payload().and_then(|v| decode_header(v, run_id)).is_some() => {
                    got += 1;
                    last = Instant::now();
                }
                _ if last.elapsed() >= idle_limit => {
                    return Err(CliError::Incomplete(format!(
                        "warmup: only {got} of {} records came back within {} ms",
                        args.warmup_records, args.timeout_ms
                    )))
                }
                _ => {}
            }
        }
        // Ack latencies of the warmup are not part of the results; wait for their
        // delivery reports so none lands after the reset.
        let _ = producer.flush(timeout);
        let mut s = producer.context().lock();
        s.hist = Histogram::new();
        s.window = Default::default();
    }

    let mut received = Received::new(args.records);
    let mut producer_result = Ok(0u64);
    std::thread::scope(|scope| {
        let sender = scope.spawn(|| send_paced(args, &producer, run_id, base, stop));
        consume_loop(args, &consumer, run_id, base, stop, &mut received);
        // Unblock a sender stuck behind the throttle if the consumer gave up.
        if received.unique < args.records {
            stop.store(true, Ordering::Relaxed);
        }
        producer_result = sender
            .join()
            .unwrap_or_else(|_| Err(CliError::Native("sender thread panicked".into())));
    });
    let sent = producer_result?;
    let mut last = Instant::now();
    drain(&producer, &mut last, stop);

    let acks = producer.context().lock();
    let lost = args.records - received.unique;
    eprintln!(
        "{} of {sent} records received ({lost} missing, {} duplicates)",
        received.unique, received.duplicates
    );
    eprintln!("end-to-end latency: {}", latency_line(&received.hist));
    eprintln!("ack latency:        {}", latency_line(&acks.hist));
    let report = json!({
        "bench": "e2e",
        "topic": args.topic,
        "partitions": partitions.len(),
        "records_requested": args.records,
        "records_sent": sent,
        "records_received": received.unique,
        "records_missing": lost,
        "duplicates": received.duplicates,
        "delivery_failures": acks.failed,
        "record_size": args.record_size,
        "throughput_limit": args.throughput,
        "acks": args.acks.map_or("default".to_string(), |a| a.to_string()),
        "e2e_latency_ms": latency_json(&received.hist),
        "ack_latency_ms": latency_json(&acks.hist),
    });
    let failure = (lost > 0 || acks.failed > 0).then(|| {
        CliError::Incomplete(format!(
            "{lost} records never arrived, {} deliveries failed",
            acks.failed
        ))
    });
    Ok(Outcome { report, failure })
}

/// Sends the measured records at the requested rate; returns how many were sent.
fn send_paced(
    args: &BenchE2eArgs,
    producer: &ThreadedProducer<LatencyRecorder>,
    run_id: u64,
    base: Instant,
    stop: &AtomicBool,
) -> Result<u64, CliError> {
    let throttle = Throttle::new(args.throughput);
    let mut value = payload(args.record_size, run_id ^ 0x5eed);
    let start = Instant::now();
    let mut sent = 0;
    while sent < args.records && !stop.load(Ordering::Relaxed) {
        if let Some(wait) = throttle.delay(sent, start.elapsed()) {
            std::thread::sleep(wait);
        }
        let now_ns = base.elapsed().as_nanos() as u64;
        encode_header(&mut value, run_id, sent, now_ns);
        let record =
            BaseRecord::<[u8], [u8], usize>::with_opaque_to(&args.topic, now_ns as usize).payload(&value[..]);
        send_with_backpressure(producer, record)?;
        sent += 1;
    }
    Ok(sent)
}

fn consume_loop(
    args: &BenchE2eArgs,
    consumer: &BaseConsumer,
    run_id: u64,
    base: Instant,
    stop: &AtomicBool,
    received: &mut Received,
) {
    let mut last_data = Instant::now();
    let mut last_progress = Instant::now();
    let mut window = Histogram::new();
    let idle_limit = Duration::from_millis(args.timeout_ms);
    while received.unique < args.records && !stop.load(Ordering::Relaxed) {
        match consumer.poll(Duration::from_millis(100)) {
            Some(Ok(msg)) => {
                let now_ns = base.elapsed().as_nanos() as u64;
                if let Some((seq, sent_ns)) = msg.payload().and_then(|v| decode_header(v, run_id)) {
                    let latency_us = now_ns.saturating_sub(sent_ns) / 1_000;
                    received.add(seq, latency_us);
                    window.record(latency_us);
                    last_data = Instant::now();
                }
            }
            Some(Err(KafkaError::PartitionEOF(_))) | None => {}
            Some(Err(e)) => eprintln!("warning: {}", CliError::client("consuming", e)),
        }
        if last_data.elapsed() >= idle_limit {
            eprintln!("no record for {} ms; stopping", args.timeout_ms);
            break;
        }
        if last_progress.elapsed() >= PROGRESS_EVERY {
            eprintln!(
                "{} of {} records received; last {:.1} s: {}",
                received.unique,
                args.records,
                last_progress.elapsed().as_secs_f64(),
                latency_line(&window)
            );
            window = Histogram::new();
            last_progress = Instant::now();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_foreign_records() {
        let mut v = vec![0u8; 40];
        encode_header(&mut v, 77, 5, 123_456_789);
        assert_eq!(decode_header(&v, 77), Some((5, 123_456_789)));
        assert_eq!(decode_header(&v, 78), None);
        assert_eq!(decode_header(&v[..20], 77), None);
        assert_eq!(decode_header(b"hello", 77), None);
    }

    #[test]
    fn received_counts_duplicates_and_ignores_warmup() {
        let mut r = Received::new(3);
        r.add(0, 10);
        r.add(0, 99);
        r.add(2, 30);
        r.add(3, 1_000_000); // warmup seq
        assert_eq!(r.unique, 2);
        assert_eq!(r.duplicates, 1);
        assert_eq!(r.hist.count(), 2);
        assert_eq!(r.hist.max(), 30);
    }
}
