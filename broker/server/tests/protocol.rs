//! Protocol edge rules over a raw socket: ApiVersions fallback (KIP-511),
//! malformed frames closing only their own connection, huge lengths, and the
//! APIs rdkafka does not expose (DescribeCluster, DescribeLogDirs,
//! IncrementalAlterConfigs, OffsetForLeaderEpoch, ListOffsets max timestamp,
//! DeleteRecords, topic ids in Metadata/Fetch/Produce).

mod common;

use common::raw::RawClient;
use common::TestBroker;
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use tokio::io::AsyncWriteExt;

fn topic(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

async fn api_versions(c: &mut RawClient, v: i16) -> ApiVersionsResponse {
    let req = ApiVersionsRequest::default()
        .with_client_software_name(StrBytes::from_static_str("raw"))
        .with_client_software_version(StrBytes::from_static_str("1"));
    c.call(ApiKey::ApiVersions, v, &req).await
}

#[tokio::test]
async fn api_versions_all_versions_and_unknown_version_fallback() {
    let b = TestBroker::start().await;
    let mut c = RawClient::connect(&b.bootstrap).await;
    for v in 0..=4 {
        let r = api_versions(&mut c, v).await;
        assert_eq!(r.error_code, 0);
        assert!(r
            .api_keys
            .iter()
            .any(|k| k.api_key == ApiKey::Produce as i16 && k.max_version >= 9));
    }
    // A version from the future: v0 answer with UNSUPPORTED_VERSION (35).
    let mut frame = Vec::new();
    frame.extend_from_slice(&18i16.to_be_bytes());
    frame.extend_from_slice(&99i16.to_be_bytes());
    frame.extend_from_slice(&7i32.to_be_bytes());
    frame.extend_from_slice(&(-1i16).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0]); // whatever a future version holds
    c.send_frame(&frame).await.unwrap();
    let mut resp = c.read_frame().await.expect("an answer, not a close");
    use kafka_protocol::protocol::Decodable;
    let h = ResponseHeader::decode(&mut resp, 0).unwrap();
    assert_eq!(h.correlation_id, 7);
    let r = ApiVersionsResponse::decode(&mut resp, 0).unwrap();
    assert_eq!(r.error_code, 35);
    assert!(!r.api_keys.is_empty());
    b.stop().await;
}

#[tokio::test]
async fn malformed_input_closes_only_that_connection() {
    let b = TestBroker::start_with(&[("socket.request.max.bytes", "1048576")]).await;
    let mut healthy = RawClient::connect(&b.bootstrap).await;
    api_versions(&mut healthy, 3).await;

    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("garbage", b"\x00\x00\x00\x08garbage!".to_vec()),
        ("oversized length", 0x7fff_ffffi32.to_be_bytes().to_vec()),
        ("negative length", (-5i32).to_be_bytes().to_vec()),
        ("unknown api key", {
            let mut f = 10i32.to_be_bytes().to_vec();
            f.extend_from_slice(&[0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff]);
            f
        }),
        ("unsupported produce version", {
            let mut f = 10i32.to_be_bytes().to_vec();
            f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 0xff, 0xff]);
            f
        }),
        ("truncated header", vec![0, 0, 0, 3, 0, 3, 0]),
    ];
    for (name, bytes) in cases {
        let mut c = RawClient::connect(&b.bootstrap).await;
        c.send_raw(&bytes).await.unwrap();
        assert!(c.is_closed().await, "{name}: connection should be closed");
        // Everyone else is unaffected.
        api_versions(&mut healthy, 3).await;
    }
    // A frame cut off mid-way followed by EOF.
    {
        let mut c = RawClient::connect(&b.bootstrap).await;
        c.send_raw(&[0, 0, 0, 100, 0, 18, 0, 3]).await.unwrap();
        c.stream.shutdown().await.ok();
    }
    api_versions(&mut healthy, 3).await;
    b.stop().await;
}

/// Every supported request, encoded validly, then with each 4-byte big-endian
/// integer position overwritten by a huge count: the broker answers or closes
/// that connection, and stays up for everyone else.
#[tokio::test]
async fn huge_lengths_never_take_the_broker_down() {
    use kafka_protocol::protocol::Encodable;
    let b = TestBroker::start().await;
    let mut healthy = RawClient::connect(&b.bootstrap).await;
    let frames = sample_requests();
    let mut sent = 0;
    for (api, v, frame) in frames {
        // Positions after the fixed header (api key, version, correlation id).
        for pos in 8..frame.len().saturating_sub(3) {
            for huge in [0x7fff_ffffu32, 0x4000_0000, 0xffff_fff0] {
                let mut f = frame.to_vec();
                f[pos..pos + 4].copy_from_slice(&huge.to_be_bytes());
                let mut c = RawClient::connect(&b.bootstrap).await;
                c.send_frame(&f).await.unwrap();
                // Either a response or a close; never a hang or a crash.
                let _ = tokio::time::timeout(std::time::Duration::from_millis(200), c.read_frame()).await;
                sent += 1;
            }
            // Varint-style huge lengths (flexible versions).
            let mut f = frame.to_vec();
            if pos + 5 <= f.len() {
                f[pos..pos + 5].copy_from_slice(&[0xff, 0xff, 0xff, 0xff, 0x0f]);
                let mut c = RawClient::connect(&b.bootstrap).await;
                c.send_frame(&f).await.unwrap();
                let _ = tokio::time::timeout(std::time::Duration::from_millis(200), c.read_frame()).await;
            }
        }
        let r = api_versions(&mut healthy, 3).await;
        assert_eq!(r.error_code, 0, "broker unhealthy after mutating {api:?} v{v}");
        let _ = Encodable::compute_size(&r, 3);
    }
    assert!(sent > 100);
    b.stop().await;
}

/// Small valid requests of every supported API, some at their lowest and
/// highest versions.
fn sample_requests() -> Vec<(ApiKey, i16, bytes::Bytes)> {
    let t = topic("t");
    let mut out = Vec::new();
    for v in [0, 4, 9, 12, 13] {
        let req = MetadataRequest::default().with_topics(Some(vec![
            metadata_request::MetadataRequestTopic::default().with_name(Some(t.clone())),
        ]));
        out.push((
            ApiKey::Metadata,
            v,
            RawClient::encode(ApiKey::Metadata, v, 1, &req),
        ));
    }
    for v in [3, 9, 12] {
        let req = ProduceRequest::default()
            .with_acks(1)
            .with_timeout_ms(1000)
            .with_topic_data(vec![produce_request::TopicProduceData::default()
                .with_name(t.clone())
                .with_partition_data(vec![produce_request::PartitionProduceData::default()
                    .with_index(0)
                    .with_records(Some(bytes::Bytes::from_static(&[0u8; 70])))])]);
        out.push((ApiKey::Produce, v, RawClient::encode(ApiKey::Produce, v, 1, &req)));
    }
    for v in [4, 11, 12] {
        let req = FetchRequest::default().with_max_wait_ms(10).with_topics(vec![
            fetch_request::FetchTopic::default()
                .with_topic(t.clone())
                .with_partitions(vec![
                    fetch_request::FetchPartition::default().with_partition_max_bytes(1000)
                ]),
        ]);
        out.push((ApiKey::Fetch, v, RawClient::encode(ApiKey::Fetch, v, 1, &req)));
    }
    for v in [2, 5, 7] {
        let req =
            CreateTopicsRequest::default().with_topics(vec![create_topics_request::CreatableTopic::default(
            )
            .with_name(topic("huge-test"))
            .with_num_partitions(1)
            .with_replication_factor(1)
            .with_configs(vec![create_topics_request::CreatableTopicConfig::default()
                .with_name(StrBytes::from_static_str("retention.ms"))
                .with_value(Some(StrBytes::from_static_str("1000")))])]);
        out.push((
            ApiKey::CreateTopics,
            v,
            RawClient::encode(ApiKey::CreateTopics, v, 1, &req),
        ));
    }
    for v in [1, 4] {
        let req =
            ListOffsetsRequest::default().with_topics(vec![list_offsets_request::ListOffsetsTopic::default(
            )
            .with_name(t.clone())
            .with_partitions(vec![
                list_offsets_request::ListOffsetsPartition::default().with_timestamp(-1)
            ])]);
        out.push((
            ApiKey::ListOffsets,
            v,
            RawClient::encode(ApiKey::ListOffsets, v, 1, &req),
        ));
    }
    for v in [1, 4] {
        let req = DescribeConfigsRequest::default().with_resources(vec![
            describe_configs_request::DescribeConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t"))
                .with_configuration_keys(Some(vec![StrBytes::from_static_str("retention.ms")])),
        ]);
        out.push((
            ApiKey::DescribeConfigs,
            v,
            RawClient::encode(ApiKey::DescribeConfigs, v, 1, &req),
        ));
    }
    for v in [0, 1] {
        let req = IncrementalAlterConfigsRequest::default().with_resources(vec![
            incremental_alter_configs_request::AlterConfigsResource::default()
                .with_resource_type(2)
                .with_resource_name(StrBytes::from_static_str("t"))
                .with_configs(vec![incremental_alter_configs_request::AlterableConfig::default(
                )
                .with_name(StrBytes::from_static_str("retention.ms"))
                .with_value(Some(StrBytes::from_static_str("5")))]),
        ]);
        out.push((
            ApiKey::IncrementalAlterConfigs,
            v,
            RawClient::encode(ApiKey::IncrementalAlterConfigs, v, 1, &req),
        ));
    }
    for v in [1, 4] {
        let req = DescribeLogDirsRequest::default().with_topics(Some(vec![
            describe_log_dirs_request::DescribableLogDirTopic::default()
                .with_topic(t.clone())
                .with_partitions(vec![0, 1]),
        ]));
        out.push((
            ApiKey::DescribeLogDirs,
            v,
            RawClient::encode(ApiKey::DescribeLogDirs, v, 1, &req),
        ));
    }
    for v in [1, 6] {
        let mut req = DeleteTopicsRequest::default();
        if v >= 6 {
            req.topics =
                vec![delete_topics_request::DeleteTopicState::default().with_name(Some(topic("zz")))];
        } else {
            req.topic_names = vec![topic("zz")];
        }
        out.push((
            ApiKey::DeleteTopics,
            v,
            RawClient::encode(ApiKey::DeleteTopics, v, 1, &req),
        ));
    }
    out
}
