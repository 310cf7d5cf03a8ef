//! Request framing edge: header parsing and a guard in front of
//! `kafka-protocol`'s decoders.
//!
//! Flow for one frame (the bytes after the 4-byte size prefix):
//! [`parse_request_header`] gives the header and the body offset, then
//! [`decode_request_body`] checks the body with [`check_request_body`] and only
//! then lets the crate decode it. Everything here is pure: no I/O, no state.

pub mod error;
pub mod guard;
pub mod header;
pub mod schema;

#[cfg(test)]
mod tests;

use kafka_protocol::messages::{ApiKey, RequestKind};

pub use error::WireError;
pub use guard::check_request_body;
pub use header::{parse_request_header, RequestHeader};
pub use schema::supported_versions;

/// Checks `body` with the guard, then decodes it with `kafka-protocol`.
///
/// Decoding from `Bytes` keeps record sets (Produce) as zero-copy slices of
/// the frame.
pub fn decode_request_body(api_key: i16, version: i16, body: bytes::Bytes) -> Result<RequestKind, WireError> {
    if let Err(e) = check_request_body(api_key, version, &body) {
        tracing::debug!(api_key, version, error = %e, "request body refused by guard");
        return Err(e);
    }
    let key = ApiKey::try_from(api_key).map_err(|()| WireError::UnsupportedVersion { api_key, version })?;
    let mut body = body;
    RequestKind::decode(key, &mut body, version).map_err(|e| WireError::Decode(format!("{e:#}")))
}
