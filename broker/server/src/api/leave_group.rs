//! LeaveGroup (13): one member (v0-2) or a batch of members (v3+, KIP-345,
//! which also lets an admin remove static members by instance id).

use kafka_protocol::messages::leave_group_response::MemberResponse;
use kafka_protocol::messages::{LeaveGroupRequest, LeaveGroupResponse};

use super::group_wire::{code, group_id, instance_id, s};
use super::RequestContext;
use crate::group::{LeaveMember, MemberId};

pub async fn handle(ctx: &RequestContext, v: i16, req: LeaveGroupRequest) -> LeaveGroupResponse {
    let group = group_id(&req.group_id);
    let members: Vec<LeaveMember> = if v >= 3 {
        req.members
            .iter()
            .map(|m| LeaveMember {
                member_id: MemberId(m.member_id.as_str().to_string()),
                group_instance_id: instance_id(m.group_instance_id.as_ref()),
            })
            .collect()
    } else {
        vec![LeaveMember {
            member_id: MemberId(req.member_id.as_str().to_string()),
            group_instance_id: None,
        }]
    };
    let broker = &ctx.broker;
    let mut resp = LeaveGroupResponse::default();
    match broker.groups.leave(broker, &group, members).await {
        Err(e) => resp.error_code = e.kafka_code(),
        Ok(results) if v < 3 => {
            // One member: its result is the response's error.
            resp.error_code = results.into_iter().next().map_or(0, |r| code(r.result));
        }
        Ok(results) => {
            resp.members = results
                .into_iter()
                .map(|r| {
                    MemberResponse::default()
                        .with_member_id(s(r.member_id.0))
                        .with_group_instance_id(r.group_instance_id.map(|i| s(i.0)))
                        .with_error_code(code(r.result))
                })
                .collect();
        }
    }
    resp
}
