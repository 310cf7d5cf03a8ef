//! Produce (0).
//!
//! Idempotent batches are checked against the partition's producer state by
//! the log (sequence gaps: OUT_OF_ORDER_SEQUENCE_NUMBER, fenced epochs:
//! INVALID_PRODUCER_EPOCH); a retried batch is answered with success and the
//! offsets it was first written at. As in Kafka, idempotence does not depend
//! on acks (the broker accepts idempotent batches with acks 0 and 1; clients
//! refuse that combination themselves). Transactions do not exist yet, so
//! transactional batches are refused as Kafka refuses them without a
//! usable transaction: TRANSACTIONAL_ID_AUTHORIZATION_FAILED for the whole
//! request when it has no transactional id (KafkaApis), INVALID_TXN_STATE
//! otherwise. Control batches (transaction markers) are the broker's own,
//! never a client's (Kafka's LogValidator: INVALID_RECORD).

use std::sync::atomic::Ordering;

use kafka_protocol::messages::produce_response::{PartitionProduceResponse, TopicProduceResponse};
use kafka_protocol::messages::{ProduceRequest, ProduceResponse, TopicName as WireTopic};
use kafka_protocol::protocol::StrBytes;
use kavka_log::BatchIter;

use super::errors::{ApiError, ErrorCode};
use super::topics;
use super::RequestContext;
use crate::time::now_ms;

fn partition_error(v: i16, index: i32, err: &ApiError) -> PartitionProduceResponse {
    let mut r = PartitionProduceResponse::default()
        .with_index(index)
        .with_error_code(err.code())
        .with_base_offset(-1);
    if v >= 8 {
        r.error_message = err.message.clone().map(StrBytes::from_string);
    }
    r
}

/// Handles a produce request; `None` for acks=0, which takes no response.
pub async fn handle(ctx: &RequestContext, v: i16, req: ProduceRequest) -> Option<ProduceResponse> {
    let broker = &ctx.broker;
    broker.metrics.produce_requests.fetch_add(1, Ordering::Relaxed);
    let acks = req.acks;
    if let Some(err) = refuse_transactional_without_id(&req) {
        return (acks != 0).then(|| error_response(v, req, &err));
    }
    let transactional = req.transactional_id.is_some();
    let mut topics_out = Vec::with_capacity(req.topic_data.len());
    for topic in req.topic_data {
        // v13 addresses topics by id, earlier versions by name.
        let resolved = if v >= 13 {
            topics::name_by_id(broker, topic.topic_id).ok_or_else(|| ApiError::new(ErrorCode::UnknownTopicId))
        } else {
            topics::ensure_exists(
                broker,
                topic.name.as_str(),
                broker.config.auto_create_topics_enable,
            )
            .await
        };
        let mut parts_out = Vec::with_capacity(topic.partition_data.len());
        for pd in topic.partition_data {
            let name = match &resolved {
                Ok(n) => n.clone(),
                Err(e) => {
                    parts_out.push(partition_error(v, pd.index, e));
                    continue;
                }
            };
            let result = match check_client_batches(pd.records.as_deref(), transactional) {
                Err(e) => Err(e),
                Ok(()) => append_one(ctx, &name, pd.index, acks, pd.records.as_ref()).await,
            };
            parts_out.push(match result {
                Ok((base, append_time, log_start)) => {
                    let mut r = PartitionProduceResponse::default()
                        .with_index(pd.index)
                        .with_base_offset(base)
                        .with_log_append_time_ms(append_time.unwrap_or(-1));
                    if v >= 5 {
                        r.log_start_offset = log_start;
                    }
                    r
                }
                Err(e) => partition_error(v, pd.index, &e),
            });
        }
        let mut t = TopicProduceResponse::default().with_partition_responses(parts_out);
        if v >= 13 {
            t.topic_id = topic.topic_id;
        } else {
            t.name = topic.name;
        }
        topics_out.push(t);
    }
    if acks == 0 {
        return None;
    }
    Some(ProduceResponse::default().with_responses(topics_out))
}

/// Kafka answers a request holding transactional batches but no
/// transactional id with TRANSACTIONAL_ID_AUTHORIZATION_FAILED for every
/// partition, before looking at topics.
fn refuse_transactional_without_id(req: &ProduceRequest) -> Option<ApiError> {
    if req.transactional_id.is_some() {
        return None;
    }
    let transactional = req
        .topic_data
        .iter()
        .flat_map(|t| t.partition_data.iter())
        .filter_map(|p| p.records.as_deref())
        .any(|r| BatchIter::new(r).any(|(h, _)| h.is_transactional()));
    transactional.then(|| {
        ApiError::with_message(
            ErrorCode::TransactionalIdAuthorizationFailed,
            "transactional records require a transactional id",
        )
    })
}

/// The same error for every partition of the request.
fn error_response(v: i16, req: ProduceRequest, err: &ApiError) -> ProduceResponse {
    let topics = req
        .topic_data
        .into_iter()
        .map(|topic| {
            let parts = topic
                .partition_data
                .iter()
                .map(|pd| partition_error(v, pd.index, err))
                .collect();
            let mut t = TopicProduceResponse::default().with_partition_responses(parts);
            if v >= 13 {
                t.topic_id = topic.topic_id;
            } else {
                t.name = topic.name;
            }
            t
        })
        .collect();
    ProduceResponse::default().with_responses(topics)
}

/// Batch attributes a client may not use here. Malformed data is left to
/// the log's validation, which names the problem precisely.
fn check_client_batches(records: Option<&[u8]>, transactional_id: bool) -> Result<(), ApiError> {
    for (h, _) in BatchIter::new(records.unwrap_or_default()) {
        if h.is_control() {
            return Err(ApiError::with_message(
                ErrorCode::InvalidRecord,
                "Clients are not allowed to write control records",
            ));
        }
        if h.is_transactional() && transactional_id {
            return Err(ApiError::with_message(
                ErrorCode::InvalidTxnState,
                "transactions are not supported by this broker yet",
            ));
        }
    }
    Ok(())
}

async fn append_one(
    ctx: &RequestContext,
    topic: &str,
    partition: i32,
    acks: i16,
    records: Option<&bytes::Bytes>,
) -> Result<(i64, Option<i64>, i64), ApiError> {
    let broker = &ctx.broker;
    if !matches!(acks, -1..=1) {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRequiredAcks,
            format!("acks must be -1, 0 or 1, got {acks}"),
        ));
    }
    let Some(p) = broker.replicas.get(topic, partition) else {
        return Err(ApiError::new(ErrorCode::UnknownTopicOrPartition));
    };
    let Some(records) = records.filter(|r| !r.is_empty()) else {
        return Err(ApiError::with_message(
            ErrorCode::InvalidRecord,
            "empty record set",
        ));
    };
    if acks == -1 {
        // One node: the ISR is this broker alone.
        let min_isr = topics::min_insync_replicas(broker, topic);
        if min_isr > 1 {
            return Err(ApiError::with_message(
                ErrorCode::NotEnoughReplicas,
                format!("min.insync.replicas is {min_isr} but the ISR has 1 replica"),
            ));
        }
    }
    let out = p
        .append(records, now_ms())
        .await
        .map_err(|e| ApiError::from(&e))?;
    broker
        .metrics
        .produced_bytes
        .fetch_add(records.len() as u64, Ordering::Relaxed);
    broker.replicas.notify_data();
    Ok((out.base_offset, out.log_append_time, out.log_start_offset))
}

/// Wire topic name from our string.
pub fn wire_topic(name: &str) -> WireTopic {
    WireTopic(StrBytes::from_string(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::TransactionalId;
    use kavka_log::records::{control_record, encode_batch, BatchSpec, Record};

    fn batch(transactional: bool, control: bool) -> Vec<u8> {
        let mut spec = BatchSpec::new(0);
        spec.producer_id = 7;
        spec.producer_epoch = 0;
        spec.base_sequence = 0;
        spec.transactional = transactional;
        spec.control = control;
        let rec = if control {
            control_record(true, 0, 1)
        } else {
            Record::new(1, None, Some(b"v".to_vec()))
        };
        encode_batch(&spec, &[rec])
    }

    fn request(txn: Option<&str>, sets: Vec<Vec<u8>>) -> ProduceRequest {
        let parts = sets
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                PartitionProduceData::default()
                    .with_index(i as i32)
                    .with_records(Some(Bytes::from(r)))
            })
            .collect();
        ProduceRequest::default()
            .with_acks(-1)
            .with_transactional_id(txn.map(|t| TransactionalId(StrBytes::from_string(t.into()))))
            .with_topic_data(vec![TopicProduceData::default()
                .with_name(wire_topic("t"))
                .with_partition_data(parts)])
    }

    #[test]
    fn transactional_batches_without_id_refuse_the_whole_request() {
        let req = request(None, vec![batch(false, false), batch(true, false)]);
        let err = refuse_transactional_without_id(&req).unwrap();
        assert_eq!(err.code(), 53);
        let resp = error_response(9, req, &err);
        let codes: Vec<i16> = resp.responses[0]
            .partition_responses
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(codes, vec![53, 53]);
        assert_eq!(resp.responses[0].name.0.as_str(), "t");
        // Idempotent-only requests pass; so do transactional ones with an id
        // (refused per partition instead).
        assert!(refuse_transactional_without_id(&request(None, vec![batch(false, false)])).is_none());
        assert!(refuse_transactional_without_id(&request(Some("x"), vec![batch(true, false)])).is_none());
    }

    #[test]
    fn client_batches_may_not_be_control_or_transactional() {
        assert!(check_client_batches(Some(&batch(false, false)), false).is_ok());
        assert!(check_client_batches(None, false).is_ok());
        let control = check_client_batches(Some(&batch(true, true)), false).unwrap_err();
        assert_eq!(control.code(), 87);
        let txn = check_client_batches(Some(&batch(true, false)), true).unwrap_err();
        assert_eq!(txn.code(), 48);
    }
}
