//! DescribeCluster (60).

use kafka_protocol::messages::describe_cluster_response::DescribeClusterBroker;
use kafka_protocol::messages::{BrokerId as WireBrokerId, DescribeClusterRequest, DescribeClusterResponse};
use kafka_protocol::protocol::StrBytes;

use super::errors::ErrorCode;
use super::RequestContext;

/// Endpoint types (KIP-919): 1 = brokers, 2 = controllers.
const ENDPOINT_BROKERS: i8 = 1;

pub fn describe(ctx: &RequestContext, v: i16, req: DescribeClusterRequest) -> DescribeClusterResponse {
    let broker = &ctx.broker;
    let image = broker.image();
    let mut resp = DescribeClusterResponse::default()
        .with_cluster_id(StrBytes::from_string(
            image
                .cluster_id()
                .map(|c| c.as_str().to_string())
                .unwrap_or_default(),
        ))
        .with_controller_id(WireBrokerId(broker.node_id()))
        .with_cluster_authorized_operations(i32::MIN);
    if v >= 1 {
        resp.endpoint_type = req.endpoint_type;
        // Controllers answer for their own endpoints; this broker lists brokers.
        if req.endpoint_type != ENDPOINT_BROKERS {
            resp.error_code = ErrorCode::UnsupportedEndpointType.code();
            return resp;
        }
    }
    let include_fenced = v >= 2 && req.include_fenced_brokers;
    resp.brokers = image
        .brokers()
        .filter(|b| include_fenced || !b.fenced)
        .filter_map(|b| {
            let l = b.listeners.first()?;
            let mut out = DescribeClusterBroker::default()
                .with_broker_id(WireBrokerId(b.id.0))
                .with_host(StrBytes::from_string(l.host.clone()))
                .with_port(l.port as i32)
                .with_rack(b.rack.clone().map(StrBytes::from_string));
            if v >= 2 {
                out.is_fenced = b.fenced;
            }
            Some(out)
        })
        .collect();
    resp
}
