//! Raw-protocol helpers for the group API tests: error codes, request
//! builders and one-call wrappers around the group APIs.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;
use kafka_protocol::messages::sync_group_request::SyncGroupRequestAssignment;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;

use crate::common::raw::RawClient;

pub const NONE: i16 = 0;
pub const UNKNOWN_TOPIC_OR_PARTITION: i16 = 3;
pub const OFFSET_METADATA_TOO_LARGE: i16 = 12;
pub const COORDINATOR_LOAD_IN_PROGRESS: i16 = 14;
pub const COORDINATOR_NOT_AVAILABLE: i16 = 15;
pub const ILLEGAL_GENERATION: i16 = 22;
pub const INCONSISTENT_GROUP_PROTOCOL: i16 = 23;
pub const INVALID_GROUP_ID: i16 = 24;
pub const UNKNOWN_MEMBER_ID: i16 = 25;
pub const INVALID_SESSION_TIMEOUT: i16 = 26;
pub const REBALANCE_IN_PROGRESS: i16 = 27;
pub const NOT_COORDINATOR: i16 = 16;
pub const INVALID_REQUEST: i16 = 42;
pub const NON_EMPTY_GROUP: i16 = 68;
pub const GROUP_ID_NOT_FOUND: i16 = 69;
pub const MEMBER_ID_REQUIRED: i16 = 79;
pub const GROUP_SUBSCRIBED_TO_TOPIC: i16 = 86;

pub fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

pub fn gid(v: &str) -> GroupId {
    GroupId(s(v))
}

pub fn topic(v: &str) -> TopicName {
    TopicName(s(v))
}

/// A ConsumerProtocolSubscription v0 for `topics` (what a Kafka consumer
/// sends as JoinGroup protocol metadata).
pub fn subscription(topics: &[&str]) -> Bytes {
    let mut b = BytesMut::new();
    b.put_i16(0);
    b.put_i32(topics.len() as i32);
    for t in topics {
        b.put_i16(t.len() as i16);
        b.put_slice(t.as_bytes());
    }
    b.put_i32(-1);
    b.freeze()
}

pub fn join_request(group: &str, member: &str, protocol_type: &str, metadata: Bytes) -> JoinGroupRequest {
    JoinGroupRequest::default()
        .with_group_id(gid(group))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_member_id(s(member))
        .with_protocol_type(s(protocol_type))
        .with_protocols(vec![JoinGroupRequestProtocol::default()
            .with_name(s("range"))
            .with_metadata(metadata)])
}

pub async fn join(raw: &mut RawClient, v: i16, req: &JoinGroupRequest) -> JoinGroupResponse {
    raw.call(ApiKey::JoinGroup, v, req).await
}

/// KIP-394 two-step join (v4+): returns the response of the second join.
pub async fn join_new(
    raw: &mut RawClient,
    group: &str,
    protocol_type: &str,
    metadata: Bytes,
) -> JoinGroupResponse {
    let first = join(raw, 5, &join_request(group, "", protocol_type, metadata.clone())).await;
    assert_eq!(first.error_code, MEMBER_ID_REQUIRED);
    assert!(!first.member_id.is_empty());
    join(
        raw,
        5,
        &join_request(group, &first.member_id, protocol_type, metadata),
    )
    .await
}

pub async fn sync(
    raw: &mut RawClient,
    group: &str,
    generation: i32,
    member: &str,
    assign: &[(&str, &[u8])],
) -> SyncGroupResponse {
    let req = SyncGroupRequest::default()
        .with_group_id(gid(group))
        .with_generation_id(generation)
        .with_member_id(s(member))
        .with_assignments(
            assign
                .iter()
                .map(|(m, a)| {
                    SyncGroupRequestAssignment::default()
                        .with_member_id(s(m))
                        .with_assignment(Bytes::copy_from_slice(a))
                })
                .collect(),
        );
    raw.call(ApiKey::SyncGroup, 3, &req).await
}

pub async fn heartbeat(raw: &mut RawClient, group: &str, generation: i32, member: &str) -> i16 {
    let req = HeartbeatRequest::default()
        .with_group_id(gid(group))
        .with_generation_id(generation)
        .with_member_id(s(member));
    let resp: HeartbeatResponse = raw.call(ApiKey::Heartbeat, 4, &req).await;
    resp.error_code
}

/// A "simple" commit (generation -1, no member) of offsets on `t`.
pub async fn commit(
    raw: &mut RawClient,
    v: i16,
    group: &str,
    t: &str,
    offsets: &[(i32, i64, &str)],
) -> Vec<i16> {
    let req = OffsetCommitRequest::default()
        .with_group_id(gid(group))
        .with_generation_id_or_member_epoch(-1)
        .with_topics(vec![OffsetCommitRequestTopic::default()
            .with_name(topic(t))
            .with_partitions(
                offsets
                    .iter()
                    .map(|(p, o, m)| {
                        OffsetCommitRequestPartition::default()
                            .with_partition_index(*p)
                            .with_committed_offset(*o)
                            .with_committed_leader_epoch(if v >= 6 { 7 } else { -1 })
                            .with_committed_metadata(Some(s(m)))
                    })
                    .collect(),
            )]);
    let resp: OffsetCommitResponse = raw.call(ApiKey::OffsetCommit, v, &req).await;
    resp.topics[0].partitions.iter().map(|p| p.error_code).collect()
}

/// OffsetFetch v7 of the listed partitions (or all with `None`):
/// (top-level error, [(topic, partition, offset, metadata, error)]).
pub async fn fetch_v7(
    raw: &mut RawClient,
    group: &str,
    parts: Option<(&str, Vec<i32>)>,
) -> (i16, Vec<(String, i32, i64, String, i16)>) {
    let req = OffsetFetchRequest::default()
        .with_group_id(gid(group))
        .with_topics(parts.map(|(t, ps)| {
            vec![OffsetFetchRequestTopic::default()
                .with_name(topic(t))
                .with_partition_indexes(ps)]
        }));
    let resp: OffsetFetchResponse = raw.call(ApiKey::OffsetFetch, 7, &req).await;
    let mut out = Vec::new();
    for t in resp.topics {
        for p in t.partitions {
            out.push((
                t.name.0.to_string(),
                p.partition_index,
                p.committed_offset,
                p.metadata.map(|m| m.to_string()).unwrap_or_default(),
                p.error_code,
            ));
        }
    }
    (resp.error_code, out)
}

pub async fn list(
    raw: &mut RawClient,
    v: i16,
    states: &[&str],
    types: &[&str],
) -> Vec<(String, String, String)> {
    let mut req = ListGroupsRequest::default();
    if v >= 4 {
        req.states_filter = states.iter().map(|x| s(x)).collect();
    }
    if v >= 5 {
        req.types_filter = types.iter().map(|x| s(x)).collect();
    }
    let resp: ListGroupsResponse = raw.call(ApiKey::ListGroups, v, &req).await;
    assert_eq!(resp.error_code, NONE);
    let mut out: Vec<_> = resp
        .groups
        .into_iter()
        .map(|g| {
            (
                g.group_id.0.to_string(),
                g.group_state.to_string(),
                g.protocol_type.to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

pub async fn describe(raw: &mut RawClient, v: i16, groups: &[&str]) -> DescribeGroupsResponse {
    let req = DescribeGroupsRequest::default()
        .with_groups(groups.iter().map(|g| gid(g)).collect())
        .with_include_authorized_operations(v >= 3);
    raw.call(ApiKey::DescribeGroups, v, &req).await
}

pub async fn delete_groups(raw: &mut RawClient, groups: &[&str]) -> Vec<(String, i16)> {
    let req = DeleteGroupsRequest::default().with_groups_names(groups.iter().map(|g| gid(g)).collect());
    let resp: DeleteGroupsResponse = raw.call(ApiKey::DeleteGroups, 2, &req).await;
    resp.results
        .into_iter()
        .map(|r| (r.group_id.0.to_string(), r.error_code))
        .collect()
}

pub async fn delete_offsets(
    raw: &mut RawClient,
    group: &str,
    t: &str,
    parts: &[i32],
) -> (i16, Vec<(i32, i16)>) {
    let req = OffsetDeleteRequest::default()
        .with_group_id(gid(group))
        .with_topics(vec![OffsetDeleteRequestTopic::default()
            .with_name(topic(t))
            .with_partitions(
                parts
                    .iter()
                    .map(|p| OffsetDeleteRequestPartition::default().with_partition_index(*p))
                    .collect(),
            )]);
    let resp: OffsetDeleteResponse = raw.call(ApiKey::OffsetDelete, 0, &req).await;
    let parts = resp
        .topics
        .first()
        .map(|t| {
            t.partitions
                .iter()
                .map(|p| (p.partition_index, p.error_code))
                .collect()
        })
        .unwrap_or_default();
    (resp.error_code, parts)
}
