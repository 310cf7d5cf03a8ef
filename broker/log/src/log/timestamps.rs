//! ListOffsets by timestamp and MAX_TIMESTAMP.
//!
//! Both answers are per record where the log can see the records, i.e. in
//! uncompressed batches. The crate has no decompression codecs (none of
//! gzip/snappy/lz4/zstd is available as a Rust crate in the workspace, and
//! the log stores batches as produced), so inside a compressed batch the
//! answers stay at batch granularity; Kafka decompresses there.

use super::{Log, TimestampOffset};
use crate::batch::{BatchHeader, Compression, TimestampType, NO_TIMESTAMP};
use crate::error::LogError;
use crate::records;
use crate::segment::Segment;

impl Log {
    /// ListOffsets by timestamp: the first offset >= the log start whose
    /// timestamp is >= `ts`. For uncompressed CreateTime batches this is the
    /// exact record (as in Kafka). For compressed batches the records are not
    /// decoded, so the answer is at batch granularity: the batch's base
    /// offset (or the log start offset if that is inside the batch) with the
    /// batch's max timestamp (Kafka finds the exact record there).
    pub fn offset_for_timestamp(&self, ts: i64) -> Result<Option<TimestampOffset>, LogError> {
        for seg in &self.segments {
            if seg.max_timestamp < ts || seg.next_offset <= self.log_start_offset {
                continue;
            }
            let Some((pos, header)) = seg.find_by_timestamp(ts, self.log_start_offset)? else {
                continue;
            };
            let exact = self.record_for_timestamp(seg, pos, &header, ts)?;
            let (offset, timestamp) = exact.unwrap_or((
                header.base_offset.max(self.log_start_offset),
                header.max_timestamp,
            ));
            return Ok(Some(TimestampOffset {
                offset,
                timestamp,
                leader_epoch: batch_epoch(&header),
            }));
        }
        Ok(None)
    }

    /// Exact record lookup inside an uncompressed CreateTime batch.
    fn record_for_timestamp(
        &self,
        seg: &Segment,
        pos: u64,
        header: &BatchHeader,
        ts: i64,
    ) -> Result<Option<(i64, i64)>, LogError> {
        if header.compression() != Some(Compression::None)
            || header.timestamp_type() != TimestampType::CreateTime
        {
            return Ok(None);
        }
        let bytes = seg.read_batch(pos, header)?;
        let Ok((h, recs)) = records::decode_records(&bytes) else {
            // Records we cannot decode still have a usable batch answer.
            return Ok(None);
        };
        Ok(recs
            .iter()
            .map(|r| (r.offset(&h), r.timestamp(&h)))
            .find(|&(o, t)| t >= ts && o >= self.log_start_offset))
    }

    /// ListOffsets MAX_TIMESTAMP (-3), as Kafka 3.8+ answers it: the largest
    /// timestamp in the log, the offset of the first record that carries it
    /// and its batch's leader epoch. The earliest batch wins ties. `None`
    /// when no batch has a timestamp.
    ///
    /// Finding the batch costs an offset index lookup in the segment with the
    /// largest timestamp (each segment tracks which batch holds its max);
    /// then that one batch is read and decoded. For LogAppendTime batches
    /// every record carries the max, so the answer is the batch's base
    /// offset (as in Kafka). For compressed batches, and if the batch cannot
    /// be read or decoded (logged), the answer is the batch's last offset.
    pub fn max_timestamp(&self) -> Option<TimestampOffset> {
        let mut best: Option<&Segment> = None;
        for seg in &self.segments {
            if seg.is_empty() || seg.max_timestamp == NO_TIMESTAMP {
                continue;
            }
            if best.is_none_or(|b| seg.max_timestamp > b.max_timestamp) {
                best = Some(seg);
            }
        }
        let seg = best?;
        match record_of_max_timestamp(seg) {
            Ok(Some(found)) => return Some(found),
            Ok(None) => {}
            // The fallback is still a correct batch-level answer; a disk
            // that fails here will fail the fetches too.
            Err(e) => tracing::warn!(
                segment = %seg.path.display(),
                error = %e,
                "cannot read the batch with the max timestamp; answering at batch granularity"
            ),
        }
        Some(TimestampOffset {
            offset: seg.offset_of_max_timestamp,
            timestamp: seg.max_timestamp,
            leader_epoch: self.epochs.epoch_for_offset(seg.offset_of_max_timestamp),
        })
    }
}

/// The first record in `seg` whose timestamp is the segment's max, if the
/// batch holding it is uncompressed and decodes.
fn record_of_max_timestamp(seg: &Segment) -> Result<Option<TimestampOffset>, LogError> {
    let Some((pos, header)) = seg.batch_of_max_timestamp()? else {
        return Ok(None);
    };
    if header.compression() != Some(Compression::None) {
        return Ok(Some(TimestampOffset {
            offset: header.last_offset(),
            timestamp: header.max_timestamp,
            leader_epoch: batch_epoch(&header),
        }));
    }
    let bytes = seg.read_batch(pos, &header)?;
    let Ok((h, recs)) = records::decode_records(&bytes) else {
        return Ok(None);
    };
    Ok(recs
        .iter()
        .find(|r| r.timestamp(&h) == h.max_timestamp)
        .map(|r| TimestampOffset {
            offset: r.offset(&h),
            timestamp: h.max_timestamp,
            leader_epoch: batch_epoch(&h),
        }))
}

/// Kafka answers with the epoch stamped on the batch (absent when unset).
fn batch_epoch(header: &BatchHeader) -> Option<i32> {
    (header.partition_leader_epoch >= 0).then_some(header.partition_leader_epoch)
}
