//! CreatePartitions (37).

use kafka_protocol::messages::create_partitions_response::CreatePartitionsTopicResult;
use kafka_protocol::messages::{CreatePartitionsRequest, CreatePartitionsResponse};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::{BrokerId, CreatePartitionsRequest as DomainRequest};

use super::errors::ApiError;
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, _v: i16, req: CreatePartitionsRequest) -> CreatePartitionsResponse {
    let broker = &ctx.broker;
    let names: Vec<_> = req.topics.iter().map(|t| t.name.clone()).collect();
    let requests: Vec<DomainRequest> = req
        .topics
        .iter()
        .map(|t| DomainRequest {
            name: t.name.as_str().to_string(),
            new_total: t.count,
            assignments: t.assignments.as_ref().map(|a| {
                a.iter()
                    .map(|x| x.broker_ids.iter().map(|b| BrokerId(b.0)).collect())
                    .collect()
            }),
        })
        .collect();
    let results = {
        let mut controller = broker.controller.lock().await;
        controller.create_partitions(requests, req.validate_only)
    };
    if !req.validate_only {
        broker.sync_partitions();
    }
    let out = names
        .into_iter()
        .zip(results)
        .map(|(name, (_, r))| {
            let mut res = CreatePartitionsTopicResult::default().with_name(name);
            if let Err(e) = r {
                let e = ApiError::from(&e);
                res.error_code = e.code();
                res.error_message = e.message.map(StrBytes::from_string);
            }
            res
        })
        .collect();
    CreatePartitionsResponse::default().with_results(out)
}
