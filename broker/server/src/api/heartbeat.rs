//! Heartbeat (12): keeps a member's session alive and tells it when to
//! rejoin (REBALANCE_IN_PROGRESS).

use kafka_protocol::messages::{HeartbeatRequest as WireHeartbeat, HeartbeatResponse};

use super::group_wire::{code, group_id, instance_id};
use super::RequestContext;
use crate::group::{Generation, HeartbeatRequest, MemberId};

pub async fn handle(ctx: &RequestContext, v: i16, req: WireHeartbeat) -> HeartbeatResponse {
    let group = group_id(&req.group_id);
    let hb = HeartbeatRequest {
        member_id: MemberId(req.member_id.as_str().to_string()),
        group_instance_id: if v >= 3 {
            instance_id(req.group_instance_id.as_ref())
        } else {
            None
        },
        generation: Generation(req.generation_id),
    };
    let broker = &ctx.broker;
    let result = broker.groups.heartbeat(broker, &group, hb).await;
    HeartbeatResponse::default().with_error_code(code(result))
}
