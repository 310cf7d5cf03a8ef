//! Our own request header parser.
//!
//! Request header v1 is `api_key: i16, api_version: i16, correlation_id: i32,
//! client_id: nullable string (i16 length)`; v2 appends a tagged-field section
//! (the client id keeps its classic i16 length even in v2). A request uses v2
//! exactly when its API version is flexible; ApiVersions follows the same rule
//! (v3+ uses header v2) even though its response header stays v0.

use kafka_protocol::messages::ApiKey;

use super::error::WireError;
use super::guard::Walker;
use super::schema;

/// Fixed part of every request header: api key, api version, correlation id.
const FIXED_LEN: usize = 8;

/// The request header fields the broker needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestHeader {
    pub api_key: i16,
    pub api_version: i16,
    pub correlation_id: i32,
    pub client_id: Option<String>,
}

/// Parses the header at the start of `frame` (a request without its 4-byte
/// size prefix) and returns it with the offset at which the body starts.
///
/// An unknown api key gives `UnknownApi` carrying the correlation id. A known
/// key whose version we cannot place (outside both our schema and the crate's
/// range) is parsed as header v1 so the caller can still answer
/// UNSUPPORTED_VERSION with the right correlation id; the client id precedes
/// the tagged fields, so it is read correctly either way.
pub fn parse_request_header(frame: &[u8]) -> Result<(RequestHeader, usize), WireError> {
    if frame.len() < FIXED_LEN {
        return Err(WireError::Truncated {
            field: "request_header",
            offset: 0,
            needed: FIXED_LEN,
            remaining: frame.len(),
        });
    }
    let api_key = i16::from_be_bytes([frame[0], frame[1]]);
    let api_version = i16::from_be_bytes([frame[2], frame[3]]);
    let correlation_id = i32::from_be_bytes([frame[4], frame[5], frame[6], frame[7]]);
    let Ok(known) = ApiKey::try_from(api_key) else {
        return Err(WireError::UnknownApi {
            key: api_key,
            correlation_id,
        });
    };

    let mut pos = FIXED_LEN;
    let client_id = read_client_id(frame, &mut pos)?;
    if header_is_flexible(known, api_key, api_version) {
        let mut walker = Walker::new(frame, pos, api_version, true, None);
        // The request header defines no tagged fields of its own: every tag
        // is skipped after its size is checked against the frame.
        walker.fields(&[])?;
        pos = walker.pos;
    }
    Ok((
        RequestHeader {
            api_key,
            api_version,
            correlation_id,
            client_id,
        },
        pos,
    ))
}

/// Whether (api, version) uses request header v2.
///
/// Our schema decides for the pairs we guard; for the other versions the
/// crate knows we take its word; anything else is treated as v1.
fn header_is_flexible(known: ApiKey, api_key: i16, version: i16) -> bool {
    if let Some(s) = schema::lookup(api_key, version) {
        return s.is_flexible(version);
    }
    let range = known.valid_versions();
    if range.min <= version && version <= range.max {
        return known.request_header_version(version) >= 2;
    }
    false
}

fn read_client_id(frame: &[u8], pos: &mut usize) -> Result<Option<String>, WireError> {
    let field = "client_id";
    let remaining = frame.len() - *pos;
    if remaining < 2 {
        return Err(WireError::Truncated {
            field,
            offset: *pos,
            needed: 2,
            remaining,
        });
    }
    let len = i16::from_be_bytes([frame[*pos], frame[*pos + 1]]);
    *pos += 2;
    if len == -1 {
        return Ok(None);
    }
    if len < 0 {
        return Err(WireError::NegativeLength {
            field,
            claimed: i64::from(len),
        });
    }
    let len = len as usize;
    let remaining = frame.len() - *pos;
    if len > remaining {
        return Err(WireError::LengthTooLarge {
            field,
            claimed: len as i64,
            remaining,
        });
    }
    let raw = &frame[*pos..*pos + len];
    *pos += len;
    // Kafka's Java broker decodes the client id leniently, so a client with a
    // stray byte in its id still gets served; we do the same.
    Ok(Some(String::from_utf8_lossy(raw).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(key: i16, version: i16, corr: i32, client: Option<&str>, tail: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&key.to_be_bytes());
        v.extend_from_slice(&version.to_be_bytes());
        v.extend_from_slice(&corr.to_be_bytes());
        match client {
            Some(c) => {
                v.extend_from_slice(&(c.len() as i16).to_be_bytes());
                v.extend_from_slice(c.as_bytes());
            }
            None => v.extend_from_slice(&(-1i16).to_be_bytes()),
        }
        v.extend_from_slice(tail);
        v
    }

    #[test]
    fn v1_header_has_no_tagged_fields() {
        // Metadata v8 is not flexible: the body starts right after client id.
        let f = frame(3, 8, 42, Some("rdkafka"), &[9, 9]);
        let (h, off) = parse_request_header(&f).unwrap();
        assert_eq!(h.api_key, 3);
        assert_eq!(h.api_version, 8);
        assert_eq!(h.correlation_id, 42);
        assert_eq!(h.client_id.as_deref(), Some("rdkafka"));
        assert_eq!(off, f.len() - 2);
    }

    #[test]
    fn v2_header_skips_tagged_fields() {
        // Metadata v12 is flexible: one unknown tag (7) of 3 bytes follows.
        let f = frame(3, 12, 7, None, &[1, 7, 3, 0xaa, 0xbb, 0xcc, 0x55]);
        let (h, off) = parse_request_header(&f).unwrap();
        assert_eq!(h.client_id, None);
        assert_eq!(off, f.len() - 1);
    }

    #[test]
    fn api_versions_v3_uses_header_v2_and_v2_uses_v1() {
        let f = frame(18, 3, 1, Some("c"), &[0, 0xee]);
        assert_eq!(parse_request_header(&f).unwrap().1, f.len() - 1);
        let f = frame(18, 2, 1, Some("c"), &[0, 0xee]);
        assert_eq!(parse_request_header(&f).unwrap().1, f.len() - 2);
    }

    #[test]
    fn header_flexibility_matches_the_crate_for_every_guarded_version() {
        for s in schema::ALL {
            let key = ApiKey::try_from(s.key).unwrap();
            for v in s.min..=s.max {
                assert_eq!(
                    header_is_flexible(key, s.key, v),
                    key.request_header_version(v) >= 2,
                    "{} v{v}",
                    s.name
                );
            }
        }
    }

    #[test]
    fn unknown_api_key_reports_correlation_id() {
        let f = frame(999, 0, 77, Some("x"), &[]);
        assert_eq!(
            parse_request_header(&f),
            Err(WireError::UnknownApi {
                key: 999,
                correlation_id: 77
            })
        );
    }

    #[test]
    fn unsupported_version_still_parses_as_v1() {
        // Metadata v99 does not exist; the trailing byte would be read as a
        // tagged-field count if the header were parsed as v2.
        let f = frame(3, 99, 5, Some("cli"), &[0x7f]);
        let (h, off) = parse_request_header(&f).unwrap();
        assert_eq!((h.api_version, h.correlation_id), (99, 5));
        assert_eq!(off, f.len() - 1);
    }

    #[test]
    fn bad_client_id_lengths_are_rejected() {
        let mut f = frame(3, 1, 5, None, &[]);
        f[8..10].copy_from_slice(&0x7fffi16.to_be_bytes());
        assert!(matches!(
            parse_request_header(&f),
            Err(WireError::LengthTooLarge { claimed: 32767, .. })
        ));
        f[8..10].copy_from_slice(&(-2i16).to_be_bytes());
        assert!(matches!(
            parse_request_header(&f),
            Err(WireError::NegativeLength { claimed: -2, .. })
        ));
    }

    #[test]
    fn huge_header_tag_sizes_are_rejected() {
        // Tag count 1, tag 0, size 2^31 as a varint.
        let f = frame(3, 12, 1, None, &[1, 0, 0x80, 0x80, 0x80, 0x80, 0x08]);
        assert!(matches!(
            parse_request_header(&f),
            Err(WireError::LengthTooLarge { .. })
        ));
        // Tag count 2^31.
        let f = frame(3, 12, 1, None, &[0x80, 0x80, 0x80, 0x80, 0x08]);
        assert!(matches!(
            parse_request_header(&f),
            Err(WireError::LengthTooLarge { .. })
        ));
    }

    #[test]
    fn short_frames_are_truncated_not_panics() {
        let full = frame(3, 12, 1, Some("abc"), &[1, 0, 2, 1, 2]);
        for n in 0..full.len() {
            assert!(
                matches!(
                    parse_request_header(&full[..n]),
                    Err(WireError::Truncated { .. }) | Err(WireError::LengthTooLarge { .. })
                ),
                "prefix of {n} bytes"
            );
        }
        assert!(parse_request_header(&full).is_ok());
    }

    #[test]
    fn invalid_utf8_client_id_is_tolerated() {
        let mut f = frame(3, 1, 5, Some("ab"), &[]);
        f[10] = 0xff;
        let (h, _) = parse_request_header(&f).unwrap();
        assert_eq!(h.client_id.as_deref(), Some("\u{fffd}b"));
    }
}
