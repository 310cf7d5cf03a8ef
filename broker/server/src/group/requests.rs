//! Domain requests and responses of the membership APIs, and the effects an
//! operation hands to the async layer (parked-request completions and
//! records to append).

use std::collections::BTreeMap;

use bytes::Bytes;

use super::records::Record;
use super::types::{AppendError, Generation, GroupError, GroupId, GroupInstanceId, MemberId, Protocol};

/// A JoinGroup request, already translated from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Empty (`MemberId::UNKNOWN`) for a member without an id yet.
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    /// JoinGroup v0 has no rebalance timeout: pass the session timeout.
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    pub protocols: Vec<Protocol>,
    /// KIP-394: JoinGroup v4+ without a group instance id.
    pub require_known_member_id: bool,
    /// KIP-814: JoinGroup v9+.
    pub supports_skip_assignment: bool,
}

/// A member entry of the leader's JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinMember {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub metadata: Bytes,
}

/// A successful JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResponse {
    pub member_id: MemberId,
    pub generation: Generation,
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    /// The leader's member id (JoinGroup's `leader`, never null on success).
    pub leader: MemberId,
    pub skip_assignment: bool,
    /// Non-empty for the leader only.
    pub members: Vec<JoinMember>,
}

/// A failed JoinGroup: Kafka still returns a member id (the new one for
/// MEMBER_ID_REQUIRED, the request's or empty otherwise).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinError {
    pub member_id: MemberId,
    pub error: GroupError,
}

/// What `join` answers right away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinReply {
    Done(Result<JoinResponse, JoinError>),
    /// Parked: a `Completion` keyed by this member id will follow.
    Pending {
        member_id: MemberId,
    },
}

/// A SyncGroup request, already translated from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncRequest {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub generation: Generation,
    /// v5+; `None` on older versions.
    pub protocol_type: Option<String>,
    /// v5+; `None` on older versions.
    pub protocol_name: Option<String>,
    /// The leader's assignment; ignored for followers.
    pub assignments: Vec<(MemberId, Bytes)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncResponse {
    pub protocol_type: Option<String>,
    pub protocol_name: Option<String>,
    pub assignment: Bytes,
}

/// What `sync` answers right away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncReply {
    Done(Result<SyncResponse, GroupError>),
    /// Parked: a `Completion` keyed by this member id will follow.
    Pending {
        member_id: MemberId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatRequest {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub generation: Generation,
}

/// One member of a (batched, v3+) LeaveGroup request. An empty member id with
/// an instance id removes that static member administratively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveMember {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveResult {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub result: Result<(), GroupError>,
}

/// The answer to a parked request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompletionKind {
    Join(Result<JoinResponse, JoinError>),
    Sync(Result<SyncResponse, GroupError>),
}

/// Deliver `kind` to the request parked under (`group_id`, `member_id`, join
/// or sync). At most one join and one sync are parked per member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub group_id: GroupId,
    pub member_id: MemberId,
    pub kind: CompletionKind,
}

/// A record the coordinator needs appended to its `__consumer_offsets`
/// partition; report the outcome with `write_completed(token, ..)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingWrite {
    pub record: Record,
    pub token: WriteToken,
}

/// Identifies what a pending write was for. Opaque to the async layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteToken {
    pub(super) group_id: GroupId,
    pub(super) purpose: WritePurpose,
}

impl WriteToken {
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum WritePurpose {
    /// The leader's assignment: answer all parked syncs once durable.
    Assignment {
        generation: Generation,
        assignment: BTreeMap<MemberId, Bytes>,
    },
    /// A static member replaced its member id in a Stable group.
    StaticRejoin(Box<StaticRejoin>),
    /// Nothing waits on it (e.g. the group became Empty); failures are logged.
    Informational,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct StaticRejoin {
    pub generation: Generation,
    pub instance_id: GroupInstanceId,
    pub old_member_id: MemberId,
    pub new_member_id: MemberId,
    pub old_protocols: Vec<Protocol>,
    pub old_rebalance_timeout_ms: i32,
    pub old_session_timeout_ms: i32,
    pub leader_before: Option<MemberId>,
    pub supports_skip_assignment: bool,
}

/// Collects what an operation asks the async layer to do, in order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Effects {
    pub completions: Vec<Completion>,
    pub writes: Vec<PendingWrite>,
}

impl Effects {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn is_empty(&self) -> bool {
        self.completions.is_empty() && self.writes.is_empty()
    }
}

/// The outcome of an append, as the async layer reports it.
pub type AppendResult = Result<(), AppendError>;
