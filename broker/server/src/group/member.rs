//! One member of a classic group.

use std::collections::BTreeSet;

use bytes::Bytes;

use super::types::{GroupInstanceId, MemberId, Protocol};

/// A member as the coordinator tracks it. Parked requests are represented by
/// the `awaiting_*` flags only; the response channels live in the async layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    pub instance_id: Option<GroupInstanceId>,
    pub client_id: String,
    pub client_host: String,
    pub session_timeout_ms: i32,
    pub rebalance_timeout_ms: i32,
    pub protocol_type: String,
    /// In the member's order of preference.
    pub protocols: Vec<Protocol>,
    /// The assignment of the current generation (empty until SyncGroup).
    pub assignment: Bytes,
    /// A JoinGroup of this member is parked until the join phase completes.
    pub awaiting_join: bool,
    /// A SyncGroup of this member is parked until the leader's assignment.
    pub awaiting_sync: bool,
    /// Joined in the current rebalance and has not seen a join response yet;
    /// such members expire after the new-member join timeout even while parked.
    pub is_new: bool,
    /// When the member expires unless it heartbeats; `None` while no
    /// expiration is scheduled (parked members satisfy heartbeats, Kafka's
    /// `hasSatisfiedHeartbeat`).
    pub heartbeat_deadline_ms: Option<i64>,
}

impl Member {
    /// The metadata the member sent for `protocol`, empty if it does not
    /// support it (cannot happen for the group's selected protocol).
    pub fn metadata(&self, protocol: &str) -> Bytes {
        self.protocols
            .iter()
            .find(|p| p.name == protocol)
            .map(|p| p.metadata.clone())
            .unwrap_or_default()
    }

    pub fn supports(&self, protocol: &str) -> bool {
        self.protocols.iter().any(|p| p.name == protocol)
    }

    /// Kafka's `matches`: same protocols, same order, same metadata bytes.
    pub fn matches(&self, protocols: &[Protocol]) -> bool {
        self.protocols.as_slice() == protocols
    }

    /// The member's vote: its most preferred protocol among `candidates`.
    pub fn vote<'a>(&'a self, candidates: &BTreeSet<&str>) -> Option<&'a str> {
        self.protocols
            .iter()
            .map(|p| p.name.as_str())
            .find(|name| candidates.contains(name))
    }

    pub fn is_static(&self) -> bool {
        self.instance_id.is_some()
    }
}
