//! `kavka consume`: print records to stdout, like `kafka-console-consumer.sh`.
//!
//! Without `--group` the consumer uses `assign()` on explicit partitions, so it needs
//! no group coordinator on the broker; with `--group` it subscribes and commits.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{ClientConfig, Offset, TopicPartitionList};

use super::args::{unescape, ClientArgs};
use super::client;
use super::error::CliError;

#[derive(Debug, Clone, clap::Args)]
pub struct ConsumeArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    /// Topic to read.
    #[arg(long)]
    pub topic: String,

    /// Start at the earliest offset instead of the end.
    #[arg(long, conflicts_with = "offset")]
    pub from_beginning: bool,

    /// Read only this partition (default: all partitions of the topic).
    #[arg(long, value_parser = clap::value_parser!(i32).range(0..))]
    pub partition: Option<i32>,

    /// Start offset in `--partition`: `earliest`, `latest` or a number.
    #[arg(long, requires = "partition", value_parser = parse_offset)]
    pub offset: Option<StartOffset>,

    /// Exit after this many records.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub max_messages: Option<u64>,

    /// Consume as a member of this group (subscribe + commit) instead of assign().
    #[arg(long, conflicts_with_all = ["partition", "offset"])]
    pub group: Option<String>,

    /// Print `key<separator>value` instead of the value only.
    #[arg(long)]
    pub print_key: bool,

    /// Separator printed between key and value; `\t` means TAB.
    #[arg(long, default_value = "\\t")]
    pub key_separator: String,

    /// Exit when no record arrived for this many milliseconds (default: wait forever).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: Option<u64>,
}

/// Where to start reading a partition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartOffset {
    Earliest,
    Latest,
    At(i64),
}

pub fn parse_offset(s: &str) -> Result<StartOffset, String> {
    match s.trim() {
        "earliest" => Ok(StartOffset::Earliest),
        "latest" => Ok(StartOffset::Latest),
        n => match n.parse::<i64>() {
            Ok(v) if v >= 0 => Ok(StartOffset::At(v)),
            _ => Err(format!("expected earliest, latest or an offset >= 0, got {s:?}")),
        },
    }
}

/// The librdkafka offset to start from: an explicit `--offset` wins, otherwise the
/// beginning with `--from-beginning` and the end without.
pub fn start_offset(from_beginning: bool, offset: Option<StartOffset>) -> Offset {
    match offset {
        Some(StartOffset::Earliest) => Offset::Beginning,
        Some(StartOffset::Latest) => Offset::End,
        Some(StartOffset::At(n)) => Offset::Offset(n),
        None if from_beginning => Offset::Beginning,
        None => Offset::End,
    }
}

/// One output line: the value, or `key<sep>value` (`null` for absent key or value,
/// as Kafka's console consumer prints).
pub fn format_record(out: &mut Vec<u8>, key: Option<&[u8]>, value: Option<&[u8]>, key_sep: Option<&[u8]>) {
    if let Some(sep) = key_sep {
        out.extend_from_slice(key.unwrap_or(b"null"));
        out.extend_from_slice(sep);
    }
    out.extend_from_slice(value.unwrap_or(b"null"));
    out.push(b'\n');
}

/// Settings for a consumer that only uses `assign()` with explicit start offsets.
///
/// librdkafka refuses `assign()` without a `group.id` (`_UNKNOWN_GROUP`), so a
/// throwaway id is set; with no subscription and no commits the group never joins
/// or stores anything. librdkafka still looks up its coordinator in the background;
/// a broker without a group coordinator only makes that lookup fail, which does not
/// affect fetching.
pub(super) fn assign_only_config(args: &ClientArgs) -> Result<ClientConfig, CliError> {
    let group = format!("kavka-cli-assign-{}", std::process::id());
    args.client_config(&[
        ("group.id", group.as_str()),
        ("enable.auto.commit", "false"),
        ("enable.auto.offset.store", "false"),
    ])
}

/// Assigns `partitions` of `topic`, all starting at `offset`.
pub(super) fn assign_partitions(
    consumer: &BaseConsumer,
    topic: &str,
    partitions: &[i32],
    offset: Offset,
) -> Result<(), CliError> {
    let mut tpl = TopicPartitionList::new();
    for &p in partitions {
        tpl.add_partition_offset(topic, p, offset)
            .map_err(|e| CliError::client("building assignment", e))?;
    }
    consumer
        .assign(&tpl)
        .map_err(|e| CliError::client("assigning partitions", e))
}

/// Partition ids of `topic` as seen by `consumer`'s metadata.
pub(super) fn consumer_partitions(
    consumer: &BaseConsumer,
    topic: &str,
    timeout: Duration,
) -> Result<Vec<i32>, CliError> {
    let md = consumer
        .fetch_metadata(Some(topic), timeout)
        .map_err(|e| CliError::client("fetching metadata", e))?;
    let t = md
        .topics()
        .iter()
        .find(|t| t.name() == topic)
        .ok_or_else(|| CliError::UnknownTopic(topic.to_string()))?;
    if t.error().is_some() || t.partitions().is_empty() {
        return Err(CliError::UnknownTopic(topic.to_string()));
    }
    let mut ids: Vec<i32> = t.partitions().iter().map(|p| p.id()).collect();
    ids.sort_unstable();
    Ok(ids)
}

/// A flag raised on Ctrl-C so blocking loops can stop cleanly and print totals.
pub(super) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let f = Arc::clone(&flag);
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            f.store(true, Ordering::Relaxed);
        }
    });
    flag
}

pub async fn run_consume(args: ConsumeArgs) -> anyhow::Result<()> {
    let stop = interrupt_flag();
    client::blocking(move || {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        consume(&args, &stop, &mut out).map(|_| ())
    })
    .await?;
    Ok(())
}

/// Consumes per `args`, writing records to `out`; returns how many were written.
pub(super) fn consume(args: &ConsumeArgs, stop: &AtomicBool, out: &mut dyn Write) -> Result<u64, CliError> {
    let consumer: BaseConsumer = match &args.group {
        Some(group) => {
            let reset = if args.from_beginning { "earliest" } else { "latest" };
            let mut cfg = args.client.client_config(&[("auto.offset.reset", reset)])?;
            cfg.set("group.id", group);
            let c: BaseConsumer = cfg
                .create()
                .map_err(|e| CliError::client("creating consumer", e))?;
            c.subscribe(&[&args.topic])
                .map_err(|e| CliError::client("subscribing", e))?;
            c
        }
        None => {
            let c: BaseConsumer = assign_only_config(&args.client)?
                .create()
                .map_err(|e| CliError::client("creating consumer", e))?;
            let all = consumer_partitions(&c, &args.topic, args.client.request_timeout())?;
            let partitions = match args.partition {
                Some(p) if !all.contains(&p) => {
                    return Err(CliError::invalid(
                        "--partition",
                        format!(
                            "topic '{}' has no partition {p} (it has {})",
                            args.topic,
                            all.len()
                        ),
                    ))
                }
                Some(p) => vec![p],
                None => all,
            };
            let offset = start_offset(args.from_beginning, args.offset);
            assign_partitions(&c, &args.topic, &partitions, offset)?;
            c
        }
    };

    let key_sep = args.print_key.then(|| unescape(&args.key_separator).into_bytes());
    let idle_limit = args.timeout_ms.map(Duration::from_millis);
    let mut line = Vec::new();
    let mut count = 0u64;
    let mut dirty = false;
    let mut last_data = Instant::now();
    let mut timed_out = false;
    while !stop.load(Ordering::Relaxed) && args.max_messages.is_none_or(|m| count < m) {
        let idle = last_data.elapsed();
        if !dirty && idle_limit.is_some_and(|l| idle >= l) {
            timed_out = true;
            break;
        }
        // Drain what is already fetched without waiting; flush stdout only when about
        // to block, so piped output is fast and interactive output is immediate.
        let wait = if dirty {
            Duration::ZERO
        } else {
            let left = idle_limit.map_or(Duration::MAX, |l| l.saturating_sub(idle));
            left.min(Duration::from_millis(100))
        };
        match consumer.poll(wait) {
            None => {
                if dirty {
                    if flush_or_stop(out)? {
                        break;
                    }
                    dirty = false;
                }
            }
            Some(Ok(msg)) => {
                line.clear();
                format_record(&mut line, msg.key(), msg.payload(), key_sep.as_deref());
                if write_or_stop(out, &line)? {
                    break;
                }
                count += 1;
                dirty = true;
                last_data = Instant::now();
            }
            Some(Err(KafkaError::PartitionEOF(_))) => {}
            Some(Err(e @ KafkaError::MessageConsumptionFatal(_))) => {
                return Err(CliError::client("consuming", e));
            }
            Some(Err(e)) => eprintln!("warning: {}", CliError::client("consuming", e)),
        }
    }
    let _ = flush_or_stop(out)?;
    eprintln!("Processed a total of {count} messages");
    match args.max_messages {
        Some(m) if timed_out && count < m => Err(CliError::Incomplete(format!(
            "timed out after {} ms without data, {count} of {m} messages received",
            args.timeout_ms.unwrap_or_default()
        ))),
        _ => Ok(count),
    }
}

/// Writes, treating a closed pipe (`| head`) as a request to stop.
fn write_or_stop(out: &mut dyn Write, data: &[u8]) -> Result<bool, CliError> {
    match out.write_all(data) {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(true),
        Err(source) => Err(CliError::Io {
            what: "writing stdout",
            source,
        }),
    }
}

fn flush_or_stop(out: &mut dyn Write) -> Result<bool, CliError> {
    match out.flush() {
        Ok(()) => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(true),
        Err(source) => Err(CliError::Io {
            what: "writing stdout",
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: ConsumeArgs,
    }

    #[test]
    fn offsets_parse() {
        assert_eq!(parse_offset("earliest"), Ok(StartOffset::Earliest));
        assert_eq!(parse_offset("latest"), Ok(StartOffset::Latest));
        assert_eq!(parse_offset("42"), Ok(StartOffset::At(42)));
        assert!(parse_offset("-1").is_err());
        assert!(parse_offset("soon").is_err());
    }

    #[test]
    fn start_offset_precedence() {
        assert_eq!(start_offset(false, None), Offset::End);
        assert_eq!(start_offset(true, None), Offset::Beginning);
        assert_eq!(start_offset(false, Some(StartOffset::At(7))), Offset::Offset(7));
        assert_eq!(
            start_offset(false, Some(StartOffset::Earliest)),
            Offset::Beginning
        );
    }

    #[test]
    fn record_lines() {
        let mut out = Vec::new();
        format_record(&mut out, Some(b"k"), Some(b"v"), Some(b"\t"));
        format_record(&mut out, None, Some(b"v2"), Some(b"::"));
        format_record(&mut out, Some(b"k"), None, None);
        assert_eq!(out, b"k\tv\nnull::v2\nnull\n");
    }

    #[test]
    fn argument_rules() {
        assert!(Cli::try_parse_from(["c", "--topic", "t", "--offset", "5"]).is_err());
        assert!(Cli::try_parse_from(["c", "--topic", "t", "--group", "g", "--partition", "0"]).is_err());
        assert!(Cli::try_parse_from([
            "c",
            "--topic",
            "t",
            "--partition",
            "0",
            "--offset",
            "5",
            "--from-beginning"
        ])
        .is_err());
        let ok =
            Cli::try_parse_from(["c", "--topic", "t", "--partition", "1", "--offset", "latest"]).unwrap();
        assert_eq!(ok.args.offset, Some(StartOffset::Latest));
        assert!(!ok.args.client.bootstrap_server.is_empty());
    }
}
