//! Requests built with the crate's own types (independent of our generator),
//! encoded by the crate at every version, accepted by the guard and decoded
//! back to the same value.

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::api_versions_request::ApiVersionsRequest;
use kafka_protocol::messages::broker_heartbeat_request::BrokerHeartbeatRequest;
use kafka_protocol::messages::create_topics_request::{
    CreatableReplicaAssignment, CreatableTopic, CreatableTopicConfig, CreateTopicsRequest,
};
use kafka_protocol::messages::fetch_request::{
    FetchPartition, FetchRequest, FetchTopic, ForgottenTopic, ReplicaState,
};
use kafka_protocol::messages::metadata_request::{MetadataRequest, MetadataRequestTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, ProduceRequest, TopicProduceData};
use kafka_protocol::messages::{BrokerId, RequestKind, TopicName, TransactionalId};
use kafka_protocol::protocol::{Encodable, StrBytes};
use kafka_protocol::records::{Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType};
use uuid::Uuid;

use super::super::{check_request_body, decode_request_body};

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn topic(v: &'static str) -> TopicName {
    TopicName(s(v))
}

/// Encodes with the crate, runs the guard, decodes through the guard and
/// compares with the original.
fn check(api_key: i16, version: i16, req: RequestKind) {
    let mut buf = BytesMut::new();
    req.encode(&mut buf, version)
        .unwrap_or_else(|e| panic!("api {api_key} v{version}: encode: {e}"));
    let body = buf.freeze();
    assert_eq!(
        check_request_body(api_key, version, &body),
        Ok(()),
        "api {api_key} v{version}"
    );
    let decoded = decode_request_body(api_key, version, body)
        .unwrap_or_else(|e| panic!("api {api_key} v{version}: {e}"));
    assert_eq!(decoded, req, "api {api_key} v{version}");
}

fn record_batch() -> Bytes {
    let record = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: 0,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: 1_700_000_000_000,
        key: Some(Bytes::from_static(b"key")),
        value: Some(Bytes::from_static(b"value")),
        headers: Default::default(),
    };
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    RecordBatchEncoder::encode(&mut buf, [&record], &options).unwrap();
    buf.freeze()
}

#[test]
fn produce_every_version() {
    let records = record_batch();
    for v in 3..=13 {
        let mut t = TopicProduceData::default().with_partition_data(vec![
            PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(records.clone())),
            PartitionProduceData::default().with_index(1).with_records(None),
        ]);
        t = if v >= 13 {
            t.with_topic_id(Uuid::from_bytes([7; 16]))
        } else {
            t.with_name(topic("orders"))
        };
        let req = ProduceRequest::default()
            .with_transactional_id(Some(TransactionalId(s("tx-1"))))
            .with_acks(-1)
            .with_timeout_ms(30_000)
            .with_topic_data(vec![t]);
        check(0, v, RequestKind::Produce(req));
    }
}

#[test]
fn produce_records_stay_zero_copy() {
    let mut buf = BytesMut::new();
    let req = ProduceRequest::default().with_topic_data(vec![TopicProduceData::default()
        .with_name(topic("t"))
        .with_partition_data(vec![
            PartitionProduceData::default().with_records(Some(record_batch()))
        ])]);
    req.encode(&mut buf, 9).unwrap();
    let body = buf.freeze();
    let range = body.as_ptr_range();
    let Ok(RequestKind::Produce(decoded)) = decode_request_body(0, 9, body.clone()) else {
        panic!("decode failed");
    };
    let records = decoded.topic_data[0].partition_data[0].records.clone().unwrap();
    assert!(range.contains(&records.as_ptr()), "records were copied");
}

fn fetch_request(v: i16) -> FetchRequest {
    let mut p = FetchPartition::default()
        .with_partition(3)
        .with_fetch_offset(42)
        .with_partition_max_bytes(1 << 20);
    if v >= 5 {
        p = p.with_log_start_offset(0);
    }
    if v >= 9 {
        p = p.with_current_leader_epoch(5);
    }
    if v >= 12 {
        p = p.with_last_fetched_epoch(4);
    }
    if v >= 17 {
        p = p.with_replica_directory_id(Uuid::from_bytes([9; 16]));
    }
    if v >= 18 {
        p = p.with_high_watermark(40);
    }
    let mut t = FetchTopic::default().with_partitions(vec![p.clone(), p.with_partition(4)]);
    t = if v >= 13 {
        t.with_topic_id(Uuid::from_bytes([1; 16]))
    } else {
        t.with_topic(topic("events"))
    };
    let mut req = FetchRequest::default()
        .with_max_wait_ms(500)
        .with_min_bytes(1)
        .with_max_bytes(50 << 20)
        .with_isolation_level(1)
        .with_topics(vec![t]);
    if v <= 14 {
        req = req.with_replica_id(BrokerId(2));
    } else {
        req = req.with_replica_state(
            ReplicaState::default()
                .with_replica_id(BrokerId(2))
                .with_replica_epoch(11),
        );
    }
    if v >= 7 {
        let mut f = ForgottenTopic::default().with_partitions(vec![1, 2]);
        f = if v >= 13 {
            f.with_topic_id(Uuid::from_bytes([2; 16]))
        } else {
            f.with_topic(topic("old"))
        };
        req = req
            .with_session_id(77)
            .with_session_epoch(3)
            .with_forgotten_topics_data(vec![f]);
    }
    if v >= 11 {
        req = req.with_rack_id(s("rack-a"));
    }
    if v >= 12 {
        req = req.with_cluster_id(Some(s("cluster-x")));
    }
    req
}

#[test]
fn fetch_every_version_with_tagged_fields() {
    for v in 4..=18 {
        check(1, v, RequestKind::Fetch(fetch_request(v)));
    }
}

#[test]
fn metadata_every_version() {
    for v in 0..=13 {
        let mut t = MetadataRequestTopic::default().with_name(Some(topic("a")));
        if v >= 10 {
            t = t.with_topic_id(Uuid::from_bytes([3; 16]));
        }
        let mut req = MetadataRequest::default().with_topics(Some(vec![t.clone(), t]));
        if v >= 8 {
            req = req.with_include_topic_authorized_operations(true);
        }
        if (8..=10).contains(&v) {
            req = req.with_include_cluster_authorized_operations(true);
        }
        check(3, v, RequestKind::Metadata(req.clone()));
        if v >= 1 {
            check(3, v, RequestKind::Metadata(req.with_topics(None)));
        }
    }
}

#[test]
fn api_versions_every_version() {
    for v in 0..=4 {
        let mut req = ApiVersionsRequest::default();
        if v >= 3 {
            req = req
                .with_client_software_name(s("kavka-test"))
                .with_client_software_version(s("1.0"))
                .with_unknown_tagged_field(42, Bytes::from_static(b"xyz"));
        }
        check(18, v, RequestKind::ApiVersions(req));
    }
}

#[test]
fn create_topics_every_version() {
    for v in 2..=7 {
        let t = CreatableTopic::default()
            .with_name(topic("new"))
            .with_num_partitions(-1)
            .with_replication_factor(-1)
            .with_assignments(vec![CreatableReplicaAssignment::default()
                .with_partition_index(0)
                .with_broker_ids(vec![BrokerId(1), BrokerId(2)])])
            .with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(s("cleanup.policy"))
                    .with_value(Some(s("compact"))),
                CreatableTopicConfig::default()
                    .with_name(s("retention.ms"))
                    .with_value(None),
            ]);
        let req = CreateTopicsRequest::default()
            .with_topics(vec![t])
            .with_timeout_ms(1000)
            .with_validate_only(v % 2 == 0);
        check(19, v, RequestKind::CreateTopics(req));
    }
}

#[test]
fn broker_heartbeat_with_tagged_array() {
    for v in 0..=1 {
        let mut req = BrokerHeartbeatRequest::default()
            .with_broker_id(BrokerId(1))
            .with_broker_epoch(10)
            .with_current_metadata_offset(99)
            .with_want_fence(true);
        if v >= 1 {
            req = req.with_offline_log_dirs(vec![Uuid::from_bytes([4; 16]), Uuid::from_bytes([5; 16])]);
        }
        check(63, v, RequestKind::BrokerHeartbeat(req));
    }
}
