//! FindCoordinator (10): the node that coordinates a group; v4+ batches
//! keys. Creates `__consumer_offsets` on first use.

use kafka_protocol::messages::find_coordinator_response::Coordinator;
use kafka_protocol::messages::{BrokerId as WireBrokerId, FindCoordinatorRequest, FindCoordinatorResponse};
use kafka_protocol::protocol::StrBytes;
use kavka_controller::BrokerId;

use super::errors::ErrorCode;
use super::group_wire::s;
use super::RequestContext;

const KEY_TYPE_GROUP: i8 = 0;
const KEY_TYPE_TRANSACTION: i8 = 1;

/// Where a key's coordinator is, or why it is not known.
struct Found {
    node_id: i32,
    host: String,
    port: i32,
    error: i16,
    message: Option<String>,
}

impl Found {
    fn error(code: i16, message: Option<String>) -> Self {
        // Kafka's Node.noNode().
        Found {
            node_id: -1,
            host: String::new(),
            port: -1,
            error: code,
            message,
        }
    }
}

async fn find(ctx: &RequestContext, key_type: i8, key: &str) -> Found {
    match key_type {
        KEY_TYPE_GROUP => {}
        // Transactions have no coordinator yet. Kafka answers this
        // (retriable) error while its transaction coordinator is not ready;
        // the message says why it will not become ready here.
        KEY_TYPE_TRANSACTION => {
            return Found::error(
                ErrorCode::CoordinatorNotAvailable.code(),
                Some("transactions are not supported by this broker (no transaction coordinator)".into()),
            )
        }
        other => {
            return Found::error(
                ErrorCode::InvalidRequest.code(),
                Some(format!("unknown coordinator key type {other}")),
            )
        }
    }
    let broker = &ctx.broker;
    let node = match broker.groups.find_coordinator(broker, key).await {
        Ok(n) => n,
        Err(e) => return Found::error(e.kafka_code(), Some(e.to_string())),
    };
    let image = broker.image();
    match image
        .broker(BrokerId(node))
        .filter(|b| b.is_live())
        .and_then(|b| b.listeners.first())
    {
        Some(l) => Found {
            node_id: node,
            host: l.host.clone(),
            port: i32::from(l.port),
            error: 0,
            message: None,
        },
        None => Found::error(
            ErrorCode::CoordinatorNotAvailable.code(),
            Some(format!("coordinator node {node} is not available")),
        ),
    }
}

pub async fn handle(ctx: &RequestContext, v: i16, req: FindCoordinatorRequest) -> FindCoordinatorResponse {
    let key_type = if v >= 1 { req.key_type } else { KEY_TYPE_GROUP };
    let mut resp = FindCoordinatorResponse::default();
    if v >= 4 {
        for key in req.coordinator_keys {
            let f = find(ctx, key_type, key.as_str()).await;
            resp.coordinators.push(
                Coordinator::default()
                    .with_key(key)
                    .with_node_id(WireBrokerId(f.node_id))
                    .with_host(s(f.host))
                    .with_port(f.port)
                    .with_error_code(f.error)
                    .with_error_message(f.message.map(StrBytes::from_string)),
            );
        }
        return resp;
    }
    let f = find(ctx, key_type, req.key.as_str()).await;
    resp.error_code = f.error;
    resp.node_id = WireBrokerId(f.node_id);
    resp.host = s(f.host);
    resp.port = f.port;
    if v >= 1 {
        resp.error_message = f.message.map(StrBytes::from_string);
    }
    resp
}
