//! The `kavka` binary: `kavka` / `kavka serve` runs a broker; the other
//! subcommands are Kafka-protocol clients for any cluster.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use kavka::config::BrokerConfig;
use tracing::info;

#[derive(Parser)]
#[command(name = "kavka", version, about = "Kafka-compatible streaming broker")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run a broker (the default with no subcommand).
    Serve(ServeArgs),
    /// Create, list, describe, alter and delete topics.
    #[cfg(feature = "client")]
    Topic {
        #[command(flatten)]
        client: kavka::cli::ClientArgs,
        #[command(subcommand)]
        cmd: kavka::cli::TopicCommand,
    },
    /// List, describe and delete consumer groups; reset their offsets.
    #[cfg(feature = "client")]
    Group {
        #[command(flatten)]
        client: kavka::cli::ClientArgs,
        #[command(subcommand)]
        cmd: kavka::cli::GroupCommand,
    },
    /// Produce lines from stdin (`key<TAB>value` with --parse-key).
    #[cfg(feature = "client")]
    Produce(kavka::cli::ProduceArgs),
    /// Consume records to stdout.
    #[cfg(feature = "client")]
    Consume(kavka::cli::ConsumeArgs),
    /// Throughput and latency benchmarks.
    #[cfg(feature = "client")]
    Bench {
        #[command(subcommand)]
        cmd: kavka::cli::BenchCommand,
    },
}

#[derive(clap::Args, Default)]
struct ServeArgs {
    /// A server.properties file.
    #[arg(long = "config", short = 'c')]
    config: Option<PathBuf>,
    /// Override a configuration key (repeatable): --set log.dirs=/data
    #[arg(long = "set", short = 's', value_name = "KEY=VALUE")]
    set: Vec<String>,
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("KAVKA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_tracing();
    let command = cli.command.unwrap_or(Command::Serve(ServeArgs::default()));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        match command {
            Command::Serve(args) => serve(args).await,
            #[cfg(feature = "client")]
            Command::Topic { client, cmd } => kavka::cli::run_topic(cmd, &client).await,
            #[cfg(feature = "client")]
            Command::Group { client, cmd } => kavka::cli::run_group(cmd, &client).await,
            #[cfg(feature = "client")]
            Command::Produce(args) => kavka::cli::run_produce(args).await,
            #[cfg(feature = "client")]
            Command::Consume(args) => kavka::cli::run_consume(args).await,
            #[cfg(feature = "client")]
            Command::Bench { cmd } => kavka::cli::run_bench(cmd).await,
        }
    })
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = BrokerConfig::load(args.config.as_deref(), std::env::vars(), &args.set)?;
    let running = kavka::broker::start(config).await?;
    wait_for_signal().await;
    info!("shutting down");
    running.shutdown().await;
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = match signal(SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
