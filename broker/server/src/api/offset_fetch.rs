//! OffsetFetch (9): committed positions of one group (v1-7) or of several
//! groups (v8+); a null topic list means every committed partition.

use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponseGroup, OffsetFetchResponsePartition, OffsetFetchResponsePartitions,
    OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::messages::{OffsetFetchRequest, OffsetFetchResponse};
use kafka_protocol::protocol::StrBytes;

use super::group_wire::{group_id, wire_group};
use super::produce::wire_topic;
use super::RequestContext;
use crate::group::{CommittedOffset, GroupError, GroupId, TopicPartition};

/// One partition's answer: the offset (if any) or an error.
struct Fetched {
    partition: i32,
    offset: Option<CommittedOffset>,
    error: i16,
}

/// Topic -> partitions, in request order (or name order for "all").
type ByTopic = Vec<(String, Vec<Fetched>)>;

fn group_by_topic(found: Vec<(TopicPartition, Option<CommittedOffset>)>) -> ByTopic {
    let mut out: ByTopic = Vec::new();
    for (tp, offset) in found {
        let f = Fetched {
            partition: tp.partition,
            offset,
            error: 0,
        };
        match out.iter_mut().find(|(t, _)| *t == tp.topic) {
            Some((_, list)) => list.push(f),
            None => out.push((tp.topic, vec![f])),
        }
    }
    out
}

/// Fetches one group; `Err` is the group-level error.
async fn fetch_group(
    ctx: &RequestContext,
    group: &GroupId,
    topics: Option<Vec<(String, Vec<i32>)>>,
) -> Result<ByTopic, (GroupError, Option<Vec<(String, Vec<i32>)>>)> {
    let partitions: Option<Vec<TopicPartition>> = topics.as_ref().map(|list| {
        list.iter()
            .flat_map(|(t, ps)| ps.iter().map(move |p| TopicPartition::new(t.clone(), *p)))
            .collect()
    });
    let broker = &ctx.broker;
    match broker.groups.fetch_offsets(broker, group, partitions).await {
        Ok(found) => {
            let mut grouped = group_by_topic(found);
            if topics.is_none() {
                grouped.sort_by(|a, b| a.0.cmp(&b.0));
            }
            Ok(grouped)
        }
        Err(e) => Err((e, topics)),
    }
}

fn offset_fields(f: &Fetched) -> (i64, i32, Option<StrBytes>) {
    match &f.offset {
        Some(o) => (
            o.offset,
            o.leader_epoch.unwrap_or(-1),
            Some(StrBytes::from_string(o.metadata.clone())),
        ),
        // Kafka's INVALID_OFFSET / NO_METADATA.
        None => (-1, -1, Some(StrBytes::default())),
    }
}

fn v7_topics(v: i16, grouped: ByTopic) -> Vec<OffsetFetchResponseTopic> {
    grouped
        .into_iter()
        .map(|(topic, parts)| {
            let partitions = parts
                .iter()
                .map(|f| {
                    let (offset, epoch, metadata) = offset_fields(f);
                    let mut p = OffsetFetchResponsePartition::default()
                        .with_partition_index(f.partition)
                        .with_committed_offset(offset)
                        .with_metadata(metadata)
                        .with_error_code(f.error);
                    if v >= 5 {
                        p.committed_leader_epoch = epoch;
                    }
                    p
                })
                .collect();
            OffsetFetchResponseTopic::default()
                .with_name(wire_topic(&topic))
                .with_partitions(partitions)
        })
        .collect()
}

fn v8_topics(grouped: ByTopic) -> Vec<OffsetFetchResponseTopics> {
    grouped
        .into_iter()
        .map(|(topic, parts)| {
            let partitions = parts
                .iter()
                .map(|f| {
                    let (offset, epoch, metadata) = offset_fields(f);
                    OffsetFetchResponsePartitions::default()
                        .with_partition_index(f.partition)
                        .with_committed_offset(offset)
                        .with_committed_leader_epoch(epoch)
                        .with_metadata(metadata)
                        .with_error_code(f.error)
                })
                .collect();
            OffsetFetchResponseTopics::default()
                .with_name(wire_topic(&topic))
                .with_partitions(partitions)
        })
        .collect()
}

pub async fn handle(ctx: &RequestContext, v: i16, req: OffsetFetchRequest) -> OffsetFetchResponse {
    let mut resp = OffsetFetchResponse::default();
    if v >= 8 {
        for g in req.groups {
            let group = group_id(&g.group_id);
            let topics = g.topics.map(|list| {
                list.into_iter()
                    .map(|t| (t.name.0.as_str().to_string(), t.partition_indexes))
                    .collect()
            });
            let out = OffsetFetchResponseGroup::default().with_group_id(wire_group(&group));
            resp.groups.push(match fetch_group(ctx, &group, topics).await {
                Ok(grouped) => out.with_topics(v8_topics(grouped)),
                Err((e, _)) => out.with_error_code(e.kafka_code()),
            });
        }
        return resp;
    }
    let group = group_id(&req.group_id);
    let topics = req.topics.map(|list| {
        list.into_iter()
            .map(|t| (t.name.0.as_str().to_string(), t.partition_indexes))
            .collect()
    });
    match fetch_group(ctx, &group, topics).await {
        Ok(grouped) => resp.topics = v7_topics(v, grouped),
        Err((e, topics)) if v < 2 => {
            // v1 has no group-level error: every requested partition carries it.
            let grouped = topics
                .unwrap_or_default()
                .into_iter()
                .map(|(t, ps)| {
                    let parts = ps
                        .into_iter()
                        .map(|p| Fetched {
                            partition: p,
                            offset: None,
                            error: e.kafka_code(),
                        })
                        .collect();
                    (t, parts)
                })
                .collect();
            resp.topics = v7_topics(v, grouped);
        }
        Err((e, _)) => resp.error_code = e.kafka_code(),
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_partitions_by_topic_in_first_seen_order() {
        let found = vec![
            (TopicPartition::new("b", 1), None),
            (TopicPartition::new("a", 0), None),
            (TopicPartition::new("b", 0), None),
        ];
        let grouped = group_by_topic(found);
        let shape: Vec<(String, Vec<i32>)> = grouped
            .into_iter()
            .map(|(t, ps)| (t, ps.into_iter().map(|f| f.partition).collect()))
            .collect();
        assert_eq!(
            shape,
            vec![("b".to_string(), vec![1, 0]), ("a".to_string(), vec![0])]
        );
    }

    #[test]
    fn missing_offsets_are_minus_one() {
        let f = Fetched {
            partition: 0,
            offset: None,
            error: 0,
        };
        let (offset, epoch, metadata) = offset_fields(&f);
        assert_eq!((offset, epoch), (-1, -1));
        assert_eq!(metadata.as_deref(), Some(""));
    }
}
