//! The classic group's states and which transitions Kafka allows.

use std::fmt;

/// Kafka's classic group states. `Display` spells them as Kafka does in
/// DescribeGroups and ListGroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GroupState {
    /// No members; the group may still hold committed offsets.
    Empty,
    /// A rebalance started: members must (re)join before the join phase ends.
    PreparingRebalance,
    /// The join phase ended; waiting for the leader's assignment (SyncGroup).
    CompletingRebalance,
    /// Assignment distributed; members heartbeat.
    Stable,
    /// Removed (deleted, expired, or unloaded). Never reused.
    Dead,
}

impl GroupState {
    pub const ALL: [GroupState; 5] = [
        GroupState::Empty,
        GroupState::PreparingRebalance,
        GroupState::CompletingRebalance,
        GroupState::Stable,
        GroupState::Dead,
    ];

    /// The name Kafka puts on the wire.
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }

    /// Parses a state name case-insensitively (ListGroups v4+ state filter).
    pub fn parse(name: &str) -> Option<GroupState> {
        GroupState::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }

    /// Whether Kafka allows moving from `self` to `next`.
    pub fn can_transition_to(self, next: GroupState) -> bool {
        use GroupState::*;
        match next {
            Dead => true,
            PreparingRebalance => matches!(self, Stable | CompletingRebalance | Empty),
            CompletingRebalance => self == PreparingRebalance,
            Stable => self == CompletingRebalance,
            Empty => self == PreparingRebalance,
        }
    }

    /// Kafka's `canRebalance`: states from which a rebalance may start.
    pub fn can_rebalance(self) -> bool {
        self.can_transition_to(GroupState::PreparingRebalance)
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
