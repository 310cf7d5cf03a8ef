//! Errors of the client subcommands. Broker-reported errors carry Kafka's error code
//! name (e.g. `TOPIC_ALREADY_EXISTS`) so that scripts and users can match on them the
//! same way as with Kafka's own tools.

use std::path::PathBuf;
use std::time::Duration;

use rdkafka::error::KafkaError;
use rdkafka::types::RDKafkaErrorCode;

use super::ffi;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("invalid {arg}: {reason}")]
    InvalidArgument { arg: String, reason: String },

    #[error("cannot read {path}: {source}")]
    ReadFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("{op}: {detail}")]
    Client {
        op: String,
        detail: String,
        /// Kept for callers that match on it; not a `#[source]` because `detail`
        /// already says the same and error chains would print it twice.
        // Boxed: KafkaError is large and would bloat every Result on hot paths.
        cause: Box<KafkaError>,
    },

    #[error("{op} failed for {resource}: {code}: {message}")]
    Broker {
        op: String,
        resource: String,
        code: String,
        message: String,
    },

    #[error("topic '{0}' does not exist")]
    UnknownTopic(String),

    #[error("{failed} of {total} records could not be delivered; first error: {first}")]
    DeliveryFailed { failed: u64, total: u64, first: String },

    #[error("timed out after {0:?} waiting for the broker")]
    Timeout(Duration),

    #[error("librdkafka: {0}")]
    Native(String),

    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: std::io::Error,
    },

    #[error("{0}")]
    Incomplete(String),
}

impl CliError {
    pub fn invalid(arg: impl Into<String>, reason: impl Into<String>) -> Self {
        CliError::InvalidArgument {
            arg: arg.into(),
            reason: reason.into(),
        }
    }

    /// Wraps a client-library error, naming the Kafka error code when there is one.
    pub fn client(op: impl Into<String>, source: KafkaError) -> Self {
        let detail = match error_code(&source) {
            Some(code) => describe_code(code),
            None => source.to_string(),
        };
        CliError::Client {
            op: op.into(),
            detail,
            cause: Box::new(source),
        }
    }

    /// A per-resource error returned by the broker in an admin response.
    pub fn broker(op: impl Into<String>, resource: impl Into<String>, code: RDKafkaErrorCode) -> Self {
        CliError::Broker {
            op: op.into(),
            resource: resource.into(),
            code: kafka_error_name(&ffi::error_name(code)).to_string(),
            message: ffi::error_text(code),
        }
    }
}

/// The librdkafka/Kafka error code inside a client error, if any. (`rdkafka`'s own
/// `rdkafka_error_code()` leaves out admin-operation errors.)
pub fn error_code(err: &KafkaError) -> Option<RDKafkaErrorCode> {
    match err {
        KafkaError::AdminOp(code) => Some(*code),
        other => other.rdkafka_error_code(),
    }
}

/// `NAME (description)`, e.g. `_TRANSPORT (Local: Broker transport failure)`.
pub fn describe_code(code: RDKafkaErrorCode) -> String {
    let name = ffi::error_name(code);
    format!("{} ({})", kafka_error_name(&name), ffi::error_text(code))
}

/// Kafka's `Errors` name for a librdkafka error name. librdkafka abbreviates a few
/// (`UNKNOWN_TOPIC_OR_PART`); users search for Kafka's spelling. Local errors
/// (`_TIMED_OUT`) and names that already match pass through.
pub fn kafka_error_name(librdkafka: &str) -> &str {
    match librdkafka {
        "UNKNOWN" => "UNKNOWN_SERVER_ERROR",
        "INVALID_MSG" => "CORRUPT_MESSAGE",
        "UNKNOWN_TOPIC_OR_PART" => "UNKNOWN_TOPIC_OR_PARTITION",
        "INVALID_MSG_SIZE" => "INVALID_FETCH_SIZE",
        "NOT_LEADER_FOR_PARTITION" => "NOT_LEADER_OR_FOLLOWER",
        "MSG_SIZE_TOO_LARGE" => "MESSAGE_TOO_LARGE",
        "STALE_CTRL_EPOCH" => "STALE_CONTROLLER_EPOCH",
        "TOPIC_EXCEPTION" => "INVALID_TOPIC_EXCEPTION",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broker_errors_use_kafka_names() {
        let e = CliError::broker(
            "DeleteTopics",
            "topic 'x'",
            RDKafkaErrorCode::UnknownTopicOrPartition,
        );
        assert_eq!(
            e.to_string(),
            "DeleteTopics failed for topic 'x': UNKNOWN_TOPIC_OR_PARTITION: Broker: Unknown topic or partition"
        );
        let e = CliError::broker("CreateTopics", "topic 'x'", RDKafkaErrorCode::TopicAlreadyExists);
        assert!(e.to_string().contains(": TOPIC_ALREADY_EXISTS: "), "{e}");
        assert_eq!(
            describe_code(RDKafkaErrorCode::MessageSizeTooLarge)
                .split(' ')
                .next(),
            Some("MESSAGE_TOO_LARGE")
        );
        assert_eq!(kafka_error_name("_TIMED_OUT"), "_TIMED_OUT");
    }

    #[test]
    fn admin_op_errors_keep_their_code() {
        let e = CliError::client(
            "CreateTopics",
            KafkaError::AdminOp(RDKafkaErrorCode::OperationTimedOut),
        );
        assert!(e.to_string().starts_with("CreateTopics: _TIMED_OUT ("), "{e}");
    }
}
