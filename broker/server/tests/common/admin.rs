//! Helpers for the admin-API tests (tests/admin.rs): request builders and
//! one-call wrappers over `RawClient` for the APIs rdkafka lacks or does not
//! expose in full (versions, messages, sources, topic ids), plus an rdkafka
//! producer that writes one batch per record so segment sizes are predictable.

use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use rdkafka::producer::{FutureProducer, FutureRecord};
use uuid::Uuid;

use super::common::raw::RawClient;
use super::common::{TestBroker, TIMEOUT};

pub const RESOURCE_TOPIC: i8 = 2;
pub const RESOURCE_BROKER: i8 = 4;

/// IncrementalAlterConfigs operations.
pub const OP_SET: i8 = 0;
pub const OP_DELETE: i8 = 1;
pub const OP_APPEND: i8 = 2;
pub const OP_SUBTRACT: i8 = 3;

/// DescribeConfigs sources.
pub const SRC_TOPIC: i8 = 1;
pub const SRC_STATIC_BROKER: i8 = 4;
pub const SRC_DEFAULT: i8 = 5;

/// ListOffsets special timestamps.
pub const LATEST: i64 = -1;
pub const EARLIEST: i64 = -2;
pub const MAX_TIMESTAMP: i64 = -3;

pub fn topic(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

pub fn s(v: &str) -> StrBytes {
    StrBytes::from_string(v.to_string())
}

pub async fn connect(b: &TestBroker) -> RawClient {
    RawClient::connect(&b.bootstrap).await
}

/// A CreateTopics entry; -1 asks for the broker default.
pub fn new_topic(
    name: &str,
    partitions: i32,
    rf: i16,
    configs: &[(&str, &str)],
) -> create_topics_request::CreatableTopic {
    create_topics_request::CreatableTopic::default()
        .with_name(topic(name))
        .with_num_partitions(partitions)
        .with_replication_factor(rf)
        .with_configs(
            configs
                .iter()
                .map(|(k, v)| {
                    create_topics_request::CreatableTopicConfig::default()
                        .with_name(s(k))
                        .with_value(Some(s(v)))
                })
                .collect(),
        )
}

pub async fn create_topics(
    c: &mut RawClient,
    v: i16,
    topics: Vec<create_topics_request::CreatableTopic>,
    validate_only: bool,
) -> CreateTopicsResponse {
    let req = CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(5000)
        .with_validate_only(validate_only);
    c.call(ApiKey::CreateTopics, v, &req).await
}

/// Creates one topic at v7 and returns its result, asserting success.
pub async fn create_ok(
    c: &mut RawClient,
    name: &str,
    partitions: i32,
    configs: &[(&str, &str)],
) -> create_topics_response::CreatableTopicResult {
    let r = create_topics(c, 7, vec![new_topic(name, partitions, 1, configs)], false).await;
    let t = r.topics.into_iter().next().expect("one result");
    assert_eq!(t.error_code, 0, "create {name}: {:?}", t.error_message);
    t
}

/// Metadata for `names` (None = all topics).
pub async fn metadata(
    c: &mut RawClient,
    v: i16,
    names: Option<&[&str]>,
    allow_auto: bool,
) -> MetadataResponse {
    let topics = names.map(|ns| {
        ns.iter()
            .map(|n| metadata_request::MetadataRequestTopic::default().with_name(Some(topic(n))))
            .collect()
    });
    let req = MetadataRequest::default()
        .with_topics(topics)
        .with_allow_auto_topic_creation(allow_auto);
    c.call(ApiKey::Metadata, v, &req).await
}

pub async fn metadata_by_ids(c: &mut RawClient, v: i16, ids: &[Uuid]) -> MetadataResponse {
    let topics = ids
        .iter()
        .map(|id| {
            metadata_request::MetadataRequestTopic::default()
                .with_name(None)
                .with_topic_id(*id)
        })
        .collect();
    let req = MetadataRequest::default()
        .with_topics(Some(topics))
        .with_allow_auto_topic_creation(false);
    c.call(ApiKey::Metadata, v, &req).await
}

/// The topic id Metadata (v12) reports for `name`.
pub async fn topic_id(c: &mut RawClient, name: &str) -> Uuid {
    let m = metadata(c, 12, Some(&[name]), false).await;
    assert_eq!(m.topics[0].error_code, 0, "metadata of {name}");
    m.topics[0].topic_id
}

pub async fn list_offset(
    c: &mut RawClient,
    v: i16,
    name: &str,
    partition: i32,
    timestamp: i64,
) -> list_offsets_response::ListOffsetsPartitionResponse {
    let req = ListOffsetsRequest::default()
        .with_replica_id(BrokerId(-1))
        .with_topics(vec![list_offsets_request::ListOffsetsTopic::default()
            .with_name(topic(name))
            .with_partitions(vec![
                list_offsets_request::ListOffsetsPartition::default()
                    .with_partition_index(partition)
                    .with_timestamp(timestamp),
            ])]);
    let r: ListOffsetsResponse = c.call(ApiKey::ListOffsets, v, &req).await;
    r.topics[0].partitions[0].clone()
}

/// One partition of a Fetch (v12, by name) that waits at most `wait_ms`.
pub async fn fetch(
    c: &mut RawClient,
    name: &str,
    partition: i32,
    offset: i64,
    wait_ms: i32,
) -> fetch_response::PartitionData {
    let req = FetchRequest::default()
        .with_max_wait_ms(wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![fetch_request::FetchTopic::default()
            .with_topic(topic(name))
            .with_partitions(vec![fetch_request::FetchPartition::default()
                .with_partition(partition)
                .with_fetch_offset(offset)
                .with_partition_max_bytes(1 << 20)])]);
    let r: FetchResponse = c.call(ApiKey::Fetch, 12, &req).await;
    r.responses[0].partitions[0].clone()
}

pub async fn describe_configs(
    c: &mut RawClient,
    v: i16,
    resource_type: i8,
    name: &str,
    keys: Option<&[&str]>,
    synonyms: bool,
    docs: bool,
) -> describe_configs_response::DescribeConfigsResult {
    let req = DescribeConfigsRequest::default()
        .with_include_synonyms(synonyms)
        .with_include_documentation(docs)
        .with_resources(vec![describe_configs_request::DescribeConfigsResource::default()
            .with_resource_type(resource_type)
            .with_resource_name(s(name))
            .with_configuration_keys(keys.map(|ks| ks.iter().map(|k| s(k)).collect()))]);
    let r: DescribeConfigsResponse = c.call(ApiKey::DescribeConfigs, v, &req).await;
    r.results.into_iter().next().expect("one result")
}

/// A topic's described config entry by name.
pub async fn topic_config(
    c: &mut RawClient,
    name: &str,
    key: &str,
) -> describe_configs_response::DescribeConfigsResourceResult {
    let r = describe_configs(c, 4, RESOURCE_TOPIC, name, Some(&[key]), false, false).await;
    assert_eq!(r.error_code, 0, "describe {name}: {:?}", r.error_message);
    r.configs
        .into_iter()
        .find(|e| e.name.as_str() == key)
        .unwrap_or_else(|| panic!("{key} not described"))
}

/// IncrementalAlterConfigs on one topic: (key, op, value). Returns the
/// resource's (error code, message).
pub async fn incremental_alter(
    c: &mut RawClient,
    name: &str,
    ops: &[(&str, i8, Option<&str>)],
    validate_only: bool,
) -> (i16, Option<String>) {
    let req = IncrementalAlterConfigsRequest::default()
        .with_validate_only(validate_only)
        .with_resources(vec![
            incremental_alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(RESOURCE_TOPIC)
                .with_resource_name(s(name))
                .with_configs(
                    ops.iter()
                        .map(|(k, op, v)| {
                            incremental_alter_configs_request::AlterableConfig::default()
                                .with_name(s(k))
                                .with_config_operation(*op)
                                .with_value(v.map(s))
                        })
                        .collect(),
                ),
        ]);
    let r: IncrementalAlterConfigsResponse = c.call(ApiKey::IncrementalAlterConfigs, 1, &req).await;
    let res = &r.responses[0];
    (res.error_code, res.error_message.as_ref().map(|m| m.to_string()))
}

pub async fn delete_records(
    c: &mut RawClient,
    name: &str,
    partition: i32,
    offset: i64,
) -> delete_records_response::DeleteRecordsPartitionResult {
    let req = DeleteRecordsRequest::default()
        .with_timeout_ms(5000)
        .with_topics(vec![delete_records_request::DeleteRecordsTopic::default()
            .with_name(topic(name))
            .with_partitions(vec![
                delete_records_request::DeleteRecordsPartition::default()
                    .with_partition_index(partition)
                    .with_offset(offset),
            ])]);
    let r: DeleteRecordsResponse = c.call(ApiKey::DeleteRecords, 2, &req).await;
    r.topics[0].partitions[0].clone()
}

/// Produces `n` records of `size` bytes to one partition, one batch each
/// (each send is awaited before the next), with the given timestamp (None:
/// now). Returns the offsets.
pub async fn produce(
    b: &TestBroker,
    name: &str,
    partition: i32,
    n: usize,
    size: usize,
    ts: Option<i64>,
) -> Vec<i64> {
    let producer: FutureProducer = b
        .producer_config()
        .set("compression.type", "none")
        .set("linger.ms", "0")
        .create()
        .unwrap();
    let payload = vec![b'x'; size];
    let mut offsets = Vec::with_capacity(n);
    for _ in 0..n {
        let mut rec = FutureRecord::<(), _>::to(name)
            .partition(partition)
            .payload(&payload);
        if let Some(ts) = ts {
            rec = rec.timestamp(ts);
        }
        let d = producer.send(rec, TIMEOUT).await.map_err(|(e, _)| e).unwrap();
        assert_eq!(d.partition, partition);
        offsets.push(d.offset);
    }
    offsets
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
