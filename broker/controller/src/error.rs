//! Error types of the controller crate.
//!
//! Each layer has its own enum; `ControllerError` is what callers of the
//! controller see and maps onto a Kafka error code (`kafka_error_code`) so
//! the broker can answer requests without this crate knowing wire types.

use std::path::PathBuf;

use thiserror::Error;

use crate::types::{BrokerEpoch, BrokerId, LeaderEpoch, PartitionEpoch, PartitionId, TopicId};

/// A topic name that breaks Kafka's naming rules.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid topic name {name:?}: {reason}")]
pub struct InvalidTopicName {
    pub name: String,
    pub reason: String,
}

/// Text that is not Kafka's base64 form of a uuid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid Kafka uuid {input:?}: {reason}")]
pub struct UuidParseError {
    pub input: String,
    pub reason: String,
}

/// A metadata record that does not fit the current image. The image is left
/// unchanged when `apply` returns one of these.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ApplyError {
    #[error("cluster id is already {existing}, record sets it to {new}")]
    ClusterIdMismatch { existing: String, new: String },
    #[error("topic id {0} is reserved and cannot be assigned")]
    ReservedTopicId(TopicId),
    #[error("topic id {0} already exists")]
    DuplicateTopicId(TopicId),
    #[error("topic name {name} already exists with id {existing}")]
    DuplicateTopicName { name: String, existing: TopicId },
    #[error("unknown topic id {0}")]
    UnknownTopicId(TopicId),
    #[error("unknown topic {0}")]
    UnknownTopicName(String),
    #[error(
        "partition {partition} of topic {topic_id} is out of order: the topic has {existing} \
         partition(s), so the next new partition must be {existing}"
    )]
    PartitionOutOfOrder {
        topic_id: TopicId,
        partition: PartitionId,
        existing: usize,
    },
    #[error("unknown partition {partition} of topic {topic_id}")]
    UnknownPartition {
        topic_id: TopicId,
        partition: PartitionId,
    },
    #[error("partition {topic_id}-{partition}: leader epoch would go backwards from {current} to {new}")]
    LeaderEpochRegression {
        topic_id: TopicId,
        partition: PartitionId,
        current: LeaderEpoch,
        new: LeaderEpoch,
    },
    #[error("partition {topic_id}-{partition}: partition epoch would go backwards from {current} to {new}")]
    PartitionEpochRegression {
        topic_id: TopicId,
        partition: PartitionId,
        current: PartitionEpoch,
        new: PartitionEpoch,
    },
    #[error("partition {topic_id}-{partition}: a record with the same epochs but different content")]
    ConflictingPartitionRecord {
        topic_id: TopicId,
        partition: PartitionId,
    },
    #[error("partition {topic_id}-{partition}: {reason}")]
    InvalidPartitionState {
        topic_id: TopicId,
        partition: PartitionId,
        reason: String,
    },
    #[error("partition change for {topic_id}-{partition} changes nothing")]
    EmptyPartitionChange {
        topic_id: TopicId,
        partition: PartitionId,
    },
    #[error("broker {id}: epoch would go backwards from {current} to {new}")]
    BrokerEpochRegression {
        id: BrokerId,
        current: BrokerEpoch,
        new: BrokerEpoch,
    },
    #[error("broker {id}: registration epoch {new} reused with a different incarnation")]
    ConflictingBrokerRegistration { id: BrokerId, new: BrokerEpoch },
    #[error("unknown broker {0}")]
    UnknownBroker(BrokerId),
    #[error("broker {id}: record is for epoch {record} but the registration has epoch {current}")]
    StaleBrokerEpoch {
        id: BrokerId,
        current: BrokerEpoch,
        record: BrokerEpoch,
    },
    #[error("next producer id would not advance: it is {current}, the record sets {new}")]
    ProducerIdRegression { current: i64, new: i64 },
    #[error("invalid record: {0}")]
    Invalid(String),
}

/// Encoding or decoding of a single metadata record failed.
#[derive(Debug, Error)]
pub enum RecordCodecError {
    #[error("metadata record is not valid JSON for this schema: {0}")]
    Json(#[from] serde_json::Error),
    #[error("metadata record has schema version {found}, this build reads up to {supported}")]
    UnsupportedVersion { found: u16, supported: u16 },
}

/// Replica placement could not satisfy the request.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlacementError {
    #[error(
        "replication factor {requested} is invalid: it must be at least 1 and at most the \
         number of available brokers, which is {available}"
    )]
    InvalidReplicationFactor { requested: i32, available: usize },
    #[error("number of partitions {0} is invalid: it must be at least 1")]
    InvalidPartitions(i32),
    #[error("invalid replica assignment: {0}")]
    InvalidAssignment(String),
}

/// A topic config key or value that Kafka would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("unknown topic config name {key} (value {value:?})")]
    UnknownKey { key: String, value: String },
    #[error("invalid value {value:?} for configuration {key}: {reason}")]
    InvalidValue {
        key: String,
        value: String,
        reason: String,
    },
}

/// Durable metadata storage failed. Always names the file involved.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("metadata store I/O error on {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("metadata file {path} is corrupt: {reason}")]
    Corrupt { path: PathBuf, reason: String },
    #[error("metadata file {path} has format version {found}, this build reads up to {supported}")]
    UnsupportedFormat {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error("metadata file {path} could not be encoded: {source}")]
    Encode {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("metadata store: {0}")]
    Other(String),
}

/// Errors returned by controller operations, one per Kafka error a client
/// can receive for them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ControllerError {
    #[error("Topic '{0}' already exists.")]
    TopicAlreadyExists(String),
    #[error("{0}")]
    InvalidTopic(String),
    #[error("{0}")]
    InvalidPartitions(String),
    #[error(
        "Unable to replicate the partition {requested} time(s): The target replication factor \
         of {requested} cannot be reached because only {available} broker(s) are registered."
    )]
    InvalidReplicationFactor { requested: i32, available: usize },
    /// A replication factor that is not a valid number at all (0 or below -1).
    #[error("{0}")]
    InvalidReplicationFactorValue(String),
    #[error("{0}")]
    InvalidReplicaAssignment(String),
    #[error("{}", config_message(.key, .value, .reason))]
    InvalidConfig {
        key: String,
        value: String,
        reason: String,
    },
    #[error("This server does not host this topic-partition: {0}")]
    UnknownTopicOrPartition(String),
    #[error("This server does not host this topic ID: {0}")]
    UnknownTopicId(TopicId),
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    PolicyViolation(String),
    #[error("unsupported operation: {0}")]
    Unsupported(String),
    /// The request names a broker registration that is not the current one
    /// (unknown broker, or an epoch from before its latest registration).
    #[error("broker {broker}: epoch {got} is not its current registration ({})", registration(.current))]
    StaleBrokerEpoch {
        broker: BrokerId,
        /// `None`: the broker is not registered at all.
        current: Option<BrokerEpoch>,
        got: BrokerEpoch,
    },
    /// No producer-id block is left below `i64::MAX`.
    #[error("all producer ids have been allocated (next would be {next})")]
    ProducerIdsExhausted { next: i64 },
    /// The change could not be made durable; it may or may not survive a
    /// restart, but it was not published.
    #[error("metadata store error: {0}")]
    Store(String),
    /// A bug: the controller produced records its own image rejects.
    #[error("internal controller error: {0}")]
    Internal(String),
}

impl ControllerError {
    /// The Kafka protocol error code a client should receive.
    pub fn kafka_error_code(&self) -> i16 {
        match self {
            ControllerError::TopicAlreadyExists(_) => 36,
            ControllerError::InvalidTopic(_) => 17,
            ControllerError::InvalidPartitions(_) => 37,
            ControllerError::InvalidReplicationFactor { .. }
            | ControllerError::InvalidReplicationFactorValue(_) => 38,
            ControllerError::InvalidReplicaAssignment(_) => 39,
            ControllerError::InvalidConfig { .. } => 40,
            ControllerError::UnknownTopicOrPartition(_) => 3,
            ControllerError::UnknownTopicId(_) => 100,
            ControllerError::InvalidRequest(_) | ControllerError::Unsupported(_) => 42,
            ControllerError::PolicyViolation(_) => 44,
            ControllerError::StaleBrokerEpoch { .. } => 77,
            ControllerError::ProducerIdsExhausted { .. }
            | ControllerError::Store(_)
            | ControllerError::Internal(_) => -1,
        }
    }
}

fn registration(current: &Option<BrokerEpoch>) -> String {
    match current {
        Some(e) => format!("epoch {e}"),
        None => "not registered".to_string(),
    }
}

/// Kafka's wording; operations without a value (DELETE) leave `value` empty.
fn config_message(key: &str, value: &str, reason: &str) -> String {
    if value.is_empty() {
        format!("Invalid configuration {key}: {reason}")
    } else {
        format!("Invalid value {value:?} for configuration {key}: {reason}")
    }
}

impl From<ConfigError> for ControllerError {
    fn from(e: ConfigError) -> Self {
        match e {
            ConfigError::UnknownKey { key, value } => ControllerError::InvalidConfig {
                key,
                value,
                reason: "unknown topic config name".into(),
            },
            ConfigError::InvalidValue { key, value, reason } => {
                ControllerError::InvalidConfig { key, value, reason }
            }
        }
    }
}

impl From<PlacementError> for ControllerError {
    fn from(e: PlacementError) -> Self {
        match e {
            PlacementError::InvalidReplicationFactor { requested, available } => {
                ControllerError::InvalidReplicationFactor { requested, available }
            }
            PlacementError::InvalidPartitions(_) => ControllerError::InvalidPartitions(e.to_string()),
            PlacementError::InvalidAssignment(msg) => ControllerError::InvalidReplicaAssignment(msg),
        }
    }
}

/// The controller could not start.
#[derive(Debug, Error)]
pub enum StartError {
    #[error("loading cluster metadata from {store}: {source}")]
    Load {
        store: String,
        #[source]
        source: StoreError,
    },
    #[error("writing cluster metadata to {store}: {source}")]
    Commit {
        store: String,
        #[source]
        source: StoreError,
    },
    #[error("stored cluster metadata is inconsistent with startup records: {0}")]
    Apply(#[from] ApplyError),
    #[error("invalid controller settings: {0}")]
    InvalidSettings(String),
}
