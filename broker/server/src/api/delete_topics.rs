//! DeleteTopics (20): by name (all versions) or by id (v6).

use kafka_protocol::messages::delete_topics_response::DeletableTopicResult;
use kafka_protocol::messages::{DeleteTopicsRequest, DeleteTopicsResponse};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::{TopicId, TopicRef};
use uuid::Uuid;

use super::errors::{ApiError, ErrorCode};
use super::produce::wire_topic;
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, v: i16, req: DeleteTopicsRequest) -> DeleteTopicsResponse {
    let broker = &ctx.broker;
    let refs: Vec<TopicRef> = if v >= 6 {
        req.topics
            .iter()
            .map(|t| match &t.name {
                Some(n) => TopicRef::Name(n.as_str().to_string()),
                None => TopicRef::Id(TopicId::from_uuid(t.topic_id)),
            })
            .collect()
    } else {
        req.topic_names
            .iter()
            .map(|n| TopicRef::Name(n.as_str().to_string()))
            .collect()
    };
    let mut out = Vec::with_capacity(refs.len());
    if !broker.config.delete_topic_enable {
        for r in &refs {
            out.push(result_for(
                v,
                r,
                Err(ApiError::with_message(
                    ErrorCode::TopicDeletionDisabled,
                    "delete.topic.enable is false",
                )),
            ));
        }
        return DeleteTopicsResponse::default().with_responses(out);
    }
    let results = {
        let mut controller = broker.controller.lock().await;
        controller.delete_topics(refs.clone())
    };
    broker.sync_partitions();
    for (r, res) in refs.iter().zip(results) {
        out.push(result_for(
            v,
            r,
            res.map(|(name, id)| (name.as_str().to_string(), id.as_uuid()))
                .map_err(|e| ApiError::from(&e)),
        ));
    }
    DeleteTopicsResponse::default().with_responses(out)
}

fn result_for(v: i16, r: &TopicRef, res: Result<(String, Uuid), ApiError>) -> DeletableTopicResult {
    let mut out = DeletableTopicResult::default();
    let (name, id) = match (r, &res) {
        (_, Ok((n, id))) => (Some(n.clone()), *id),
        (TopicRef::Name(n), Err(_)) => (Some(n.clone()), Uuid::nil()),
        (TopicRef::Id(id), Err(_)) => (None, id.as_uuid()),
    };
    out.name = name.map(|n| wire_topic(&n));
    if v >= 6 {
        out.topic_id = id;
    }
    if let Err(e) = res {
        out.error_code = e.code();
        if v >= 5 {
            out.error_message = e.message.map(StrBytes::from_string);
        }
    }
    out
}
