//! The crate's error type.

use crate::batch::BatchError;
use std::io;
use std::path::PathBuf;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum LogError {
    #[error("I/O error while {op} {path}: {source}")]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("offset {offset} is out of range [{start}, {end}]")]
    OffsetOutOfRange { offset: i64, start: i64, end: i64 },
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    #[error("record batch of {size} bytes exceeds the maximum of {max}")]
    TooLarge { size: usize, max: usize },
    /// One append larger than a whole segment (`segment.bytes`).
    #[error("record set of {size} bytes exceeds the segment size of {max}")]
    RecordSetTooLarge { size: usize, max: usize },
    #[error("invalid record: {0}")]
    InvalidRecord(String),
    #[error("unsupported record batch magic {0} (only magic 2 is supported)")]
    UnsupportedMagic(i8),
    #[error("invalid offset: {0}")]
    InvalidOffset(String),
    #[error("leader epoch {epoch} is older than the log's latest epoch {latest}")]
    StaleLeaderEpoch { epoch: i32, latest: i32 },
    #[error("topic id mismatch in {path}: stored {stored}, given {given}")]
    TopicIdMismatch {
        path: PathBuf,
        stored: String,
        given: String,
    },
    #[error("corrupt metadata file {path}: {reason}")]
    CorruptMetadata { path: PathBuf, reason: String },
    /// An idempotent/transactional batch with an epoch older than the one
    /// the partition knows for its producer id (a fenced producer).
    #[error("producer {producer_id} has epoch {current}; a batch with the older epoch {got} is refused")]
    InvalidProducerEpoch {
        producer_id: i64,
        current: i16,
        got: i16,
    },
    /// An idempotent batch whose first sequence does not follow the
    /// producer's last one (a gap or an old retry no longer remembered).
    #[error("out of order sequence for producer {producer_id}: expected {expected}, got {got}")]
    OutOfOrderSequence {
        producer_id: i64,
        expected: i32,
        got: i32,
    },
    /// Segment bytes did not look like a batch where the log expected one
    /// (only possible if a file changed behind the log's back).
    #[error("segment {path} is inconsistent at byte {position}: {reason}")]
    CorruptSegment {
        path: PathBuf,
        position: u64,
        reason: String,
    },
}

impl LogError {
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>) -> impl FnOnce(io::Error) -> LogError {
        let path = path.into();
        move |source| LogError::Io { op, path, source }
    }

    /// The Kafka protocol error code a broker would answer with.
    pub fn kafka_error_code(&self) -> i16 {
        match self {
            // OFFSET_OUT_OF_RANGE
            LogError::OffsetOutOfRange { .. } => 1,
            // CORRUPT_MESSAGE
            LogError::Corrupt(_) => 2,
            // MESSAGE_TOO_LARGE
            LogError::TooLarge { .. } => 10,
            // RECORD_LIST_TOO_LARGE
            LogError::RecordSetTooLarge { .. } => 18,
            // INVALID_RECORD (Kafka answers an old magic in Produce v3+ so too)
            LogError::InvalidRecord(_) | LogError::UnsupportedMagic(_) => 87,
            // OUT_OF_ORDER_SEQUENCE_NUMBER
            LogError::OutOfOrderSequence { .. } => 45,
            // INVALID_PRODUCER_EPOCH
            LogError::InvalidProducerEpoch { .. } => 47,
            // FENCED_LEADER_EPOCH
            LogError::StaleLeaderEpoch { .. } => 74,
            // INCONSISTENT_TOPIC_ID
            LogError::TopicIdMismatch { .. } => 103,
            // KAFKA_STORAGE_ERROR
            LogError::Io { .. } | LogError::CorruptMetadata { .. } | LogError::CorruptSegment { .. } => 56,
            // UNKNOWN_SERVER_ERROR
            LogError::InvalidOffset(_) => -1,
        }
    }
}

impl From<BatchError> for LogError {
    fn from(e: BatchError) -> LogError {
        match e {
            BatchError::Empty => LogError::InvalidRecord("empty record set".into()),
            BatchError::Truncated { .. } | BatchError::Corrupt { .. } => LogError::Corrupt(e.to_string()),
            BatchError::UnsupportedMagic { magic, .. } => LogError::UnsupportedMagic(magic),
            BatchError::TooLarge { size, max } => LogError::TooLarge { size, max },
            BatchError::InvalidRecord { .. } => LogError::InvalidRecord(e.to_string()),
        }
    }
}
