//! DeleteGroups (42): removes empty groups and their committed offsets.

use kafka_protocol::messages::delete_groups_response::DeletableGroupResult;
use kafka_protocol::messages::{DeleteGroupsRequest, DeleteGroupsResponse};

use super::group_wire::{code, group_id, wire_group};
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, _v: i16, req: DeleteGroupsRequest) -> DeleteGroupsResponse {
    let broker = &ctx.broker;
    let ids = req.groups_names.iter().map(group_id).collect();
    let results = broker
        .groups
        .delete_groups(broker, ids)
        .await
        .into_iter()
        .map(|(g, r)| {
            DeletableGroupResult::default()
                .with_group_id(wire_group(&g))
                .with_error_code(code(r))
        })
        .collect();
    DeleteGroupsResponse::default().with_results(results)
}
