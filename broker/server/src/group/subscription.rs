//! The part of Kafka's ConsumerProtocolSubscription the coordinator needs:
//! the subscribed topics (for OffsetDelete and offset expiry).
//!
//! Layout (not flexible): i16 version, then the version-0 prefix that every
//! later version keeps: `topics: [STRING]`, `user_data: NULLABLE_BYTES`.
//! Later fields (owned partitions, generation, rack) are ignored, as Kafka's
//! coordinator reads every version with the version-0 schema.

use super::codec::{DecodeError, Reader};

/// The topics of a serialized consumer subscription.
pub fn subscribed_topics(metadata: &[u8]) -> Result<Vec<String>, DecodeError> {
    let mut r = Reader::new(metadata);
    let version = r.i16("subscription version")?;
    if version < 0 {
        return Err(DecodeError::UnsupportedVersion {
            what: "consumer subscription",
            version,
        });
    }
    let count = r
        .array_len("subscription topics")?
        .ok_or(DecodeError::UnexpectedNull {
            what: "subscription topics",
        })?;
    let mut topics = Vec::new();
    for _ in 0..count {
        topics.push(r.string("subscription topic")?);
    }
    r.nullable_bytes("subscription user data")?;
    Ok(topics)
}
