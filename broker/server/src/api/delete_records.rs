//! DeleteRecords (21): moves the log start offset forward.

use kafka_protocol::messages::delete_records_response::{
    DeleteRecordsPartitionResult, DeleteRecordsTopicResult,
};
use kafka_protocol::messages::{DeleteRecordsRequest, DeleteRecordsResponse};

use super::errors::{ApiError, ErrorCode};
use super::RequestContext;

pub async fn handle(ctx: &RequestContext, _v: i16, req: DeleteRecordsRequest) -> DeleteRecordsResponse {
    let mut topics = Vec::with_capacity(req.topics.len());
    for t in req.topics {
        let mut parts = Vec::with_capacity(t.partitions.len());
        for p in t.partitions {
            let mut r = DeleteRecordsPartitionResult::default().with_partition_index(p.partition_index);
            match delete(ctx, t.name.as_str(), p.partition_index, p.offset) {
                Ok(low) => r.low_watermark = low,
                Err(e) => {
                    r.error_code = e.code();
                    r.low_watermark = -1;
                }
            }
            parts.push(r);
        }
        topics.push(
            DeleteRecordsTopicResult::default()
                .with_name(t.name)
                .with_partitions(parts),
        );
    }
    DeleteRecordsResponse::default().with_topics(topics)
}

fn delete(ctx: &RequestContext, topic: &str, partition: i32, offset: i64) -> Result<i64, ApiError> {
    let p = ctx
        .broker
        .replicas
        .get(topic, partition)
        .ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicOrPartition))?;
    let (_, hw, _) = p.offsets().map_err(|e| ApiError::from(&e))?;
    // -1 means "up to the high watermark" (Kafka's DeleteRecordsRequest.HIGH_WATERMARK).
    let target = if offset == -1 { hw } else { offset };
    if target < 0 || target > hw {
        return Err(ApiError::with_message(
            ErrorCode::OffsetOutOfRange,
            format!("offset {offset} is beyond the high watermark {hw}"),
        ));
    }
    p.delete_records_before(target).map_err(|e| ApiError::from(&e))
}
