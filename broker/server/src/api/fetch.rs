//! Fetch (1): long polling by max_wait_ms/min_bytes, response and
//! per-partition byte limits, offset range checks. A waiting fetch wakes as
//! soon as any partition receives data, not at its timeout.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::{FetchRequest, FetchResponse};
use uuid::Uuid;

use super::errors::{ApiError, ErrorCode};
use super::topics;
use super::RequestContext;

struct Wanted {
    topic: Option<String>,
    wire_name: kafka_protocol::messages::TopicName,
    topic_id: Uuid,
    partition: i32,
    offset: i64,
    max_bytes: i32,
    current_leader_epoch: i32,
}

pub async fn handle(ctx: &RequestContext, v: i16, req: FetchRequest) -> FetchResponse {
    let broker = &ctx.broker;
    broker.metrics.fetch_requests.fetch_add(1, Ordering::Relaxed);
    let replica_id = if v >= 15 {
        req.replica_state.replica_id.0
    } else {
        req.replica_id.0
    };
    // Kavka does not keep incremental fetch sessions (KIP-227 lets a broker
    // decline them by answering session id 0); a client that names a
    // session we never gave out is told so.
    if req.session_id != 0 {
        return FetchResponse::default().with_error_code(ErrorCode::FetchSessionIdNotFound.code());
    }

    let mut wanted = Vec::new();
    for t in &req.topics {
        let topic = if v >= 13 {
            topics::name_by_id(broker, t.topic_id)
        } else {
            Some(t.topic.as_str().to_string())
        };
        for p in &t.partitions {
            wanted.push(Wanted {
                topic: topic.clone(),
                wire_name: t.topic.clone(),
                topic_id: t.topic_id,
                partition: p.partition,
                offset: p.fetch_offset,
                max_bytes: p.partition_max_bytes,
                current_leader_epoch: if v >= 9 { p.current_leader_epoch } else { -1 },
            });
        }
    }

    let deadline = Instant::now() + Duration::from_millis(req.max_wait_ms.max(0) as u64);
    let mut data_rx = broker.replicas.subscribe();
    loop {
        // Mark the current data generation as seen *before* reading, so an
        // append between the read and the wait still wakes us.
        data_rx.borrow_and_update();
        let (parts, total, any_error) =
            read_all(ctx, v, replica_id, &wanted, req.max_bytes, req.isolation_level);
        let now = Instant::now();
        if total >= req.min_bytes.max(0) as usize || any_error || now >= deadline {
            broker
                .metrics
                .fetched_bytes
                .fetch_add(total as u64, Ordering::Relaxed);
            return build(v, &wanted, parts);
        }
        // Woken by new data or by the deadline; either way read again (the
        // read after the deadline returns whatever raced the timer).
        let _ = tokio::time::timeout(deadline - now, data_rx.changed()).await;
    }
}

fn read_all(
    ctx: &RequestContext,
    v: i16,
    replica_id: i32,
    wanted: &[Wanted],
    max_bytes: i32,
    isolation_level: i8,
) -> (Vec<PartitionData>, usize, bool) {
    let broker = &ctx.broker;
    let mut remaining = max_bytes.max(0) as usize;
    let mut total = 0usize;
    let mut any_error = false;
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let mut pd = PartitionData::default().with_partition_index(w.partition);
        let result: Result<_, ApiError> = (|| {
            let Some(topic) = &w.topic else {
                return Err(ApiError::new(if v >= 13 {
                    ErrorCode::UnknownTopicId
                } else {
                    ErrorCode::UnknownTopicOrPartition
                }));
            };
            if replica_id >= 0 {
                // Follower fetching arrives with replication.
                return Err(ApiError::with_message(
                    ErrorCode::NotLeaderOrFollower,
                    "this broker does not replicate to followers yet",
                ));
            }
            let p = broker
                .replicas
                .get(topic, w.partition)
                .ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicOrPartition))?;
            p.check_epoch(Some(w.current_leader_epoch).filter(|e| *e >= 0))
                .map_err(|e| ApiError::from(&e))?;
            // KIP-74: the first partition with data returns at least one whole
            // batch even if it exceeds the limits, so a consumer never stalls.
            let min_one = total == 0;
            let limit = (w.max_bytes.max(0) as usize).min(remaining);
            let outcome = p.read(w.offset, limit, min_one).map_err(|e| ApiError::from(&e))?;
            Ok(outcome)
        })();
        match result {
            Ok(o) => {
                let n = o.records.len();
                total += n;
                remaining = remaining.saturating_sub(n);
                pd.high_watermark = o.high_watermark;
                // Until transactions exist the last stable offset is the high watermark.
                pd.last_stable_offset = o.last_stable_offset;
                if v >= 5 {
                    pd.log_start_offset = o.log_start_offset;
                }
                pd.aborted_transactions = if isolation_level == 1 {
                    Some(Vec::new())
                } else {
                    None
                };
                pd.records = Some(o.records);
            }
            Err(e) => {
                any_error = true;
                pd.error_code = e.code();
                pd.high_watermark = -1;
                pd.last_stable_offset = -1;
                pd.records = Some(bytes::Bytes::new());
                if let (Some(topic), ErrorCode::OffsetOutOfRange) = (&w.topic, e.code) {
                    // Tell the consumer where the log is so it can reset.
                    if let Some(p) = broker.replicas.get(topic, w.partition) {
                        if let Ok((start, hw, _)) = p.offsets() {
                            pd.high_watermark = hw;
                            pd.last_stable_offset = hw;
                            if v >= 5 {
                                pd.log_start_offset = start;
                            }
                        }
                    }
                }
            }
        }
        out.push(pd);
    }
    (out, total, any_error)
}

fn build(v: i16, wanted: &[Wanted], parts: Vec<PartitionData>) -> FetchResponse {
    // Group partitions back under their topics, preserving request order.
    let mut topics: Vec<FetchableTopicResponse> = Vec::new();
    for (w, pd) in wanted.iter().zip(parts) {
        let same = topics.last().is_some_and(|t| {
            if v >= 13 {
                t.topic_id == w.topic_id
            } else {
                t.topic == w.wire_name
            }
        });
        if !same {
            let mut t = FetchableTopicResponse::default();
            if v >= 13 {
                t.topic_id = w.topic_id;
            } else {
                t.topic = w.wire_name.clone();
            }
            topics.push(t);
        }
        if let Some(t) = topics.last_mut() {
            t.partitions.push(pd);
        }
    }
    FetchResponse::default().with_responses(topics).with_session_id(0)
}
