//! Errors of the request header parser and the decode guard.

use thiserror::Error;

/// Why a request frame was refused before (or while) decoding it.
///
/// Every variant names the field (as spelled in Kafka's message schemas) and,
/// where it helps, the byte offset inside the buffer that was being read, so a
/// log line is enough to tell a buggy client from a hostile one.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WireError {
    /// The buffer ended inside a field.
    #[error(
        "truncated request: field `{field}` needs {needed} bytes at offset {offset}, {remaining} remain"
    )]
    Truncated {
        field: &'static str,
        offset: usize,
        needed: usize,
        remaining: usize,
    },
    /// An array count, string/bytes length or tagged-field size claims more
    /// than the rest of the buffer could possibly hold.
    #[error("field `{field}` claims length {claimed} but only {remaining} bytes remain")]
    LengthTooLarge {
        field: &'static str,
        claimed: i64,
        remaining: usize,
    },
    /// A length below -1, or -1 (null) where the field is not nullable.
    #[error("field `{field}` has invalid negative length {claimed}")]
    NegativeLength { field: &'static str, claimed: i64 },
    /// A varint longer than 5 bytes or one that overflows 32 bits.
    #[error("field `{field}` has a malformed varint at offset {offset}")]
    BadVarint { field: &'static str, offset: usize },
    /// The arrays of the request would decode into more memory than we allow
    /// for one request (see `guard::DECODE_BUDGET_BYTES`).
    #[error("array `{field}` takes the decoded size of the request to ~{estimated} bytes, over the {budget}-byte budget")]
    DecodeBudget {
        field: &'static str,
        estimated: u64,
        budget: u64,
    },
    /// A string that is not UTF-8 (the decoder would refuse it anyway).
    #[error("field `{field}` is not valid UTF-8")]
    InvalidUtf8 { field: &'static str },
    /// A known tagged field sent in a version that does not define it.
    #[error("tagged field `{field}` (tag {tag}) is not valid in version {version}")]
    TagNotValid {
        field: &'static str,
        tag: u32,
        version: i16,
    },
    /// A known tagged field whose content does not fill exactly its declared size.
    #[error("tagged field `{field}` (tag {tag}) declares {declared} bytes but its value takes {actual}")]
    TagSizeMismatch {
        field: &'static str,
        tag: u32,
        declared: usize,
        actual: usize,
    },
    /// The API key is not a Kafka API at all.
    #[error("unknown api key {key} (correlation id {correlation_id})")]
    UnknownApi { key: i16, correlation_id: i32 },
    /// A known API in a version we have no schema for; the caller answers
    /// UNSUPPORTED_VERSION.
    #[error("unsupported version {version} of api key {api_key}")]
    UnsupportedVersion { api_key: i16, version: i16 },
    /// The guard accepted the body but `kafka-protocol` still refused it.
    #[error("decode failed: {0}")]
    Decode(String),
}
