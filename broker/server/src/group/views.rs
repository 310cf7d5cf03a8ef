//! Read-only views of a group: DescribeGroups, ListGroups, and its
//! GroupMetadata record.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::group::Group;
use super::records::{self, GroupMetadataValue, MemberMetadata, Record};
use super::state::GroupState;
use super::types::{GroupId, GroupInstanceId, MemberId};

/// DescribeGroups' view of a member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    pub client_id: String,
    pub client_host: String,
    /// Only filled in for Stable groups, as Kafka does.
    pub metadata: Bytes,
    pub assignment: Bytes,
}

/// DescribeGroups' view of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: GroupId,
    pub state: GroupState,
    pub protocol_type: String,
    /// The selected protocol for Stable groups, "" otherwise.
    pub protocol_data: String,
    pub members: Vec<MemberDescription>,
}

impl GroupDescription {
    /// What Kafka answers for a group it does not know.
    pub fn dead(group_id: GroupId) -> Self {
        Self {
            group_id,
            state: GroupState::Dead,
            protocol_type: String::new(),
            protocol_data: String::new(),
            members: Vec::new(),
        }
    }
}

/// ListGroups' view of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: GroupId,
    pub protocol_type: String,
    pub state: GroupState,
}

impl Group {
    /// The GroupMetadata value of the group, with `assignment` overriding the
    /// members' current assignments (the leader's, before it is applied).
    pub fn metadata_value(&self, assignment: Option<&BTreeMap<MemberId, Bytes>>) -> GroupMetadataValue {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        GroupMetadataValue {
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            generation: self.generation.0,
            protocol: self.protocol_name.clone(),
            leader: self.leader.as_ref().map(|l| l.0.clone()),
            current_state_timestamp: self.state_timestamp_ms.unwrap_or(-1),
            members: self
                .members
                .values()
                .map(|m| MemberMetadata {
                    member_id: m.id.0.clone(),
                    group_instance_id: m.instance_id.as_ref().map(|i| i.0.clone()),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    rebalance_timeout: m.rebalance_timeout_ms,
                    session_timeout: m.session_timeout_ms,
                    subscription: m.metadata(protocol),
                    assignment: match assignment {
                        Some(a) => a.get(&m.id).cloned().unwrap_or_default(),
                        None => m.assignment.clone(),
                    },
                })
                .collect(),
        }
    }

    /// The `__consumer_offsets` record for the group's metadata.
    pub fn metadata_record(&self, assignment: Option<&BTreeMap<MemberId, Bytes>>) -> Record {
        records::group_metadata_record(&self.id, &self.metadata_value(assignment))
    }

    /// DescribeGroups: metadata and assignments only for Stable groups.
    pub fn describe(&self) -> GroupDescription {
        let stable = self.state == GroupState::Stable;
        let protocol = if stable {
            self.protocol_name.clone().unwrap_or_default()
        } else {
            String::new()
        };
        GroupDescription {
            group_id: self.id.clone(),
            state: self.state,
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            members: self
                .members
                .values()
                .map(|m| MemberDescription {
                    member_id: m.id.clone(),
                    group_instance_id: m.instance_id.clone(),
                    client_id: m.client_id.clone(),
                    client_host: m.client_host.clone(),
                    metadata: if stable {
                        m.metadata(&protocol)
                    } else {
                        Bytes::new()
                    },
                    assignment: if stable {
                        m.assignment.clone()
                    } else {
                        Bytes::new()
                    },
                })
                .collect(),
            protocol_data: protocol,
        }
    }

    pub fn listing(&self) -> GroupListing {
        GroupListing {
            group_id: self.id.clone(),
            protocol_type: self.protocol_type.clone().unwrap_or_default(),
            state: self.state,
        }
    }
}
