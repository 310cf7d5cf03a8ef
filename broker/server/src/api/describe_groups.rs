//! DescribeGroups (15): state, protocol and members of groups.

use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::{DescribeGroupsRequest, DescribeGroupsResponse};

use super::errors::ErrorCode;
use super::group_wire::{group_id, s, wire_group};
use super::RequestContext;
use crate::group::{GroupDescription, GroupState};

/// Kafka's ACL operation codes allowed on a group resource (READ, DELETE,
/// DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS). Without an authorizer every
/// operation is allowed.
const GROUP_OPERATIONS: i32 = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);

/// "Not requested" for authorized operations.
const OPERATIONS_OMITTED: i32 = i32::MIN;

fn described(v: i16, d: GroupDescription) -> DescribedGroup {
    let members = d
        .members
        .into_iter()
        .map(|m| {
            let mut out = DescribedGroupMember::default()
                .with_member_id(s(m.member_id.0))
                .with_client_id(s(m.client_id))
                .with_client_host(s(m.client_host))
                .with_member_metadata(m.metadata)
                .with_member_assignment(m.assignment);
            if v >= 4 {
                out.group_instance_id = m.group_instance_id.map(|i| s(i.0));
            }
            out
        })
        .collect();
    DescribedGroup::default()
        .with_group_id(wire_group(&d.group_id))
        .with_group_state(s(d.state.name()))
        .with_protocol_type(s(d.protocol_type))
        .with_protocol_data(s(d.protocol_data))
        .with_members(members)
}

pub async fn handle(ctx: &RequestContext, v: i16, req: DescribeGroupsRequest) -> DescribeGroupsResponse {
    let broker = &ctx.broker;
    let operations = if v >= 3 && req.include_authorized_operations {
        GROUP_OPERATIONS
    } else {
        OPERATIONS_OMITTED
    };
    let mut groups = Vec::with_capacity(req.groups.len());
    for g in &req.groups {
        let id = group_id(g);
        let mut out = match broker.groups.describe(broker, &id).await {
            // KIP-1043: v6 reports an unknown group as GROUP_ID_NOT_FOUND;
            // earlier versions describe it as Dead without an error.
            Ok(d) if v >= 6 && d.state == GroupState::Dead => DescribedGroup::default()
                .with_group_id(wire_group(&id))
                .with_group_state(s(GroupState::Dead.name()))
                .with_error_code(ErrorCode::GroupIdNotFound.code())
                .with_error_message(Some(s(format!("Group {} not found.", id.0)))),
            Ok(d) => described(v, d),
            Err(e) => {
                let mut out = DescribedGroup::default()
                    .with_group_id(wire_group(&id))
                    .with_error_code(e.kafka_code());
                if v >= 6 {
                    out.error_message = Some(s(e.to_string()));
                }
                out
            }
        };
        if v >= 3 {
            out.authorized_operations = operations;
        }
        groups.push(out);
    }
    DescribeGroupsResponse::default().with_groups(groups)
}
