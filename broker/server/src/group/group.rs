//! The classic group: its data and the membership bookkeeping that every
//! operation builds on. The operations themselves live in `join.rs`,
//! `sync.rs` and `rebalance.rs` (all `impl Group`).

use std::collections::{BTreeMap, BTreeSet};

use super::member::Member;
use super::offsets::Offsets;
use super::requests::{
    Completion, CompletionKind, Effects, JoinError, JoinMember, JoinResponse, SyncResponse,
};
use super::state::GroupState;
use super::subscription;
use super::types::{Generation, GroupConfig, GroupError, GroupId, GroupInstanceId, MemberId, Protocol};

/// Kafka's protocol type of consumer groups; only these have subscriptions
/// the coordinator understands.
pub const CONSUMER_PROTOCOL_TYPE: &str = "consumer";

/// The pending end of the join phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct JoinTimer {
    pub deadline_ms: i64,
    pub kind: JoinTimerKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JoinTimerKind {
    /// group.initial.rebalance.delay.ms for a group leaving Empty: extended
    /// while new members keep arriving, bounded by the rebalance timeout.
    Initial { delay_ms: i32, remaining_ms: i32 },
    /// The rebalance timeout: members that have not rejoined are dropped.
    Rebalance,
}

/// Members that have not sent SyncGroup by this deadline are removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SyncTimer {
    pub deadline_ms: i64,
    pub generation: Generation,
}

/// A classic consumer group.
#[derive(Debug, Clone)]
pub struct Group {
    pub(super) id: GroupId,
    pub(super) config: GroupConfig,
    pub(super) state: GroupState,
    pub(super) previous_state: GroupState,
    pub(super) state_timestamp_ms: Option<i64>,
    pub(super) generation: Generation,
    pub(super) protocol_type: Option<String>,
    pub(super) protocol_name: Option<String>,
    pub(super) leader: Option<MemberId>,
    pub(super) members: BTreeMap<MemberId, Member>,
    pub(super) static_members: BTreeMap<GroupInstanceId, MemberId>,
    /// KIP-394 members that got MEMBER_ID_REQUIRED, with their expiry.
    pub(super) pending_members: BTreeMap<MemberId, i64>,
    /// Members of the current generation that have not sent SyncGroup yet.
    pub(super) pending_sync: BTreeSet<MemberId>,
    /// Protocol name -> number of members supporting it.
    pub(super) supported_protocols: BTreeMap<String, usize>,
    pub(super) awaiting_join_count: usize,
    pub(super) new_member_added: bool,
    pub(super) join_timer: Option<JoinTimer>,
    pub(super) sync_timer: Option<SyncTimer>,
    pub(super) subscribed_topics: Option<BTreeSet<String>>,
    pub(super) offsets: Offsets,
}

impl Group {
    /// A new, Empty group (created by its first JoinGroup or simple commit).
    pub fn new(id: GroupId, config: GroupConfig, now_ms: i64) -> Self {
        Self {
            id,
            config,
            state: GroupState::Empty,
            previous_state: GroupState::Empty,
            state_timestamp_ms: Some(now_ms),
            generation: Generation(0),
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            pending_members: BTreeMap::new(),
            pending_sync: BTreeSet::new(),
            supported_protocols: BTreeMap::new(),
            awaiting_join_count: 0,
            new_member_added: false,
            join_timer: None,
            sync_timer: None,
            subscribed_topics: None,
            offsets: Offsets::default(),
        }
    }

    pub fn id(&self) -> &GroupId {
        &self.id
    }
    pub fn state(&self) -> GroupState {
        self.state
    }
    pub fn generation(&self) -> Generation {
        self.generation
    }
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }
    pub fn protocol_name(&self) -> Option<&str> {
        self.protocol_name.as_deref()
    }
    pub fn leader(&self) -> Option<&MemberId> {
        self.leader.as_ref()
    }
    /// When the group entered its current state (Kafka's
    /// `currentStateTimestamp`); `None` for groups loaded from old records.
    pub fn state_timestamp_ms(&self) -> Option<i64> {
        self.state_timestamp_ms
    }
    pub fn member(&self, id: &MemberId) -> Option<&Member> {
        self.members.get(id)
    }
    /// Members in member-id order.
    pub fn members(&self) -> impl Iterator<Item = &Member> {
        self.members.values()
    }
    pub fn size(&self) -> usize {
        self.members.len()
    }
    pub fn static_member_id(&self, instance: &GroupInstanceId) -> Option<&MemberId> {
        self.static_members.get(instance)
    }
    pub fn is_pending_member(&self, id: &MemberId) -> bool {
        self.pending_members.contains_key(id)
    }
    pub fn pending_member_ids(&self) -> impl Iterator<Item = &MemberId> {
        self.pending_members.keys()
    }
    pub fn pending_sync_ids(&self) -> impl Iterator<Item = &MemberId> {
        self.pending_sync.iter()
    }
    pub fn offsets(&self) -> &Offsets {
        &self.offsets
    }
    /// Topics the members subscribe to, when known (consumer groups only).
    pub fn subscribed_topics(&self) -> Option<&BTreeSet<String>> {
        self.subscribed_topics.as_ref()
    }
    pub fn num_awaiting_join(&self) -> usize {
        self.awaiting_join_count
    }
    pub fn is_leader(&self, id: &MemberId) -> bool {
        self.leader.as_ref() == Some(id)
    }

    /// The group's rebalance timeout: the largest of its members'.
    pub fn rebalance_timeout_ms(&self) -> i32 {
        self.members
            .values()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0)
    }

    /// Kafka's `hasAllMembersJoined`.
    pub fn has_all_members_joined(&self) -> bool {
        self.members.len() == self.awaiting_join_count && self.pending_members.is_empty()
    }

    /// The earliest time at which `tick` has something to do.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        let members = self.members.values().filter_map(|m| m.heartbeat_deadline_ms);
        let pending = self.pending_members.values().copied();
        let timers = self
            .join_timer
            .map(|t| t.deadline_ms)
            .into_iter()
            .chain(self.sync_timer.map(|t| t.deadline_ms));
        members.chain(pending).chain(timers).min()
    }

    pub(super) fn transition_to(&mut self, next: GroupState, now_ms: i64) {
        if !self.state.can_transition_to(next) {
            // A logic error; keep going (the state is still meaningful) but
            // make it loud in tests.
            tracing::error!(group = %self.id, from = %self.state, to = %next, "invalid group state transition");
            debug_assert!(false, "invalid transition {} -> {}", self.state, next);
        }
        self.previous_state = self.state;
        self.state = next;
        self.state_timestamp_ms = Some(now_ms);
    }

    /// Kafka's `validateMember`: a static member must present its current
    /// member id, a dynamic one must exist.
    pub fn validate_member(
        &self,
        member_id: &MemberId,
        instance_id: Option<&GroupInstanceId>,
    ) -> Result<(), GroupError> {
        if let Some(instance) = instance_id {
            match self.static_members.get(instance) {
                None => return Err(GroupError::UnknownMemberId),
                Some(current) if current != member_id => return Err(GroupError::FencedInstanceId),
                Some(_) => {}
            }
        }
        if self.members.contains_key(member_id) {
            Ok(())
        } else {
            Err(GroupError::UnknownMemberId)
        }
    }

    /// Kafka's `supportsProtocols`: an Empty group accepts any non-empty
    /// protocol type and list; otherwise the type must match and at least one
    /// protocol must be supported by every current member.
    pub fn supports_protocols(&self, protocol_type: &str, protocols: &[Protocol]) -> bool {
        if self.state == GroupState::Empty {
            return !protocol_type.is_empty() && !protocols.is_empty();
        }
        self.protocol_type.as_deref() == Some(protocol_type)
            && protocols
                .iter()
                .any(|p| self.supported_protocols.get(&p.name).copied().unwrap_or(0) == self.members.len())
    }

    /// Kafka's protocol selection: each member votes for its most preferred
    /// protocol among those all members support; most votes wins. Kafka
    /// breaks ties arbitrarily (hash order); we take the smallest name so the
    /// choice is deterministic.
    pub fn select_protocol(&self) -> Option<String> {
        let n = self.members.len();
        let candidates: BTreeSet<&str> = self
            .supported_protocols
            .iter()
            .filter(|(_, count)| **count == n)
            .map(|(name, _)| name.as_str())
            .collect();
        let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
        for member in self.members.values() {
            if let Some(choice) = member.vote(&candidates) {
                *votes.entry(choice).or_default() += 1;
            }
        }
        let best = votes.values().copied().max()?;
        votes
            .into_iter()
            .find(|(_, v)| *v == best)
            .map(|(name, _)| name.to_string())
    }

    /// Kafka's `computeSubscribedTopics`: the union of the members'
    /// subscriptions for consumer groups, `None` when unknown.
    pub(super) fn compute_subscribed_topics(&self) -> Option<BTreeSet<String>> {
        if self.protocol_type.as_deref() != Some(CONSUMER_PROTOCOL_TYPE) {
            return None;
        }
        if self.members.is_empty() {
            return Some(BTreeSet::new());
        }
        let protocol = self.protocol_name.as_deref()?;
        let mut topics = BTreeSet::new();
        for member in self.members.values() {
            match subscription::subscribed_topics(&member.metadata(protocol)) {
                Ok(list) => topics.extend(list),
                Err(e) => {
                    tracing::warn!(group = %self.id, member = %member.id, error = %e,
                        "cannot parse consumer subscription; subscribed topics unknown");
                    return None;
                }
            }
        }
        Some(topics)
    }

    /// Kafka's `isSubscribedToTopic`: when the subscriptions are unknown, a
    /// consumer group counts as subscribed (so its offsets stay).
    pub fn is_subscribed_to_topic(&self, topic: &str) -> bool {
        match &self.subscribed_topics {
            Some(topics) => topics.contains(topic),
            None => self.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE),
        }
    }

    pub(super) fn add_member(&mut self, mut member: Member, awaiting_join: bool) {
        if let Some(instance) = &member.instance_id {
            self.static_members.insert(instance.clone(), member.id.clone());
        }
        if self.members.is_empty() {
            self.protocol_type = Some(member.protocol_type.clone());
        }
        if self.leader.is_none() {
            self.leader = Some(member.id.clone());
        }
        for p in &member.protocols {
            *self.supported_protocols.entry(p.name.clone()).or_default() += 1;
        }
        member.awaiting_join = awaiting_join;
        if awaiting_join {
            self.awaiting_join_count += 1;
        }
        self.pending_members.remove(&member.id);
        self.members.insert(member.id.clone(), member);
    }

    /// Removes a member (or pending member) and everything that refers to
    /// it. A removed leader is replaced by the first remaining member.
    pub(super) fn remove_member(&mut self, id: &MemberId) -> Option<Member> {
        self.pending_members.remove(id);
        self.pending_sync.remove(id);
        let removed = self.members.remove(id);
        if let Some(member) = &removed {
            self.decrement_protocols(&member.protocols);
            if member.awaiting_join {
                self.awaiting_join_count -= 1;
            }
            if let Some(instance) = &member.instance_id {
                if self.static_members.get(instance) == Some(id) {
                    self.static_members.remove(instance);
                }
            }
        }
        if self.is_leader(id) {
            self.leader = self.members.keys().next().cloned();
        }
        removed
    }

    fn decrement_protocols(&mut self, protocols: &[Protocol]) {
        for p in protocols {
            if let Some(count) = self.supported_protocols.get_mut(&p.name) {
                *count -= 1;
                if *count == 0 {
                    self.supported_protocols.remove(&p.name);
                }
            }
        }
    }

    /// Kafka's `updateMember`: new protocols and timeouts, and whether a
    /// JoinGroup of the member is now parked.
    pub(super) fn update_member(
        &mut self,
        id: &MemberId,
        protocols: Vec<Protocol>,
        rebalance_timeout_ms: i32,
        session_timeout_ms: i32,
        awaiting_join: bool,
    ) {
        let Some(member) = self.members.get(id) else {
            return;
        };
        let old = member.protocols.clone();
        self.decrement_protocols(&old);
        for p in &protocols {
            *self.supported_protocols.entry(p.name.clone()).or_default() += 1;
        }
        let Some(member) = self.members.get_mut(id) else {
            return;
        };
        member.protocols = protocols;
        member.rebalance_timeout_ms = rebalance_timeout_ms;
        member.session_timeout_ms = session_timeout_ms;
        if awaiting_join && !member.awaiting_join {
            self.awaiting_join_count += 1;
        } else if !awaiting_join && member.awaiting_join {
            self.awaiting_join_count -= 1;
        }
        member.awaiting_join = awaiting_join;
    }

    /// Kafka's `replaceStaticMember`: the member keeps its data under a new
    /// id; parked requests of the old id are fenced.
    pub(super) fn replace_static_member(
        &mut self,
        instance: &GroupInstanceId,
        old_id: &MemberId,
        new_id: &MemberId,
        fx: &mut Effects,
    ) -> bool {
        let fenced = JoinError {
            member_id: old_id.clone(),
            error: GroupError::FencedInstanceId,
        };
        self.complete_join(old_id, Err(fenced), fx);
        self.complete_sync(old_id, Err(GroupError::FencedInstanceId), fx);
        let Some(mut member) = self.members.remove(old_id) else {
            return false;
        };
        member.id = new_id.clone();
        member.awaiting_join = false;
        member.awaiting_sync = false;
        self.members.insert(new_id.clone(), member);
        if self.is_leader(old_id) {
            self.leader = Some(new_id.clone());
        }
        // Kafka leaves the old id in the pending-sync set, which would make
        // the sync timer rebalance a group whose member did sync; rename it.
        if self.pending_sync.remove(old_id) {
            self.pending_sync.insert(new_id.clone());
        }
        self.static_members.insert(instance.clone(), new_id.clone());
        true
    }

    /// Answers the member's parked JoinGroup, if any (Kafka's
    /// `completeJoinFuture`). Returns whether one was parked.
    pub(super) fn complete_join(
        &mut self,
        id: &MemberId,
        result: Result<JoinResponse, JoinError>,
        fx: &mut Effects,
    ) -> bool {
        let Some(member) = self.members.get_mut(id) else {
            return false;
        };
        if !member.awaiting_join {
            return false;
        }
        member.awaiting_join = false;
        self.awaiting_join_count -= 1;
        fx.completions.push(Completion {
            group_id: self.id.clone(),
            member_id: id.clone(),
            kind: CompletionKind::Join(result),
        });
        true
    }

    /// Answers the member's parked SyncGroup, if any.
    pub(super) fn complete_sync(
        &mut self,
        id: &MemberId,
        result: Result<SyncResponse, GroupError>,
        fx: &mut Effects,
    ) -> bool {
        let Some(member) = self.members.get_mut(id) else {
            return false;
        };
        if !member.awaiting_sync {
            return false;
        }
        member.awaiting_sync = false;
        fx.completions.push(Completion {
            group_id: self.id.clone(),
            member_id: id.clone(),
            kind: CompletionKind::Sync(result),
        });
        true
    }

    /// Schedules the member's next heartbeat expiration.
    pub(super) fn reschedule_heartbeat(&mut self, id: &MemberId, now_ms: i64, timeout_ms: i32) {
        if let Some(member) = self.members.get_mut(id) {
            member.heartbeat_deadline_ms = Some(deadline(now_ms, timeout_ms));
        }
    }

    /// The JoinGroup response for `id` in the current generation; the leader
    /// gets the member list.
    pub(super) fn join_response(&self, id: &MemberId) -> JoinResponse {
        JoinResponse {
            member_id: id.clone(),
            generation: self.generation,
            protocol_type: self.protocol_type.clone(),
            protocol_name: self.protocol_name.clone(),
            leader: self.leader.clone().unwrap_or_default(),
            skip_assignment: false,
            members: if self.is_leader(id) {
                self.join_members()
            } else {
                Vec::new()
            },
        }
    }

    /// Every member with its metadata for the selected protocol.
    pub(super) fn join_members(&self) -> Vec<JoinMember> {
        let protocol = self.protocol_name.as_deref().unwrap_or_default();
        self.members
            .values()
            .map(|m| JoinMember {
                member_id: m.id.clone(),
                group_instance_id: m.instance_id.clone(),
                metadata: m.metadata(protocol),
            })
            .collect()
    }
}

/// `now + timeout`, at least 1 ms in the future so that `tick` always makes
/// progress even with zero timeouts.
pub(super) fn deadline(now_ms: i64, timeout_ms: i32) -> i64 {
    now_ms.saturating_add(i64::from(timeout_ms.max(1)))
}
