//! Topic lookups shared by the APIs: id → name, auto-creation, and
//! effective topic settings.

use std::collections::BTreeMap;

use kavka_controller::{CreateTopicRequest, TopicId};
use uuid::Uuid;

use super::errors::{ApiError, ErrorCode};
use crate::broker::Broker;

pub fn name_by_id(broker: &Broker, id: Uuid) -> Option<String> {
    let image = broker.image();
    image
        .topic_by_id(TopicId::from_uuid(id))
        .map(|t| t.name.as_str().to_string())
}

/// Returns the topic's name if it exists, creating it with the broker's
/// defaults when `auto_create` allows; otherwise UNKNOWN_TOPIC_OR_PARTITION.
pub async fn ensure_exists(broker: &Broker, name: &str, auto_create: bool) -> Result<String, ApiError> {
    if broker.image().topic_by_name(name).is_some() {
        return Ok(name.to_string());
    }
    if !auto_create {
        return Err(ApiError::new(ErrorCode::UnknownTopicOrPartition));
    }
    if name == crate::coordinator::OFFSETS_TOPIC {
        // Never with the auto-creation defaults: the group coordinator's
        // settings (offsets.topic.*, compacted), as Kafka does.
        return match crate::coordinator::ensure_offsets_topic(broker).await {
            Ok(_) => Ok(name.to_string()),
            Err(e) => Err(ApiError::new(
                ErrorCode::try_from_code(e.kafka_code()).unwrap_or(ErrorCode::CoordinatorNotAvailable),
            )),
        };
    }
    let req = CreateTopicRequest {
        name: name.to_string(),
        num_partitions: None,
        replication_factor: None,
        assignments: None,
        configs: BTreeMap::new(),
    };
    let result = {
        let mut controller = broker.controller.lock().await;
        controller.create_topics(vec![req], false)
    };
    match result.into_iter().next().map(|(_, r)| r) {
        Some(Ok(_)) => {
            broker.sync_partitions();
            Ok(name.to_string())
        }
        // Lost a race with another creator: fine.
        Some(Err(e)) if e.kafka_error_code() == ErrorCode::TopicAlreadyExists.code() => {
            broker.sync_partitions();
            Ok(name.to_string())
        }
        Some(Err(e)) => Err(ApiError::from(&e)),
        None => Err(ApiError::new(ErrorCode::UnknownServerError)),
    }
}

/// The topic's `min.insync.replicas`, falling back to the broker's.
pub fn min_insync_replicas(broker: &Broker, topic: &str) -> i32 {
    let image = broker.image();
    image
        .topic_by_name(topic)
        .and_then(|t| image.topic_configs(t.name.as_str()))
        .and_then(|c| c.get("min.insync.replicas"))
        .and_then(|v| v.parse().ok())
        .unwrap_or(broker.config.min_insync_replicas)
}
