//! The read-side admin APIs (part of tests/admin.rs, kept apart for size):
//! ListOffsets, OffsetForLeaderEpoch, DescribeCluster, DescribeLogDirs,
//! Metadata with topic ids and auto-creation, and ApiVersions.

use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, HeaderVersion, StrBytes};
use kavka::api::versions::SUPPORTED;
use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};
use uuid::Uuid;

use super::common::raw::RawClient;
use super::common::{TestBroker, TIMEOUT};
use super::helpers::*;
use super::{consumer, listed_topics, INVALID_TOPIC_EXCEPTION, UNKNOWN_LEADER_EPOCH, UNKNOWN_TOPIC_ID};
use super::{INVALID_REQUEST, UNKNOWN_TOPIC_OR_PARTITION, UNSUPPORTED_ENDPOINT_TYPE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offsets_earliest_latest_max_and_by_timestamp() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "times", 2, &[]).await;
    // An empty partition first.
    for v in [1, 7, 10] {
        for ts in [EARLIEST, LATEST] {
            let o = list_offset(&mut c, v, "times", 0, ts).await;
            assert_eq!((o.error_code, o.offset), (0, 0), "v{v} ts {ts}");
        }
    }
    let o = list_offset(&mut c, 7, "times", 0, MAX_TIMESTAMP).await;
    assert_eq!((o.error_code, o.offset, o.timestamp), (0, -1, -1));

    let base = now_ms() - 60_000;
    for delta in [1000, 2000, 3000, 9000, 4000] {
        produce(&b, "times", 0, 1, 10, Some(base + delta)).await;
    }
    for v in 1..=10 {
        let o = list_offset(&mut c, v, "times", 0, EARLIEST).await;
        assert_eq!((o.error_code, o.offset), (0, 0), "v{v} earliest");
        let o = list_offset(&mut c, v, "times", 0, LATEST).await;
        assert_eq!((o.error_code, o.offset), (0, 5), "v{v} latest");
        if v >= 4 {
            assert_eq!(o.leader_epoch, 0, "v{v}");
        }
        // The first record at or after the timestamp.
        let o = list_offset(&mut c, v, "times", 0, base + 2500).await;
        assert_eq!(
            (o.error_code, o.offset, o.timestamp),
            (0, 2, base + 3000),
            "v{v} by time"
        );
        let o = list_offset(&mut c, v, "times", 0, base + 1000).await;
        assert_eq!((o.offset, o.timestamp), (0, base + 1000), "v{v} exact");
        let o = list_offset(&mut c, v, "times", 0, base + 9500).await;
        assert_eq!(
            (o.error_code, o.offset, o.timestamp),
            (0, -1, -1),
            "v{v} after all"
        );
        if v >= 7 {
            let o = list_offset(&mut c, v, "times", 0, MAX_TIMESTAMP).await;
            assert_eq!(
                (o.error_code, o.offset, o.timestamp),
                (0, 3, base + 9000),
                "v{v} max"
            );
        }
        if v >= 8 {
            // EARLIEST_LOCAL: everything is local, so the log start.
            let o = list_offset(&mut c, v, "times", 0, -4).await;
            assert_eq!((o.error_code, o.offset), (0, 0), "v{v} earliest local");
        }
        if v >= 9 {
            // LATEST_TIERED: nothing is in remote storage.
            let o = list_offset(&mut c, v, "times", 0, -5).await;
            assert_eq!((o.error_code, o.offset), (0, -1), "v{v} latest tiered");
        }
        let o = list_offset(&mut c, v, "times", 5, LATEST).await;
        assert_eq!(o.error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
        let o = list_offset(&mut c, v, "nope", 0, LATEST).await;
        assert_eq!(o.error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
    }
    // The same through librdkafka.
    let cons = consumer(&b);
    assert_eq!(cons.fetch_watermarks("times", 0, TIMEOUT).unwrap(), (0, 5));
    assert_eq!(cons.fetch_watermarks("times", 1, TIMEOUT).unwrap(), (0, 0));
    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("times", 0, Offset::Offset(base + 2500))
        .unwrap();
    let found = cons.offsets_for_times(tpl, TIMEOUT).unwrap();
    assert_eq!(
        found.find_partition("times", 0).unwrap().offset(),
        Offset::Offset(2)
    );
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offset_for_leader_epoch() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "epochs", 1, &[]).await;
    async fn ask(
        c: &mut RawClient,
        v: i16,
        name: &str,
        partition: i32,
        epoch: i32,
        current: i32,
    ) -> offset_for_leader_epoch_response::EpochEndOffset {
        let req = OffsetForLeaderEpochRequest::default()
            .with_replica_id(BrokerId(-1))
            .with_topics(vec![
                offset_for_leader_epoch_request::OffsetForLeaderTopic::default()
                    .with_topic(topic(name))
                    .with_partitions(vec![
                        offset_for_leader_epoch_request::OffsetForLeaderPartition::default()
                            .with_partition(partition)
                            .with_leader_epoch(epoch)
                            .with_current_leader_epoch(current),
                    ]),
            ]);
        let r: OffsetForLeaderEpochResponse = c.call(ApiKey::OffsetForLeaderEpoch, v, &req).await;
        r.topics[0].partitions[0].clone()
    }
    for v in 2..=4 {
        let r = ask(&mut c, v, "epochs", 0, 0, -1).await;
        assert_eq!(
            (r.error_code, r.leader_epoch, r.end_offset),
            (0, 0, 0),
            "v{v} fresh"
        );
    }
    produce(&b, "epochs", 0, 3, 10, None).await;
    for v in 2..=4 {
        let r = ask(&mut c, v, "epochs", 0, 0, 0).await;
        assert_eq!((r.error_code, r.leader_epoch, r.end_offset), (0, 0, 3), "v{v}");
        // An epoch newer than any known: UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET.
        let r = ask(&mut c, v, "epochs", 0, 5, -1).await;
        assert_eq!((r.error_code, r.leader_epoch, r.end_offset), (0, -1, -1), "v{v}");
        let r = ask(&mut c, v, "epochs", 0, 0, 3).await;
        assert_eq!(r.error_code, UNKNOWN_LEADER_EPOCH, "v{v}");
        let r = ask(&mut c, v, "nope", 0, 0, -1).await;
        assert_eq!(
            (r.error_code, r.leader_epoch, r.end_offset),
            (UNKNOWN_TOPIC_OR_PARTITION, -1, -1)
        );
        let r = ask(&mut c, v, "epochs", 1, 0, -1).await;
        assert_eq!(r.error_code, UNKNOWN_TOPIC_OR_PARTITION);
    }
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_cluster() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let m = metadata(&mut c, 12, None, false).await;
    let cluster_id = m.cluster_id.expect("cluster id").to_string();
    assert!(!cluster_id.is_empty());
    let port: i32 = b.bootstrap.rsplit_once(':').unwrap().1.parse().unwrap();
    for v in 0..=2 {
        let req = DescribeClusterRequest::default().with_include_fenced_brokers(v >= 2);
        let r: DescribeClusterResponse = c.call(ApiKey::DescribeCluster, v, &req).await;
        assert_eq!(r.error_code, 0, "v{v}");
        assert_eq!(r.cluster_id.as_str(), cluster_id, "v{v}");
        assert_eq!(r.controller_id, BrokerId(1));
        assert_eq!(r.brokers.len(), 1);
        let br = &r.brokers[0];
        assert_eq!(
            (br.broker_id, br.host.as_str(), br.port),
            (BrokerId(1), "127.0.0.1", port)
        );
        assert_eq!(br.rack, None);
        assert!(!br.is_fenced);
        if v >= 1 {
            assert_eq!(r.endpoint_type, 1);
        }
    }
    // A broker describes brokers, not controllers.
    let req = DescribeClusterRequest::default().with_endpoint_type(2);
    let r: DescribeClusterResponse = c.call(ApiKey::DescribeCluster, 1, &req).await;
    assert_eq!(r.error_code, UNSUPPORTED_ENDPOINT_TYPE);
    b.stop().await;

    let b = TestBroker::start_with(&[("broker.rack", "rack-a")]).await;
    let mut c = connect(&b).await;
    let r: DescribeClusterResponse = c
        .call(ApiKey::DescribeCluster, 0, &DescribeClusterRequest::default())
        .await;
    assert_eq!(r.brokers[0].rack.as_deref(), Some("rack-a"));
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn describe_log_dirs_sizes_and_filters() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "dirs", 2, &[]).await;
    create_ok(&mut c, "other", 1, &[]).await;
    let dir = std::fs::canonicalize(b.dir.path()).unwrap();
    let filter = |parts: Vec<(&str, Vec<i32>)>| {
        DescribeLogDirsRequest::default().with_topics(Some(
            parts
                .into_iter()
                .map(|(t, ps)| {
                    describe_log_dirs_request::DescribableLogDirTopic::default()
                        .with_topic(topic(t))
                        .with_partitions(ps)
                })
                .collect(),
        ))
    };
    /// (topic, partition) -> size.
    fn sizes(r: &DescribeLogDirsResponse) -> Vec<(String, i32, i64)> {
        let mut out = Vec::new();
        for t in &r.results[0].topics {
            for p in &t.partitions {
                out.push((t.name.to_string(), p.partition_index, p.partition_size));
            }
        }
        out.sort();
        out
    }
    let all = DescribeLogDirsRequest::default().with_topics(None);
    let before: DescribeLogDirsResponse = c.call(ApiKey::DescribeLogDirs, 4, &all).await;
    assert_eq!(
        sizes(&before),
        vec![
            ("dirs".into(), 0, 0),
            ("dirs".into(), 1, 0),
            ("other".into(), 0, 0)
        ]
    );
    produce(&b, "dirs", 0, 10, 1000, None).await;
    for v in 1..=4 {
        let r: DescribeLogDirsResponse = c.call(ApiKey::DescribeLogDirs, v, &all).await;
        assert_eq!(r.results.len(), 1);
        let res = &r.results[0];
        assert_eq!(res.error_code, 0);
        assert_eq!(res.log_dir.as_str(), dir.to_str().unwrap(), "v{v}");
        let s = sizes(&r);
        assert_eq!(s.len(), 3);
        assert!(s[0].2 >= 10_000, "v{v}: dirs-0 holds 10 kB: {s:?}");
        assert_eq!((s[1].2, s[2].2), (0, 0));
        if v >= 4 {
            assert!(res.total_bytes > 0 && res.usable_bytes > 0 && res.usable_bytes <= res.total_bytes);
        } else {
            assert_eq!((res.total_bytes, res.usable_bytes), (-1, -1));
        }
        let r: DescribeLogDirsResponse = c
            .call(ApiKey::DescribeLogDirs, v, &filter(vec![("dirs", vec![1])]))
            .await;
        assert_eq!(sizes(&r), vec![("dirs".into(), 1, 0)], "v{v}");
        let r: DescribeLogDirsResponse = c
            .call(
                ApiKey::DescribeLogDirs,
                v,
                &filter(vec![("dirs", vec![0, 1, 7]), ("other", vec![0])]),
            )
            .await;
        assert_eq!(sizes(&r).len(), 3, "v{v}");
        let r: DescribeLogDirsResponse = c
            .call(ApiKey::DescribeLogDirs, v, &filter(vec![("nope", vec![0])]))
            .await;
        assert!(r.results[0].topics.is_empty(), "v{v}");
    }
    let first = sizes(&c.call(ApiKey::DescribeLogDirs, 4, &all).await)[0].2;
    produce(&b, "dirs", 0, 5, 1000, None).await;
    let later = sizes(&c.call(ApiKey::DescribeLogDirs, 4, &all).await)[0].2;
    assert!(later >= first + 5000, "{first} -> {later}");
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_topic_ids() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let id = create_ok(&mut c, "ided", 2, &[]).await.topic_id;
    for v in [12, 13] {
        let m = metadata_by_ids(&mut c, v, &[id, Uuid::from_u128(42)]).await;
        assert_eq!(m.topics.len(), 2);
        let t = &m.topics[0];
        assert_eq!(
            (t.error_code, t.name.clone(), t.topic_id),
            (0, Some(topic("ided")), id),
            "v{v}"
        );
        assert_eq!(t.partitions.len(), 2);
        let u = &m.topics[1];
        assert_eq!(u.error_code, UNKNOWN_TOPIC_ID, "v{v}");
        assert_eq!(u.topic_id, Uuid::from_u128(42));
        assert_eq!(u.name, None);
    }
    // Requests by id are a v12 feature; v10 and v11 carry the fields but
    // Kafka refuses them there.
    for v in [10, 11] {
        let m = metadata_by_ids(&mut c, v, &[id]).await;
        assert_eq!(m.topics.len(), 1);
        assert_eq!(m.topics[0].error_code, INVALID_REQUEST, "v{v}");
        assert_eq!(m.topics[0].topic_id, id);
        assert!(m.topics[0].partitions.is_empty());
    }
    for v in 10..=13 {
        let m = metadata(&mut c, v, Some(&["ided"]), false).await;
        assert_eq!(m.topics[0].topic_id, id, "v{v}");
        let m = metadata(&mut c, v, None, false).await;
        assert_eq!(m.topics[0].topic_id, id, "v{v} all topics");
    }
    let m = metadata(&mut c, 9, Some(&["ided"]), false).await;
    assert_eq!(m.topics[0].topic_id, Uuid::nil());
    // v0 has no null list: an empty one asks for every topic; from v1 an
    // empty list asks for none.
    create_ok(&mut c, "second", 1, &[]).await;
    let m = metadata(&mut c, 0, Some(&[]), true).await;
    assert_eq!(m.topics.len(), 2, "v0 empty list");
    for v in [1, 4, 12] {
        let m = metadata(&mut c, v, Some(&[]), true).await;
        assert!(m.topics.is_empty(), "v{v} empty list");
        let m = metadata(&mut c, v, None, true).await;
        assert_eq!(m.topics.len(), 2, "v{v} null list");
    }
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_auto_creation() {
    let b = TestBroker::start_with(&[("num.partitions", "2")]).await;
    let mut c = connect(&b).await;
    for v in 4..=13 {
        let name = format!("opt-out-v{v}");
        let m = metadata(&mut c, v, Some(&[&name]), false).await;
        assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
    }
    assert!(
        listed_topics(&mut c).await.is_empty(),
        "allow_auto_topic_creation=false"
    );
    for v in [0, 3, 4, 12] {
        let name = format!("auto-v{v}");
        let m = metadata(&mut c, v, Some(&[&name]), true).await;
        assert_eq!(m.topics[0].error_code, 0, "v{v}");
        assert_eq!(m.topics[0].partitions.len(), 2, "v{v}: num.partitions");
    }
    let m = metadata(&mut c, 12, Some(&["bad name"]), true).await;
    assert_eq!(m.topics[0].error_code, INVALID_TOPIC_EXCEPTION);
    let mut names = listed_topics(&mut c).await;
    names.sort();
    assert_eq!(names, vec!["auto-v0", "auto-v12", "auto-v3", "auto-v4"]);
    b.stop().await;

    // auto.create.topics.enable=false wins over the client's wish.
    let b = TestBroker::start_with(&[("auto.create.topics.enable", "false")]).await;
    let mut c = connect(&b).await;
    for v in [0, 12] {
        let m = metadata(&mut c, v, Some(&["wished"]), true).await;
        assert_eq!(m.topics[0].error_code, UNKNOWN_TOPIC_OR_PARTITION, "v{v}");
    }
    assert!(listed_topics(&mut c).await.is_empty());
    b.stop().await;
}

/// Sends a default request of `api` at `v` and decodes the response.
async fn call_default<Req, Resp>(c: &mut RawClient, api: ApiKey, v: i16, req: Req)
where
    Req: Encodable + HeaderVersion,
    Resp: Decodable + HeaderVersion,
{
    let _: Resp = c.call(api, v, &req).await;
}

async fn call_any(c: &mut RawClient, api: ApiKey, v: i16) {
    match api {
        ApiKey::Produce => {
            call_default::<_, ProduceResponse>(c, api, v, ProduceRequest::default().with_acks(1)).await
        }
        ApiKey::Fetch => call_default::<_, FetchResponse>(c, api, v, FetchRequest::default()).await,
        ApiKey::ListOffsets => {
            let req = ListOffsetsRequest::default().with_replica_id(BrokerId(-1));
            call_default::<_, ListOffsetsResponse>(c, api, v, req).await
        }
        ApiKey::Metadata => call_default::<_, MetadataResponse>(c, api, v, MetadataRequest::default()).await,
        ApiKey::ApiVersions => {
            let req = ApiVersionsRequest::default()
                .with_client_software_name(StrBytes::from_static_str("admin-test"))
                .with_client_software_version(StrBytes::from_static_str("1"));
            call_default::<_, ApiVersionsResponse>(c, api, v, req).await
        }
        ApiKey::CreateTopics => {
            call_default::<_, CreateTopicsResponse>(c, api, v, CreateTopicsRequest::default()).await
        }
        ApiKey::DeleteTopics => {
            call_default::<_, DeleteTopicsResponse>(c, api, v, DeleteTopicsRequest::default()).await
        }
        ApiKey::DeleteRecords => {
            call_default::<_, DeleteRecordsResponse>(c, api, v, DeleteRecordsRequest::default()).await
        }
        ApiKey::OffsetForLeaderEpoch => {
            let req = OffsetForLeaderEpochRequest::default();
            call_default::<_, OffsetForLeaderEpochResponse>(c, api, v, req).await
        }
        ApiKey::DescribeConfigs => {
            call_default::<_, DescribeConfigsResponse>(c, api, v, DescribeConfigsRequest::default()).await
        }
        ApiKey::AlterConfigs => {
            call_default::<_, AlterConfigsResponse>(c, api, v, AlterConfigsRequest::default()).await
        }
        ApiKey::DescribeLogDirs => {
            call_default::<_, DescribeLogDirsResponse>(c, api, v, DescribeLogDirsRequest::default()).await
        }
        ApiKey::CreatePartitions => {
            let req = CreatePartitionsRequest::default();
            call_default::<_, CreatePartitionsResponse>(c, api, v, req).await
        }
        ApiKey::IncrementalAlterConfigs => {
            let req = IncrementalAlterConfigsRequest::default();
            call_default::<_, IncrementalAlterConfigsResponse>(c, api, v, req).await
        }
        ApiKey::DescribeCluster => {
            call_default::<_, DescribeClusterResponse>(c, api, v, DescribeClusterRequest::default()).await
        }
        // Group coordinator APIs: empty requests (the empty group id gets
        // INVALID_GROUP_ID or an empty answer).
        ApiKey::OffsetCommit => {
            call_default::<_, OffsetCommitResponse>(c, api, v, OffsetCommitRequest::default()).await
        }
        ApiKey::OffsetFetch => {
            call_default::<_, OffsetFetchResponse>(c, api, v, OffsetFetchRequest::default()).await
        }
        ApiKey::FindCoordinator => {
            call_default::<_, FindCoordinatorResponse>(c, api, v, FindCoordinatorRequest::default()).await
        }
        ApiKey::JoinGroup => {
            call_default::<_, JoinGroupResponse>(c, api, v, JoinGroupRequest::default()).await
        }
        ApiKey::Heartbeat => {
            call_default::<_, HeartbeatResponse>(c, api, v, HeartbeatRequest::default()).await
        }
        ApiKey::LeaveGroup => {
            call_default::<_, LeaveGroupResponse>(c, api, v, LeaveGroupRequest::default()).await
        }
        ApiKey::SyncGroup => {
            call_default::<_, SyncGroupResponse>(c, api, v, SyncGroupRequest::default()).await
        }
        ApiKey::DescribeGroups => {
            call_default::<_, DescribeGroupsResponse>(c, api, v, DescribeGroupsRequest::default()).await
        }
        ApiKey::ListGroups => {
            call_default::<_, ListGroupsResponse>(c, api, v, ListGroupsRequest::default()).await
        }
        ApiKey::DeleteGroups => {
            call_default::<_, DeleteGroupsResponse>(c, api, v, DeleteGroupsRequest::default()).await
        }
        ApiKey::OffsetDelete => {
            call_default::<_, OffsetDeleteResponse>(c, api, v, OffsetDeleteRequest::default()).await
        }
        ApiKey::InitProducerId => {
            let req = InitProducerIdRequest::default()
                .with_transactional_id(None)
                .with_producer_id(ProducerId(-1))
                .with_producer_epoch(-1);
            call_default::<_, InitProducerIdResponse>(c, api, v, req).await
        }
        other => panic!("no sample request for {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_versions_lists_exactly_the_implemented_table() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let mut expected: Vec<(i16, i16, i16)> = SUPPORTED
        .iter()
        .map(|(k, lo, hi)| (*k as i16, *lo, *hi))
        .collect();
    expected.sort();
    for v in 0..=4 {
        let req = ApiVersionsRequest::default()
            .with_client_software_name(StrBytes::from_static_str("admin-test"))
            .with_client_software_version(StrBytes::from_static_str("1"));
        let r: ApiVersionsResponse = c.call(ApiKey::ApiVersions, v, &req).await;
        assert_eq!(r.error_code, 0);
        let mut got: Vec<(i16, i16, i16)> = r
            .api_keys
            .iter()
            .map(|k| (k.api_key, k.min_version, k.max_version))
            .collect();
        got.sort();
        assert_eq!(got, expected, "v{v}");
    }
    // The README's compatibility table, so a change to either is noticed.
    let readme: Vec<(i16, i16, i16)> = vec![
        (0, 3, 13),
        (1, 4, 18),
        (2, 1, 10),
        (3, 0, 13),
        (8, 2, 9),
        (9, 1, 9),
        (10, 0, 6),
        (11, 0, 9),
        (12, 0, 4),
        (13, 0, 5),
        (14, 0, 5),
        (15, 0, 6),
        (16, 0, 5),
        (18, 0, 4),
        (19, 2, 7),
        (20, 1, 6),
        (21, 0, 2),
        (22, 0, 5),
        (23, 2, 4),
        (32, 1, 4),
        (33, 0, 2),
        (35, 1, 4),
        (37, 0, 3),
        (42, 0, 2),
        (44, 0, 1),
        (47, 0, 0),
        (60, 0, 2),
    ];
    assert_eq!(expected, readme);
    // Every advertised version answers; one past the range ends the connection.
    for (api, lo, hi) in SUPPORTED {
        for v in *lo..=*hi {
            call_any(&mut c, *api, v).await;
        }
        if *api != ApiKey::ApiVersions {
            let mut other = connect(&b).await;
            // Header only (api key, version, correlation id, null client
            // id): the version is refused before the body is looked at.
            let mut frame = Vec::new();
            frame.extend_from_slice(&(*api as i16).to_be_bytes());
            frame.extend_from_slice(&(*hi + 1).to_be_bytes());
            frame.extend_from_slice(&1i32.to_be_bytes());
            frame.extend_from_slice(&(-1i16).to_be_bytes());
            other.send_frame(&frame).await.unwrap();
            assert!(other.is_closed().await, "{api:?} v{} accepted", hi + 1);
        }
    }
    b.stop().await;
}

/// Kafka (3.8+) answers MAX_TIMESTAMP with the offset of the record that
/// carries the largest timestamp (`RecordBatch.offsetOfMaxTimestamp`), not
/// the batch's last offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_offsets_max_timestamp_inside_a_batch() {
    use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "in-batch", 1, &[]).await;
    let base = now_ms() - 60_000;
    // One batch of three records, the newest timestamp first.
    let p: FutureProducer = b
        .producer_config()
        .set("linger.ms", "200")
        .set("compression.type", "none")
        .create()
        .unwrap();
    let mut acks = Vec::new();
    for d in [9000, 1000, 2000] {
        let rec = FutureRecord::<(), _>::to("in-batch")
            .partition(0)
            .payload("x")
            .timestamp(base + d);
        acks.push(p.send_result(rec).unwrap());
    }
    p.flush(TIMEOUT).unwrap();
    for a in acks {
        a.await.unwrap().unwrap();
    }
    let records = fetch(&mut c, "in-batch", 0, 0, 0).await.records.unwrap();
    assert_eq!(
        i32::from_be_bytes(records[57..61].try_into().unwrap()),
        3,
        "one batch"
    );
    let o = list_offset(&mut c, 7, "in-batch", 0, MAX_TIMESTAMP).await;
    assert_eq!((o.offset, o.timestamp), (0, base + 9000));
    b.stop().await;
}
