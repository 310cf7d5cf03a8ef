//! OffsetForLeaderEpoch (23): the end offset of the largest epoch not
//! greater than the requested one, from the leader-epoch cache.

use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderTopicResult,
};
use kafka_protocol::messages::{OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponse};

use super::errors::{ApiError, ErrorCode};
use super::RequestContext;

pub fn handle(
    ctx: &RequestContext,
    _v: i16,
    req: OffsetForLeaderEpochRequest,
) -> OffsetForLeaderEpochResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in req.topics {
        let mut parts = Vec::with_capacity(t.partitions.len());
        for p in t.partitions {
            let mut r = EpochEndOffset::default().with_partition(p.partition);
            let current = Some(p.current_leader_epoch).filter(|e| *e >= 0);
            match lookup(ctx, t.topic.as_str(), p.partition, p.leader_epoch, current) {
                Ok((epoch, end)) => {
                    r.leader_epoch = epoch;
                    r.end_offset = end;
                }
                Err(e) => {
                    r.error_code = e.code();
                    r.leader_epoch = -1;
                    r.end_offset = -1;
                }
            }
            parts.push(r);
        }
        topics.push(
            OffsetForLeaderTopicResult::default()
                .with_topic(t.topic)
                .with_partitions(parts),
        );
    }
    OffsetForLeaderEpochResponse::default().with_topics(topics)
}

fn lookup(
    ctx: &RequestContext,
    topic: &str,
    partition: i32,
    epoch: i32,
    current: Option<i32>,
) -> Result<(i32, i64), ApiError> {
    let p = ctx
        .broker
        .replicas
        .get(topic, partition)
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicOrPartition))?;
    p.check_epoch(current).map_err(|e| ApiError::from(&e))?;
    // The leader records its epoch in the epoch cache when it becomes leader
    // (as Kafka does), so the current epoch answers with the log end offset
    // even before it has data. UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET when the epoch is unknown.
    Ok(p.end_offset_for_epoch(epoch)
        .map_err(|e| ApiError::from(&e))?
        .unwrap_or((-1, -1)))
}
