//! Fuzz target: an arbitrary request frame (without its 4-byte size prefix)
//! goes through the same path as a connection: header parse, guard, decode.
//! Any panic, or an abort on a huge allocation, is a finding.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[allow(dead_code, unused_imports)]
#[path = "../../src/wire/mod.rs"]
mod wire;

fuzz_target!(|frame: &[u8]| {
    if let Ok((header, body_at)) = wire::parse_request_header(frame) {
        assert!(body_at <= frame.len());
        let body = bytes::Bytes::copy_from_slice(&frame[body_at..]);
        let _ = wire::decode_request_body(header.api_key, header.api_version, body);
    }
});
