//! Record validation and addressing over a raw socket: CRC / size / format
//! errors, acks=0 taking no response slot, Produce v13 and Fetch v13+ by
//! topic id, and Fetch's byte limits.

mod common;

use bytes::Bytes;
use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, StrBytes};
use kavka_log::records::{encode_batch, BatchSpec, Record};

const CORRUPT_MESSAGE: i16 = 2;
const MESSAGE_TOO_LARGE: i16 = 10;
const UNSUPPORTED_FOR_MESSAGE_FORMAT: i16 = 43;
const INVALID_RECORD: i16 = 87;
const UNKNOWN_TOPIC_ID: i16 = 100;

fn topic(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

fn batch(n: usize, value_size: usize) -> Vec<u8> {
    let records: Vec<Record> = (0..n)
        .map(|i| {
            Record::new(
                1_000 + i as i64,
                Some(format!("k{i}").into_bytes()),
                Some(vec![b'v'; value_size]),
            )
        })
        .collect();
    encode_batch(&BatchSpec::new(0), &records)
}

async fn create(c: &mut RawClient, name: &str, partitions: i32, configs: &[(&str, &str)]) -> uuid::Uuid {
    let req =
        CreateTopicsRequest::default().with_topics(vec![create_topics_request::CreatableTopic::default()
            .with_name(topic(name))
            .with_num_partitions(partitions)
            .with_replication_factor(1)
            .with_configs(
                configs
                    .iter()
                    .map(|(k, v)| {
                        create_topics_request::CreatableTopicConfig::default()
                            .with_name(StrBytes::from_string(k.to_string()))
                            .with_value(Some(StrBytes::from_string(v.to_string())))
                    })
                    .collect(),
            )]);
    let resp: CreateTopicsResponse = c.call(ApiKey::CreateTopics, 7, &req).await;
    assert_eq!(resp.topics[0].error_code, 0, "{:?}", resp.topics[0].error_message);
    resp.topics[0].topic_id
}

fn produce_req(name: &str, id: uuid::Uuid, acks: i16, records: Vec<u8>) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_timeout_ms(5000)
        .with_topic_data(vec![produce_request::TopicProduceData::default()
            .with_name(topic(name))
            .with_topic_id(id)
            .with_partition_data(vec![produce_request::PartitionProduceData::default()
                .with_index(0)
                .with_records(Some(Bytes::from(records)))])])
}

async fn produce(
    c: &mut RawClient,
    v: i16,
    name: &str,
    id: uuid::Uuid,
    records: Vec<u8>,
) -> produce_response::PartitionProduceResponse {
    let mut req = produce_req(name, id, 1, records);
    if v < 13 {
        req.topic_data[0].topic_id = uuid::Uuid::nil();
    } else {
        req.topic_data[0].name = TopicName::default();
    }
    let resp: ProduceResponse = c.call(ApiKey::Produce, v, &req).await;
    resp.responses[0].partition_responses[0].clone()
}

#[tokio::test]
async fn batch_validation_errors() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    let id = create(&mut c, "val", 1, &[("max.message.bytes", "5000")]).await;

    let ok = produce(&mut c, 9, "val", id, batch(3, 10)).await;
    assert_eq!((ok.error_code, ok.base_offset), (0, 0));

    // A flipped byte inside the CRC-covered part of the batch.
    let mut bad = batch(3, 10);
    let last = bad.len() - 1;
    bad[last] ^= 0xff;
    let r = produce(&mut c, 9, "val", id, bad).await;
    assert_eq!(r.error_code, CORRUPT_MESSAGE);
    assert!(r.error_message.is_some(), "v8+ carries a message");

    // Too large for the topic's max.message.bytes.
    let r = produce(&mut c, 9, "val", id, batch(1, 6000)).await;
    assert_eq!(r.error_code, MESSAGE_TOO_LARGE);

    // Magic 1 (old message format) is not accepted.
    let mut old = batch(1, 10);
    old[16] = 1;
    let r = produce(&mut c, 9, "val", id, old).await;
    assert!(
        [UNSUPPORTED_FOR_MESSAGE_FORMAT, CORRUPT_MESSAGE].contains(&r.error_code),
        "magic 1 -> {}",
        r.error_code
    );

    // lastOffsetDelta that does not match the record count.
    let mut inconsistent = batch(3, 10);
    inconsistent[23..27].copy_from_slice(&5i32.to_be_bytes());
    kavka_log::batch::write_crc(&mut inconsistent);
    let r = produce(&mut c, 9, "val", id, inconsistent).await;
    assert_eq!(r.error_code, INVALID_RECORD);

    // A truncated batch.
    let mut cut = batch(3, 10);
    cut.truncate(cut.len() - 5);
    let r = produce(&mut c, 9, "val", id, cut).await;
    assert_ne!(r.error_code, 0);

    // Nothing of the bad batches was written: the next offset is 3.
    let ok = produce(&mut c, 9, "val", id, batch(1, 10)).await;
    assert_eq!((ok.error_code, ok.base_offset), (0, 3));
    b.stop().await;
}

/// acks=0 gets no response and takes no slot: the next response on the
/// connection answers the next request.
#[tokio::test]
async fn acks_zero_takes_no_response_slot() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "quiet", 1, &[]).await;
    let frame = RawClient::encode(
        ApiKey::Produce,
        9,
        4242,
        &produce_req("quiet", uuid::Uuid::nil(), 0, batch(2, 5)),
    );
    c.send_frame(&frame).await.unwrap();
    let av = ApiVersionsRequest::default();
    let frame = RawClient::encode(ApiKey::ApiVersions, 0, 4243, &av);
    c.send_frame(&frame).await.unwrap();
    let mut resp = c.read_frame().await.unwrap();
    let h = ResponseHeader::decode(&mut resp, 0).unwrap();
    assert_eq!(h.correlation_id, 4243);
    // The acks=0 write did happen.
    let lo: ListOffsetsResponse = c
        .call(
            ApiKey::ListOffsets,
            5,
            &ListOffsetsRequest::default().with_topics(vec![
                list_offsets_request::ListOffsetsTopic::default()
                    .with_name(topic("quiet"))
                    .with_partitions(vec![
                        list_offsets_request::ListOffsetsPartition::default().with_timestamp(-1)
                    ]),
            ]),
        )
        .await;
    assert_eq!(lo.topics[0].partitions[0].offset, 2);
    b.stop().await;
}

#[tokio::test]
async fn produce_v13_and_fetch_v13_by_topic_id() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    let id = create(&mut c, "byid", 1, &[]).await;
    assert!(!id.is_nil());
    let r = produce(&mut c, 13, "byid", id, batch(4, 8)).await;
    assert_eq!((r.error_code, r.base_offset), (0, 0));
    let r = produce(&mut c, 13, "byid", uuid::Uuid::from_u128(42), batch(1, 8)).await;
    assert_eq!(r.error_code, UNKNOWN_TOPIC_ID);

    for v in [13, 16, 18] {
        let req = FetchRequest::default()
            .with_max_wait_ms(100)
            .with_max_bytes(1 << 20)
            .with_topics(vec![fetch_request::FetchTopic::default()
                .with_topic_id(id)
                .with_partitions(vec![
                    fetch_request::FetchPartition::default().with_partition_max_bytes(1 << 20)
                ])]);
        let resp: FetchResponse = c.call(ApiKey::Fetch, v, &req).await;
        let t = &resp.responses[0];
        assert_eq!(t.topic_id, id);
        let p = &t.partitions[0];
        assert_eq!(p.error_code, 0);
        assert_eq!(p.high_watermark, 4);
        let records = p.records.clone().unwrap();
        let hdr = kavka_log::BatchHeader::parse(&records).unwrap();
        assert_eq!((hdr.base_offset, hdr.records_count), (0, 4));
    }
    // Unknown id in a fetch.
    let req =
        FetchRequest::default()
            .with_max_wait_ms(10)
            .with_topics(vec![fetch_request::FetchTopic::default()
                .with_topic_id(uuid::Uuid::from_u128(7))
                .with_partitions(vec![
                    fetch_request::FetchPartition::default().with_partition_max_bytes(1000)
                ])]);
    let resp: FetchResponse = c.call(ApiKey::Fetch, 13, &req).await;
    assert_eq!(resp.responses[0].partitions[0].error_code, UNKNOWN_TOPIC_ID);
    b.stop().await;
}

/// Fetch limits: the response's max_bytes and each partition's max bytes
/// bound what comes back, but the first batch is always returned whole so a
/// consumer never stalls (KIP-74).
#[tokio::test]
async fn fetch_byte_limits() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    create(&mut c, "lim", 2, &[]).await;
    for part in 0..2 {
        for _ in 0..5 {
            let mut req = produce_req("lim", uuid::Uuid::nil(), 1, batch(10, 100));
            req.topic_data[0].partition_data[0].index = part;
            let _: ProduceResponse = c.call(ApiKey::Produce, 9, &req).await;
        }
    }
    let one = batch(10, 100).len();
    let fetch = |max: i32, part_max: i32| {
        FetchRequest::default()
            .with_max_wait_ms(10)
            .with_max_bytes(max)
            .with_topics(vec![fetch_request::FetchTopic::default()
                .with_topic(topic("lim"))
                .with_partitions(
                    (0..2)
                        .map(|p| {
                            fetch_request::FetchPartition::default()
                                .with_partition(p)
                                .with_partition_max_bytes(part_max)
                        })
                        .collect(),
                )])
    };
    // Per-partition limit of 2.5 batches: two whole batches each.
    let resp: FetchResponse = c
        .call(ApiKey::Fetch, 11, &fetch(1 << 20, (one * 5 / 2) as i32))
        .await;
    for p in &resp.responses[0].partitions {
        assert_eq!(
            p.records.as_ref().unwrap().len(),
            2 * one,
            "partition {}",
            p.partition_index
        );
    }
    // A limit below one batch still returns the first batch whole.
    let resp: FetchResponse = c.call(ApiKey::Fetch, 11, &fetch(10, 10)).await;
    let sizes: Vec<usize> = resp.responses[0]
        .partitions
        .iter()
        .map(|p| p.records.as_ref().unwrap().len())
        .collect();
    assert_eq!(sizes[0], one);
    assert_eq!(
        sizes[1], 0,
        "the response limit is used up by the first partition"
    );
    // Reading past the end is OFFSET_OUT_OF_RANGE with the log bounds.
    let mut req = fetch(1 << 20, 1 << 20);
    req.topics[0].partitions[0].fetch_offset = 1000;
    let resp: FetchResponse = c.call(ApiKey::Fetch, 11, &req).await;
    let p = &resp.responses[0].partitions[0];
    assert_eq!(p.error_code, 1);
    assert_eq!(p.high_watermark, 50);
    b.stop().await;
}
