//! InitProducerId (22) for idempotent producers.
//!
//! Kafka's rules (`KafkaApis.handleInitProducerIdRequest` and
//! `TransactionCoordinator.handleInitProducerId`):
//! - a producer id without an epoch, or an epoch without a producer id
//!   (v3+), is INVALID_REQUEST;
//! - without a transactional id the request always gets a new producer id
//!   with epoch 0. A producer id/epoch sent with it (KIP-360, v3+) is not
//!   checked: an idempotent producer's epoch is only known per partition, so
//!   Kafka does not bump it centrally — the producer continues with the new
//!   id (librdkafka asks for one this way; the Java client bumps its epoch
//!   locally and only asks when the epoch is exhausted). PRODUCER_FENCED and
//!   INVALID_PRODUCER_EPOCH come only from the transactional path;
//! - an empty transactional id is INVALID_REQUEST;
//! - any other transactional id needs the transaction coordinator, which
//!   Kavka does not have yet: COORDINATOR_NOT_AVAILABLE, Kafka's answer
//!   while the coordinator of a transactional id cannot serve it.
//!
//! When no id block can be obtained from the controller the answer is
//! COORDINATOR_LOAD_IN_PROGRESS, as Kafka's broker gives while it waits for
//! a block (the client retries); UNKNOWN_SERVER_ERROR once every id is used.

use std::sync::Arc;

use kafka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse, ProducerId};
use tracing::{debug, warn};

use super::errors::ErrorCode;
use super::RequestContext;
use crate::producer_ids::ControllerBlocks;

/// Kafka's `RecordBatch.NO_PRODUCER_ID` / `NO_PRODUCER_EPOCH`.
const NO_PRODUCER_ID: i64 = -1;
const NO_PRODUCER_EPOCH: i16 = -1;

/// What the request asks for, decided from its fields alone.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ask {
    /// A new producer id for an idempotent producer.
    NewIdempotent,
    /// The request is refused with this error before any id is allocated.
    Refuse(ErrorCode),
}

fn classify(req: &InitProducerIdRequest) -> Ask {
    // Before v3 these fields are absent and decode as -1.
    let id_given = req.producer_id.0 != NO_PRODUCER_ID;
    let epoch_given = req.producer_epoch != NO_PRODUCER_EPOCH;
    if id_given != epoch_given {
        return Ask::Refuse(ErrorCode::InvalidRequest);
    }
    match req.transactional_id.as_ref().map(|t| t.0.as_str()) {
        None => Ask::NewIdempotent,
        Some("") => Ask::Refuse(ErrorCode::InvalidRequest),
        Some(_) => Ask::Refuse(ErrorCode::CoordinatorNotAvailable),
    }
}

fn response(error: Option<ErrorCode>, producer_id: i64, epoch: i16) -> InitProducerIdResponse {
    InitProducerIdResponse::default()
        .with_error_code(error.map_or(0, |e| e.code()))
        .with_producer_id(ProducerId(producer_id))
        .with_producer_epoch(epoch)
}

fn refusal(code: ErrorCode) -> InitProducerIdResponse {
    response(Some(code), NO_PRODUCER_ID, NO_PRODUCER_EPOCH)
}

pub async fn handle(ctx: &RequestContext, _v: i16, req: InitProducerIdRequest) -> InitProducerIdResponse {
    match classify(&req) {
        Ask::Refuse(code) => {
            debug!(peer = %ctx.peer, error = ?code, transactional_id = ?req.transactional_id, "InitProducerId refused");
            refusal(code)
        }
        Ask::NewIdempotent => {
            let source = Arc::new(ControllerBlocks(Arc::clone(&ctx.broker)));
            match ctx.broker.producer_ids.generate(&source).await {
                Ok(id) => {
                    debug!(peer = %ctx.peer, producer_id = id, "new idempotent producer");
                    response(None, id, 0)
                }
                Err(e) if e.is_exhausted() => {
                    warn!(error = %e, "InitProducerId failed");
                    refusal(ErrorCode::UnknownServerError)
                }
                Err(e) => {
                    warn!(error = %e, "InitProducerId failed; the client will retry");
                    refusal(ErrorCode::CoordinatorLoadInProgress)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kafka_protocol::messages::TransactionalId;
    use kafka_protocol::protocol::StrBytes;

    fn req(txn: Option<&str>, id: i64, epoch: i16) -> InitProducerIdRequest {
        InitProducerIdRequest::default()
            .with_transactional_id(txn.map(|t| TransactionalId(StrBytes::from_string(t.into()))))
            .with_transaction_timeout_ms(60_000)
            .with_producer_id(ProducerId(id))
            .with_producer_epoch(epoch)
    }

    #[test]
    fn idempotent_requests_get_a_new_id_whatever_id_they_carry() {
        assert_eq!(classify(&req(None, -1, -1)), Ask::NewIdempotent);
        // KIP-360 bump request from an idempotent producer: a new id.
        assert_eq!(classify(&req(None, 4711, 3)), Ask::NewIdempotent);
        assert_eq!(classify(&req(None, 4711, 0)), Ask::NewIdempotent);
    }

    #[test]
    fn half_given_id_and_epoch_are_invalid() {
        assert_eq!(
            classify(&req(None, 5, -1)),
            Ask::Refuse(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            classify(&req(None, -1, 2)),
            Ask::Refuse(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            classify(&req(Some("t"), 5, -1)),
            Ask::Refuse(ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn transactional_ids_are_refused_honestly() {
        assert_eq!(
            classify(&req(Some(""), -1, -1)),
            Ask::Refuse(ErrorCode::InvalidRequest)
        );
        assert_eq!(
            classify(&req(Some("txn-1"), -1, -1)),
            Ask::Refuse(ErrorCode::CoordinatorNotAvailable)
        );
    }

    #[test]
    fn old_versions_decode_as_plain_requests() {
        use kafka_protocol::protocol::{Decodable, Encodable};
        // v0-v2 cannot carry a producer id/epoch: the decoder must give -1
        // for both, or every old client would be refused.
        for v in 0..=2 {
            let sent = req(None, -1, -1);
            let mut buf = bytes::BytesMut::new();
            sent.encode(&mut buf, v).unwrap();
            let got = InitProducerIdRequest::decode(&mut buf.freeze(), v).unwrap();
            assert_eq!(
                (got.producer_id.0, got.producer_epoch),
                (NO_PRODUCER_ID, NO_PRODUCER_EPOCH)
            );
            assert_eq!(classify(&got), Ask::NewIdempotent, "v{v}");
        }
    }

    #[test]
    fn refusals_carry_no_id() {
        let r = refusal(ErrorCode::CoordinatorNotAvailable);
        assert_eq!(r.error_code, 15);
        assert_eq!(r.producer_id.0, -1);
        assert_eq!(r.producer_epoch, -1);
    }
}
