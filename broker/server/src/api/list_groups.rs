//! ListGroups (16): the groups this broker coordinates, with the v4+ state
//! filter and the v5+ type filter.

use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::{ListGroupsRequest, ListGroupsResponse};

use super::group_wire::{s, wire_group};
use super::RequestContext;
use crate::group::CLASSIC_GROUP_TYPE;

pub async fn handle(ctx: &RequestContext, v: i16, req: ListGroupsRequest) -> ListGroupsResponse {
    let states: Vec<String> = if v >= 4 {
        req.states_filter.iter().map(|x| x.as_str().to_string()).collect()
    } else {
        Vec::new()
    };
    let types: Vec<String> = if v >= 5 {
        req.types_filter.iter().map(|x| x.as_str().to_string()).collect()
    } else {
        Vec::new()
    };
    let (groups, error) = ctx.broker.groups.list_groups(&states, &types).await;
    let groups = groups
        .into_iter()
        .map(|g| {
            let mut out = ListedGroup::default()
                .with_group_id(wire_group(&g.group_id))
                .with_protocol_type(s(g.protocol_type));
            if v >= 4 {
                out.group_state = s(g.state.name());
            }
            if v >= 5 {
                out.group_type = s(CLASSIC_GROUP_TYPE);
            }
            out
        })
        .collect();
    ListGroupsResponse::default()
        .with_error_code(error.map_or(0, |e| e.kafka_code()))
        .with_groups(groups)
}
