//! The groups of one `__consumer_offsets` partition this broker leads: the
//! group-level API (unknown groups, creation, deletion, listing) around the
//! per-group state machines. Pure: the async layer owns one per led
//! partition, feeds it requests with the current time, appends the records
//! it returns and routes its completions.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::group::Group;
use super::offsets::{CommitOutcome, CommittedOffset, OffsetCommitRequest, PartitionResult, PendingCommit};
use super::records::{self, Record};
use super::requests::{
    AppendResult, Effects, HeartbeatRequest, JoinError, JoinReply, JoinRequest, LeaveMember, LeaveResult,
    SyncReply, SyncRequest, WriteToken,
};
use super::state::GroupState;
use super::types::{GroupConfig, GroupError, GroupId, MemberId, TopicPartition};
use super::views::{GroupDescription, GroupListing};

/// The type ListGroups v5+ reports for classic groups.
pub const CLASSIC_GROUP_TYPE: &str = "classic";

/// DeleteGroups' answer: per-group results, and the tombstones to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteGroupsOutcome {
    pub results: Vec<(GroupId, Result<(), GroupError>)>,
    pub tombstones: Vec<Record>,
}

#[derive(Debug, Clone)]
pub struct GroupCoordinator {
    config: GroupConfig,
    groups: BTreeMap<GroupId, Group>,
}

impl GroupCoordinator {
    pub fn new(config: GroupConfig) -> Self {
        Self {
            config,
            groups: BTreeMap::new(),
        }
    }

    pub(super) fn from_groups(config: GroupConfig, groups: BTreeMap<GroupId, Group>) -> Self {
        Self { config, groups }
    }

    pub fn config(&self) -> &GroupConfig {
        &self.config
    }
    pub fn group(&self, id: &GroupId) -> Option<&Group> {
        self.groups.get(id)
    }
    pub fn groups(&self) -> impl Iterator<Item = &Group> {
        self.groups.values()
    }

    /// JoinGroup. Creates the group for a member without an id.
    pub fn join(
        &mut self,
        group_id: &GroupId,
        req: JoinRequest,
        now_ms: i64,
        fresh: Uuid,
        fx: &mut Effects,
    ) -> JoinReply {
        let fail = |member_id: MemberId, error| JoinReply::Done(Err(JoinError { member_id, error }));
        if group_id.0.is_empty() {
            return fail(req.member_id, GroupError::InvalidGroupId);
        }
        if let Err(e) = self.config.check_session_timeout(req.session_timeout_ms) {
            return fail(req.member_id, e);
        }
        let created = !self.groups.contains_key(group_id);
        if created && !req.member_id.is_unknown() {
            return fail(req.member_id, GroupError::UnknownMemberId);
        }
        let config = self.config;
        let group = self
            .groups
            .entry(group_id.clone())
            .or_insert_with(|| Group::new(group_id.clone(), config, now_ms));
        let reply = group.join(req, now_ms, fresh, fx);
        // A failed first join must not leave an empty shell behind.
        if created
            && group.state() == GroupState::Empty
            && group.size() == 0
            && group.pending_member_ids().next().is_none()
        {
            self.groups.remove(group_id);
        }
        reply
    }

    /// SyncGroup.
    pub fn sync(&mut self, group_id: &GroupId, req: SyncRequest, now_ms: i64, fx: &mut Effects) -> SyncReply {
        if group_id.0.is_empty() {
            return SyncReply::Done(Err(GroupError::InvalidGroupId));
        }
        match self.groups.get_mut(group_id) {
            Some(group) => group.sync(req, now_ms, fx),
            None => SyncReply::Done(Err(GroupError::UnknownMemberId)),
        }
    }

    /// Heartbeat.
    pub fn heartbeat(
        &mut self,
        group_id: &GroupId,
        req: &HeartbeatRequest,
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<(), GroupError> {
        if group_id.0.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        match self.groups.get_mut(group_id) {
            Some(group) => group.heartbeat(req, now_ms, fx),
            None => Err(GroupError::UnknownMemberId),
        }
    }

    /// LeaveGroup (v3+ batched; for v0-v2 the single member's error is the
    /// response's top-level error).
    pub fn leave(
        &mut self,
        group_id: &GroupId,
        members: &[LeaveMember],
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<Vec<LeaveResult>, GroupError> {
        if group_id.0.is_empty() {
            return Err(GroupError::InvalidGroupId);
        }
        match self.groups.get_mut(group_id) {
            Some(group) => group.leave(members, now_ms, fx),
            None => Ok(members
                .iter()
                .map(|m| LeaveResult {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    result: Err(GroupError::UnknownMemberId),
                })
                .collect()),
        }
    }

    /// Reports the outcome of appending a `PendingWrite`.
    pub fn write_completed(
        &mut self,
        token: WriteToken,
        outcome: AppendResult,
        now_ms: i64,
        fx: &mut Effects,
    ) {
        match self.groups.get_mut(token.group_id()) {
            Some(group) => group.write_completed(token, outcome, now_ms, fx),
            None => {
                tracing::debug!(group = %token.group_id(), "write completed for a removed group")
            }
        }
    }

    /// OffsetCommit. A commit with generation -1 to an unknown group creates
    /// it (a "simple" consumer group that only stores offsets).
    pub fn commit_offsets(
        &mut self,
        group_id: &GroupId,
        req: &OffsetCommitRequest,
        now_ms: i64,
        fx: &mut Effects,
    ) -> CommitOutcome {
        if !self.groups.contains_key(group_id) {
            if req.generation.0 >= 0 {
                // A member of a generation this coordinator does not know.
                return CommitOutcome {
                    rejected: req
                        .partitions
                        .iter()
                        .map(|e| PartitionResult {
                            partition: e.partition.clone(),
                            result: Err(GroupError::IllegalGeneration),
                        })
                        .collect(),
                    write: None,
                };
            }
            let group = Group::new(group_id.clone(), self.config, now_ms);
            self.groups.insert(group_id.clone(), group);
        }
        match self.groups.get_mut(group_id) {
            Some(group) => group.commit_offsets(req, now_ms, fx),
            None => CommitOutcome {
                rejected: Vec::new(),
                write: None,
            },
        }
    }

    /// Finishes an OffsetCommit once its records' append completed.
    pub fn finish_commit(&mut self, pending: PendingCommit, outcome: AppendResult) -> Vec<PartitionResult> {
        match self.groups.get_mut(pending.group_id()) {
            Some(group) => group.finish_commit(pending, outcome),
            // Deleted meanwhile: answer, but keep nothing (its tombstones
            // follow the commit in the log).
            None => {
                let result = outcome.map_err(GroupError::from_offset_append);
                pending
                    .offsets
                    .into_iter()
                    .map(|(partition, _)| PartitionResult { partition, result })
                    .collect()
            }
        }
    }

    /// OffsetFetch for one group (v8+ batches groups: call once per group).
    pub fn fetch_offsets(
        &self,
        group_id: &GroupId,
        partitions: Option<&[TopicPartition]>,
    ) -> Vec<(TopicPartition, Option<CommittedOffset>)> {
        match self.groups.get(group_id) {
            Some(group) => group.fetch_offsets(partitions),
            None => partitions
                .unwrap_or_default()
                .iter()
                .map(|tp| (tp.clone(), None))
                .collect(),
        }
    }

    /// OffsetDelete.
    pub fn delete_offsets(
        &mut self,
        group_id: &GroupId,
        partitions: &[TopicPartition],
        now_ms: i64,
        fx: &mut Effects,
    ) -> Result<(Vec<PartitionResult>, Vec<Record>), GroupError> {
        let group = self.groups.get_mut(group_id).ok_or(GroupError::GroupIdNotFound)?;
        group.advance(now_ms, fx);
        group.delete_offsets(partitions)
    }

    /// DeleteGroups: only Empty groups; returns per-group results and the
    /// tombstones (offsets, then the group) to append.
    pub fn delete_groups(
        &mut self,
        group_ids: &[GroupId],
        now_ms: i64,
        fx: &mut Effects,
    ) -> DeleteGroupsOutcome {
        let mut results = Vec::with_capacity(group_ids.len());
        let mut tombstones = Vec::new();
        for id in group_ids {
            let result = match self.groups.get_mut(id) {
                None => Err(GroupError::GroupIdNotFound),
                Some(group) => {
                    group.advance(now_ms, fx);
                    match group.state() {
                        GroupState::Empty => {
                            tombstones.extend(self.remove_group(id, now_ms, fx));
                            Ok(())
                        }
                        GroupState::Dead => Err(GroupError::GroupIdNotFound),
                        _ => Err(GroupError::NonEmptyGroup),
                    }
                }
            };
            results.push((id.clone(), result));
        }
        DeleteGroupsOutcome { results, tombstones }
    }

    /// Marks a group Dead and forgets it; returns its tombstones.
    fn remove_group(&mut self, id: &GroupId, now_ms: i64, fx: &mut Effects) -> Vec<Record> {
        let Some(mut group) = self.groups.remove(id) else {
            return Vec::new();
        };
        let mut tombstones: Vec<Record> = group
            .offsets()
            .iter()
            .map(|(tp, _)| records::offset_tombstone(id, tp))
            .collect();
        tombstones.push(records::group_tombstone(id));
        group.shut_down(GroupError::CoordinatorNotAvailable, now_ms, fx);
        tracing::info!(group = %id, "group removed");
        tombstones
    }

    /// DescribeGroups for one group; unknown groups are reported Dead.
    pub fn describe(&self, group_id: &GroupId) -> GroupDescription {
        match self.groups.get(group_id) {
            Some(group) => group.describe(),
            None => GroupDescription::dead(group_id.clone()),
        }
    }

    /// ListGroups with the v4+ state filter and v5+ type filter (both
    /// case-insensitive; empty means no filter).
    pub fn list_groups(&self, states: &[String], types: &[String]) -> Vec<GroupListing> {
        if !types.is_empty() && !types.iter().any(|t| t.eq_ignore_ascii_case(CLASSIC_GROUP_TYPE)) {
            return Vec::new();
        }
        self.groups
            .values()
            .filter(|g| g.state() != GroupState::Dead)
            .filter(|g| states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case(g.state().name())))
            .map(Group::listing)
            .collect()
    }

    /// Runs all timers due at `now_ms` (session expiry, rebalance timeouts,
    /// initial delay, pending sync). Call at `next_deadline_ms`.
    pub fn tick(&mut self, now_ms: i64, fx: &mut Effects) {
        for group in self.groups.values_mut() {
            group.advance(now_ms, fx);
        }
    }

    /// The earliest time any group has a timer due.
    pub fn next_deadline_ms(&self) -> Option<i64> {
        self.groups.values().filter_map(Group::next_deadline_ms).min()
    }

    /// Offset retention (Kafka runs it every
    /// offsets.retention.check.interval.ms): expired offsets are removed,
    /// and Empty groups left without offsets are deleted. Returns the
    /// tombstones to append.
    pub fn expire_offsets(&mut self, now_ms: i64, fx: &mut Effects) -> Vec<Record> {
        let retention = self.config.offsets_retention_ms;
        let mut tombstones = Vec::new();
        let mut dead = Vec::new();
        for group in self.groups.values_mut() {
            group.advance(now_ms, fx);
            let (expired, none_left) = group.expire_offsets(now_ms, retention);
            tombstones.extend(expired);
            if none_left && group.state() == GroupState::Empty {
                dead.push(group.id().clone());
            }
        }
        for id in dead {
            tombstones.extend(self.remove_group(&id, now_ms, fx));
        }
        tombstones
    }

    /// The partition moved to another broker: answer every parked request
    /// with NOT_COORDINATOR and forget all groups.
    pub fn unload(&mut self, now_ms: i64, fx: &mut Effects) {
        for group in self.groups.values_mut() {
            group.shut_down(GroupError::NotCoordinator, now_ms, fx);
        }
        self.groups.clear();
    }
}
