//! Metadata (3): brokers, topics, partitions, leaders and topic ids, with
//! auto-creation per `auto.create.topics.enable`.

use kafka_protocol::messages::metadata_response::{
    MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId as WireBrokerId, MetadataRequest, MetadataResponse};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::{MetadataImage, TopicId};
use uuid::Uuid;

use super::errors::ErrorCode;
use super::produce::wire_topic;
use super::topics;
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, v: i16, req: MetadataRequest) -> MetadataResponse {
    let broker = &ctx.broker;
    if let Some(resp) = refuse_ids_before_v12(v, &req) {
        return resp;
    }
    // v4+ lets the client opt out of auto-creation; earlier versions always ask.
    let allow_auto = (v < 4 || req.allow_auto_topic_creation) && broker.config.auto_create_topics_enable;
    // Which topics: None = all; names; or (v12+) ids.
    let mut wanted: Option<Vec<Result<String, Uuid>>> = None;
    // In v0 an empty list means every topic (null arrived only in v1).
    let all_topics = req.topics.as_ref().is_none_or(|l| l.is_empty() && v == 0);
    if let Some(list) = req.topics.as_ref().filter(|_| !all_topics) {
        let mut names = Vec::with_capacity(list.len());
        for t in list {
            match &t.name {
                Some(n) => names.push(Ok(n.as_str().to_string())),
                None => names.push(Err(t.topic_id)),
            }
        }
        wanted = Some(names);
    }
    if let Some(list) = &wanted {
        for name in list.iter().filter_map(|w| w.as_ref().ok()) {
            if broker.image().topic_by_name(name).is_none() && allow_auto && valid_for_auto_create(name) {
                // Errors surface below as UNKNOWN_TOPIC_OR_PARTITION / INVALID_TOPIC.
                let _ = topics::ensure_exists(broker, name, true).await;
            }
        }
    }
    let image = broker.image();
    let mut topics_out = Vec::new();
    match wanted {
        None => {
            for t in image.topics() {
                topics_out.push(describe_topic(&image, v, t.name.as_str()));
            }
        }
        Some(list) => {
            for w in list {
                match w {
                    Ok(name) => topics_out.push(describe_topic(&image, v, &name)),
                    Err(id) => match image.topic_by_id(TopicId::from_uuid(id)) {
                        Some(t) => topics_out.push(describe_topic(&image, v, t.name.as_str())),
                        None => {
                            let mut t = MetadataResponseTopic::default()
                                .with_error_code(ErrorCode::UnknownTopicId.code())
                                .with_name(None);
                            t.topic_id = id;
                            topics_out.push(t);
                        }
                    },
                }
            }
        }
    }
    let brokers = image
        .brokers()
        .filter(|b| !b.fenced)
        .filter_map(|b| {
            let l = b.listeners.first()?;
            let mut mb = MetadataResponseBroker::default()
                .with_node_id(WireBrokerId(b.id.0))
                .with_host(StrBytes::from_string(l.host.clone()))
                .with_port(l.port as i32);
            if v >= 1 {
                mb.rack = b.rack.clone().map(StrBytes::from_string);
            }
            Some(mb)
        })
        .collect();
    let mut resp = MetadataResponse::default()
        .with_brokers(brokers)
        .with_topics(topics_out);
    if v >= 1 {
        resp.controller_id = WireBrokerId(broker.node_id());
    }
    if v >= 2 {
        resp.cluster_id = image
            .cluster_id()
            .map(|c| StrBytes::from_string(c.as_str().to_string()));
    }
    resp
}

/// v10 and v11 carry topic ids and nullable names on the wire, but Kafka
/// serves requests by id only from v12: earlier versions naming a topic by
/// id (or without a name) get INVALID_REQUEST for every requested topic.
fn refuse_ids_before_v12(v: i16, req: &MetadataRequest) -> Option<MetadataResponse> {
    let list = req.topics.as_ref()?;
    if v >= 12 || !list.iter().any(|t| t.name.is_none() || !t.topic_id.is_nil()) {
        return None;
    }
    let topics = list
        .iter()
        .map(|t| {
            let mut out = MetadataResponseTopic::default()
                .with_error_code(ErrorCode::InvalidRequest.code())
                // The response name is not nullable before v12.
                .with_name(Some(t.name.clone().unwrap_or_else(|| wire_topic(""))));
            out.topic_id = t.topic_id;
            out
        })
        .collect();
    Some(MetadataResponse::default().with_topics(topics))
}

/// Kafka refuses to auto-create names that would be invalid anyway; they get
/// INVALID_TOPIC_EXCEPTION from describe_topic's lookup instead.
fn valid_for_auto_create(name: &str) -> bool {
    kavka_controller::TopicName::new(name).is_ok()
}

fn describe_topic(image: &MetadataImage, v: i16, name: &str) -> MetadataResponseTopic {
    let mut out = MetadataResponseTopic::default().with_name(Some(wire_topic(name)));
    let Some(t) = image.topic_by_name(name) else {
        out.error_code = if kavka_controller::TopicName::new(name).is_ok() {
            ErrorCode::UnknownTopicOrPartition.code()
        } else {
            ErrorCode::InvalidTopicException.code()
        };
        return out;
    };
    if v >= 10 {
        out.topic_id = t.id.as_uuid();
    }
    if v >= 1 {
        out.is_internal = name.starts_with("__");
    }
    let live: Vec<i32> = image.brokers().filter(|b| !b.fenced).map(|b| b.id.0).collect();
    out.partitions = t
        .partitions
        .iter()
        .enumerate()
        .map(|(index, p)| {
            let leader = p.leader.map(|l| l.0).unwrap_or(-1);
            let mut mp = MetadataResponsePartition::default()
                .with_partition_index(index as i32)
                .with_leader_id(WireBrokerId(leader))
                .with_replica_nodes(p.replicas.iter().map(|r| WireBrokerId(r.0)).collect())
                .with_isr_nodes(p.isr.iter().map(|r| WireBrokerId(r.0)).collect());
            if leader < 0 {
                mp.error_code = ErrorCode::LeaderNotAvailable.code();
            }
            if v >= 7 {
                mp.leader_epoch = p.leader_epoch.0;
            }
            if v >= 5 {
                mp.offline_replicas = p
                    .replicas
                    .iter()
                    .filter(|r| !live.contains(&r.0))
                    .map(|r| WireBrokerId(r.0))
                    .collect();
            }
            mp
        })
        .collect();
    out
}
