//! Client-side subcommands of the `kavka` binary: `topic`, `group`, `produce`,
//! `consume` and `bench`. They speak the Kafka protocol through librdkafka (the
//! `rdkafka` crate), so they work against Kavka and against any Kafka broker alike —
//! which is also what makes them useful for comparing the two.
//!
//! Layout: pure pieces (argument parsing, describe formatting, histogram, throttling,
//! reports) are separate from the modules that talk to a broker, and are unit-tested.

mod args;
mod bench;
mod client;
mod consume;
mod describe;
mod error;
mod ffi;
mod group;
mod group_args;
mod group_assignment;
mod group_ffi;
mod group_model;
mod group_reset;
#[cfg(test)]
mod group_tests;
mod group_view;
#[cfg(test)]
mod mock_tests;
mod produce;
mod topic;

pub use args::{Acks, ClientArgs, Compression};
pub use bench::{run_bench, BenchCommand, BenchConsumeArgs, BenchE2eArgs, BenchProduceArgs};
pub use consume::{run_consume, ConsumeArgs};
pub use error::CliError;
pub use group::{run_group, GroupCommand, ResetArgs, ResetScenario};
pub use produce::{run_produce, ProduceArgs};
pub use topic::{run_topic, TopicCommand};
