//! DeleteRecords and retention (part of tests/admin.rs, kept apart for
//! size): the log start offset as ListOffsets, Fetch and DeleteRecords see
//! it, and segments deleted by time and size after config changes.

use std::time::Duration;

use kafka_protocol::messages::*;
use rdkafka::consumer::Consumer;
use rdkafka::{Offset, TopicPartitionList};

use super::common::raw::RawClient;
use super::common::{TestBroker, TIMEOUT};
use super::helpers::*;
use super::{admin, consumer, opts, OFFSET_OUT_OF_RANGE, UNKNOWN_TOPIC_OR_PARTITION};

// ---- DeleteRecords and retention ----------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delete_records_moves_the_log_start() {
    let b = TestBroker::start().await;
    let mut c = connect(&b).await;
    let a = admin(&b);
    create_ok(&mut c, "trimmed", 1, &[]).await;
    produce(&b, "trimmed", 0, 10, 20, None).await;

    let mut tpl = TopicPartitionList::new();
    tpl.add_partition_offset("trimmed", 0, Offset::Offset(4)).unwrap();
    let r = a.delete_records(&tpl, &opts()).await.unwrap();
    let e = r.find_partition("trimmed", 0).unwrap();
    assert!(e.error().is_ok(), "{:?}", e.error());
    assert_eq!(e.offset(), Offset::Offset(4));

    let cons = consumer(&b);
    assert_eq!(cons.fetch_watermarks("trimmed", 0, TIMEOUT).unwrap(), (4, 10));
    let o = list_offset(&mut c, 7, "trimmed", 0, EARLIEST).await;
    assert_eq!(o.offset, 4);
    let f = fetch(&mut c, "trimmed", 0, 4, 0).await;
    assert_eq!((f.error_code, f.log_start_offset, f.high_watermark), (0, 4, 10));
    let records = f.records.unwrap();
    assert_eq!(
        i64::from_be_bytes(records[0..8].try_into().unwrap()),
        4,
        "first batch"
    );
    let f = fetch(&mut c, "trimmed", 0, 2, 0).await;
    assert_eq!(f.error_code, OFFSET_OUT_OF_RANGE);
    assert_eq!(f.log_start_offset, 4);
    // Lookups by timestamp do not return deleted records either.
    let o = list_offset(&mut c, 7, "trimmed", 0, 0).await;
    assert_eq!((o.error_code, o.offset), (0, 4));

    // Below the current start: nothing changes.
    let r = delete_records(&mut c, "trimmed", 0, 2).await;
    assert_eq!((r.error_code, r.low_watermark), (0, 4));
    // Beyond the high watermark.
    let r = delete_records(&mut c, "trimmed", 0, 11).await;
    assert_eq!(r.error_code, OFFSET_OUT_OF_RANGE);
    assert_eq!(cons.fetch_watermarks("trimmed", 0, TIMEOUT).unwrap(), (4, 10));
    let r = delete_records(&mut c, "trimmed", 3, 1).await;
    assert_eq!(r.error_code, UNKNOWN_TOPIC_OR_PARTITION);
    let r = delete_records(&mut c, "nope", 0, 1).await;
    assert_eq!(r.error_code, UNKNOWN_TOPIC_OR_PARTITION);
    // -1: up to the high watermark.
    let r = delete_records(&mut c, "trimmed", 0, -1).await;
    assert_eq!((r.error_code, r.low_watermark), (0, 10));
    let o = list_offset(&mut c, 7, "trimmed", 0, EARLIEST).await;
    assert_eq!(o.offset, 10);
    // The log keeps going from there.
    assert_eq!(produce(&b, "trimmed", 0, 1, 20, None).await, vec![10]);
    for v in 0..=1 {
        let req = DeleteRecordsRequest::default().with_topics(vec![
            delete_records_request::DeleteRecordsTopic::default()
                .with_name(topic("trimmed"))
                .with_partitions(vec![delete_records_request::DeleteRecordsPartition::default()
                    .with_partition_index(0)
                    .with_offset(11)]),
        ]);
        let r: DeleteRecordsResponse = c.call(ApiKey::DeleteRecords, v, &req).await;
        assert_eq!(r.topics[0].partitions[0].error_code, 0, "v{v}");
        assert_eq!(r.topics[0].partitions[0].low_watermark, 11, "v{v}");
    }
    b.stop().await;
}

/// Base offsets of the segment files in a partition directory, in order.
fn segment_bases(b: &TestBroker, dir: &str) -> Vec<i64> {
    let mut bases: Vec<i64> = std::fs::read_dir(b.dir.path().join(dir))
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".log").map(|n| n.parse().unwrap())
        })
        .collect();
    bases.sort();
    bases
}

/// Polls ListOffsets EARLIEST until it is above `above` (or 5 s pass).
async fn wait_for_log_start(c: &mut RawClient, name: &str, above: i64) -> i64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let o = list_offset(c, 7, name, 0, EARLIEST).await;
        if o.offset > above || tokio::time::Instant::now() >= deadline {
            return o.offset;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_by_time_after_config_changes() {
    let b = TestBroker::start_with(&[("log.retention.check.interval.ms", "200")]).await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "aging", 1, &[]).await;
    let hour_ago = now_ms() - 3_600_000;
    produce(&b, "aging", 0, 4, 300, Some(hour_ago)).await;
    assert_eq!(segment_bases(&b, "aging-0"), vec![0]);
    // Smaller segments take effect for new data.
    let r = incremental_alter(&mut c, "aging", &[("segment.bytes", OP_SET, Some("1000"))], false).await;
    assert_eq!(r.0, 0);
    produce(&b, "aging", 0, 16, 300, Some(hour_ago)).await;
    let segments = segment_bases(&b, "aging-0").len();
    assert!(segments >= 4, "segments after lowering segment.bytes: {segments}");
    // Fresh records keep the segment they land in (and all after it).
    produce(&b, "aging", 0, 2, 300, None).await;
    let fresh_segment = *segment_bases(&b, "aging-0").iter().rfind(|&&o| o <= 20).unwrap();
    assert!(fresh_segment > 0);
    // Default retention (7 days) keeps hour-old data.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(list_offset(&mut c, 7, "aging", 0, EARLIEST).await.offset, 0);

    let r = incremental_alter(&mut c, "aging", &[("retention.ms", OP_SET, Some("60000"))], false).await;
    assert_eq!(r.0, 0);
    // Every segment holding only hour-old records goes.
    let start = wait_for_log_start(&mut c, "aging", fresh_segment - 1).await;
    assert_eq!(start, fresh_segment, "log start after time retention");
    assert_eq!(segment_bases(&b, "aging-0")[0], fresh_segment);
    assert_eq!(list_offset(&mut c, 7, "aging", 0, LATEST).await.offset, 22);
    let f = fetch(&mut c, "aging", 0, start, 0).await;
    assert_eq!((f.error_code, f.log_start_offset), (0, start));
    let f = fetch(&mut c, "aging", 0, 0, 0).await;
    assert_eq!(f.error_code, OFFSET_OUT_OF_RANGE);
    b.stop().await;
}

/// Kafka's time retention also takes the active segment once everything in
/// it has expired: it rolls a new empty segment and deletes the old one, so
/// the log start reaches the log end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_deletes_an_expired_active_segment() {
    let b = TestBroker::start_with(&[("log.retention.check.interval.ms", "200")]).await;
    let mut c = connect(&b).await;
    create_ok(&mut c, "expired", 1, &[("retention.ms", "60000")]).await;
    produce(&b, "expired", 0, 5, 100, Some(now_ms() - 3_600_000)).await;
    let start = wait_for_log_start(&mut c, "expired", 4).await;
    assert_eq!(start, 5);
    assert_eq!(list_offset(&mut c, 7, "expired", 0, LATEST).await.offset, 5);
    assert_eq!(produce(&b, "expired", 0, 1, 100, None).await, vec![5]);
    b.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_by_size() {
    let b = TestBroker::start_with(&[("log.retention.check.interval.ms", "200")]).await;
    let mut c = connect(&b).await;
    create_ok(
        &mut c,
        "sized",
        1,
        &[("segment.bytes", "1000"), ("retention.bytes", "2000")],
    )
    .await;
    produce(&b, "sized", 0, 20, 300, None).await;
    let start = wait_for_log_start(&mut c, "sized", 0).await;
    assert!(start > 0, "retention.bytes did not delete old segments");
    let size = |r: DescribeLogDirsResponse| r.results[0].topics[0].partitions[0].partition_size;
    let req = DescribeLogDirsRequest::default().with_topics(Some(vec![
        describe_log_dirs_request::DescribableLogDirTopic::default()
            .with_topic(topic("sized"))
            .with_partitions(vec![0]),
    ]));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let mut bytes = i64::MAX;
    while tokio::time::Instant::now() < deadline {
        bytes = size(c.call(ApiKey::DescribeLogDirs, 4, &req).await);
        // Kafka deletes whole segments while the rest stays >= retention.bytes.
        if bytes < 2000 + 1000 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!((2000..3000).contains(&bytes), "partition size {bytes}");
    assert_eq!(list_offset(&mut c, 7, "sized", 0, LATEST).await.offset, 20);
    b.stop().await;
}
