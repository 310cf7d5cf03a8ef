//! OffsetCommit (8): stores consumer positions; answered once the commit's
//! records are committed in `__consumer_offsets`.

use std::collections::HashMap;

use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::{OffsetCommitRequest as WireCommit, OffsetCommitResponse};

use super::errors::ErrorCode;
use super::group_wire::{group_id, instance_id};
use super::produce::wire_topic;
use super::RequestContext;
use crate::broker::Broker;
use crate::group::{Generation, MemberId, OffsetCommitEntry, OffsetCommitRequest, TopicPartition};

/// Whether the partition exists; Kafka refuses commits for unknown ones.
pub(super) fn partition_exists(broker: &Broker, topic: &str, partition: i32) -> bool {
    let image = broker.image();
    image
        .topic_by_name(topic)
        .is_some_and(|t| usize::try_from(partition).is_ok_and(|p| p < t.partitions.len()))
}

pub async fn handle(ctx: &RequestContext, v: i16, req: WireCommit) -> OffsetCommitResponse {
    let broker = &ctx.broker;
    let group = group_id(&req.group_id);
    // Per (topic, partition) code, filled by the checks here and then by
    // the coordinator; the response lists partitions in request order.
    let mut codes: HashMap<TopicPartition, i16> = HashMap::new();
    let mut entries = Vec::new();
    for topic in &req.topics {
        for p in &topic.partitions {
            let tp = TopicPartition::new(topic.name.as_str(), p.partition_index);
            if !partition_exists(broker, &tp.topic, tp.partition) {
                codes.insert(tp, ErrorCode::UnknownTopicOrPartition.code());
                continue;
            }
            entries.push(OffsetCommitEntry {
                partition: tp,
                offset: p.committed_offset,
                leader_epoch: (v >= 6 && p.committed_leader_epoch >= 0).then_some(p.committed_leader_epoch),
                metadata: p.committed_metadata.as_ref().map(|m| m.as_str().to_string()),
            });
        }
    }
    if !entries.is_empty() {
        let commit = OffsetCommitRequest {
            member_id: MemberId(req.member_id.as_str().to_string()),
            group_instance_id: if v >= 7 {
                instance_id(req.group_instance_id.as_ref())
            } else {
                None
            },
            generation: Generation(req.generation_id_or_member_epoch),
            // v2-4 carry a retention time; -1 means the broker's.
            retention_ms: (v <= 4 && req.retention_time_ms >= 0).then_some(req.retention_time_ms),
            partitions: entries.clone(),
        };
        match broker.groups.commit_offsets(broker, &group, commit).await {
            Ok(results) => {
                for r in results {
                    codes.insert(r.partition, r.result.err().map_or(0, |e| e.kafka_code()));
                }
            }
            Err(e) => {
                for entry in entries {
                    codes.insert(entry.partition, e.kafka_code());
                }
            }
        }
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
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(
                            codes
                                .get(&tp)
                                .copied()
                                .unwrap_or(ErrorCode::UnknownServerError.code()),
                        )
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(wire_topic(topic.name.as_str()))
                .with_partitions(partitions)
        })
        .collect();
    OffsetCommitResponse::default().with_topics(topics)
}
