//! `__consumer_offsets`: lazy creation through the controller, which
//! partition a group maps to, and which partitions this broker leads.

use std::collections::{BTreeMap, HashMap};

use kavka_controller::{CreateTopicRequest, TopicId};
use tracing::{error, info};

use super::OFFSETS_TOPIC;
use crate::api::errors::ErrorCode;
use crate::broker::Broker;
use crate::group::{group_partition, GroupError};

/// The replication factor to create `__consumer_offsets` with: Kafka's
/// `offsets.topic.replication.factor` (default 3) would make the topic
/// impossible to create on a single broker, so it is capped at the number
/// of brokers that can take replicas (at least 1).
pub(super) fn replication_factor(configured: i16, usable_brokers: usize) -> i16 {
    let brokers = i16::try_from(usable_brokers.max(1)).unwrap_or(i16::MAX);
    configured.clamp(1, brokers)
}

/// The topic configs Kafka gives `__consumer_offsets`.
fn topic_configs(broker: &Broker) -> BTreeMap<String, Option<String>> {
    let s = &broker.config.group;
    [
        ("cleanup.policy", "compact".to_string()),
        ("compression.type", "producer".to_string()),
        ("segment.bytes", s.offsets_topic_segment_bytes.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), Some(v)))
    .collect()
}

/// Creates `__consumer_offsets` if it does not exist; `Ok(true)` if this
/// call created it.
pub(super) async fn ensure(broker: &Broker) -> Result<bool, GroupError> {
    if broker.image().topic_by_name(OFFSETS_TOPIC).is_some() {
        return Ok(false);
    }
    let _one_creator = broker.groups.create_lock.lock().await;
    let image = broker.image();
    if image.topic_by_name(OFFSETS_TOPIC).is_some() {
        return Ok(false);
    }
    let s = &broker.config.group;
    let rf = replication_factor(
        s.offsets_topic_replication_factor,
        image.brokers().filter(|b| b.is_usable()).count(),
    );
    let req = CreateTopicRequest {
        name: OFFSETS_TOPIC.to_string(),
        num_partitions: Some(s.offsets_topic_num_partitions),
        replication_factor: Some(rf),
        assignments: None,
        configs: topic_configs(broker),
    };
    let result = {
        let mut controller = broker.controller.lock().await;
        controller.create_topics(vec![req], false)
    };
    match result.into_iter().next().map(|(_, r)| r) {
        Some(Ok(_)) => {
            broker.sync_partitions();
            info!(
                partitions = s.offsets_topic_num_partitions,
                replication_factor = rf,
                "created {OFFSETS_TOPIC}"
            );
            Ok(true)
        }
        Some(Err(e)) if e.kafka_error_code() == ErrorCode::TopicAlreadyExists.code() => {
            broker.sync_partitions();
            Ok(false)
        }
        Some(Err(e)) => {
            error!(error = %e, "cannot create {OFFSETS_TOPIC}");
            Err(GroupError::CoordinatorNotAvailable)
        }
        None => Err(GroupError::CoordinatorNotAvailable),
    }
}

/// The partition of `group` (by the topic's actual partition count), the
/// topic id, and the partition's leader; `None` if the topic does not exist.
pub(super) fn locate(broker: &Broker, group: &str) -> Option<(i32, TopicId, Option<i32>)> {
    let image = broker.image();
    let topic = image.topic_by_name(OFFSETS_TOPIC)?;
    let count = i32::try_from(topic.partitions.len()).ok()?;
    let partition = group_partition(group, count);
    let state = topic.partitions.get(usize::try_from(partition).ok()?)?;
    Some((partition, topic.id, state.leader.map(|l| l.0)))
}

/// The `__consumer_offsets` partitions this broker leads and hosts.
pub(super) fn led_partitions(broker: &Broker) -> HashMap<i32, TopicId> {
    let image = broker.image();
    let Some(topic) = image.topic_by_name(OFFSETS_TOPIC) else {
        return HashMap::new();
    };
    let me = broker.node_id();
    topic
        .partitions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.leader.is_some_and(|l| l.0 == me))
        .filter_map(|(i, _)| i32::try_from(i).ok())
        .filter(|i| {
            broker
                .replicas
                .get(OFFSETS_TOPIC, *i)
                .is_some_and(|p| p.topic_id == topic.id)
        })
        .map(|i| (i, topic.id))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replication_factor_is_capped_by_brokers() {
        assert_eq!(replication_factor(3, 1), 1);
        assert_eq!(replication_factor(3, 0), 1);
        assert_eq!(replication_factor(3, 5), 3);
        assert_eq!(replication_factor(2, 2), 2);
    }
}
