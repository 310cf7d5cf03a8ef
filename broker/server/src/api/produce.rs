//! Produce (0).

use std::sync::atomic::Ordering;

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName as WireTopic};
use kafka_protocol::protocol::StrBytes;

use super::errors::{ApiError, ErrorCode};
use super::topics;
use super::RequestContext;
use crate::time::now_ms;

fn partition_error(v: i16, index: i32, err: &ApiError) -> PartitionProduceResponse {
    let mut r = PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(err.code())
        .with_base_offset(-1);
    if v >= 8 {
        r.error_message = err.message.clone().map(StrBytes::from_string);
    }
    r
}

/// Handles a produce request; `None` for acks=0, which takes no response.
pub async fn handle(ctx: &RequestContext, v: i16, req: ProduceRequest) -> Option<ProduceResponse> {
    let broker = &ctx.broker;
    broker.metrics.produce_requests.fetch_add(1, Ordering::Relaxed);
    let acks = req.acks;
    let mut topics_out = Vec::with_capacity(req.topic_data.len());
    for topic in req.topic_data {
        // v13 addresses topics by id, earlier versions by name.
        let resolved = if v >= 13 {
            topics::name_by_id(broker, topic.topic_id).ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicId))
        } else {
            topics::ensure_exists(
                broker,
                topic.name.as_str(),
                broker.config.auto_create_topics_enable,
            )
            .await
        };
        let mut parts_out = Vec::with_capacity(topic.partition_data.len());
        for pd in topic.partition_data {
            let name = match &resolved {
                Ok(n) => n.clone(),
                Err(e) => {
                    parts_out.push(partition_error(v, pd.index, e));
                    continue;
                }
            };
            let result = append_one(ctx, &name, pd.index, acks, pd.records.as_ref()).await;
            parts_out.push(match result {
                Ok((base, append_time, log_start)) => {
                    let mut r = PartitionProduceResponse::default()
                        .with_index(pd.index)
                        .with_base_offset(base)
                        .with_log_append_time_ms(append_time.unwrap_or(-1));
                    if v >= 5 {
                        r.log_start_offset = log_start;
                    }
                    r
                }
                Err(e) => partition_error(v, pd.index, &e),
            });
        }
        let mut t = TopicProduceResponse::default().with_partition_responses(parts_out);
        if v >= 13 {
            t.topic_id = topic.topic_id;
        } else {
            t.name = topic.name;
        }
        topics_out.push(t);
    }
    if acks == 0 {
        return None;
    }
    Some(ProduceResponse::default().with_responses(topics_out))
}

async fn append_one(
    ctx: &RequestContext,
    topic: &str,
    partition: i32,
    acks: i16,
    records: Option<&bytes::Bytes>,
) -> Result<(i64, Option<i64>, i64), ApiError> {
    let broker = &ctx.broker;
    if !matches!(acks, -1..=1) {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequiredAcks,
            format!("acks must be -1, 0 or 1, got {acks}"),
        ));
    }
    let Some(p) = broker.replicas.get(topic, partition) else {
        return Err(ApiError::new(ErrorCode::UnknownTopicOrPartition));
    };
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRecord,
            "empty record set",
        ));
    };
    if acks == -1 {
        // One node: the ISR is this broker alone.
        let min_isr = topics::min_insync_replicas(broker, topic);
        if min_isr > 1 {
            return Err(ApiError::with_message(
                ErrorCode::NotEnoughReplicas,
                format!("min.insync.replicas is {min_isr} but the ISR has 1 replica"),
            ));
        }
    }
    let out = p
        .append(records, now_ms())
        .await
        .map_err(|e| ApiError::from(&e))?;
    broker
        .metrics
        .produced_bytes
        .fetch_add(records.len() as u64, Ordering::Relaxed);
    broker.replicas.notify_data();
    Ok((out.base_offset, out.log_append_time, out.log_start_offset))
}

/// Wire topic name from our string.
pub fn wire_topic(name: &str) -> WireTopic {
    WireTopic(StrBytes::from_string(name.to_string()))
}
