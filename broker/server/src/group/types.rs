//! Names, errors and configuration of the classic group coordinator.

use std::fmt;

use bytes::Bytes;

/// A consumer group id (`group.id`). Kafka allows any string; the empty
/// string is rejected by the membership APIs but accepted by the offset APIs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupId(pub String);

/// A member id assigned by the coordinator (`<client id>-<uuid>` or
/// `<group instance id>-<uuid>`). The empty string is Kafka's
/// `UNKNOWN_MEMBER_ID`: "I have no id yet".
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MemberId(pub String);

/// A static member's `group.instance.id` (KIP-345).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GroupInstanceId(pub String);

/// A group generation. Kafka uses -1 (`UNKNOWN_GENERATION_ID`) for requests
/// that do not take part in group management ("simple" offset commits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Generation(pub i32);

impl GroupId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl MemberId {
    /// Kafka's `UNKNOWN_MEMBER_ID`.
    pub const UNKNOWN: MemberId = MemberId(String::new());

    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn is_unknown(&self) -> bool {
        self.0.is_empty()
    }
}

impl GroupInstanceId {
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Generation {
    /// Kafka's `UNKNOWN_GENERATION_ID`.
    pub const UNKNOWN: Generation = Generation(-1);

    pub fn next(self) -> Generation {
        Generation(self.0.wrapping_add(1))
    }
}

macro_rules! display_inner {
    ($($t:ty),*) => {$(
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }
    )*};
}
display_inner!(GroupId, MemberId, GroupInstanceId, Generation);

/// A topic partition as the offset APIs and `__consumer_offsets` name it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        Self {
            topic: topic.into(),
            partition,
        }
    }
}

impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// One entry of a JoinGroup request's protocol list: an assignor name and the
/// opaque member metadata for it (for `consumer` groups a
/// ConsumerProtocolSubscription).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    pub name: String,
    pub metadata: Bytes,
}

impl Protocol {
    pub fn new(name: impl Into<String>, metadata: impl Into<Bytes>) -> Self {
        Self {
            name: name.into(),
            metadata: metadata.into(),
        }
    }
}

/// The errors the group APIs return, one variant per Kafka error code.
/// `kafka_code` gives the code to put on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error("the server experienced an unexpected error")]
    UnknownServerError,
    #[error("the committed offset metadata is larger than offset.metadata.max.bytes")]
    OffsetMetadataTooLarge,
    #[error("the coordinator is loading the group state")]
    CoordinatorLoadInProgress,
    #[error("the coordinator is not available")]
    CoordinatorNotAvailable,
    #[error("this broker is not the coordinator of the group")]
    NotCoordinator,
    #[error("the generation id is not the group's current generation")]
    IllegalGeneration,
    #[error("the member's protocol type or protocols are incompatible with the group")]
    InconsistentGroupProtocol,
    #[error("the group id is invalid")]
    InvalidGroupId,
    #[error("the member id is not known to the group")]
    UnknownMemberId,
    #[error("the session timeout is outside group.min/max.session.timeout.ms")]
    InvalidSessionTimeout,
    #[error("the group is rebalancing; rejoin")]
    RebalanceInProgress,
    #[error("the offset commit is too large to be stored")]
    InvalidCommitOffsetSize,
    #[error("the group is not empty")]
    NonEmptyGroup,
    #[error("the group does not exist")]
    GroupIdNotFound,
    #[error("a member id is required: rejoin with the returned member id")]
    MemberIdRequired,
    #[error("the group has reached group.max.size")]
    GroupMaxSizeReached,
    #[error("the static member was fenced by a newer instance with the same group.instance.id")]
    FencedInstanceId,
    #[error("the group is still subscribed to the topic")]
    GroupSubscribedToTopic,
    #[error("there are unstable (pending transactional) offsets for the partition")]
    UnstableOffsetCommit,
    /// A storage error passed through unchanged (Kafka's "default" branch of
    /// its append-error mapping), e.g. REQUEST_TIMED_OUT.
    #[error("appending to __consumer_offsets failed with Kafka error code {code}")]
    Append { code: i16 },
}

impl GroupError {
    /// The Kafka protocol error code.
    pub fn kafka_code(&self) -> i16 {
        match self {
            GroupError::UnknownServerError => -1,
            GroupError::OffsetMetadataTooLarge => 12,
            GroupError::CoordinatorLoadInProgress => 14,
            GroupError::CoordinatorNotAvailable => 15,
            GroupError::NotCoordinator => 16,
            GroupError::IllegalGeneration => 22,
            GroupError::InconsistentGroupProtocol => 23,
            GroupError::InvalidGroupId => 24,
            GroupError::UnknownMemberId => 25,
            GroupError::InvalidSessionTimeout => 26,
            GroupError::RebalanceInProgress => 27,
            GroupError::InvalidCommitOffsetSize => 28,
            GroupError::NonEmptyGroup => 68,
            GroupError::GroupIdNotFound => 69,
            GroupError::MemberIdRequired => 79,
            GroupError::GroupMaxSizeReached => 81,
            GroupError::FencedInstanceId => 82,
            GroupError::GroupSubscribedToTopic => 86,
            GroupError::UnstableOffsetCommit => 88,
            GroupError::Append { code } => *code,
        }
    }

    /// Maps the error of a failed GroupMetadata append to what JoinGroup /
    /// SyncGroup return, as Kafka's `appendGroupMetadataErrorToResponseError`.
    pub fn from_group_append(failure: AppendError) -> GroupError {
        match failure.0 {
            UNKNOWN_TOPIC_OR_PARTITION | NOT_ENOUGH_REPLICAS | NOT_ENOUGH_REPLICAS_AFTER_APPEND => {
                GroupError::CoordinatorNotAvailable
            }
            NOT_LEADER_OR_FOLLOWER | KAFKA_STORAGE_ERROR => GroupError::NotCoordinator,
            MESSAGE_TOO_LARGE | RECORD_LIST_TOO_LARGE | INVALID_FETCH_SIZE => GroupError::UnknownServerError,
            code => GroupError::Append { code },
        }
    }

    /// Maps the error of a failed offset-commit append to what OffsetCommit
    /// returns per partition (Kafka's mapping in `storeOffsets`).
    pub fn from_offset_append(failure: AppendError) -> GroupError {
        match failure.0 {
            MESSAGE_TOO_LARGE | RECORD_LIST_TOO_LARGE | INVALID_FETCH_SIZE => {
                GroupError::InvalidCommitOffsetSize
            }
            _ => GroupError::from_group_append(failure),
        }
    }
}

const INVALID_FETCH_SIZE: i16 = 4;
const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const MESSAGE_TOO_LARGE: i16 = 10;
const RECORD_LIST_TOO_LARGE: i16 = 18;
const NOT_ENOUGH_REPLICAS: i16 = 19;
const NOT_ENOUGH_REPLICAS_AFTER_APPEND: i16 = 20;
const KAFKA_STORAGE_ERROR: i16 = 56;

/// Why an append to `__consumer_offsets` failed, as a Kafka error code
/// (the async layer gets it from the partition's produce path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppendError(pub i16);

/// Broker settings the coordinator uses, with Kafka's names and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupConfig {
    /// `group.min.session.timeout.ms`
    pub min_session_timeout_ms: i32,
    /// `group.max.session.timeout.ms`
    pub max_session_timeout_ms: i32,
    /// `group.initial.rebalance.delay.ms`
    pub initial_rebalance_delay_ms: i32,
    /// `group.max.size`
    pub max_size: usize,
    /// How long a new member's parked JoinGroup may wait (Kafka's internal
    /// `group.new.member.join.timeout`, 5 minutes).
    pub new_member_join_timeout_ms: i32,
    /// `offsets.retention.minutes`, in milliseconds.
    pub offsets_retention_ms: i64,
    /// `offset.metadata.max.bytes`
    pub offset_metadata_max_bytes: usize,
}

impl Default for GroupConfig {
    fn default() -> Self {
        Self {
            min_session_timeout_ms: 6_000,
            max_session_timeout_ms: 1_800_000,
            initial_rebalance_delay_ms: 3_000,
            max_size: i32::MAX as usize,
            new_member_join_timeout_ms: 300_000,
            offsets_retention_ms: 7 * 24 * 60 * 60 * 1000,
            offset_metadata_max_bytes: 4096,
        }
    }
}

impl GroupConfig {
    /// JoinGroup's session timeout check.
    pub fn check_session_timeout(&self, session_timeout_ms: i32) -> Result<(), GroupError> {
        if session_timeout_ms < self.min_session_timeout_ms
            || session_timeout_ms > self.max_session_timeout_ms
        {
            Err(GroupError::InvalidSessionTimeout)
        } else {
            Ok(())
        }
    }
}
