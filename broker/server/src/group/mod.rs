//! The classic consumer-group coordinator as pure logic (ARCHITECTURE §3,
//! "Groups and transactions").
//!
//! Kafka's GroupCoordinator / GroupMetadataManager are the behavioural
//! reference: generations, protocol selection, rebalance and session
//! timeouts, group.initial.rebalance.delay.ms, KIP-345 static membership,
//! KIP-394 MEMBER_ID_REQUIRED, KIP-814 skip-assignment, and the
//! `__consumer_offsets` record formats.
//!
//! No I/O and no clock: every operation takes `now_ms`, and returns what
//! the async layer must do in an [`Effects`]: completions for parked
//! JoinGroup/SyncGroup requests and records to append (with a token to
//! report the append's outcome). Timers are deadlines inside the groups;
//! the async layer calls [`GroupCoordinator::tick`] at
//! [`GroupCoordinator::next_deadline_ms`] (operations also run due timers
//! first, each at its own deadline, so a late tick never changes an outcome).
//!
//! The async layer's contract:
//! - one [`GroupCoordinator`] per led `__consumer_offsets` partition, built
//!   by [`PartitionLoader`] from the partition's records; operations on it
//!   are serialized (one task or a mutex);
//! - a `Pending` reply parks the request under (group, member id, join or
//!   sync); a [`Completion`] answers it. Any answer for a key (direct reply
//!   or completion) also answers older requests parked under the same key;
//! - [`PendingWrite`]s are appended in order, then reported with
//!   `write_completed`; offset commits likewise with `finish_commit`;
//!   tombstones returned by deletes/expiry are appended without waiting;
//! - on losing leadership of the partition call `unload` (answers parked
//!   requests with NOT_COORDINATOR).

mod codec;
mod coordinator;
#[allow(clippy::module_inception)]
mod group;
mod join;
mod load;
mod member;
mod offsets;
mod rebalance;
mod records;
mod requests;
mod state;
mod subscription;
mod sync;
mod types;
mod views;

#[cfg(test)]
mod tests;

pub use codec::DecodeError;
pub use coordinator::{DeleteGroupsOutcome, GroupCoordinator, CLASSIC_GROUP_TYPE};
pub use group::{Group, CONSUMER_PROTOCOL_TYPE};
pub use load::{LoadError, LoadStats, PartitionLoader};
pub use member::Member;
pub use offsets::{
    CommitOutcome, CommittedOffset, OffsetCommitEntry, OffsetCommitRequest, Offsets, PartitionResult,
    PendingCommit,
};
pub use records::{
    decode_group_metadata_value, decode_key, decode_offset_commit_value, encode_group_metadata_value,
    encode_key, encode_offset_commit_value, group_metadata_record, group_partition, group_tombstone,
    java_string_hash, offset_commit_record, offset_tombstone, GroupMetadataValue, MemberMetadata,
    OffsetCommitValue, Record, RecordKey,
};
pub use requests::{
    AppendResult, Completion, CompletionKind, Effects, HeartbeatRequest, JoinError, JoinMember, JoinReply,
    JoinRequest, JoinResponse, LeaveMember, LeaveResult, PendingWrite, SyncReply, SyncRequest, SyncResponse,
    WriteToken,
};
pub use state::GroupState;
pub use subscription::subscribed_topics;
pub use types::{
    AppendError, Generation, GroupConfig, GroupError, GroupId, GroupInstanceId, MemberId, Protocol,
    TopicPartition,
};
pub use views::{GroupDescription, GroupListing, MemberDescription};
