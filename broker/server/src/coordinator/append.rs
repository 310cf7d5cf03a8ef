//! Writing coordinator records to `__consumer_offsets` through the same
//! append path a produce uses, and waiting until they are committed (below
//! the high watermark) before anyone is told they happened.

use std::time::{Duration, Instant};

use bytes::Bytes;
use kavka_log::records::{encode_batch, BatchSpec, Record as LogRecord};

use super::OFFSETS_TOPIC;
use crate::api::errors::{ApiError, ErrorCode};
use crate::broker::Broker;
use crate::group::{AppendError, Record};
use crate::time::now_ms;

/// Batches stay well below the default `max.message.bytes` (1 MiB), so a
/// large expiry or deletion is written in several batches.
const MAX_BATCH_BYTES: usize = 512 * 1024;

/// Encodes records as v2 batches of a non-idempotent producer (producer id
/// -1), as Kafka's coordinator writes them. Each batch holds records up to
/// [`MAX_BATCH_BYTES`] (at least one).
pub(super) fn encode_batches(records: &[Record], timestamp: i64) -> Vec<Bytes> {
    let mut out = Vec::new();
    let mut current: Vec<LogRecord> = Vec::new();
    let mut size = 0;
    for r in records {
        let len = r.key.len() + r.value.as_ref().map_or(0, Bytes::len) + 32;
        if !current.is_empty() && size + len > MAX_BATCH_BYTES {
            out.push(Bytes::from(encode_batch(&BatchSpec::new(0), &current)));
            current.clear();
            size = 0;
        }
        size += len;
        current.push(LogRecord::new(
            timestamp,
            Some(r.key.to_vec()),
            r.value.as_ref().map(|v| v.to_vec()),
        ));
    }
    if !current.is_empty() {
        out.push(Bytes::from(encode_batch(&BatchSpec::new(0), &current)));
    }
    out
}

/// Appends `records` to the partition as leader; returns the offset of the
/// last one.
pub(super) async fn append(broker: &Broker, partition: i32, records: &[Record]) -> Result<i64, AppendError> {
    let p = broker
        .replicas
        .get(OFFSETS_TOPIC, partition)
        .ok_or(AppendError(ErrorCode::NotLeaderOrFollower.code()))?;
    let now = now_ms();
    let mut last = -1;
    for batch in encode_batches(records, now) {
        let out = p
            .append(&batch, now)
            .await
            .map_err(|e| AppendError(ApiError::from(&e).code()))?;
        last = out.last_offset;
    }
    broker.replicas.notify_data();
    Ok(last)
}

/// Waits until the high watermark passes `last_offset`, at most
/// `offsets.commit.timeout.ms` (then REQUEST_TIMED_OUT, as Kafka answers a
/// commit whose replication timed out). On one node the high watermark
/// moves with the append, so this returns at once; with followers it waits
/// for the ISR.
pub(super) async fn wait_committed(
    broker: &Broker,
    partition: i32,
    last_offset: i64,
) -> Result<(), AppendError> {
    let timeout =
        Duration::from_millis(u64::try_from(broker.config.group.offsets_commit_timeout_ms).unwrap_or(5000));
    let deadline = Instant::now() + timeout;
    let mut changes = broker.replicas.subscribe();
    loop {
        let p = broker
            .replicas
            .get(OFFSETS_TOPIC, partition)
            .ok_or(AppendError(ErrorCode::NotLeaderOrFollower.code()))?;
        let (_, hw, _) = p.offsets().map_err(|e| AppendError(ApiError::from(&e).code()))?;
        if hw > last_offset {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(AppendError(ErrorCode::RequestTimedOut.code()));
        }
        // Data notifications cover appends; the short re-check covers a
        // high watermark that moves without one.
        let wait = (deadline - now).min(Duration::from_millis(20));
        let _ = tokio::time::timeout(wait, changes.changed()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kavka_log::records::decode_records;
    use kavka_log::BatchIter;

    #[test]
    fn batches_split_by_size_and_keep_order() {
        let records: Vec<Record> = (0..40)
            .map(|i| Record {
                key: Bytes::from(format!("k{i}")),
                value: (i % 3 != 0).then(|| Bytes::from(vec![b'v'; 40 * 1024])),
            })
            .collect();
        let batches = encode_batches(&records, 1234);
        assert!(batches.len() > 1, "40 records of 40 KiB need several batches");
        let mut seen = Vec::new();
        for b in &batches {
            assert!(b.len() <= MAX_BATCH_BYTES + 64 * 1024);
            let mut it = BatchIter::new(b);
            let (header, bytes) = it.next().unwrap();
            assert_eq!(header.producer_id, -1);
            let (_, recs) = decode_records(bytes).unwrap();
            for r in recs {
                seen.push((r.key.unwrap().to_vec(), r.value.map(<[u8]>::len)));
            }
        }
        let expected: Vec<_> = records
            .iter()
            .map(|r| (r.key.to_vec(), r.value.as_ref().map(Bytes::len)))
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn no_records_no_batches() {
        assert!(encode_batches(&[], 0).is_empty());
    }
}
