//! SyncGroup, Heartbeat and LeaveGroup on a classic group, and the
//! completion of the group's own pending writes.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::group::Group;
use super::requests::{
    AppendResult, CompletionKind, Effects, HeartbeatRequest, LeaveMember, LeaveResult, PendingWrite,
    SyncReply, SyncRequest, SyncResponse, WritePurpose, WriteToken,
};
use super::state::GroupState;
use super::types::{Generation, GroupError, MemberId};

/// A request's protocol type/name conflicts with the group's only when both
/// are known and differ (SyncGroup v5+ sends them).
fn inconsistent(requested: Option<&str>, current: Option<&str>) -> bool {
    matches!((requested, current), (Some(r), Some(c)) if r != c)
}

impl Group {
    /// Handles a SyncGroup. Followers in CompletingRebalance are parked until
    /// the leader's assignment is durable; so is the leader itself.
    pub fn sync(&mut self, req: SyncRequest, now_ms: i64, fx: &mut Effects) -> SyncReply {
        self.advance(now_ms, fx);
        let id = req.member_id.clone();
        let reply = self.sync_inner(req, now_ms, fx);
        if matches!(reply, SyncReply::Done(_)) {
            // Answers an older parked sync of the same member too.
            if let Some(m) = self.members.get_mut(&id) {
                m.awaiting_sync = false;
            }
        }
        reply
    }

    fn sync_inner(&mut self, req: SyncRequest, now_ms: i64, fx: &mut Effects) -> SyncReply {
        if let Err(e) = self.validate_sync(&req) {
            return SyncReply::Done(Err(e));
        }
        let id = req.member_id.clone();
        match self.state {
            GroupState::Empty => SyncReply::Done(Err(GroupError::UnknownMemberId)),
            GroupState::PreparingRebalance => SyncReply::Done(Err(GroupError::RebalanceInProgress)),
            GroupState::Dead => SyncReply::Done(Err(GroupError::CoordinatorNotAvailable)),
            GroupState::CompletingRebalance => {
                if let Some(m) = self.members.get_mut(&id) {
                    m.awaiting_sync = true;
                }
                self.remove_pending_sync_member(&id);
                if self.is_leader(&id) {
                    self.store_leader_assignment(req.assignments, req.generation, fx);
                }
                SyncReply::Pending { member_id: id }
            }
            GroupState::Stable => {
                self.remove_pending_sync_member(&id);
                let Some(member) = self.members.get(&id) else {
                    return SyncReply::Done(Err(GroupError::UnknownMemberId));
                };
                let response = SyncResponse {
                    protocol_type: self.protocol_type.clone(),
                    protocol_name: self.protocol_name.clone(),
                    assignment: member.assignment.clone(),
                };
                let session = member.session_timeout_ms;
                self.reschedule_heartbeat(&id, now_ms, session);
                SyncReply::Done(Ok(response))
            }
        }
    }

    fn validate_sync(&self, req: &SyncRequest) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        self.validate_member(&req.member_id, req.group_instance_id.as_ref())?;
        if req.generation != self.generation {
            return Err(GroupError::IllegalGeneration);
        }
        if inconsistent(req.protocol_type.as_deref(), self.protocol_type.as_deref())
            || inconsistent(req.protocol_name.as_deref(), self.protocol_name.as_deref())
        {
            return Err(GroupError::InconsistentGroupProtocol);
        }
        Ok(())
    }

    /// The leader's assignment is written to the log first; members missing
    /// from it get an empty assignment, unknown ids are ignored.
    fn store_leader_assignment(
        &mut self,
        assignments: Vec<(MemberId, Bytes)>,
        generation: Generation,
        fx: &mut Effects,
    ) {
        let mut assignment: BTreeMap<MemberId, Bytes> = assignments
            .into_iter()
            .filter(|(id, _)| self.members.contains_key(id))
            .collect();
        for id in self.members.keys() {
            if !assignment.contains_key(id) {
                tracing::warn!(group = %self.id, member = %id, "leader sent no assignment for member; using an empty one");
                assignment.insert(id.clone(), Bytes::new());
            }
        }
        fx.writes.push(PendingWrite {
            record: self.metadata_record(Some(&assignment)),
            token: WriteToken {
                group_id: self.id.clone(),
                purpose: WritePurpose::Assignment {
                    generation,
                    assignment,
                },
            },
        });
    }

    fn remove_pending_sync_member(&mut self, id: &MemberId) {
        self.pending_sync.remove(id);
        let cancel = match self.state {
            GroupState::CompletingRebalance | GroupState::Stable => self.pending_sync.is_empty(),
            _ => true,
        };
        if cancel {
            self.sync_timer = None;
        }
    }

    /// Handles a Heartbeat: refreshes the session, and tells the member when
    /// it must rejoin (REBALANCE_IN_PROGRESS).
    pub fn heartbeat(
        &mut self,
        req: &HeartbeatRequest,
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<(), GroupError> {
        self.advance(now_ms, fx);
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        self.validate_member(&req.member_id, req.group_instance_id.as_ref())?;
        if req.generation != self.generation {
            return Err(GroupError::IllegalGeneration);
        }
        let session = self
            .members
            .get(&req.member_id)
            .map_or(0, |m| m.session_timeout_ms);
        match self.state {
            GroupState::Empty | GroupState::Dead => Err(GroupError::UnknownMemberId),
            GroupState::PreparingRebalance => {
                self.reschedule_heartbeat(&req.member_id, now_ms, session);
                Err(GroupError::RebalanceInProgress)
            }
            // Clients may heartbeat between their join and sync responses.
            GroupState::CompletingRebalance | GroupState::Stable => {
                self.reschedule_heartbeat(&req.member_id, now_ms, session);
                Ok(())
            }
        }
    }

    /// Handles a (batched) LeaveGroup. `Err` is the request-level error;
    /// otherwise one result per member, in request order.
    pub fn leave(
        &mut self,
        members: &[LeaveMember],
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<Vec<LeaveResult>, GroupError> {
        self.advance(now_ms, fx);
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        let mut removed_member = false;
        let mut removed_pending = false;
        let mut results = Vec::with_capacity(members.len());
        for leaving in members {
            let result = if leaving.member_id.is_unknown() {
                // Administrative removal of a static member by instance id.
                let current = leaving
                    .group_instance_id
                    .as_ref()
                    .and_then(|i| self.static_members.get(i))
                    .cloned();
                match current {
                    Some(id) => {
                        self.remove_current_member(&id, fx);
                        removed_member = true;
                        Ok(())
                    }
                    None => Err(GroupError::UnknownMemberId),
                }
            } else if self.is_pending_member(&leaving.member_id) {
                self.remove_member(&leaving.member_id);
                removed_pending = true;
                Ok(())
            } else {
                self.validate_member(&leaving.member_id, leaving.group_instance_id.as_ref())
                    .map(|()| {
                        self.remove_current_member(&leaving.member_id, fx);
                        removed_member = true;
                    })
            };
            results.push(LeaveResult {
                member_id: leaving.member_id.clone(),
                group_instance_id: leaving.group_instance_id.clone(),
                result,
            });
        }
        if removed_member {
            self.after_member_removed("members left the group", now_ms, fx);
        } else if removed_pending {
            // A pending member never triggers a rebalance, but it may have
            // been the last one the join phase was waiting for.
            self.maybe_complete_join_phase(now_ms, fx);
        }
        Ok(results)
    }

    /// Reports the outcome of appending one of this group's `PendingWrite`s.
    pub fn write_completed(
        &mut self,
        token: WriteToken,
        outcome: AppendResult,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        self.advance(now_ms, fx);
        let outcome = outcome.map_err(GroupError::from_group_append);
        match token.purpose {
            WritePurpose::Assignment {
                generation,
                assignment,
            } => {
                // A rebalance may have started while the record was being
                // written; then the parked syncs were already answered.
                if self.state != GroupState::CompletingRebalance || self.generation != generation {
                    return;
                }
                match outcome {
                    Ok(()) => {
                        self.set_and_propagate_assignment(&assignment, now_ms, fx);
                        self.transition_to(GroupState::Stable, now_ms);
                    }
                    Err(error) => {
                        tracing::warn!(group = %self.id, %error, "storing the group assignment failed");
                        self.reset_and_propagate_assignment_error(error, now_ms, fx);
                        self.maybe_prepare_rebalance_or_complete_join(
                            "storing the assignment failed",
                            now_ms,
                            fx,
                        );
                    }
                }
            }
            WritePurpose::StaticRejoin(rejoin) => self.finish_static_rejoin(*rejoin, outcome, now_ms, fx),
            WritePurpose::Informational => {
                if let Err(error) = outcome {
                    tracing::warn!(group = %self.id, %error, "writing group metadata failed");
                }
            }
        }
    }

    /// Answers every parked request with `error` and marks the group Dead:
    /// the partition moved away (NOT_COORDINATOR) or the group was deleted.
    pub fn shut_down(&mut self, error: GroupError, now_ms: i64, fx: &mut Effects) {
        let ids: Vec<MemberId> = self.members.keys().cloned().collect();
        for id in &ids {
            let join_error = super::requests::JoinError {
                member_id: id.clone(),
                error,
            };
            self.complete_join(id, Err(join_error), fx);
            self.complete_sync(id, Err(error), fx);
        }
        self.join_timer = None;
        self.sync_timer = None;
        self.pending_sync.clear();
        for m in self.members.values_mut() {
            m.heartbeat_deadline_ms = None;
        }
        self.pending_members.clear();
        self.transition_to(GroupState::Dead, now_ms);
    }
}

impl SyncReply {
    /// Convenience: the answer if the request was not parked.
    pub fn done(self) -> Option<Result<SyncResponse, GroupError>> {
        match self {
            SyncReply::Done(r) => Some(r),
            SyncReply::Pending { .. } => None,
        }
    }
}

impl CompletionKind {
    pub fn into_sync(self) -> Option<Result<SyncResponse, GroupError>> {
        match self {
            CompletionKind::Sync(r) => Some(r),
            CompletionKind::Join(_) => None,
        }
    }
    pub fn into_join(self) -> Option<Result<super::requests::JoinResponse, super::requests::JoinError>> {
        match self {
            CompletionKind::Join(r) => Some(r),
            CompletionKind::Sync(_) => None,
        }
    }
}
