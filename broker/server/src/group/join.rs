//! JoinGroup on a classic group (Kafka's `classicGroupJoin*`), including
//! KIP-394 (member id required) and KIP-345 (static membership).

use uuid::Uuid;

use super::group::Group;
use super::member::Member;
use super::requests::{
    CompletionKind, Effects, JoinError, JoinReply, JoinRequest, JoinResponse, PendingWrite, StaticRejoin,
    WritePurpose, WriteToken,
};
use super::state::GroupState;
use super::types::{GroupError, MemberId};

fn fail(member_id: MemberId, error: GroupError) -> JoinReply {
    JoinReply::Done(Err(JoinError { member_id, error }))
}

impl Group {
    /// Handles a JoinGroup. `fresh` is a random UUID the caller draws for
    /// the member id Kafka may have to generate (kept out so this stays
    /// deterministic). A `Pending` reply is answered later by a `Completion`
    /// in some operation's `Effects`.
    pub fn join(&mut self, req: JoinRequest, now_ms: i64, fresh: Uuid, fx: &mut Effects) -> JoinReply {
        self.advance(now_ms, fx);
        let mark = fx.completions.len();
        let key = req.member_id.clone();
        let reply = if let Err(e) = self.config.check_session_timeout(req.session_timeout_ms) {
            fail(req.member_id, e)
        } else if !self.accept_joining_member(&req.member_id) {
            // Over group.max.size: Kafka drops the member (the last ones to
            // rejoin are kicked out when the limit was lowered).
            if self.members.contains_key(&req.member_id) {
                self.remove_current_member(&req.member_id, fx);
                self.maybe_complete_join_phase(now_ms, fx);
            }
            fail(MemberId::UNKNOWN, GroupError::GroupMaxSizeReached)
        } else if req.member_id.is_unknown() {
            self.join_new_member(req, now_ms, fresh, fx)
        } else {
            self.join_existing_member(req, now_ms, fx)
        };
        let reply = take_own_completion(reply, mark, fx);
        if matches!(reply, JoinReply::Done(_)) {
            // This answer also answers an older parked join of the same
            // member (the async layer keys parked requests by member id).
            self.clear_awaiting_join(&key);
        }
        reply
    }

    fn clear_awaiting_join(&mut self, id: &MemberId) {
        if let Some(m) = self.members.get_mut(id) {
            if m.awaiting_join {
                m.awaiting_join = false;
                self.awaiting_join_count -= 1;
            }
        }
    }

    /// Kafka's `acceptJoiningMember` (group.max.size).
    fn accept_joining_member(&self, member_id: &MemberId) -> bool {
        let max = self.config.max_size;
        match self.state {
            GroupState::Empty | GroupState::Dead => true,
            // Counting parked joins (not members) lets the group shrink
            // back under a lowered limit.
            GroupState::PreparingRebalance => {
                self.members.get(member_id).is_some_and(|m| m.awaiting_join) || self.awaiting_join_count < max
            }
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.members.contains_key(member_id) || self.members.len() < max
            }
        }
    }

    fn join_new_member(&mut self, req: JoinRequest, now_ms: i64, fresh: Uuid, fx: &mut Effects) -> JoinReply {
        if self.state == GroupState::Dead {
            return fail(MemberId::UNKNOWN, GroupError::CoordinatorNotAvailable);
        }
        if !self.supports_protocols(&req.protocol_type, &req.protocols) {
            return fail(MemberId::UNKNOWN, GroupError::InconsistentGroupProtocol);
        }
        let prefix = match &req.group_instance_id {
            Some(instance) => instance.as_str(),
            None => req.client_id.as_str(),
        };
        let new_id = MemberId(format!("{prefix}-{fresh}"));
        if let Some(instance) = &req.group_instance_id {
            if let Some(old_id) = self.static_members.get(instance).cloned() {
                tracing::info!(group = %self.id, %instance, old = %old_id, new = %new_id,
                    "static member rejoined with an unknown member id; replacing the old id");
                return self.update_static_member(req, old_id, new_id, now_ms, fx);
            }
            return self.add_member_and_rebalance(req, new_id, now_ms, fx);
        }
        if req.require_known_member_id {
            // KIP-394: hand out the id first, so that a client whose join
            // times out does not leave anonymous members behind.
            let expires = super::group::deadline(now_ms, req.session_timeout_ms);
            self.pending_members.insert(new_id.clone(), expires);
            return fail(new_id, GroupError::MemberIdRequired);
        }
        self.add_member_and_rebalance(req, new_id, now_ms, fx)
    }

    fn join_existing_member(&mut self, req: JoinRequest, now_ms: i64, fx: &mut Effects) -> JoinReply {
        let id = req.member_id.clone();
        if self.state == GroupState::Dead {
            return fail(id, GroupError::CoordinatorNotAvailable);
        }
        if !self.supports_protocols(&req.protocol_type, &req.protocols) {
            return fail(id, GroupError::InconsistentGroupProtocol);
        }
        if self.is_pending_member(&id) {
            if req.group_instance_id.is_some() {
                // Pending ids are only handed to dynamic members.
                return fail(id, GroupError::UnknownMemberId);
            }
            return self.add_member_and_rebalance(req, id, now_ms, fx);
        }
        if let Err(e) = self.validate_member(&id, req.group_instance_id.as_ref()) {
            return fail(id, e);
        }
        let (is_leader, same_metadata) = match self.members.get(&id) {
            Some(m) => (self.is_leader(&id), m.matches(&req.protocols)),
            None => return fail(id, GroupError::UnknownMemberId),
        };
        match self.state {
            GroupState::PreparingRebalance => self.update_member_and_rebalance(req, now_ms, fx),
            // A repeated join (lost response): answer with the current state.
            GroupState::CompletingRebalance if same_metadata => JoinReply::Done(Ok(self.join_response(&id))),
            GroupState::CompletingRebalance => self.update_member_and_rebalance(req, now_ms, fx),
            // The leader rejoins to force a rebalance (e.g. topic metadata
            // changed); a follower only when its metadata changed, which is
            // how cooperative (KIP-429) clients start their second round.
            GroupState::Stable if is_leader || !same_metadata => {
                self.update_member_and_rebalance(req, now_ms, fx)
            }
            GroupState::Stable => {
                let mut response = self.join_response(&id);
                response.members.clear();
                JoinReply::Done(Ok(response))
            }
            GroupState::Empty | GroupState::Dead => fail(id, GroupError::UnknownMemberId),
        }
    }

    fn update_member_and_rebalance(&mut self, req: JoinRequest, now_ms: i64, fx: &mut Effects) -> JoinReply {
        let id = req.member_id.clone();
        self.update_member(
            &id,
            req.protocols,
            req.rebalance_timeout_ms,
            req.session_timeout_ms,
            true,
        );
        self.maybe_prepare_rebalance_or_complete_join("member rejoined", now_ms, fx);
        JoinReply::Pending { member_id: id }
    }

    fn add_member_and_rebalance(
        &mut self,
        req: JoinRequest,
        id: MemberId,
        now_ms: i64,
        fx: &mut Effects,
    ) -> JoinReply {
        let member = Member {
            id: id.clone(),
            instance_id: req.group_instance_id,
            client_id: req.client_id,
            client_host: req.client_host,
            session_timeout_ms: req.session_timeout_ms,
            rebalance_timeout_ms: req.rebalance_timeout_ms,
            protocol_type: req.protocol_type,
            protocols: req.protocols,
            assignment: bytes::Bytes::new(),
            awaiting_join: false,
            awaiting_sync: false,
            is_new: true,
            heartbeat_deadline_ms: None,
        };
        if self.state == GroupState::PreparingRebalance && self.previous_state == GroupState::Empty {
            self.new_member_added = true;
        }
        self.add_member(member, true);
        // A parked join cannot heartbeat and a dead client is not noticed
        // while its socket is muted: bound the wait of new members.
        self.reschedule_heartbeat(&id, now_ms, self.config.new_member_join_timeout_ms);
        self.maybe_prepare_rebalance_or_complete_join("new member joined", now_ms, fx);
        JoinReply::Pending { member_id: id }
    }

    /// KIP-345: a known static member comes back with a new member id.
    fn update_static_member(
        &mut self,
        req: JoinRequest,
        old_id: MemberId,
        new_id: MemberId,
        now_ms: i64,
        fx: &mut Effects,
    ) -> JoinReply {
        let Some(instance) = req.group_instance_id.clone() else {
            return fail(MemberId::UNKNOWN, GroupError::UnknownServerError);
        };
        let leader_before = self.leader.clone();
        if !self.replace_static_member(&instance, &old_id, &new_id, fx) {
            return fail(MemberId::UNKNOWN, GroupError::UnknownMemberId);
        }
        let Some(member) = self.members.get(&new_id) else {
            return fail(MemberId::UNKNOWN, GroupError::UnknownMemberId);
        };
        let (old_protocols, old_rebalance, old_session) = (
            member.protocols.clone(),
            member.rebalance_timeout_ms,
            member.session_timeout_ms,
        );
        self.reschedule_heartbeat(&new_id, now_ms, old_session);
        self.update_member(
            &new_id,
            req.protocols,
            req.rebalance_timeout_ms,
            req.session_timeout_ms,
            true,
        );
        match self.state {
            GroupState::Stable => {
                let next = self.select_protocol();
                if next.is_some() && next.as_deref() == self.protocol_name.as_deref() {
                    // Same protocol: no rebalance. Persist the new member id
                    // and answer once it is durable (or revert on failure).
                    tracing::info!(group = %self.id, %instance, "static member rejoined a stable group without a rebalance");
                    fx.writes.push(PendingWrite {
                        record: self.metadata_record(None),
                        token: WriteToken {
                            group_id: self.id.clone(),
                            purpose: WritePurpose::StaticRejoin(Box::new(StaticRejoin {
                                generation: self.generation,
                                instance_id: instance,
                                old_member_id: old_id,
                                new_member_id: new_id.clone(),
                                old_protocols,
                                old_rebalance_timeout_ms: old_rebalance,
                                old_session_timeout_ms: old_session,
                                leader_before,
                                supports_skip_assignment: req.supports_skip_assignment,
                            })),
                        },
                    });
                } else {
                    self.maybe_prepare_rebalance_or_complete_join(
                        "static member rejoined with a protocol change",
                        now_ms,
                        fx,
                    );
                }
            }
            // The leader may already be assigning for the old id: start over.
            GroupState::CompletingRebalance => {
                self.prepare_rebalance("static member rejoined during CompletingRebalance", now_ms, fx)
            }
            GroupState::PreparingRebalance => self.maybe_complete_join_phase(now_ms, fx),
            GroupState::Empty | GroupState::Dead => {
                tracing::error!(group = %self.id, state = %self.state, "static member rejoined a group without members");
            }
        }
        JoinReply::Pending { member_id: new_id }
    }

    /// Completes (or reverts) a static member's rejoin once its record's
    /// append finished. Ignored when the group has moved on: then the
    /// member's join is answered by the rebalance.
    pub(super) fn finish_static_rejoin(
        &mut self,
        rejoin: StaticRejoin,
        outcome: Result<(), GroupError>,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        let still_waiting = self.state == GroupState::Stable
            && self.generation == rejoin.generation
            && self
                .members
                .get(&rejoin.new_member_id)
                .is_some_and(|m| m.awaiting_join);
        if !still_waiting {
            return;
        }
        let new_id = rejoin.new_member_id;
        match outcome {
            Ok(()) => {
                let response = if rejoin.supports_skip_assignment {
                    // KIP-814: tell a static leader it leads, but that it
                    // must not compute a new assignment.
                    let is_leader = self.is_leader(&new_id);
                    let mut r = self.join_response(&new_id);
                    r.skip_assignment = is_leader;
                    r
                } else {
                    // Older clients: name the old leader so the rejoined
                    // member never assigns in a Stable group.
                    let mut r = self.join_response(&new_id);
                    r.members.clear();
                    r.leader = rejoin.leader_before.unwrap_or_default();
                    r
                };
                self.complete_join(&new_id, Ok(response), fx);
            }
            Err(error) => {
                tracing::warn!(group = %self.id, member = %new_id, %error,
                    "persisting the static member's new id failed; reverting");
                self.update_member(
                    &new_id,
                    rejoin.old_protocols,
                    rejoin.old_rebalance_timeout_ms,
                    rejoin.old_session_timeout_ms,
                    false,
                );
                let old_id = rejoin.old_member_id;
                self.replace_static_member(&rejoin.instance_id, &new_id, &old_id, fx);
                self.reschedule_heartbeat(&old_id, now_ms, rejoin.old_session_timeout_ms);
                fx.completions.push(super::requests::Completion {
                    group_id: self.id.clone(),
                    member_id: new_id,
                    kind: CompletionKind::Join(Err(JoinError {
                        member_id: MemberId::UNKNOWN,
                        error,
                    })),
                });
            }
        }
    }
}

/// If the join this operation parked was already answered within the same
/// operation (e.g. the last member joined), return that answer directly.
fn take_own_completion(reply: JoinReply, mark: usize, fx: &mut Effects) -> JoinReply {
    let JoinReply::Pending { member_id } = &reply else {
        return reply;
    };
    let found = fx.completions[mark..]
        .iter()
        .position(|c| &c.member_id == member_id && matches!(c.kind, CompletionKind::Join(_)));
    match found {
        Some(pos) => match fx.completions.remove(mark + pos).kind {
            CompletionKind::Join(result) => JoinReply::Done(result),
            CompletionKind::Sync(_) => reply,
        },
        None => reply,
    }
}

/// Convenience for tests and callers: unwraps a finished join.
impl JoinReply {
    pub fn done(self) -> Option<Result<JoinResponse, JoinError>> {
        match self {
            JoinReply::Done(r) => Some(r),
            JoinReply::Pending { .. } => None,
        }
    }
}
