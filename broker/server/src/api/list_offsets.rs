//! ListOffsets (2): earliest (-2), latest (-1), max timestamp (-3, v7+),
//! earliest-local (-4) and by timestamp.

use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::{ListOffsetsRequest, ListOffsetsResponse};

use super::errors::{ApiError, ErrorCode};
use super::RequestContext;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;
const MAX_TIMESTAMP: i64 = -3;
const EARLIEST_LOCAL: i64 = -4;
const LATEST_TIERED: i64 = -5;

pub fn handle(ctx: &RequestContext, v: i16, req: ListOffsetsRequest) -> ListOffsetsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in req.topics {
        let mut parts = Vec::with_capacity(t.partitions.len());
        for p in t.partitions {
            let mut r = ListOffsetsPartitionResponse::default().with_partition_index(p.partition_index);
            let epoch = if v >= 4 {
                Some(p.current_leader_epoch).filter(|e| *e >= 0)
            } else {
                None
            };
            match lookup(ctx, t.name.as_str(), p.partition_index, p.timestamp, epoch) {
                Ok((offset, ts, leader_epoch)) => {
                    r.offset = offset;
                    r.timestamp = ts;
                    if v >= 4 {
                        r.leader_epoch = leader_epoch;
                    }
                }
                Err(e) => {
                    r.error_code = e.code();
                    r.offset = -1;
                    r.timestamp = -1;
                }
            }
            parts.push(r);
        }
        topics.push(
            ListOffsetsTopicResponse::default()
                .with_name(t.name)
                .with_partitions(parts),
        );
    }
    ListOffsetsResponse::default().with_topics(topics)
}

/// Returns (offset, timestamp, leader epoch); offset -1 when no record
/// matches a timestamp query, as Kafka answers.
fn lookup(
    ctx: &RequestContext,
    topic: &str,
    partition: i32,
    timestamp: i64,
    current_epoch: Option<i32>,
) -> Result<(i64, i64, i32), ApiError> {
    let p = ctx
        .broker
        .replicas
        .get(topic, partition)
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicOrPartition))?;
    p.check_epoch(current_epoch).map_err(|e| ApiError::from(&e))?;
    let (start, hw, _) = p.offsets().map_err(|e| ApiError::from(&e))?;
    let epoch = p.leader_epoch();
    Ok(match timestamp {
        // Consumers may only see committed data: "latest" is the high watermark.
        LATEST => (hw, -1, epoch),
        // Nothing is tiered to remote storage: Kafka answers offset -1 and
        // epoch -1 when remote storage is off.
        LATEST_TIERED => (-1, -1, -1),
        // Clients use the epoch only for truncation checks; Kafka answers
        // EARLIEST/LATEST with the current epoch as well.
        EARLIEST | EARLIEST_LOCAL => (start, -1, epoch),
        MAX_TIMESTAMP => match p.max_timestamp().map_err(|e| ApiError::from(&e))? {
            Some(t) => (t.offset, t.timestamp, t.leader_epoch.unwrap_or(epoch)),
            None => (-1, -1, -1),
        },
        ts if ts >= 0 => match p.offset_for_timestamp(ts).map_err(|e| ApiError::from(&e))? {
            Some(t) if t.offset < hw => (t.offset, t.timestamp, t.leader_epoch.unwrap_or(epoch)),
            _ => (-1, -1, -1),
        },
        other => {
            return Err(ApiError::with_message(
                ErrorCode::InvalidRequest,
                format!("unknown special timestamp {other}"),
            ))
        }
    })
}
