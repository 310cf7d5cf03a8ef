//! SyncGroup (14): the leader hands in the assignment; every member gets
//! its own once the assignment is committed to `__consumer_offsets`.

use kafka_protocol::messages::{SyncGroupRequest, SyncGroupResponse};

use super::group_wire::{group_id, instance_id, s};
use super::RequestContext;
use crate::group::{Generation, MemberId, SyncRequest};

pub async fn handle(ctx: &RequestContext, v: i16, req: SyncGroupRequest) -> SyncGroupResponse {
    let group = group_id(&req.group_id);
    let sync = SyncRequest {
        member_id: MemberId(req.member_id.as_str().to_string()),
        group_instance_id: if v >= 3 {
            instance_id(req.group_instance_id.as_ref())
        } else {
            None
        },
        generation: Generation(req.generation_id),
        protocol_type: if v >= 5 {
            req.protocol_type.map(|p| p.as_str().to_string())
        } else {
            None
        },
        protocol_name: if v >= 5 {
            req.protocol_name.map(|p| p.as_str().to_string())
        } else {
            None
        },
        assignments: req
            .assignments
            .into_iter()
            .map(|a| (MemberId(a.member_id.as_str().to_string()), a.assignment))
            .collect(),
    };
    let broker = &ctx.broker;
    let mut resp = SyncGroupResponse::default();
    match broker.groups.sync(broker, &group, sync).await {
        Ok(r) => {
            resp.assignment = r.assignment;
            if v >= 5 {
                resp.protocol_type = r.protocol_type.map(s);
                resp.protocol_name = r.protocol_name.map(s);
            }
        }
        Err(e) => resp.error_code = e.kafka_code(),
    }
    resp
}
