//! Kavka broker: a Kafka-wire-compatible broker.
//!
//! Layout (see ARCHITECTURE §2/§3): `server` is the network edge, `wire`
//! guards and decodes requests, `api` has one module per Kafka API and
//! translates between wire and domain types, `replica` hosts partitions and
//! their logs (`kavka-log`), and the cluster metadata comes from the
//! in-process controller (`kavka-controller`).

pub mod api;
pub mod broker;
#[cfg(feature = "client")]
pub mod cli;
pub mod config;
pub mod coordinator;
pub mod group;
pub mod metrics;
pub mod producer_ids;
pub mod replica;
pub mod server;
pub mod time;
pub mod wire;
