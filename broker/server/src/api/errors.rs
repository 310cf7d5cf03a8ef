//! Domain errors to Kafka error codes. This is the only place where the
//! mapping lives, so every API answers the same condition the same way.

pub use kafka_protocol::ResponseError as ErrorCode;
use kavka_controller::ControllerError;

use crate::replica::PartitionError;

/// A Kafka error code plus an optional message for the versions that carry one.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: Option<String>,
}

impl ApiError {
    pub fn new(code: ErrorCode) -> Self {
        ApiError { code, message: None }
    }

    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            code,
            message: Some(message.into()),
        }
    }

    pub fn code(&self) -> i16 {
        self.code.code()
    }
}

impl From<&PartitionError> for ApiError {
    fn from(e: &PartitionError) -> Self {
        let code = match e {
            PartitionError::OffsetOutOfRange { .. } => ErrorCode::OffsetOutOfRange,
            PartitionError::Corrupt(_) => ErrorCode::CorruptMessage,
            PartitionError::TooLarge { .. } => ErrorCode::MessageTooLarge,
            PartitionError::RecordSetTooLarge { .. } => ErrorCode::RecordListTooLarge,
            PartitionError::InvalidRecord(_) => ErrorCode::InvalidRecord,
            PartitionError::UnsupportedFormat(_) => ErrorCode::UnsupportedForMessageFormat,
            PartitionError::InvalidOffset(_) => ErrorCode::OffsetOutOfRange,
            PartitionError::FencedLeaderEpoch { .. } => ErrorCode::FencedLeaderEpoch,
            PartitionError::UnknownLeaderEpoch { .. } => ErrorCode::UnknownLeaderEpoch,
            PartitionError::InvalidProducerEpoch { .. } => ErrorCode::InvalidProducerEpoch,
            PartitionError::OutOfOrderSequence { .. } => ErrorCode::OutOfOrderSequenceNumber,
            PartitionError::Storage(_) => ErrorCode::KafkaStorageError,
            PartitionError::Closed => ErrorCode::NotLeaderOrFollower,
        };
        ApiError::with_message(code, e.to_string())
    }
}

impl From<&ControllerError> for ApiError {
    fn from(e: &ControllerError) -> Self {
        let code = ErrorCode::try_from_code(e.kafka_error_code()).unwrap_or(ErrorCode::UnknownServerError);
        ApiError::with_message(code, e.to_string())
    }
}
