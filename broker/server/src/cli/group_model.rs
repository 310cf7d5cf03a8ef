//! Domain types of the `kavka group` subcommands: what the admin calls return, in a
//! form the pure planning and formatting code can work with (and tests can build).

use std::fmt;

use super::group_assignment::{decode_assignment, AssignmentError};

/// Kafka's consumer-protocol `protocol_type`; an empty one is a "simple" group that
/// only commits offsets.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicPartition {
    pub topic: String,
    pub partition: i32,
}

impl TopicPartition {
    pub fn new(topic: impl Into<String>, partition: i32) -> Self {
        TopicPartition {
            topic: topic.into(),
            partition,
        }
    }
}

/// Kafka's `TopicPartition.toString()` (`orders-3`), which its tool's messages use.
impl fmt::Display for TopicPartition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.topic, self.partition)
    }
}

/// A group's state with Kafka's names. `Assigning` and `Reconciling` only occur in
/// KIP-848 (`consumer` type) groups; they can be shown but not used as a filter,
/// because librdkafka's ListConsumerGroups filter does not know them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupState {
    PreparingRebalance,
    CompletingRebalance,
    Stable,
    Dead,
    Empty,
    Assigning,
    Reconciling,
    Unknown,
}

impl GroupState {
    /// The states `group list --state` accepts, in Kafka's order.
    pub const FILTERABLE: [GroupState; 5] = [
        GroupState::PreparingRebalance,
        GroupState::CompletingRebalance,
        GroupState::Stable,
        GroupState::Dead,
        GroupState::Empty,
    ];

    pub fn name(self) -> &'static str {
        match self {
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
            GroupState::Empty => "Empty",
            GroupState::Assigning => "Assigning",
            GroupState::Reconciling => "Reconciling",
            GroupState::Unknown => "Unknown",
        }
    }

    /// The state named by a broker (DescribeGroups/ListGroups); case-insensitive like
    /// Kafka's `GroupState.parse`, anything unrecognised is `Unknown`.
    pub fn from_name(s: &str) -> GroupState {
        [
            GroupState::PreparingRebalance,
            GroupState::CompletingRebalance,
            GroupState::Stable,
            GroupState::Dead,
            GroupState::Empty,
            GroupState::Assigning,
            GroupState::Reconciling,
        ]
        .into_iter()
        .find(|st| st.name().eq_ignore_ascii_case(s.trim()))
        .unwrap_or(GroupState::Unknown)
    }

    /// Whether Kafka considers the group inactive, so its offsets may be reset.
    pub fn is_inactive(self) -> bool {
        matches!(self, GroupState::Empty | GroupState::Dead)
    }

    pub fn is_rebalancing(self) -> bool {
        matches!(
            self,
            GroupState::PreparingRebalance
                | GroupState::CompletingRebalance
                | GroupState::Assigning
                | GroupState::Reconciling
        )
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of ListGroups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupListing {
    pub group_id: String,
    pub state: GroupState,
}

/// The broker that coordinates a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coordinator {
    pub id: i32,
    pub host: String,
    pub port: i32,
}

/// A DescribeGroups result as the broker sent it; member assignments are still the
/// protocol's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawGroup {
    pub group_id: String,
    pub coordinator: Coordinator,
    pub state: String,
    pub protocol_type: String,
    /// The selected protocol; for consumer groups the assignor (`range`, ...).
    pub protocol: String,
    pub members: Vec<RawMember>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMember {
    pub member_id: String,
    pub client_id: String,
    pub client_host: String,
    pub assignment: Vec<u8>,
}

/// A consumer group with decoded member assignments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    pub group_id: String,
    pub coordinator: Coordinator,
    pub state: GroupState,
    /// The assignor, empty when none was chosen (Empty groups).
    pub assignor: String,
    pub members: Vec<MemberDescription>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberDescription {
    pub member_id: String,
    pub client_id: String,
    pub host: String,
    /// Sorted by topic and partition.
    pub assignment: Vec<TopicPartition>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DescribeError {
    /// Kafka's admin client refuses the same way: another protocol's assignment bytes
    /// (Connect, Streams' own) mean nothing to a consumer-group tool.
    #[error("group '{group}' is not a consumer group (protocol type '{protocol_type}')")]
    NotConsumerGroup { group: String, protocol_type: String },
    #[error("group '{group}': member '{member}' has an undecodable assignment: {source}")]
    BadAssignment {
        group: String,
        member: String,
        #[source]
        source: AssignmentError,
    },
}

impl GroupDescription {
    /// Decodes the members' assignments of a consumer group.
    pub fn from_raw(raw: RawGroup) -> Result<GroupDescription, DescribeError> {
        if !raw.protocol_type.is_empty() && raw.protocol_type != CONSUMER_PROTOCOL_TYPE {
            return Err(DescribeError::NotConsumerGroup {
                group: raw.group_id,
                protocol_type: raw.protocol_type,
            });
        }
        let mut members = Vec::with_capacity(raw.members.len());
        for m in raw.members {
            let decoded =
                decode_assignment(&m.assignment).map_err(|source| DescribeError::BadAssignment {
                    group: raw.group_id.clone(),
                    member: m.member_id.clone(),
                    source,
                })?;
            members.push(MemberDescription {
                member_id: m.member_id,
                client_id: m.client_id,
                host: m.client_host,
                assignment: decoded.topic_partitions(),
            });
        }
        Ok(GroupDescription {
            group_id: raw.group_id,
            coordinator: raw.coordinator,
            state: GroupState::from_name(&raw.state),
            assignor: raw.protocol,
            members,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::group_assignment::encode_assignment_for_test;

    fn raw(protocol_type: &str, assignment: Vec<u8>) -> RawGroup {
        RawGroup {
            group_id: "g".into(),
            coordinator: Coordinator {
                id: 1,
                host: "h".into(),
                port: 9092,
            },
            state: "stable".into(),
            protocol_type: protocol_type.into(),
            protocol: "range".into(),
            members: vec![RawMember {
                member_id: "m1".into(),
                client_id: "c1".into(),
                client_host: "/127.0.0.1".into(),
                assignment,
            }],
        }
    }

    #[test]
    fn states_parse_case_insensitively() {
        assert_eq!(GroupState::from_name("Stable"), GroupState::Stable);
        assert_eq!(
            GroupState::from_name("preparingrebalance"),
            GroupState::PreparingRebalance
        );
        assert_eq!(GroupState::from_name("whatever"), GroupState::Unknown);
        assert!(GroupState::Empty.is_inactive() && GroupState::Dead.is_inactive());
        assert!(!GroupState::Stable.is_inactive());
        assert!(GroupState::CompletingRebalance.is_rebalancing());
        assert_eq!(TopicPartition::new("t", 3).to_string(), "t-3");
    }

    #[test]
    fn describe_decodes_assignments() {
        let bytes = encode_assignment_for_test(0, &[("b", &[2, 0]), ("a", &[1])], None);
        let d = GroupDescription::from_raw(raw("consumer", bytes)).unwrap();
        assert_eq!(d.state, GroupState::Stable);
        assert_eq!(
            d.members[0].assignment,
            vec![
                TopicPartition::new("a", 1),
                TopicPartition::new("b", 0),
                TopicPartition::new("b", 2)
            ]
        );
        // A simple group (offsets only) has no protocol type and is accepted.
        assert!(GroupDescription::from_raw(raw("", vec![])).is_ok());
    }

    #[test]
    fn describe_refuses_other_protocols_and_bad_bytes() {
        let err = GroupDescription::from_raw(raw("connect", vec![])).unwrap_err();
        assert!(err.to_string().contains("not a consumer group"), "{err}");
        let err = GroupDescription::from_raw(raw("consumer", vec![0, 0, 0, 0, 0, 9])).unwrap_err();
        assert!(matches!(err, DescribeError::BadAssignment { .. }), "{err}");
        assert!(err.to_string().contains("member 'm1'"), "{err}");
    }
}
