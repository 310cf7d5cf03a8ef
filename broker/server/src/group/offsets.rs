//! Committed offsets of a group: OffsetCommit validation, OffsetFetch,
//! OffsetDelete and retention (offsets.retention.minutes, Kafka 2.1+ rules).

use std::collections::BTreeMap;

use super::group::{Group, CONSUMER_PROTOCOL_TYPE};
use super::records::{self, OffsetCommitValue, Record};
use super::requests::{AppendResult, Effects};
use super::state::GroupState;
use super::types::{Generation, GroupError, GroupId, GroupInstanceId, MemberId, TopicPartition};

/// One committed offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    pub leader_epoch: Option<i32>,
    pub metadata: String,
    pub commit_timestamp_ms: i64,
    /// Only for commits that carried a retention time (OffsetCommit v2-v4);
    /// such offsets follow the pre-2.1 rule and expire at this time.
    pub expire_timestamp_ms: Option<i64>,
}

impl CommittedOffset {
    pub fn to_record_value(&self) -> OffsetCommitValue {
        OffsetCommitValue {
            offset: self.offset,
            leader_epoch: self.leader_epoch.unwrap_or(-1),
            metadata: self.metadata.clone(),
            commit_timestamp: self.commit_timestamp_ms,
            expire_timestamp: self.expire_timestamp_ms,
        }
    }

    pub fn from_record_value(v: OffsetCommitValue) -> Self {
        Self {
            offset: v.offset,
            leader_epoch: (v.leader_epoch >= 0).then_some(v.leader_epoch),
            metadata: v.metadata,
            commit_timestamp_ms: v.commit_timestamp,
            expire_timestamp_ms: v.expire_timestamp,
        }
    }
}

/// A group's offsets plus the commits whose records are still being written.
#[derive(Debug, Clone, Default)]
pub struct Offsets {
    /// Offset and the sequence number of the commit that wrote it.
    committed: BTreeMap<TopicPartition, (CommittedOffset, u64)>,
    /// Partition -> number of commits in flight.
    pending: BTreeMap<TopicPartition, u32>,
    next_seq: u64,
}

impl Offsets {
    pub fn get(&self, tp: &TopicPartition) -> Option<&CommittedOffset> {
        self.committed.get(tp).map(|(o, _)| o)
    }
    pub fn iter(&self) -> impl Iterator<Item = (&TopicPartition, &CommittedOffset)> {
        self.committed.iter().map(|(tp, (o, _))| (tp, o))
    }
    pub fn len(&self) -> usize {
        self.committed.len()
    }
    pub fn is_empty(&self) -> bool {
        self.committed.is_empty()
    }
    pub fn has_pending(&self, tp: &TopicPartition) -> bool {
        self.pending.contains_key(tp)
    }
    /// Stores an offset read from the log (load path).
    pub(super) fn load(&mut self, tp: TopicPartition, offset: CommittedOffset) {
        self.committed.insert(tp, (offset, 0));
    }
    fn remove(&mut self, tp: &TopicPartition) -> Option<CommittedOffset> {
        self.pending.remove(tp);
        self.committed.remove(tp).map(|(o, _)| o)
    }
}

/// An OffsetCommit request, already translated from the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitRequest {
    /// Empty for "simple" commits.
    pub member_id: MemberId,
    pub group_instance_id: Option<GroupInstanceId>,
    /// -1 for "simple" commits.
    pub generation: Generation,
    /// OffsetCommit v2-v4 `retention_time_ms`, `None` for -1 / later versions.
    pub retention_ms: Option<i64>,
    pub partitions: Vec<OffsetCommitEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitEntry {
    pub partition: TopicPartition,
    pub offset: i64,
    pub leader_epoch: Option<i32>,
    /// Null metadata is stored as "" (Kafka's NoMetadata).
    pub metadata: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionResult {
    pub partition: TopicPartition,
    pub result: Result<(), GroupError>,
}

/// Offsets waiting for their records to be appended. Opaque.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCommit {
    pub(super) group_id: GroupId,
    pub(super) seq: u64,
    pub(super) offsets: Vec<(TopicPartition, CommittedOffset)>,
}

impl PendingCommit {
    pub fn group_id(&self) -> &GroupId {
        &self.group_id
    }
}

/// What OffsetCommit answers: `rejected` right away; `write` (if any) must
/// be appended, then passed to `finish_commit` for the other partitions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitOutcome {
    pub rejected: Vec<PartitionResult>,
    pub write: Option<(Vec<Record>, PendingCommit)>,
}

impl CommitOutcome {
    fn reject_all(req: &OffsetCommitRequest, error: GroupError) -> Self {
        Self {
            rejected: req
                .partitions
                .iter()
                .map(|e| PartitionResult {
                    partition: e.partition.clone(),
                    result: Err(error),
                })
                .collect(),
            write: None,
        }
    }
}

impl Group {
    /// Kafka's `validateOffsetCommit` for classic groups.
    pub fn validate_offset_commit(
        &self,
        member_id: &MemberId,
        instance_id: Option<&GroupInstanceId>,
        generation: Generation,
    ) -> Result<(), GroupError> {
        if self.state == GroupState::Dead {
            return Err(GroupError::CoordinatorNotAvailable);
        }
        // Admin clients and consumers without group management commit with
        // generation -1; they may do so while the group is empty.
        if generation.0 < 0 && self.state == GroupState::Empty {
            return Ok(());
        }
        if generation.0 >= 0 || !member_id.is_unknown() || instance_id.is_some() {
            self.validate_member(member_id, instance_id)?;
            if generation != self.generation {
                return Err(GroupError::IllegalGeneration);
            }
        } else if self.state != GroupState::Empty {
            return Err(GroupError::UnknownMemberId);
        }
        if self.state == GroupState::CompletingRebalance {
            // The member has its new generation but not its assignment yet.
            return Err(GroupError::RebalanceInProgress);
        }
        Ok(())
    }

    /// Handles an OffsetCommit. Commits are allowed during
    /// PreparingRebalance: members learn about the rebalance from heartbeats.
    pub fn commit_offsets(
        &mut self,
        req: &OffsetCommitRequest,
        now_ms: i64,
        fx: &mut Effects,
    ) -> CommitOutcome {
        self.advance(now_ms, fx);
        if let Err(e) =
            self.validate_offset_commit(&req.member_id, req.group_instance_id.as_ref(), req.generation)
        {
            return CommitOutcome::reject_all(req, e);
        }
        if let Some(member) = self.members.get(&req.member_id) {
            let session = member.session_timeout_ms;
            self.reschedule_heartbeat(&req.member_id, now_ms, session);
        }
        let seq = self.offsets.next_seq;
        self.offsets.next_seq += 1;
        let mut rejected = Vec::new();
        let mut records = Vec::new();
        let mut offsets = Vec::new();
        for entry in &req.partitions {
            let metadata = entry.metadata.clone().unwrap_or_default();
            if metadata.len() > self.config.offset_metadata_max_bytes {
                rejected.push(PartitionResult {
                    partition: entry.partition.clone(),
                    result: Err(GroupError::OffsetMetadataTooLarge),
                });
                continue;
            }
            let offset = CommittedOffset {
                offset: entry.offset,
                leader_epoch: entry.leader_epoch,
                metadata,
                commit_timestamp_ms: now_ms,
                expire_timestamp_ms: req.retention_ms.map(|r| now_ms.saturating_add(r)),
            };
            records.push(records::offset_commit_record(
                &self.id,
                &entry.partition,
                &offset.to_record_value(),
            ));
            *self.offsets.pending.entry(entry.partition.clone()).or_default() += 1;
            offsets.push((entry.partition.clone(), offset));
        }
        let write = (!records.is_empty()).then(|| {
            (
                records,
                PendingCommit {
                    group_id: self.id.clone(),
                    seq,
                    offsets,
                },
            )
        });
        CommitOutcome { rejected, write }
    }

    /// Applies (or drops) a commit once its records' append finished.
    pub fn finish_commit(&mut self, pending: PendingCommit, outcome: AppendResult) -> Vec<PartitionResult> {
        let result = outcome.map_err(GroupError::from_offset_append);
        let mut out = Vec::with_capacity(pending.offsets.len());
        for (tp, offset) in pending.offsets {
            // A partition no longer pending was deleted meanwhile.
            let was_pending = match self.offsets.pending.get_mut(&tp) {
                Some(n) => {
                    *n -= 1;
                    if *n == 0 {
                        self.offsets.pending.remove(&tp);
                    }
                    true
                }
                None => false,
            };
            let newer = self
                .offsets
                .committed
                .get(&tp)
                .is_none_or(|(_, seq)| *seq < pending.seq);
            if result.is_ok() && was_pending && newer && self.state != GroupState::Dead {
                self.offsets.committed.insert(tp.clone(), (offset, pending.seq));
            }
            out.push(PartitionResult {
                partition: tp,
                result,
            });
        }
        out
    }

    /// OffsetFetch: the listed partitions (`None` = all committed ones);
    /// `None` offset means "no committed offset" (-1 on the wire).
    pub fn fetch_offsets(
        &self,
        partitions: Option<&[TopicPartition]>,
    ) -> Vec<(TopicPartition, Option<CommittedOffset>)> {
        match partitions {
            Some(list) => list
                .iter()
                .map(|tp| (tp.clone(), self.offsets.get(tp).cloned()))
                .collect(),
            None => self
                .offsets
                .iter()
                .map(|(tp, o)| (tp.clone(), Some(o.clone())))
                .collect(),
        }
    }

    /// OffsetDelete: refused for partitions of topics a consumer group still
    /// subscribes to, and for non-empty groups of other protocol types.
    /// Returns per-partition results and the tombstones to append.
    pub fn delete_offsets(
        &mut self,
        partitions: &[TopicPartition],
    ) -> Result<(Vec<PartitionResult>, Vec<Record>), GroupError> {
        let check_subscription = match self.state {
            GroupState::Dead => return Err(GroupError::GroupIdNotFound),
            GroupState::Empty => false,
            _ if self.protocol_type.as_deref() == Some(CONSUMER_PROTOCOL_TYPE) => true,
            _ => return Err(GroupError::NonEmptyGroup),
        };
        let mut results = Vec::with_capacity(partitions.len());
        let mut tombstones = Vec::new();
        for tp in partitions {
            let result = if check_subscription && self.is_subscribed_to_topic(&tp.topic) {
                Err(GroupError::GroupSubscribedToTopic)
            } else {
                if self.offsets.remove(tp).is_some() {
                    tombstones.push(records::offset_tombstone(&self.id, tp));
                }
                Ok(())
            };
            results.push(PartitionResult {
                partition: tp.clone(),
                result,
            });
        }
        Ok((results, tombstones))
    }

    /// Removes offsets past retention (Kafka 2.1+ rules) and returns their
    /// tombstones and whether no offset is left.
    pub fn expire_offsets(&mut self, now_ms: i64, retention_ms: i64) -> (Vec<Record>, bool) {
        // Which timestamp retention counts from, if offsets expire at all.
        enum Base {
            StateChange(i64),
            LastCommit,
        }
        let base = match self.protocol_type.as_deref() {
            // Empty group: from when it became empty (old records lack that
            // timestamp: then from the last commit).
            Some(_) if self.state == GroupState::Empty => match self.state_timestamp_ms {
                Some(t) => Base::StateChange(t),
                None => Base::LastCommit,
            },
            Some(CONSUMER_PROTOCOL_TYPE)
                if self.subscribed_topics.is_some() && self.state == GroupState::Stable =>
            {
                Base::LastCommit
            }
            // Simple consumers (no group management) use Kafka for storage
            // only: from the last commit.
            None => Base::LastCommit,
            Some(_) => return (Vec::new(), self.offsets.is_empty()),
        };
        let mut expired = Vec::new();
        let mut all_expired = true;
        for (tp, (offset, _)) in &self.offsets.committed {
            let is_expired = match offset.expire_timestamp_ms {
                Some(at) => now_ms >= at,
                None => {
                    let from = match base {
                        Base::StateChange(t) => t,
                        Base::LastCommit => offset.commit_timestamp_ms,
                    };
                    now_ms.saturating_sub(from) >= retention_ms
                }
            };
            if is_expired && !self.is_subscribed_to_topic(&tp.topic) && !self.offsets.has_pending(tp) {
                expired.push(tp.clone());
            } else {
                all_expired = false;
            }
        }
        let tombstones = expired
            .iter()
            .map(|tp| {
                self.offsets.remove(tp);
                records::offset_tombstone(&self.id, tp)
            })
            .collect();
        if !expired.is_empty() {
            tracing::info!(group = %self.id, count = expired.len(), "expired committed offsets");
        }
        (tombstones, all_expired)
    }
}
