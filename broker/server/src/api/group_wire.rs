//! Wire helpers shared by the group APIs (translation only).

use std::net::SocketAddr;

use kafka_protocol::messages::GroupId as WireGroupId;
use kafka_protocol::protocol::StrBytes;

use crate::group::{GroupError, GroupId, GroupInstanceId};

pub fn code(result: Result<(), GroupError>) -> i16 {
    match result {
        Ok(()) => 0,
        Err(e) => e.kafka_code(),
    }
}

pub fn group_id(g: &WireGroupId) -> GroupId {
    GroupId(g.0.as_str().to_string())
}

pub fn wire_group(g: &GroupId) -> WireGroupId {
    WireGroupId(StrBytes::from_string(g.0.clone()))
}

pub fn s(text: impl Into<String>) -> StrBytes {
    StrBytes::from_string(text.into())
}

pub fn instance_id(v: Option<&StrBytes>) -> Option<GroupInstanceId> {
    v.map(|i| GroupInstanceId(i.as_str().to_string()))
}

/// The client host as Kafka reports it (`InetAddress.toString`: "/1.2.3.4").
pub fn client_host(peer: &SocketAddr) -> String {
    format!("/{}", peer.ip())
}
