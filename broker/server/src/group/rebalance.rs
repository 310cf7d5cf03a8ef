//! Rebalance mechanics of a classic group: starting and completing the join
//! phase, distributing assignments, and the timers (initial delay, rebalance
//! timeout, pending sync, session expiry) that drive them.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::group::{deadline, Group, JoinTimer, JoinTimerKind, SyncTimer};
use super::requests::{Effects, JoinError, PendingWrite, SyncResponse, WritePurpose, WriteToken};
use super::state::GroupState;
use super::types::{GroupError, MemberId};

/// A timer that is due, in the order `advance` handles simultaneous ones.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    Join,
    Sync,
    Pending(MemberId),
    Heartbeat(MemberId),
}

impl Group {
    /// Runs every timer due at `now_ms`, earliest first. Called by every
    /// operation before it acts, and by the coordinator's `tick`.
    pub fn advance(&mut self, now_ms: i64, fx: &mut Effects) {
        // Each timer is handled at its own deadline, as if it had fired on
        // time, so the outcome does not depend on how late the tick comes.
        // A handled timer is dropped or rescheduled strictly later (see
        // `deadline`), so this terminates; past a bound (absurdly small
        // timeouts after a long pause) we catch up at `now_ms` instead.
        let mut handled = 0u32;
        while let Some((at, due)) = self.earliest_due(now_ms) {
            handled += 1;
            let t = if handled <= 10_000 { at } else { now_ms };
            match due {
                Due::Join => self.on_join_timer(t, fx),
                Due::Sync => self.on_sync_timer(t, fx),
                Due::Pending(id) => {
                    tracing::info!(group = %self.id, member = %id, "pending member expired after its session timeout");
                    self.remove_member(&id);
                    self.maybe_complete_join_phase(t, fx);
                }
                Due::Heartbeat(id) => self.on_heartbeat_expired(&id, t, fx),
            }
        }
    }

    fn earliest_due(&self, now_ms: i64) -> Option<(i64, Due)> {
        let mut best: Option<(i64, Due)> = None;
        let mut consider = |at: i64, due: Due| {
            if at <= now_ms && best.as_ref().is_none_or(|(t, d)| (at, &due) < (*t, d)) {
                best = Some((at, due));
            }
        };
        if let Some(t) = self.join_timer {
            consider(t.deadline_ms, Due::Join);
        }
        if let Some(t) = self.sync_timer {
            consider(t.deadline_ms, Due::Sync);
        }
        for (id, at) in &self.pending_members {
            consider(*at, Due::Pending(id.clone()));
        }
        for m in self.members.values() {
            if let Some(at) = m.heartbeat_deadline_ms {
                consider(at, Due::Heartbeat(m.id.clone()));
            }
        }
        best
    }

    fn on_join_timer(&mut self, now_ms: i64, fx: &mut Effects) {
        let Some(timer) = self.join_timer.take() else {
            return;
        };
        match timer.kind {
            JoinTimerKind::Initial {
                delay_ms,
                remaining_ms,
            } if self.new_member_added && remaining_ms != 0 => {
                // Members are still arriving: wait another delay, within the
                // rebalance timeout (Kafka's InitialDelayedJoin).
                self.new_member_added = false;
                let next_delay = self.config.initial_rebalance_delay_ms.min(remaining_ms);
                let next_remaining = (remaining_ms - delay_ms).max(0);
                self.join_timer = Some(JoinTimer {
                    deadline_ms: deadline(now_ms, next_delay),
                    kind: JoinTimerKind::Initial {
                        delay_ms: next_delay,
                        remaining_ms: next_remaining,
                    },
                });
            }
            _ => self.finish_join_phase(now_ms, fx),
        }
    }

    fn on_sync_timer(&mut self, now_ms: i64, fx: &mut Effects) {
        let Some(timer) = self.sync_timer.take() else {
            return;
        };
        if timer.generation != self.generation {
            return;
        }
        if matches!(self.state, GroupState::CompletingRebalance | GroupState::Stable)
            && !self.pending_sync.is_empty()
        {
            let late: Vec<MemberId> = self.pending_sync.iter().cloned().collect();
            tracing::info!(group = %self.id, members = ?late, "removing members that did not send SyncGroup in time");
            for id in &late {
                self.remove_current_member(id, fx);
            }
            self.prepare_rebalance("pending sync expired", now_ms, fx);
        }
    }

    fn on_heartbeat_expired(&mut self, id: &MemberId, now_ms: i64, fx: &mut Effects) {
        let Some(member) = self.members.get_mut(id) else {
            return;
        };
        member.heartbeat_deadline_ms = None;
        // Kafka's hasSatisfiedHeartbeat: parked members count as alive,
        // except new ones, which time out even while parked.
        let satisfied = !member.is_new && (member.awaiting_join || member.awaiting_sync);
        if satisfied {
            return;
        }
        tracing::info!(group = %self.id, member = %id, "member session expired; removing it");
        self.remove_current_member(id, fx);
        self.after_member_removed("member session expired", now_ms, fx);
    }

    /// Answers the member's parked requests and removes it. Kafka answers a
    /// parked join with UNKNOWN_MEMBER_ID (so a live client rejoins); we do
    /// the same for a parked sync so that no request stays parked forever.
    pub(super) fn remove_current_member(&mut self, id: &MemberId, fx: &mut Effects) {
        let gone = JoinError {
            member_id: MemberId::UNKNOWN,
            error: GroupError::UnknownMemberId,
        };
        self.complete_join(id, Err(gone), fx);
        self.complete_sync(id, Err(GroupError::UnknownMemberId), fx);
        self.remove_member(id);
    }

    /// What follows the removal of a member (Kafka's
    /// `removeMemberAndUpdateGroup`).
    pub(super) fn after_member_removed(&mut self, reason: &str, now_ms: i64, fx: &mut Effects) {
        match self.state {
            GroupState::Stable | GroupState::CompletingRebalance => {
                self.maybe_prepare_rebalance_or_complete_join(reason, now_ms, fx)
            }
            GroupState::PreparingRebalance => self.maybe_complete_join_phase(now_ms, fx),
            GroupState::Empty | GroupState::Dead => {}
        }
    }

    pub(super) fn maybe_prepare_rebalance_or_complete_join(
        &mut self,
        reason: &str,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        if self.state.can_rebalance() {
            self.prepare_rebalance(reason, now_ms, fx);
        } else {
            self.maybe_complete_join_phase(now_ms, fx);
        }
    }

    /// Ends the join phase early once everybody has joined, except during
    /// the initial delay of a group that was Empty.
    pub(super) fn maybe_complete_join_phase(&mut self, now_ms: i64, fx: &mut Effects) {
        if self.state == GroupState::PreparingRebalance
            && self.has_all_members_joined()
            && self.previous_state != GroupState::Empty
        {
            self.finish_join_phase(now_ms, fx);
        }
    }

    /// Starts a rebalance (Kafka's `prepareRebalance`).
    pub(super) fn prepare_rebalance(&mut self, reason: &str, now_ms: i64, fx: &mut Effects) {
        if self.state == GroupState::CompletingRebalance {
            self.reset_and_propagate_assignment_error(GroupError::RebalanceInProgress, now_ms, fx);
        }
        self.pending_sync.clear();
        self.sync_timer = None;
        let initial = self.state == GroupState::Empty;
        if initial {
            let delay_ms = self.config.initial_rebalance_delay_ms;
            let remaining_ms = (self.rebalance_timeout_ms() - delay_ms).max(0);
            self.join_timer = Some(JoinTimer {
                deadline_ms: deadline(now_ms, delay_ms),
                kind: JoinTimerKind::Initial {
                    delay_ms,
                    remaining_ms,
                },
            });
        }
        tracing::info!(group = %self.id, from = %self.state, generation = %self.generation, reason,
            "preparing to rebalance group");
        self.transition_to(GroupState::PreparingRebalance, now_ms);
        if !initial {
            if self.has_all_members_joined() {
                self.finish_join_phase(now_ms, fx);
            } else {
                self.join_timer = Some(JoinTimer {
                    deadline_ms: deadline(now_ms, self.rebalance_timeout_ms()),
                    kind: JoinTimerKind::Rebalance,
                });
            }
        }
    }

    /// Ends the join phase: dynamic members that did not rejoin are dropped,
    /// the generation advances, parked joins are answered.
    pub(super) fn finish_join_phase(&mut self, now_ms: i64, fx: &mut Effects) {
        self.join_timer = None;
        let missing: Vec<MemberId> = self
            .members
            .values()
            .filter(|m| !m.awaiting_join && !m.is_static())
            .map(|m| m.id.clone())
            .collect();
        if !missing.is_empty() {
            tracing::info!(group = %self.id, members = ?missing, "removing dynamic members that did not rejoin");
            for id in &missing {
                self.remove_current_member(id, fx);
            }
        }
        if self.state == GroupState::Dead {
            return;
        }
        if !self.maybe_elect_joined_leader() && !self.members.is_empty() {
            // Only static members that have not rejoined are left: wait for
            // their sessions to expire or for them to come back.
            tracing::warn!(group = %self.id, "no member rejoined; postponing the end of the join phase");
            self.join_timer = Some(JoinTimer {
                deadline_ms: deadline(now_ms, self.rebalance_timeout_ms()),
                kind: JoinTimerKind::Rebalance,
            });
            return;
        }
        self.init_next_generation(now_ms);
        if self.state == GroupState::Empty {
            tracing::info!(group = %self.id, generation = %self.generation, "group is now empty");
            fx.writes.push(PendingWrite {
                record: self.metadata_record(None),
                token: WriteToken {
                    group_id: self.id.clone(),
                    purpose: WritePurpose::Informational,
                },
            });
            return;
        }
        tracing::info!(group = %self.id, generation = %self.generation, members = self.members.len(),
            "group stabilized; waiting for SyncGroup");
        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            let response = self.join_response(id);
            self.complete_join(id, Ok(response), fx);
            let session = self.members.get(id).map_or(0, |m| m.session_timeout_ms);
            self.reschedule_heartbeat(id, now_ms, session);
            if let Some(m) = self.members.get_mut(id) {
                m.is_new = false;
            }
            self.pending_sync.insert(id.clone());
        }
        self.sync_timer = Some(SyncTimer {
            deadline_ms: deadline(now_ms, self.rebalance_timeout_ms()),
            generation: self.generation,
        });
    }

    /// Kafka's `maybeElectNewJoinedLeader`: the leader must be a member that
    /// rejoined; false if no member rejoined.
    fn maybe_elect_joined_leader(&mut self) -> bool {
        let Some(leader) = &self.leader else {
            return false;
        };
        if self.members.get(leader).is_some_and(|m| m.awaiting_join) {
            return true;
        }
        match self.members.values().find(|m| m.awaiting_join) {
            Some(m) => {
                tracing::info!(group = %self.id, old = %leader, new = %m.id, "electing a rejoined member as leader");
                self.leader = Some(m.id.clone());
                true
            }
            None => false,
        }
    }

    fn init_next_generation(&mut self, now_ms: i64) {
        self.generation = self.generation.next();
        if self.members.is_empty() {
            self.protocol_name = None;
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition_to(GroupState::Empty, now_ms);
        } else {
            self.protocol_name = self.select_protocol();
            if self.protocol_name.is_none() {
                tracing::error!(group = %self.id, "no protocol is supported by all members");
            }
            self.subscribed_topics = self.compute_subscribed_topics();
            self.transition_to(GroupState::CompletingRebalance, now_ms);
        }
        self.pending_sync.clear();
    }

    pub(super) fn reset_and_propagate_assignment_error(
        &mut self,
        error: GroupError,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        for m in self.members.values_mut() {
            m.assignment = Bytes::new();
        }
        self.propagate_assignment(Some(error), now_ms, fx);
    }

    pub(super) fn set_and_propagate_assignment(
        &mut self,
        assignment: &BTreeMap<MemberId, Bytes>,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        for m in self.members.values_mut() {
            m.assignment = assignment.get(&m.id).cloned().unwrap_or_default();
        }
        self.propagate_assignment(None, now_ms, fx);
    }

    /// Answers every parked SyncGroup and restarts those members' session
    /// timers (their expiry was ignored while parked).
    fn propagate_assignment(&mut self, error: Option<GroupError>, now_ms: i64, fx: &mut Effects) {
        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            let Some(member) = self.members.get(id) else {
                continue;
            };
            let result = match error {
                Some(e) => Err(e),
                None => {
                    if member.assignment.is_empty() {
                        tracing::debug!(group = %self.id, member = %id, "sending an empty assignment");
                    }
                    Ok(SyncResponse {
                        protocol_type: self.protocol_type.clone(),
                        protocol_name: self.protocol_name.clone(),
                        assignment: member.assignment.clone(),
                    })
                }
            };
            let session = member.session_timeout_ms;
            if self.complete_sync(id, result, fx) {
                self.reschedule_heartbeat(id, now_ms, session);
            }
        }
    }
}
