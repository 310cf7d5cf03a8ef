//! `kavka bench group`: consumer-group coordination costs.
//!
//! 1. Rebalance time. `--consumers` members (one thread and one `BaseConsumer` each)
//!    subscribe to the topic; once the group is stable one more member joins and we
//!    measure from its creation until every member holds its new assignment and has
//!    polled since. The extra member then leaves (another rebalance, also reported),
//!    so every round starts from the same group size. With librdkafka's default
//!    `heartbeat.interval.ms` (3 s) the existing members learn of a rebalance only on
//!    their next heartbeat, which usually dominates the number.
//! 2. Offset-commit rate. One consumer in a group of its own, assigned one partition
//!    (no subscription), commits increasing offsets synchronously.
//!
//! Only the eager assignors (librdkafka's default `range,roundrobin`) are supported:
//! with `cooperative-sticky` members whose partitions do not move get no callback,
//! so "every member received its new assignment" cannot be observed.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rdkafka::client::ClientContext;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use serde_json::{json, Value};

use super::super::args::ClientArgs;
use super::super::client;
use super::super::consume::interrupt_flag;
use super::super::error::CliError;
use super::histogram::Histogram;
use super::report::{latency_json, latency_line, PROGRESS_EVERY};
use super::Outcome;

#[derive(Debug, Clone, clap::Args)]
pub struct BenchGroupArgs {
    #[command(flatten)]
    pub client: ClientArgs,

    #[arg(long)]
    pub topic: String,

    /// Partitions to create the topic with if it does not exist.
    #[arg(long, default_value_t = 12, value_parser = clap::value_parser!(i32).range(1..))]
    pub partitions: i32,

    /// Replication factor to create the topic with if it does not exist.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(i32).range(1..=i16::MAX as i64))]
    pub replication_factor: i32,

    /// Members of the group before the measured member joins.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub consumers: u32,

    /// Join (and leave) rounds to measure; 0 skips the rebalance benchmark.
    #[arg(long, default_value_t = 3)]
    pub rounds: u32,

    /// Synchronous offset commits to measure; 0 skips the commit benchmark.
    #[arg(long, default_value_t = 2000)]
    pub commits: u64,

    /// Commits made before measuring, so the coordinator lookup is excluded.
    #[arg(long, default_value_t = 10)]
    pub warmup_commits: u64,

    /// Timeout of each member's poll call, in milliseconds. A member counts as having
    /// polled after an assignment when a poll started after it returned, so this
    /// bounds the error that adds to the rebalance time.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
    pub poll_timeout_ms: u64,

    /// Give up when the group has not settled after this many milliseconds.
    #[arg(long, default_value_t = 120_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_ms: u64,
}

/// What one member has observed; written by its rebalance callbacks and poll loop.
#[derive(Debug)]
pub struct Member {
    /// Partitions held; `None` from a revocation until the next assignment.
    pub assigned: Option<usize>,
    /// Assignments received so far.
    pub epoch: u64,
    pub assigned_at: Option<Instant>,
    /// Highest epoch that a finished poll call started after, and when the first
    /// such poll returned.
    pub polled_epoch: u64,
    pub polled_at: Option<Instant>,
    /// False once the member is told to leave; it no longer counts.
    pub active: bool,
    pub failed: Option<CliError>,
}

impl Member {
    fn new() -> Self {
        Member {
            assigned: None,
            epoch: 0,
            assigned_at: None,
            polled_epoch: 0,
            polled_at: None,
            active: true,
            failed: None,
        }
    }
}

/// When a group settled: the last member's assignment and its first poll after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settled {
    pub assigned_at: Instant,
    pub polled_at: Instant,
}

/// The group has settled when every active member holds an assignment newer than
/// its `baseline` epoch (members beyond `baseline` are new: any assignment), has
/// polled since receiving it, and the assignments together cover all `partitions`
/// exactly once (under an eager assignor that rules out members still holding
/// partitions of an older generation).
pub fn settled(members: &[Member], baseline: &[u64], partitions: usize) -> Option<Settled> {
    let mut total = 0usize;
    let mut last: Option<Settled> = None;
    for (i, m) in members.iter().enumerate().filter(|(_, m)| m.active) {
        let base = baseline.get(i).copied().unwrap_or(0);
        let held = m.assigned?;
        if m.epoch <= base || m.polled_epoch < m.epoch {
            return None;
        }
        let (assigned_at, polled_at) = (m.assigned_at?, m.polled_at?);
        total += held;
        last = Some(match last {
            None => Settled {
                assigned_at,
                polled_at,
            },
            Some(s) => Settled {
                assigned_at: s.assigned_at.max(assigned_at),
                polled_at: s.polled_at.max(polled_at),
            },
        });
    }
    (total == partitions).then_some(last).flatten()
}

/// `(min, avg, max)` of `values`; `None` when empty.
pub fn min_avg_max(values: &[f64]) -> Option<(f64, f64, f64)> {
    let first = *values.first()?;
    let (min, max, sum) = values.iter().fold((first, first, 0.0), |(lo, hi, s), &v| {
        (lo.min(v), hi.max(v), s + v)
    });
    Some((min, sum / values.len() as f64, max))
}

/// Member states shared between the threads; a poisoned lock only means a member
/// thread panicked mid-update, and the counters stay usable.
#[derive(Debug, Default)]
struct Shared {
    members: Mutex<Vec<Member>>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Vec<Member>> {
        self.members.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn update(&self, id: usize, f: impl FnOnce(&mut Member)) {
        if let Some(m) = self.lock().get_mut(id) {
            f(m);
        }
    }
}

/// Consumer context recording each member's rebalance callbacks.
struct Recorder {
    id: usize,
    shared: Arc<Shared>,
}

impl ClientContext for Recorder {}

impl ConsumerContext for Recorder {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        let now = Instant::now();
        match rebalance {
            Rebalance::Assign(tpl) => self.shared.update(self.id, |m| {
                m.assigned = Some(tpl.count());
                m.epoch += 1;
                m.assigned_at = Some(now);
            }),
            Rebalance::Revoke(_) => self.shared.update(self.id, |m| m.assigned = None),
            Rebalance::Error(e) => tracing::warn!(member = self.id, error = %e, "rebalance error"),
        }
    }
}

struct MemberThread {
    stop: Arc<AtomicBool>,
    handle: JoinHandle<()>,
}

impl MemberThread {
    fn stop_and_join(self) {
        self.stop.store(true, Ordering::Relaxed);
        if self.handle.join().is_err() {
            tracing::warn!("a group member thread panicked");
        }
    }
}

/// Starts member `id`: it subscribes and polls until stopped, then closes (which
/// sends LeaveGroup).
fn spawn_member(
    id: usize,
    cfg: &ClientConfig,
    topic: &str,
    shared: &Arc<Shared>,
    poll: Duration,
) -> MemberThread {
    let (cfg, topic, shared) = (cfg.clone(), topic.to_string(), Arc::clone(shared));
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let ctx = Recorder {
            id,
            shared: Arc::clone(&shared),
        };
        let consumer: BaseConsumer<Recorder> = match cfg.create_with_context(ctx) {
            Ok(c) => c,
            Err(e) => {
                return shared.update(id, |m| m.failed = Some(CliError::client("creating consumer", e)))
            }
        };
        if let Err(e) = consumer.subscribe(&[&topic]) {
            return shared.update(id, |m| m.failed = Some(CliError::client("subscribing", e)));
        }
        while !flag.load(Ordering::Relaxed) {
            let started = shared.lock().get(id).map_or(0, |m| m.epoch);
            if let Some(Err(e)) = consumer.poll(poll) {
                tracing::warn!(member = id, error = %e, "poll error");
            }
            let now = Instant::now();
            shared.update(id, |m| {
                if started > m.polled_epoch {
                    m.polled_epoch = started;
                    m.polled_at = Some(now);
                }
            });
        }
    });
    MemberThread { stop, handle }
}

/// Waits until the group settles relative to `baseline`.
fn wait_settled(
    shared: &Shared,
    baseline: &[u64],
    partitions: usize,
    timeout: Duration,
    stop: &AtomicBool,
) -> Result<Settled, CliError> {
    let deadline = Instant::now() + timeout;
    loop {
        {
            let mut members = shared.lock();
            if let Some(e) = members.iter_mut().find_map(|m| m.failed.take()) {
                return Err(e);
            }
            if let Some(s) = settled(&members, baseline, partitions) {
                return Ok(s);
            }
        }
        if stop.load(Ordering::Relaxed) {
            return Err(CliError::Incomplete("interrupted".into()));
        }
        if Instant::now() >= deadline {
            return Err(CliError::Timeout(timeout));
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn epochs(shared: &Shared) -> Vec<u64> {
    shared.lock().iter().map(|m| m.epoch).collect()
}

fn since_ms(later: Instant, earlier: Instant) -> f64 {
    later.saturating_duration_since(earlier).as_secs_f64() * 1000.0
}

/// One measured round, in milliseconds from the trigger (join: the new member's
/// creation; leave: the request to close it).
#[derive(Debug, Clone, Copy)]
struct Round {
    join_ms: f64,
    join_assigned_ms: f64,
    leave_ms: f64,
}

pub(super) async fn run(args: BenchGroupArgs) -> Result<Outcome, CliError> {
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

fn bench(args: &BenchGroupArgs, partitions: &[i32], stop: &AtomicBool) -> Result<Outcome, CliError> {
    let run_id = format!(
        "kavka-bench-group-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    );
    let mut rounds = Vec::new();
    let mut failure = None;
    if args.rounds > 0 {
        if let Err(e) = rebalance_rounds(args, partitions.len(), &run_id, stop, &mut rounds) {
            failure = Some(e);
        }
    }
    let mut commit_hist = Histogram::new();
    let mut commit_elapsed = Duration::ZERO;
    if args.commits > 0 && failure.is_none() {
        let group = format!("{run_id}-commit");
        match commit_bench(args, partitions, &group, stop, &mut commit_hist) {
            Ok(elapsed) => commit_elapsed = elapsed,
            Err(e) => failure = Some(e),
        }
    }

    let joins: Vec<f64> = rounds.iter().map(|r| r.join_ms).collect();
    let leaves: Vec<f64> = rounds.iter().map(|r| r.leave_ms).collect();
    let commits = commit_hist.count();
    let secs = commit_elapsed.as_secs_f64();
    let cps = if secs > 0.0 { commits as f64 / secs } else { 0.0 };
    if let Some(line) = rebalance_summary(&joins, &leaves, args.consumers) {
        eprintln!("{line}");
    }
    if commits > 0 {
        eprintln!(
            "{commits} offset commits, {cps:.1} commits/sec, {}",
            latency_line(&commit_hist)
        );
    }
    let stats = |v: &[f64]| min_avg_max(v).map(|(min, avg, max)| json!({"min": min, "avg": avg, "max": max}));
    let report = json!({
        "bench": "group",
        "topic": args.topic,
        "partitions": partitions.len(),
        "consumers": args.consumers,
        "group": run_id,
        "rounds": rounds.iter().map(|r| json!({
            "join_ms": r.join_ms,
            "join_assigned_ms": r.join_assigned_ms,
            "leave_ms": r.leave_ms,
        })).collect::<Vec<Value>>(),
        "rebalance_join_ms": stats(&joins),
        "rebalance_leave_ms": stats(&leaves),
        "commits": commits,
        "commit_elapsed_s": secs,
        "commits_per_sec": cps,
        "commit_latency_ms": latency_json(&commit_hist),
    });
    Ok(Outcome { report, failure })
}

/// `3 rebalances (10+1 members): join avg 3012.3 ms (min .., max ..); leave avg ...`
fn rebalance_summary(joins: &[f64], leaves: &[f64], consumers: u32) -> Option<String> {
    let (jmin, javg, jmax) = min_avg_max(joins)?;
    let mut line = format!(
        "{} rebalances ({consumers}+1 members): join avg {javg:.1} ms (min {jmin:.1} ms, max {jmax:.1} ms)",
        joins.len()
    );
    if let Some((lmin, lavg, lmax)) = min_avg_max(leaves) {
        line.push_str(&format!(
            "; leave avg {lavg:.1} ms (min {lmin:.1} ms, max {lmax:.1} ms)"
        ));
    }
    Some(line)
}

fn member_config(args: &BenchGroupArgs, group: &str) -> Result<ClientConfig, CliError> {
    let cfg = args
        .client
        .client_config(&[("group.id", group), ("enable.auto.commit", "false")])?;
    if cfg
        .get("partition.assignment.strategy")
        .is_some_and(|s| s.contains("cooperative"))
    {
        return Err(CliError::invalid(
            "partition.assignment.strategy",
            "bench group measures eager rebalances; cooperative assignors are not supported",
        ));
    }
    Ok(cfg)
}

fn rebalance_rounds(
    args: &BenchGroupArgs,
    partitions: usize,
    group: &str,
    stop: &AtomicBool,
    out: &mut Vec<Round>,
) -> Result<(), CliError> {
    let cfg = member_config(args, group)?;
    let shared = Arc::new(Shared::default());
    let poll = Duration::from_millis(args.poll_timeout_ms);
    let timeout = Duration::from_millis(args.timeout_ms);
    let mut threads = Vec::new();
    eprintln!(
        "Starting {} consumers in group {group} on {} ({partitions} partitions)",
        args.consumers, args.topic
    );
    let start = Instant::now();
    for id in 0..args.consumers as usize {
        shared.lock().push(Member::new());
        threads.push(spawn_member(id, &cfg, &args.topic, &shared, poll));
    }
    let result = (|| {
        let s = wait_settled(&shared, &[], partitions, timeout, stop)?;
        eprintln!("Group stable after {:.1} ms", since_ms(s.polled_at, start));
        for round in 1..=args.rounds {
            let baseline = epochs(&shared);
            let id = baseline.len();
            shared.lock().push(Member::new());
            let joined_at = Instant::now();
            let extra = spawn_member(id, &cfg, &args.topic, &shared, poll);
            let joined = wait_settled(&shared, &baseline, partitions, timeout, stop);
            let joined = match joined {
                Ok(s) => s,
                Err(e) => {
                    extra.stop_and_join();
                    return Err(e);
                }
            };

            let baseline = epochs(&shared);
            shared.update(id, |m| m.active = false);
            let left_at = Instant::now();
            extra.stop.store(true, Ordering::Relaxed);
            let left = wait_settled(&shared, &baseline, partitions, timeout, stop);
            extra.stop_and_join();
            let left = left?;
            let r = Round {
                join_ms: since_ms(joined.polled_at, joined_at),
                join_assigned_ms: since_ms(joined.assigned_at, joined_at),
                leave_ms: since_ms(left.polled_at, left_at),
            };
            eprintln!(
                "round {round}: join rebalance {:.1} ms (all assigned after {:.1} ms), leave rebalance {:.1} ms",
                r.join_ms, r.join_assigned_ms, r.leave_ms
            );
            out.push(r);
        }
        Ok(())
    })();
    for t in threads {
        t.stop_and_join();
    }
    result
}

/// Commits `warmup + commits` increasing offsets of the first partition; returns the
/// time the measured commits took and fills `hist` with their latencies (µs).
fn commit_bench(
    args: &BenchGroupArgs,
    partitions: &[i32],
    group: &str,
    stop: &AtomicBool,
    hist: &mut Histogram,
) -> Result<Duration, CliError> {
    let partition = partitions
        .first()
        .copied()
        .ok_or_else(|| CliError::UnknownTopic(args.topic.clone()))?;
    let consumer: BaseConsumer = member_config(args, group)?
        .create()
        .map_err(|e| CliError::client("creating consumer", e))?;
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset(&args.topic, partition, Offset::Beginning)
        .map_err(|e| CliError::client("building assignment", e))?;
    consumer
        .assign(&tpl)
        .map_err(|e| CliError::client("assigning partition", e))?;
    eprintln!(
        "Committing {} offsets of {}-{partition} in group {group}",
        args.commits, args.topic
    );
    let total = args.warmup_commits + args.commits;
    let mut start = Instant::now();
    let mut progress = (Instant::now(), 0u64);
    for i in 0..total {
        if stop.load(Ordering::Relaxed) {
            return Err(CliError::Incomplete(format!(
                "interrupted after {} commits",
                hist.count()
            )));
        }
        if i == args.warmup_commits {
            start = Instant::now();
            progress = (start, 0);
        }
        let offset = i64::try_from(i + 1).unwrap_or(i64::MAX);
        let mut tpl = TopicPartitionList::new();
        tpl.add_partition_offset(&args.topic, partition, Offset::Offset(offset))
            .map_err(|e| CliError::client("building commit", e))?;
        let t = Instant::now();
        consumer
            .commit(&tpl, CommitMode::Sync)
            .map_err(|e| CliError::client(format!("committing offset {offset}"), e))?;
        if i >= args.warmup_commits {
            hist.record(u64::try_from(t.elapsed().as_micros()).unwrap_or(u64::MAX));
            let (at, n0) = progress;
            if at.elapsed() >= PROGRESS_EVERY {
                let n = hist.count() - n0;
                eprintln!(
                    "{} of {} commits, {:.1} commits/sec",
                    hist.count(),
                    args.commits,
                    n as f64 / at.elapsed().as_secs_f64()
                );
                progress = (Instant::now(), hist.count());
            }
        }
    }
    Ok(start.elapsed())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(assigned: Option<usize>, epoch: u64, polled_epoch: u64, at: Instant, ms: u64) -> Member {
        Member {
            assigned,
            epoch,
            assigned_at: Some(at + Duration::from_millis(ms)),
            polled_epoch,
            polled_at: Some(at + Duration::from_millis(ms + 5)),
            active: true,
            failed: None,
        }
    }

    #[test]
    fn settles_when_all_reassigned_polled_and_covering() {
        let t = Instant::now();
        let members = vec![
            member(Some(6), 2, 2, t, 100),
            member(Some(3), 2, 2, t, 300),
            member(Some(3), 1, 1, t, 200),
        ];
        // Members 0 and 1 were at epoch 1 before; member 2 is new.
        let s = settled(&members, &[1, 1], 12).unwrap();
        assert_eq!(s.assigned_at, t + Duration::from_millis(300));
        assert_eq!(s.polled_at, t + Duration::from_millis(305));
    }

    #[test]
    fn not_settled_on_old_generation_missing_poll_or_partial_cover() {
        let t = Instant::now();
        let base = [1u64, 1];
        // Member 1 has not been reassigned yet.
        let stale = vec![
            member(Some(6), 2, 2, t, 0),
            member(Some(6), 1, 1, t, 0),
            member(Some(0), 1, 1, t, 0),
        ];
        assert_eq!(settled(&stale, &base, 12), None);
        // Member 0 was reassigned but has not polled since.
        let unpolled = vec![
            member(Some(6), 2, 1, t, 0),
            member(Some(3), 2, 2, t, 0),
            member(Some(3), 1, 1, t, 0),
        ];
        assert_eq!(settled(&unpolled, &base, 12), None);
        // Revoked member.
        let revoked = vec![
            member(None, 2, 2, t, 0),
            member(Some(6), 2, 2, t, 0),
            member(Some(6), 1, 1, t, 0),
        ];
        assert_eq!(settled(&revoked, &base, 12), None);
        // Assignments cover only 9 of 12 partitions.
        let partial = vec![
            member(Some(3), 2, 2, t, 0),
            member(Some(3), 2, 2, t, 0),
            member(Some(3), 1, 1, t, 0),
        ];
        assert_eq!(settled(&partial, &base, 12), None);
        // A brand-new member without any assignment.
        let mut fresh = vec![member(Some(12), 2, 2, t, 0), member(Some(0), 2, 2, t, 0)];
        fresh.push(Member::new());
        assert_eq!(settled(&fresh, &base, 12), None);
    }

    #[test]
    fn inactive_members_are_ignored_and_empty_assignments_count() {
        let t = Instant::now();
        let mut leaving = member(Some(4), 1, 1, t, 900);
        leaving.active = false;
        let members = vec![
            member(Some(12), 3, 3, t, 10),
            leaving,
            member(Some(0), 2, 2, t, 20),
        ];
        let s = settled(&members, &[2, 1, 1], 12).unwrap();
        assert_eq!(s.polled_at, t + Duration::from_millis(25));
        assert_eq!(settled(&[], &[], 12), None);
    }

    #[test]
    fn min_avg_max_and_summary() {
        assert_eq!(min_avg_max(&[]), None);
        assert_eq!(min_avg_max(&[3.0, 1.0, 5.0]), Some((1.0, 3.0, 5.0)));
        let line = rebalance_summary(&[100.0, 300.0], &[50.0, 70.0], 10).unwrap();
        assert_eq!(
            line,
            "2 rebalances (10+1 members): join avg 200.0 ms (min 100.0 ms, max 300.0 ms); \
             leave avg 60.0 ms (min 50.0 ms, max 70.0 ms)"
        );
        assert_eq!(rebalance_summary(&[], &[], 10), None);
    }
}
