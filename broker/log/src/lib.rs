//! `kavka-log`: Kavka's segmented, append-only partition log in Kafka's
//! on-disk layout.
//!
//! A partition directory `<log.dir>/<topic>-<partition>/` holds
//! `<base_offset:020>.log` segments with Kafka v2 record batches exactly as
//! produced (only base offset, partition leader epoch and — for
//! LogAppendTime — timestamp attributes rewritten), sparse `.index` and
//! `.timeindex` files, `leader-epoch-checkpoint`, `partition.metadata`, and
//! per-partition checkpoints for the log start offset, high watermark and
//! recovery point, and `<offset:020>.snapshot` files of the idempotent
//! producer state (see [`producer`]).
//!
//! The crate is synchronous. [`Log`] is meant to sit behind a mutex; reads
//! and fsyncs are handed out as [`ReadSlice`] and [`FlushHandle`] so that
//! the I/O happens outside the lock.

pub mod batch;
mod checkpoint;
mod compaction;
pub mod config;
pub mod epoch;
mod error;
mod index;
mod log;
pub mod producer;
mod read;
pub mod records;
mod segment;

pub use batch::{
    validate_batches, validate_batches_with, BatchError, BatchHeader, BatchIter, Compression, TimestampType,
    ValidationMode,
};
pub use config::{CleanupPolicy, LogConfig};
pub use epoch::{EpochEntry, LeaderEpochCache};
pub use error::LogError;
pub use log::{
    AppendInfo, CompactionStats, DeletedSegment, Log, RetentionReason, RetentionResult, TimestampOffset,
    ValidatedRecords,
};
pub use producer::{ProducerSnapshotEntry, DEFAULT_PRODUCER_ID_EXPIRATION_MS};
pub use read::{FlushHandle, ReadSlice};
