//! OffsetDelete (47): removes committed offsets of partitions a group no
//! longer consumes (KIP-496).

use std::collections::HashMap;

use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};
use kafka_protocol::messages::{OffsetDeleteRequest, OffsetDeleteResponse};

use super::errors::ErrorCode;
use super::group_wire::{code, group_id};
use super::offset_commit::partition_exists;
use super::produce::wire_topic;
use super::RequestContext;
use crate::group::TopicPartition;

pub async fn handle(ctx: &RequestContext, _v: i16, req: OffsetDeleteRequest) -> OffsetDeleteResponse {
    let broker = &ctx.broker;
    let group = group_id(&req.group_id);
    let mut codes: HashMap<TopicPartition, i16> = HashMap::new();
    let mut wanted = Vec::new();
    for topic in &req.topics {
        for p in &topic.partitions {
            let tp = TopicPartition::new(topic.name.as_str(), p.partition_index);
            if partition_exists(broker, &tp.topic, tp.partition) {
                wanted.push(tp);
            } else {
                codes.insert(tp, ErrorCode::UnknownTopicOrPartition.code());
            }
        }
    }
    match broker.groups.delete_offsets(broker, &group, wanted).await {
        Ok(results) => {
            for r in results {
                codes.insert(r.partition, code(r.result));
            }
        }
        // A group-level error answers the whole request.
        Err(e) => return OffsetDeleteResponse::default().with_error_code(e.kafka_code()),
    }
    let topics = req
        .topics
        .iter()
        .map(|topic| {
            let partitions = topic
                .partitions
                .iter()
                .map(|p| {
                    let tp = TopicPartition::new(topic.name.as_str(), p.partition_index);
                    OffsetDeleteResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(codes.get(&tp).copied().unwrap_or(0))
                })
                .collect();
            OffsetDeleteResponseTopic::default()
                .with_name(wire_topic(topic.name.as_str()))
                .with_partitions(partitions)
        })
        .collect();
    OffsetDeleteResponse::default().with_topics(topics)
}
