//! `kavka bench ...`: load generators in the spirit of Kafka's
//! `kafka-producer-perf-test`, `kafka-consumer-perf-test` and `EndToEndLatency`.
//! Each prints progress and a human summary to stderr and one JSON object on stdout,
//! so runs can be collected by scripts.

mod consume;
mod e2e;
mod group;
mod histogram;
mod produce;
mod report;

use super::error::CliError;

pub use consume::BenchConsumeArgs;
pub use e2e::BenchE2eArgs;
pub use group::BenchGroupArgs;
pub use produce::BenchProduceArgs;

#[derive(Debug, Clone, clap::Subcommand)]
pub enum BenchCommand {
    /// Producer throughput and acknowledgement latency.
    Produce(BenchProduceArgs),
    /// Consumer throughput reading a topic from the beginning.
    Consume(BenchConsumeArgs),
    /// Produce-to-consume latency of records travelling through the broker.
    #[command(name = "e2e", alias = "end-to-end")]
    EndToEnd(BenchE2eArgs),
    /// Consumer-group rebalance time and synchronous offset-commit rate.
    Group(BenchGroupArgs),
}

/// A finished run: the JSON report (printed on stdout even when the run failed, so
/// partial results are not lost) and the failure, if any, that makes the exit non-zero.
#[derive(Debug)]
pub(super) struct Outcome {
    pub report: serde_json::Value,
    pub failure: Option<CliError>,
}

impl Outcome {
    fn finish(self) -> Result<(), CliError> {
        println!("{}", self.report);
        self.failure.map_or(Ok(()), Err)
    }
}

pub async fn run_bench(cmd: BenchCommand) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Produce(args) => produce::run(args).await?.finish()?,
        BenchCommand::Consume(args) => consume::run(args).await?.finish()?,
        BenchCommand::EndToEnd(args) => e2e::run(args).await?.finish()?,
        BenchCommand::Group(args) => group::run(args).await?.finish()?,
    }
    Ok(())
}

/// Runs one benchmark and returns its outcome instead of printing it.
#[cfg(test)]
pub(super) async fn run_one_for_test(cmd: BenchCommand) -> Result<Outcome, CliError> {
    match cmd {
        BenchCommand::Produce(args) => produce::run(args).await,
        BenchCommand::Consume(args) => consume::run(args).await,
        BenchCommand::EndToEnd(args) => e2e::run(args).await,
        BenchCommand::Group(args) => group::run(args).await,
    }
}
