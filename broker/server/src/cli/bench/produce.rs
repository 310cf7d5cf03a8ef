//! `kavka bench produce`: producer throughput and per-record acknowledgement latency.
//!
//! Uses librdkafka's `ThreadedProducer` (no per-record future); the send time travels
//! with each record as its delivery opaque, and the delivery callback — run on the
//! producer's polling thread as soon as the broker's response is processed — records
//! the latency.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::ClientConfig;
use serde_json::json;

use super::super::args::{parse_key_value, Acks, ClientArgs, Compression};
use super::super::client;
use super::super::consume::interrupt_flag;
use super::super::error::{describe_code, error_code, CliError};
use super::super::produce::send_with_backpressure;
use super::histogram::Histogram;
use super::report::{latency_json, payload, produce_summary, rates, Throttle, Window, PROGRESS_EVERY};
use super::Outcome;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchProduceArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[arg(long)]
    pub topic: String,

    /// Number of records to send.
    #[arg(long, default_value_t = 1_000_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub records: u64,

    /// Value size in bytes.
    #[arg(long, default_value_t = 100)]
    pub record_size: usize,

    /// Acknowledgements: 0, 1 or all (librdkafka default: all).
    #[arg(long)]
    pub acks: Option<Acks>,

    /// Batch compression (default: none).
    #[arg(long, value_enum)]
    pub compression: Option<Compression>,

    /// Partitions to create the topic with if it does not exist.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: i32,

    /// Replication factor to create the topic with if it does not exist.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=i16::MAX as i64))]
    pub replication_factor: i32,

    /// Producer `linger.ms` (librdkafka default: 5).
    #[arg(long)]
    pub linger_ms: Option<u64>,

    /// Producer `batch.size` in bytes (librdkafka default: 1000000).
    #[arg(long)]
    pub batch_size: Option<u64>,

    /// Maximum records per second; -1 for no limit.
    #[arg(long, default_value_t = -1.0, allow_negative_numbers = true)]
    pub throughput: f64,

    /// Extra producer property `key=value`; repeatable.
    #[arg(long = "producer-property", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    pub producer_properties: Vec<(String, String)>,
}

/// Producer settings: shared client settings, then `--producer-property`, then the
/// dedicated flags (most specific wins).
pub(super) fn producer_config(
    client: &ClientArgs,
    extra: &[(String, String)],
    acks: Option<Acks>,
    compression: Option<Compression>,
    linger_ms: Option<u64>,
    batch_size: Option<u64>,
) -> Result<ClientConfig, CliError> {
    let mut cfg = client.client_config(&[])?;
    for (k, v) in extra {
        cfg.set(k, v);
    }
    if let Some(a) = acks {
        cfg.set("acks", a.as_config());
    }
    if let Some(c) = compression {
        cfg.set("compression.type", c.as_config());
    }
    if let Some(l) = linger_ms {
        cfg.set("linger.ms", l.to_string());
    }
    if let Some(b) = batch_size {
        cfg.set("batch.size", b.to_string());
    }
    Ok(cfg)
}

#[derive(Debug, Default)]
pub(super) struct LatencyState {
    pub hist: Histogram,
    pub window: Window,
    pub delivered: u64,
    pub bytes: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    /// Time of the last successful delivery, relative to the recorder's base.
    pub last_delivery: Option<Duration>,
}

/// Delivery callback context that records send-to-ack latency in microseconds.
pub(super) struct LatencyRecorder {
    base: Instant,
    pub state: Mutex<LatencyState>,
}

impl LatencyRecorder {
    pub fn new(base: Instant) -> Self {
        LatencyRecorder {
            base,
            state: Mutex::new(LatencyState::default()),
        }
    }

    /// The delivery opaque of a record sent now. (Nanoseconds in a `usize`: this tool
    /// targets 64-bit hosts, where it lasts for centuries.)
    pub fn stamp(&self) -> usize {
        self.base.elapsed().as_nanos() as usize
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, LatencyState> {
        // A panic while holding the lock would only leave counters half-updated;
        // keep measuring rather than abort the run.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ClientContext for LatencyRecorder {}

impl ProducerContext for LatencyRecorder {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, sent_ns: usize) {
        let now = self.base.elapsed();
        let latency_us = (now.as_nanos() as u64).saturating_sub(sent_ns as u64) / 1_000;
        let mut s = self.lock();
        match result {
            Ok(msg) => {
                let bytes = (msg.payload_len() + msg.key_len()) as u64;
                s.hist.record(latency_us);
                s.window.add(bytes, latency_us);
                s.delivered += 1;
                s.bytes += bytes;
                s.last_delivery = Some(now);
            }
            Err((err, _)) => {
                s.failed += 1;
                if s.first_error.is_none() {
                    s.first_error = Some(match error_code(err) {
                        Some(code) => describe_code(code),
                        None => err.to_string(),
                    });
                }
            }
        }
    }
}

/// Prints the progress window if it is due and starts a new one.
pub(super) fn maybe_progress(recorder: &LatencyRecorder, last: &mut Instant, what: &str) {
    let now = Instant::now();
    let elapsed = now.duration_since(*last);
    if elapsed < PROGRESS_EVERY {
        return;
    }
    let window = std::mem::take(&mut recorder.lock().window);
    eprintln!("{}", window.line(elapsed, what));
    *last = now;
}

/// Waits for every queued record's delivery report, printing progress meanwhile.
pub(super) fn drain(
    producer: &ThreadedProducer<LatencyRecorder>,
    last_progress: &mut Instant,
    stop: &AtomicBool,
) {
    while producer.in_flight_count() > 0 {
        // A timeout here is expected while records are still in flight.
        let _ = producer.flush(Duration::from_millis(200));
        maybe_progress(producer.context(), last_progress, "sent");
        if stop.load(Ordering::Relaxed) {
            eprintln!(
                "interrupted; {} records still in flight",
                producer.in_flight_count()
            );
            break;
        }
    }
}

pub(super) async fn run(args: BenchProduceArgs) -> Result<Outcome, CliError> {
    if args.records == 0 {
        return Err(CliError::invalid("--records", "must be at least 1"));
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
    client::blocking(move || bench(&args, partitions.len(), &stop)).await
}

fn bench(args: &BenchProduceArgs, partitions: usize, stop: &AtomicBool) -> Result<Outcome, CliError> {
    let cfg = producer_config(
        &args.client,
        &args.producer_properties,
        args.acks,
        args.compression,
        args.linger_ms,
        args.batch_size,
    )?;
    let base = Instant::now();
    let producer: ThreadedProducer<LatencyRecorder> = cfg
        .create_with_context(LatencyRecorder::new(base))
        .map_err(|e| CliError::client("creating producer", e))?;
    let value = payload(args.record_size, 0x006b_6176_6b61);
    let throttle = Throttle::new(args.throughput);
    let ctx = producer.context();

    let start = Instant::now();
    let mut last_progress = start;
    let mut sent = 0u64;
    while sent < args.records && !stop.load(Ordering::Relaxed) {
        if let Some(wait) = throttle.delay(sent, start.elapsed()) {
            std::thread::sleep(wait);
        }
        let record =
            BaseRecord::<[u8], [u8], usize>::with_opaque_to(&args.topic, ctx.stamp()).payload(&value[..]);
        send_with_backpressure(&producer, record)?;
        sent += 1;
        if sent & 1023 == 0 {
            maybe_progress(ctx, &mut last_progress, "sent");
        }
    }
    drain(&producer, &mut last_progress, stop);

    let s = ctx.lock();
    // Throughput counts until the last acknowledgement, not until we noticed it.
    let elapsed = s.last_delivery.map_or_else(
        || start.elapsed(),
        |d| d.saturating_sub(start.duration_since(base)),
    );
    let (rps, mbps) = rates(s.delivered, s.bytes, elapsed);
    eprintln!("{}", produce_summary(s.delivered, s.bytes, elapsed, &s.hist));
    let report = json!({
        "bench": "produce",
        "topic": args.topic,
        "partitions": partitions,
        "records_requested": args.records,
        "records_sent": sent,
        "records_delivered": s.delivered,
        "records_failed": s.failed,
        "record_size": args.record_size,
        "acks": args.acks.map_or("default".to_string(), |a| a.to_string()),
        "compression": args.compression.map_or("default".to_string(), |c| c.to_string()),
        "throughput_limit": args.throughput,
        "elapsed_s": elapsed.as_secs_f64(),
        "records_per_sec": rps,
        "mb_per_sec": mbps,
        "latency_ms": latency_json(&s.hist),
        "first_error": s.first_error,
    });
    let failure = (s.failed > 0 || s.delivered < args.records).then(|| CliError::DeliveryFailed {
        failed: args.records - s.delivered,
        total: args.records,
        first: s.first_error.clone().unwrap_or_else(|| "interrupted".into()),
    });
    Ok(Outcome { report, failure })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: BenchProduceArgs,
    }

    #[test]
    fn flags_override_properties() {
        let cli = Cli::try_parse_from([
            "b",
            "--topic",
            "t",
            "--acks",
            "1",
            "--compression",
            "zstd",
            "--linger-ms",
            "3",
            "--producer-property",
            "acks=0",
            "--producer-property",
            "queue.buffering.max.kbytes=2048",
            "--property",
            "linger.ms=50",
            "--throughput",
            "-1",
        ])
        .unwrap();
        let a = cli.args;
        let cfg = producer_config(
            &a.client,
            &a.producer_properties,
            a.acks,
            a.compression,
            a.linger_ms,
            a.batch_size,
        )
        .unwrap();
        assert_eq!(cfg.get("acks"), Some("1"));
        assert_eq!(cfg.get("compression.type"), Some("zstd"));
        assert_eq!(cfg.get("linger.ms"), Some("3"));
        assert_eq!(cfg.get("queue.buffering.max.kbytes"), Some("2048"));
        assert_eq!(cfg.get("batch.size"), None);
        assert_eq!(a.throughput, -1.0);
    }

    #[test]
    fn bad_values_are_rejected() {
        assert!(Cli::try_parse_from(["b", "--topic", "t", "--acks", "2"]).is_err());
        assert!(Cli::try_parse_from(["b", "--topic", "t", "--compression", "brotli"]).is_err());
        assert!(Cli::try_parse_from(["b", "--topic", "t", "--records", "0"]).is_err());
        assert!(Cli::try_parse_from(["b", "--topic", "t", "--partitions", "0"]).is_err());
    }
}
