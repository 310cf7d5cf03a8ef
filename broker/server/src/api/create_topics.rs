//! CreateTopics (19): validate_only, explicit assignments, per-topic errors
//! with messages, and (v5+) the resulting configs.

use std::collections::BTreeMap;

use kafka_protocol::messages::create_topics_response::{CreatableTopicConfigs, CreatableTopicResult};
use kafka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::{BrokerId, CreateTopicRequest};

use super::configs::topic_config_entries;
use super::errors::{ApiError, ErrorCode};
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, v: i16, req: CreateTopicsRequest) -> CreateTopicsResponse {
    let broker = &ctx.broker;
    let mut requests = Vec::with_capacity(req.topics.len());
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = std::collections::HashSet::new();
    for t in &req.topics {
        if !seen.insert(t.name.as_str().to_string()) {
            duplicates.insert(t.name.as_str().to_string());
        }
    }
    for t in req.topics {
        let name = t.name.as_str().to_string();
        if duplicates.contains(&name) {
            continue;
        }
        let assignments = if t.assignments.is_empty() {
            None
        } else {
            Some(
                t.assignments
                    .iter()
                    .map(|a| {
                        (
                            a.partition_index,
                            a.broker_ids.iter().map(|b| BrokerId(b.0)).collect(),
                        )
                    })
                    .collect::<BTreeMap<i32, Vec<BrokerId>>>(),
            )
        };
        requests.push(CreateTopicRequest {
            name,
            num_partitions: (t.num_partitions != -1).then_some(t.num_partitions),
            replication_factor: (t.replication_factor != -1).then_some(t.replication_factor),
            assignments,
            configs: t
                .configs
                .iter()
                .map(|c| (c.name.to_string(), c.value.as_ref().map(|s| s.to_string())))
                .collect(),
        });
    }
    let results = {
        let mut controller = broker.controller.lock().await;
        controller.create_topics(requests, req.validate_only)
    };
    if !req.validate_only {
        broker.sync_partitions();
    }
    let mut out = Vec::new();
    for name in duplicates {
        out.push(error_result(
            v,
            &name,
            &ApiError::with_message(
                ErrorCode::InvalidRequest,
                format!("Duplicate topic name {name} in request"),
            ),
        ));
    }
    for (name, r) in results {
        match r {
            Ok(created) => {
                let mut res = CreatableTopicResult::default().with_name(super::produce::wire_topic(&name));
                if v >= 7 {
                    res.topic_id = created.id.as_uuid();
                }
                if v >= 5 {
                    res.num_partitions = created.num_partitions;
                    res.replication_factor = created.replication_factor;
                    let overrides: BTreeMap<String, String> = created.configs.clone();
                    res.configs = Some(
                        topic_config_entries(&broker.config, &overrides)
                            .into_iter()
                            .map(|e| {
                                CreatableTopicConfigs::default()
                                    .with_name(StrBytes::from_string(e.name))
                                    .with_value(e.value.map(StrBytes::from_string))
                                    .with_read_only(false)
                                    .with_config_source(e.source)
                                    .with_is_sensitive(false)
                            })
                            .collect(),
                    );
                }
                out.push(res);
            }
            Err(e) => out.push(error_result(v, &name, &ApiError::from(&e))),
        }
    }
    CreateTopicsResponse::default().with_topics(out)
}

fn error_result(v: i16, name: &str, e: &ApiError) -> CreatableTopicResult {
    let mut r = CreatableTopicResult::default()
        .with_name(super::produce::wire_topic(name))
        .with_error_code(e.code())
        .with_error_message(e.message.clone().map(StrBytes::from_string));
    if v >= 5 {
        r.num_partitions = -1;
        r.replication_factor = -1;
        r.configs = None;
    }
    r
}
