//! `kavka produce`: one record per stdin line, like `kafka-console-producer.sh`.

use std::io::BufRead;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::util::Timeout;

use super::args::{unescape, Acks, ClientArgs, Compression};
use super::client;
use super::error::{describe_code, error_code, CliError};

#[derive(Debug, Clone, clap::Args)]
pub struct ProduceArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Topic to write to.
    #[arg(long)]
    pub topic: String,

    /// Split each line into key and value at the first occurrence of
    /// `--key-separator`.
    #[arg(long)]
    pub parse_key: bool,

    /// Separator between key and value with `--parse-key`; `\t` means TAB.
    #[arg(long, default_value = "\\t")]
    pub key_separator: String,

    /// Acknowledgements: 0, 1 or all (librdkafka default: all).
    #[arg(long)]
    pub acks: Option<Acks>,

    /// Batch compression (librdkafka default: none).
    #[arg(long, value_enum)]
    pub compression: Option<Compression>,

    /// Write every record to this partition instead of letting the partitioner choose.
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub partition: Option<i32>,
}

/// Splits one input line (without its line ending) into key and value. With no
/// separator the whole line is the value; with one, a line lacking it is an error, as
/// in Kafka's console producer.
pub fn split_line<'a>(line: &'a [u8], separator: Option<&[u8]>) -> Option<(Option<&'a [u8]>, &'a [u8])> {
    let Some(sep) = separator else {
        return Some((None, line));
    };
    if sep.is_empty() {
        return None;
    }
    let pos = line.windows(sep.len()).position(|w| w == sep)?;
    Some((Some(&line[..pos]), &line[pos + sep.len()..]))
}

/// Strips `\n` and a preceding `\r`.
fn trim_line_end(buf: &[u8]) -> &[u8] {
    let buf = buf.strip_suffix(b"\n").unwrap_or(buf);
    buf.strip_suffix(b"\r").unwrap_or(buf)
}

/// Counts delivery outcomes; librdkafka calls it on the producer's polling thread.
#[derive(Default)]
struct DeliveryCounter {
    delivered: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for DeliveryCounter {}

impl ProducerContext for DeliveryCounter {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.delivered.fetch_add(1, Ordering::Relaxed);
            }
            Err((err, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                if let Ok(mut first) = self.first_error.lock() {
                    first.get_or_insert_with(|| match error_code(err) {
                        Some(code) => describe_code(code),
                        None => err.to_string(),
                    });
                }
            }
        }
    }
}

pub async fn run_produce(args: ProduceArgs) -> anyhow::Result<()> {
    client::blocking(move || {
        let stdin = std::io::stdin();
        let mut input = stdin.lock();
        let stats = produce_lines(&args, &mut input)?;
        eprintln!(
            "Produced {} of {} records to {} in {:.3} s{}",
            stats.delivered,
            stats.sent,
            args.topic,
            stats.elapsed.as_secs_f64(),
            if stats.failed > 0 {
                format!(", {} failed", stats.failed)
            } else {
                String::new()
            }
        );
        if let Some(e) = stats.input_error {
            return Err(e);
        }
        if stats.failed > 0 {
            return Err(CliError::DeliveryFailed {
                failed: stats.failed,
                total: stats.sent,
                first: stats.first_error.unwrap_or_default(),
            });
        }
        Ok(())
    })
    .await?;
    Ok(())
}

/// Outcome of producing an input stream.
#[derive(Debug)]
pub(super) struct ProduceStats {
    pub sent: u64,
    pub delivered: u64,
    pub failed: u64,
    pub first_error: Option<String>,
    /// A bad input line or read error stops reading; what was sent before is still
    /// flushed and counted.
    pub input_error: Option<CliError>,
    pub elapsed: Duration,
}

/// Sends one record per line of `input` and waits for every delivery report.
pub(super) fn produce_lines(args: &ProduceArgs, input: &mut dyn BufRead) -> Result<ProduceStats, CliError> {
    let mut cfg = args.client.client_config(&[])?;
    if let Some(a) = args.acks {
        cfg.set("acks", a.as_config());
    }
    if let Some(c) = args.compression {
        cfg.set("compression.type", c.as_config());
    }
    let separator = args.parse_key.then(|| unescape(&args.key_separator).into_bytes());
    if separator.as_ref().is_some_and(|s| s.is_empty()) {
        return Err(CliError::invalid("--key-separator", "must not be empty"));
    }
    let producer: ThreadedProducer<DeliveryCounter> = cfg
        .create_with_context(DeliveryCounter::default())
        .map_err(|e| CliError::client("creating producer", e))?;

    let started = Instant::now();
    let mut buf = Vec::new();
    let mut sent = 0u64;
    let mut line_no = 0u64;
    let mut input_error = None;
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(source) => {
                input_error = Some(CliError::Io {
                    what: "reading input",
                    source,
                });
                break;
            }
        }
        line_no += 1;
        let line = trim_line_end(&buf);
        let Some((key, value)) = split_line(line, separator.as_deref()) else {
            input_error = Some(CliError::invalid(
                "input",
                format!(
                    "no key separator found on line {line_no}: {:?}",
                    String::from_utf8_lossy(line)
                ),
            ));
            break;
        };
        let mut record: BaseRecord<'_, [u8], [u8], ()> = BaseRecord::to(&args.topic).payload(value);
        if let Some(k) = key {
            record = record.key(k);
        }
        if let Some(p) = args.partition {
            record = record.partition(p);
        }
        send_with_backpressure(&producer, record)?;
        sent += 1;
    }
    // librdkafka reports every message within message.timeout.ms, so waiting without
    // our own deadline cannot hang forever.
    producer
        .flush(Timeout::Never)
        .map_err(|e| CliError::client("flushing producer", e))?;
    let ctx = producer.context();
    Ok(ProduceStats {
        sent,
        delivered: ctx.delivered.load(Ordering::Relaxed),
        failed: ctx.failed.load(Ordering::Relaxed),
        first_error: ctx.first_error.lock().ok().and_then(|f| f.clone()),
        input_error,
        elapsed: started.elapsed(),
    })
}

/// Enqueues a record, waiting while librdkafka's local queue is full.
pub(super) fn send_with_backpressure<'a, C, K, P>(
    producer: &ThreadedProducer<C>,
    mut record: BaseRecord<'a, K, P, C::DeliveryOpaque>,
) -> Result<(), CliError>
where
    C: ProducerContext + 'static,
    K: rdkafka::message::ToBytes + ?Sized,
    P: rdkafka::message::ToBytes + ?Sized,
{
    loop {
        match producer.send(record) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), rec)) => {
                record = rec;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err((e, _)) => return Err(CliError::client("enqueueing record", e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_without_key_keeps_line() {
        assert_eq!(split_line(b"a\tb", None), Some((None, &b"a\tb"[..])));
    }

    #[test]
    fn split_at_first_separator() {
        assert_eq!(
            split_line(b"k\tv\tw", Some(b"\t")),
            Some((Some(&b"k"[..]), &b"v\tw"[..]))
        );
        assert_eq!(
            split_line(b"key::value", Some(b"::")),
            Some((Some(&b"key"[..]), &b"value"[..]))
        );
        assert_eq!(split_line(b"\tv", Some(b"\t")), Some((Some(&b""[..]), &b"v"[..])));
        assert_eq!(split_line(b"novalue", Some(b"\t")), None);
    }

    #[test]
    fn line_endings_are_stripped() {
        assert_eq!(trim_line_end(b"x\r\n"), b"x");
        assert_eq!(trim_line_end(b"x\n"), b"x");
        assert_eq!(trim_line_end(b"x"), b"x");
        assert_eq!(trim_line_end(b"x\r"), b"x");
    }
}
