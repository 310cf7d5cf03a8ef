//! JoinGroup (11): classic group membership, KIP-394 member ids (v4+),
//! KIP-345 static members (v5+), KIP-814 skip assignment (v9).

use kafka_protocol::messages::join_group_response::JoinGroupResponseMember;
use kafka_protocol::messages::{JoinGroupRequest, JoinGroupResponse};
use kafka_protocol::protocol::StrBytes;

use super::group_wire::{client_host, group_id, instance_id, s};
use super::RequestContext;
use crate::group::{JoinRequest, MemberId, Protocol};
use crate::wire::RequestHeader;

pub async fn handle(
    ctx: &RequestContext,
    header: &RequestHeader,
    v: i16,
    req: JoinGroupRequest,
) -> JoinGroupResponse {
    let group = group_id(&req.group_id);
    let instance = if v >= 5 {
        instance_id(req.group_instance_id.as_ref())
    } else {
        None
    };
    let join = JoinRequest {
        member_id: MemberId(req.member_id.as_str().to_string()),
        client_id: header.client_id.clone().unwrap_or_default(),
        client_host: client_host(&ctx.peer),
        session_timeout_ms: req.session_timeout_ms,
        // v0 has no rebalance timeout: the session timeout serves as both.
        rebalance_timeout_ms: if v >= 1 {
            req.rebalance_timeout_ms
        } else {
            req.session_timeout_ms
        },
        protocol_type: req.protocol_type.as_str().to_string(),
        protocols: req
            .protocols
            .into_iter()
            .map(|p| Protocol::new(p.name.as_str(), p.metadata))
            .collect(),
        // KIP-394: dynamic members of v4+ first get an id, then join with it.
        require_known_member_id: v >= 4 && instance.is_none(),
        supports_skip_assignment: v >= 9,
        group_instance_id: instance,
    };
    let broker = &ctx.broker;
    let mut resp = JoinGroupResponse::default();
    match broker.groups.join(broker, &group, join).await {
        Ok(r) => {
            resp.generation_id = r.generation.0;
            resp.member_id = s(r.member_id.0);
            resp.leader = s(r.leader.0);
            resp.protocol_name = r.protocol_name.map(s);
            if v >= 7 {
                resp.protocol_type = r.protocol_type.map(s);
            }
            if v >= 9 {
                resp.skip_assignment = r.skip_assignment;
            }
            resp.members = r
                .members
                .into_iter()
                .map(|m| {
                    let mut out = JoinGroupResponseMember::default()
                        .with_member_id(s(m.member_id.0))
                        .with_metadata(m.metadata);
                    if v >= 5 {
                        out.group_instance_id = m.group_instance_id.map(|i| s(i.0));
                    }
                    out
                })
                .collect();
        }
        Err(e) => {
            resp.error_code = e.error.kafka_code();
            resp.generation_id = -1;
            resp.member_id = s(e.member_id.0);
        }
    }
    // Before v7 the protocol name is not nullable.
    if v < 7 && resp.protocol_name.is_none() {
        resp.protocol_name = Some(StrBytes::default());
    }
    resp
}
