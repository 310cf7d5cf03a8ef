//! The group operations in domain terms, routed to the shard of the group
//! and run on its coordinator. The API handlers translate the wire to and
//! from these.

use std::collections::BTreeMap;
use std::sync::Arc;

use tokio::sync::oneshot;
use uuid::Uuid;

use super::shard::{ParkKind, Shard, Step};
use super::GroupService;
use crate::broker::Broker;
use crate::group::{
    AppendResult, CommittedOffset, CompletionKind, GroupDescription, GroupError, GroupId, GroupListing,
    HeartbeatRequest, JoinError, JoinReply, JoinRequest, JoinResponse, LeaveMember, LeaveResult,
    OffsetCommitRequest, PartitionResult, SyncReply, SyncRequest, SyncResponse, TopicPartition,
};

/// A request answered now or parked until a completion.
enum Answer<T> {
    Now(T),
    Parked(oneshot::Receiver<CompletionKind>),
}

/// A group with its position in the request.
type Indexed = (usize, GroupId);

/// Combines the coordinator's result with the outcome of appending its
/// records: deletions already applied in memory report a failed append
/// (Kafka's mapping of append errors).
fn failed_append(result: Result<(), GroupError>, append: AppendResult) -> Result<(), GroupError> {
    match (result, append) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(a)) => Err(GroupError::from_group_append(a)),
        (Ok(()), Ok(())) => Ok(()),
    }
}

impl GroupService {
    /// JoinGroup. Parks until the join phase ends (or answers at once).
    pub async fn join(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        req: JoinRequest,
    ) -> Result<JoinResponse, JoinError> {
        let member = req.member_id.clone();
        let fail = |error| JoinError {
            member_id: member.clone(),
            error,
        };
        let shard = self.shard_for(broker, group.as_str()).await.map_err(fail)?;
        let answer = shard
            .run(
                broker,
                |c, parked, now, fx| match c.join(group, req, now, Uuid::new_v4(), fx) {
                    JoinReply::Pending { member_id } => {
                        Step::now(Answer::Parked(parked.park(group, &member_id, ParkKind::Join)))
                    }
                    JoinReply::Done(result) => {
                        // Also answers an older join of the same member.
                        parked.answer(
                            group,
                            &member,
                            ParkKind::Join,
                            &CompletionKind::Join(result.clone()),
                        );
                        Step::now(Answer::Now(result))
                    }
                },
                |_, answer, _| answer,
            )
            .await
            .map_err(fail)?;
        match answer {
            Answer::Now(result) => result,
            Answer::Parked(rx) => match rx.await {
                Ok(CompletionKind::Join(result)) => result,
                Ok(CompletionKind::Sync(_)) => Err(fail(GroupError::UnknownServerError)),
                // The shard was unloaded while the request waited.
                Err(_) => Err(fail(GroupError::NotCoordinator)),
            },
        }
    }

    /// SyncGroup. Followers (and the leader) park until the assignment is
    /// committed.
    pub async fn sync(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        req: SyncRequest,
    ) -> Result<SyncResponse, GroupError> {
        let member = req.member_id.clone();
        let shard = self.shard_for(broker, group.as_str()).await?;
        let answer = shard
            .run(
                broker,
                |c, parked, now, fx| match c.sync(group, req, now, fx) {
                    SyncReply::Pending { member_id } => {
                        Step::now(Answer::Parked(parked.park(group, &member_id, ParkKind::Sync)))
                    }
                    SyncReply::Done(result) => {
                        parked.answer(
                            group,
                            &member,
                            ParkKind::Sync,
                            &CompletionKind::Sync(result.clone()),
                        );
                        Step::now(Answer::Now(result))
                    }
                },
                |_, answer, _| answer,
            )
            .await?;
        match answer {
            Answer::Now(result) => result,
            Answer::Parked(rx) => match rx.await {
                Ok(CompletionKind::Sync(result)) => result,
                Ok(CompletionKind::Join(_)) => Err(GroupError::UnknownServerError),
                Err(_) => Err(GroupError::NotCoordinator),
            },
        }
    }

    pub async fn heartbeat(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        req: HeartbeatRequest,
    ) -> Result<(), GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard
            .run(
                broker,
                |c, _, now, fx| Step::now(c.heartbeat(group, &req, now, fx)),
                |_, result, _| result,
            )
            .await?
    }

    /// LeaveGroup: `Err` is the request-level error, otherwise one result
    /// per member in request order.
    pub async fn leave(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        members: Vec<LeaveMember>,
    ) -> Result<Vec<LeaveResult>, GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard
            .run(
                broker,
                |c, _, now, fx| Step::now(c.leave(group, &members, now, fx)),
                |_, result, _| result,
            )
            .await?
    }

    /// OffsetCommit: answered once the commit's records are committed.
    /// `Err` applies to every partition of the request.
    pub async fn commit_offsets(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        req: OffsetCommitRequest,
    ) -> Result<Vec<PartitionResult>, GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard
            .run(
                broker,
                |c, _, now, fx| {
                    let outcome = c.commit_offsets(group, &req, now, fx);
                    let (records, pending) = match outcome.write {
                        Some((records, pending)) => (records, Some(pending)),
                        None => (Vec::new(), None),
                    };
                    Step {
                        value: (outcome.rejected, pending),
                        records,
                    }
                },
                |c, (mut results, pending), append| {
                    if let Some(p) = pending {
                        results.extend(c.finish_commit(p, append));
                    }
                    results
                },
            )
            .await
    }

    /// OffsetFetch for one group: the listed partitions, or every committed
    /// one (`None`).
    pub async fn fetch_offsets(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<Vec<(TopicPartition, Option<CommittedOffset>)>, GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard
            .read(|c| c.fetch_offsets(group, partitions.as_deref()))
            .await
    }

    pub async fn describe(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
    ) -> Result<GroupDescription, GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard.read(|c| c.describe(group)).await
    }

    /// ListGroups over every partition led here, with Kafka's state and type
    /// filters. While a partition is still loading the listing is partial and
    /// comes with COORDINATOR_LOAD_IN_PROGRESS, as in Kafka.
    pub async fn list_groups(
        &self,
        states: &[String],
        types: &[String],
    ) -> (Vec<GroupListing>, Option<GroupError>) {
        let mut out = Vec::new();
        for shard in self.active_shards() {
            if let Ok(mut groups) = shard.read(|c| c.list_groups(states, types)).await {
                out.append(&mut groups);
            }
        }
        let error = self.loading().then_some(GroupError::CoordinatorLoadInProgress);
        out.sort_by(|a, b| a.group_id.cmp(&b.group_id));
        (out, error)
    }

    /// DeleteGroups: one result per requested group, in request order.
    pub async fn delete_groups(
        &self,
        broker: &Arc<Broker>,
        groups: Vec<GroupId>,
    ) -> Vec<(GroupId, Result<(), GroupError>)> {
        let mut results: BTreeMap<usize, (GroupId, Result<(), GroupError>)> = BTreeMap::new();
        // Groups of one shard are deleted together (one batch of tombstones).
        let mut by_shard: Vec<(Arc<Shard>, Vec<Indexed>)> = Vec::new();
        for (i, group) in groups.into_iter().enumerate() {
            match self.shard_for(broker, group.as_str()).await {
                Err(e) => {
                    results.insert(i, (group, Err(e)));
                }
                Ok(shard) => match by_shard.iter_mut().find(|(s, _)| Arc::ptr_eq(s, &shard)) {
                    Some((_, list)) => list.push((i, group)),
                    None => by_shard.push((shard, vec![(i, group)])),
                },
            }
        }
        for (shard, list) in by_shard {
            let ids: Vec<GroupId> = list.iter().map(|(_, g)| g.clone()).collect();
            let outcome = shard
                .run(
                    broker,
                    |c, _, now, fx| {
                        let out = c.delete_groups(&ids, now, fx);
                        Step {
                            value: out.results,
                            records: out.tombstones,
                        }
                    },
                    |_, results, append| {
                        results
                            .into_iter()
                            .map(|(g, r)| (g, failed_append(r, append)))
                            .collect::<Vec<_>>()
                    },
                )
                .await;
            match outcome {
                Ok(done) => {
                    for ((i, _), result) in list.into_iter().zip(done) {
                        results.insert(i, result);
                    }
                }
                Err(e) => {
                    for (i, g) in list {
                        results.insert(i, (g, Err(e)));
                    }
                }
            }
        }
        results.into_values().collect()
    }

    /// OffsetDelete: `Err` is the group-level error.
    pub async fn delete_offsets(
        &self,
        broker: &Arc<Broker>,
        group: &GroupId,
        partitions: Vec<TopicPartition>,
    ) -> Result<Vec<PartitionResult>, GroupError> {
        let shard = self.shard_for(broker, group.as_str()).await?;
        shard
            .run(
                broker,
                |c, _, now, fx| match c.delete_offsets(group, &partitions, now, fx) {
                    Ok((results, tombstones)) => Step {
                        value: Ok(results),
                        records: tombstones,
                    },
                    Err(e) => Step::now(Err(e)),
                },
                |_, value, append| {
                    value.map(|results| {
                        results
                            .into_iter()
                            .map(|r| PartitionResult {
                                result: failed_append(r.result, append),
                                partition: r.partition,
                            })
                            .collect()
                    })
                },
            )
            .await?
    }
}
