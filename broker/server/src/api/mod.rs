//! Request dispatch: one module per Kafka API. Handlers translate wire
//! types to domain calls (partition manager, controller) and back; nothing
//! below this layer sees a kafka-protocol type.

mod api_versions;
mod cluster;
mod configs;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_records;
mod delete_topics;
mod describe_groups;
pub mod errors;
mod fetch;
mod find_coordinator;
mod group_wire;
mod heartbeat;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod log_dirs;
mod metadata;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod offset_for_leader_epoch;
mod produce;
mod sync_group;
mod topics;
pub mod versions;

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::{ApiKey, RequestKind, ResponseHeader, ResponseKind};
use kafka_protocol::protocol::Encodable;
use tracing::debug;

use crate::broker::Broker;
use crate::wire::{self, RequestHeader, WireError};

/// What a handler knows about the request beyond its body.
pub struct RequestContext {
    pub broker: Arc<Broker>,
    pub peer: SocketAddr,
}

/// A request that ends the connection.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Wire(#[from] WireError),
    #[error("unsupported version {version} of api {api_key} (correlation id {correlation_id})")]
    UnsupportedVersion {
        api_key: i16,
        version: i16,
        correlation_id: i32,
    },
    #[error("api {api_key} is not implemented by this broker")]
    NotImplemented { api_key: i16 },
    #[error("cannot encode response to api {api_key} v{version}: {reason}")]
    Encode {
        api_key: i16,
        version: i16,
        reason: String,
    },
}

/// Handles one request frame; returns the encoded response (with its length
/// prefix), or `None` when the request takes no response (acks=0 produce).
pub async fn handle_frame(ctx: &RequestContext, frame: Bytes) -> Result<Option<Bytes>, RequestError> {
    let (header, body_at) = wire::parse_request_header(&frame)?;
    let api = ApiKey::try_from(header.api_key).map_err(|_| RequestError::NotImplemented {
        api_key: header.api_key,
    })?;
    if !versions::is_supported(api, header.api_version) {
        if api == ApiKey::ApiVersions {
            // KIP-511: answer in v0 with UNSUPPORTED_VERSION and our ranges,
            // so the client can pick a version and retry.
            let resp = api_versions::unsupported();
            return encode(&header, ResponseKind::ApiVersions(resp), 0).map(Some);
        }
        return Err(RequestError::UnsupportedVersion {
            api_key: header.api_key,
            version: header.api_version,
            correlation_id: header.correlation_id,
        });
    }
    let body = frame.slice(body_at..);
    let request = wire::decode_request_body(header.api_key, header.api_version, body)?;
    debug!(peer = %ctx.peer, api = ?api, version = header.api_version, "request");
    let response = dispatch(ctx, &header, request).await?;
    match response {
        Some(resp) => encode(&header, resp, header.api_version).map(Some),
        None => Ok(None),
    }
}

async fn dispatch(
    ctx: &RequestContext,
    header: &RequestHeader,
    request: RequestKind,
) -> Result<Option<ResponseKind>, RequestError> {
    let v = header.api_version;
    let resp = match request {
        RequestKind::ApiVersions(r) => ResponseKind::ApiVersions(api_versions::handle(v, r)),
        RequestKind::Metadata(r) => ResponseKind::Metadata(metadata::handle(ctx, v, r).await),
        RequestKind::Produce(r) => match produce::handle(ctx, v, r).await {
            Some(resp) => ResponseKind::Produce(resp),
            None => return Ok(None),
        },
        RequestKind::Fetch(r) => ResponseKind::Fetch(fetch::handle(ctx, v, r).await),
        RequestKind::ListOffsets(r) => ResponseKind::ListOffsets(list_offsets::handle(ctx, v, r)),
        RequestKind::OffsetForLeaderEpoch(r) => {
            ResponseKind::OffsetForLeaderEpoch(offset_for_leader_epoch::handle(ctx, v, r))
        }
        RequestKind::CreateTopics(r) => ResponseKind::CreateTopics(create_topics::handle(ctx, v, r).await),
        RequestKind::DeleteTopics(r) => ResponseKind::DeleteTopics(delete_topics::handle(ctx, v, r).await),
        RequestKind::CreatePartitions(r) => {
            ResponseKind::CreatePartitions(create_partitions::handle(ctx, v, r).await)
        }
        RequestKind::DescribeConfigs(r) => ResponseKind::DescribeConfigs(configs::describe(ctx, v, r)),
        RequestKind::AlterConfigs(r) => ResponseKind::AlterConfigs(configs::alter(ctx, v, r).await),
        RequestKind::IncrementalAlterConfigs(r) => {
            ResponseKind::IncrementalAlterConfigs(configs::incremental_alter(ctx, v, r).await)
        }
        RequestKind::DeleteRecords(r) => ResponseKind::DeleteRecords(delete_records::handle(ctx, v, r).await),
        RequestKind::DescribeCluster(r) => ResponseKind::DescribeCluster(cluster::describe(ctx, v, r)),
        RequestKind::DescribeLogDirs(r) => ResponseKind::DescribeLogDirs(log_dirs::describe(ctx, v, r)),
        RequestKind::FindCoordinator(r) => {
            ResponseKind::FindCoordinator(find_coordinator::handle(ctx, v, r).await)
        }
        RequestKind::JoinGroup(r) => ResponseKind::JoinGroup(join_group::handle(ctx, header, v, r).await),
        RequestKind::SyncGroup(r) => ResponseKind::SyncGroup(sync_group::handle(ctx, v, r).await),
        RequestKind::Heartbeat(r) => ResponseKind::Heartbeat(heartbeat::handle(ctx, v, r).await),
        RequestKind::LeaveGroup(r) => ResponseKind::LeaveGroup(leave_group::handle(ctx, v, r).await),
        RequestKind::OffsetCommit(r) => ResponseKind::OffsetCommit(offset_commit::handle(ctx, v, r).await),
        RequestKind::OffsetFetch(r) => ResponseKind::OffsetFetch(offset_fetch::handle(ctx, v, r).await),
        RequestKind::ListGroups(r) => ResponseKind::ListGroups(list_groups::handle(ctx, v, r).await),
        RequestKind::DescribeGroups(r) => {
            ResponseKind::DescribeGroups(describe_groups::handle(ctx, v, r).await)
        }
        RequestKind::DeleteGroups(r) => ResponseKind::DeleteGroups(delete_groups::handle(ctx, v, r).await),
        RequestKind::OffsetDelete(r) => ResponseKind::OffsetDelete(offset_delete::handle(ctx, v, r).await),
        RequestKind::InitProducerId(r) => {
            ResponseKind::InitProducerId(init_producer_id::handle(ctx, v, r).await)
        }
        _ => {
            return Err(RequestError::NotImplemented {
                api_key: header.api_key,
            })
        }
    };
    Ok(Some(resp))
}

/// Encodes `[length][response header][body]`.
fn encode(header: &RequestHeader, resp: ResponseKind, version: i16) -> Result<Bytes, RequestError> {
    let err = |e: anyhow::Error| RequestError::Encode {
        api_key: header.api_key,
        version,
        reason: e.to_string(),
    };
    // The ApiVersions response header is always v0 (KIP-511), whatever the
    // request's version, so that a client can parse it before it knows
    // which versions we support.
    let header_version = if header.api_key == ApiKey::ApiVersions as i16 {
        0
    } else {
        resp.header_version(version)
    };
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    ResponseHeader::default()
        .with_correlation_id(header.correlation_id)
        .encode(&mut buf, header_version)
        .map_err(err)?;
    resp.encode(&mut buf, version).map_err(err)?;
    let len = (buf.len() - 4) as i32;
    buf[0..4].copy_from_slice(&len.to_be_bytes());
    Ok(buf.freeze())
}
