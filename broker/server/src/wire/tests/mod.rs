//! Tests of the guard against `kafka-protocol` itself.

mod crate_built;
mod gen;
mod lengths;
mod props;

use bytes::Bytes;
use kafka_protocol::messages::ApiKey;

use super::guard::walk_request;
use super::schema::{self, ALL};
use super::{check_request_body, decode_request_body, WireError};
use gen::{crate_decode, crate_encode, gen_body, Rng};

/// Every API the broker needs (issue 2 and the next ones) has a schema.
#[test]
fn covers_every_planned_api() {
    let planned: &[i16] = &[
        18, 3, 0, 1, 2, 23, 19, 20, 37, 32, 33, 44, 21, 60, 35, // priority 1
        10, 11, 14, 12, 13, 8, 9, 16, 15, 42, 47, 22, 43, 45, 46, 62, 63, 56, 67,
    ];
    for key in planned {
        assert!(schema::schema_for(*key).is_some(), "api key {key} has no schema");
    }
    assert_eq!(ALL.len(), planned.len());
}

/// Our version ranges are exactly those the crate's request structs decode:
/// one below and one above, the crate refuses the version itself.
#[test]
fn version_ranges_match_the_crate() {
    for s in ALL {
        let key = ApiKey::try_from(s.key).unwrap();
        let crate_range = key.valid_versions();
        assert!(s.min >= crate_range.min && s.max <= crate_range.max, "{}", s.name);
        for v in [s.min - 1, s.max + 1] {
            let err = crate_decode(s.key, v, &[]).unwrap_err();
            assert!(err.contains("not supported"), "{} v{v}: {err}", s.name);
            assert_eq!(
                check_request_body(s.key, v, &[0; 64]),
                Err(WireError::UnsupportedVersion {
                    api_key: s.key,
                    version: v
                })
            );
        }
        for v in s.min..=s.max {
            if let Err(err) = crate_decode(s.key, v, &[]) {
                assert!(!err.contains("not supported"), "{} v{v}: {err}", s.name);
            }
        }
    }
}

#[test]
fn unknown_pairs_are_unsupported_not_unchecked() {
    for (key, version) in [(999, 0), (-1, 0), (17, 1), (8, 10), (9, 10), (22, 6), (3, -1)] {
        assert_eq!(
            check_request_body(key, version, &[]),
            Err(WireError::UnsupportedVersion {
                api_key: key,
                version
            })
        );
    }
}

/// The schema agrees with the crate for every (api, version): a body
/// generated from our schema decodes with the crate, consumes every byte and
/// re-encodes to the same bytes; the guard accepts it and walks it to the end;
/// `decode_request_body` returns the same request.
#[test]
fn generated_bodies_round_trip_through_the_crate() {
    for s in ALL {
        for v in s.min..=s.max {
            for seed in 0..24u64 {
                let mut rng = Rng::new(seed * 131 + v as u64 * 7 + s.key as u64);
                let body = gen_body(s, v, &mut rng);
                let ctx = format!("{} v{v} seed {seed}", s.name);
                let (decoded, used) = crate_decode(s.key, v, &body)
                    .unwrap_or_else(|e| panic!("{ctx}: crate refused generated body: {e}"));
                assert_eq!(used, body.len(), "{ctx}: crate left bytes");
                assert_eq!(crate_encode(&decoded, v), body, "{ctx}: re-encoding differs");
                assert_eq!(walk_request(s.key, v, &body, None), Ok(body.len()), "{ctx}");
                let via_guard = decode_request_body(s.key, v, Bytes::from(body.clone()))
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(via_guard, decoded, "{ctx}");
            }
        }
    }
}

/// Every proper prefix of a valid body is refused without panicking (or, if a
/// prefix happens to be a complete request, the crate decodes it too).
#[test]
fn truncated_bodies_are_refused() {
    for s in ALL {
        for v in s.min..=s.max {
            let mut rng = Rng::new(v as u64 + 1000 * s.key as u64);
            let body = gen_body(s, v, &mut rng);
            for cut in 0..body.len() {
                let prefix = &body[..cut];
                if check_request_body(s.key, v, prefix).is_ok() {
                    assert!(
                        crate_decode(s.key, v, prefix).is_ok(),
                        "{} v{v} cut {cut}",
                        s.name
                    );
                }
            }
        }
    }
}

/// A 20-byte Metadata request claiming 2^31-1 topics: the crate would call
/// `Vec::with_capacity(0x7fffffff)` on it.
#[test]
fn tiny_frame_with_huge_array_is_refused() {
    let mut body = vec![0x7f, 0xff, 0xff, 0xff];
    body.extend_from_slice(&[0; 16]);
    assert_eq!(
        check_request_body(3, 1, &body),
        Err(WireError::LengthTooLarge {
            field: "topics",
            claimed: 0x7fff_ffff,
            remaining: 16
        })
    );
    assert!(matches!(
        decode_request_body(3, 1, Bytes::from(body)),
        Err(WireError::LengthTooLarge { .. })
    ));
    // Same through a compact (flexible) count: varint 2^31 + 1.
    let body = [0x81, 0x80, 0x80, 0x80, 0x08, 0, 0, 0];
    assert!(matches!(
        check_request_body(3, 12, &body),
        Err(WireError::LengthTooLarge {
            claimed: 0x8000_0000,
            ..
        })
    ));
}

#[test]
fn known_tag_rules() {
    // Fetch v12 with tag 1 (replica_state, v15+): the crate refuses it, so do we.
    let fetch12 = |tags: &[u8]| {
        let mut b = Vec::new();
        b.extend_from_slice(&(-1i32).to_be_bytes()); // replica_id
        b.extend_from_slice(&[0; 12]); // max_wait, min_bytes, max_bytes
        b.push(0); // isolation_level
        b.extend_from_slice(&[0; 8]); // session id, epoch
        b.extend_from_slice(&[1, 1, 1]); // topics, forgotten: empty; rack_id ""
        b.extend_from_slice(tags);
        b
    };
    let ok = fetch12(&[1, 0, 2, 2, b'x']); // cluster_id = "x"
    assert_eq!(check_request_body(1, 12, &ok), Ok(()));
    assert!(crate_decode(1, 12, &ok).is_ok());
    let bad = fetch12(&[1, 1, 12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);
    assert!(matches!(
        check_request_body(1, 12, &bad),
        Err(WireError::TagNotValid { tag: 1, .. })
    ));
    assert!(crate_decode(1, 12, &bad).is_err());
    // Declared size 5 for a 2-byte value: the crate would read the next tag
    // from the middle of this one.
    let mismatch = fetch12(&[1, 0, 5, 2, b'x', 0, 0, 0]);
    assert!(matches!(
        check_request_body(1, 12, &mismatch),
        Err(WireError::TagSizeMismatch {
            declared: 5,
            actual: 2,
            ..
        })
    ));
}

#[test]
fn overlong_varints_are_refused() {
    // DescribeCluster v0 (flexible): bool, then a tag count written in 6 bytes.
    let body = [0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    assert!(matches!(
        check_request_body(60, 0, &body),
        Err(WireError::BadVarint { .. })
    ));
    // Five bytes whose value needs more than 32 bits.
    let body = [0, 0x80, 0x80, 0x80, 0x80, 0x10];
    assert!(matches!(
        check_request_body(60, 0, &body),
        Err(WireError::BadVarint { .. })
    ));
}

/// Finds the element type of the array at `path` (field names from the top).
fn element(api_key: i16, path: &[&str]) -> &'static schema::Ty {
    let mut fields = schema::schema_for(api_key).unwrap().body;
    let mut found = None;
    for name in path {
        let field = fields.iter().find(|f| f.name == *name).unwrap();
        let schema::Ty::Array(elem) = &field.ty else {
            panic!("{name} is not an array")
        };
        if let schema::Ty::Struct(inner) = elem {
            fields = inner;
        }
        found = Some(*elem);
    }
    found.unwrap()
}

/// The per-element memory estimate bounds the crate's real element sizes.
#[test]
fn element_cost_bounds_the_crate_types() {
    use super::guard::element_cost;
    use kafka_protocol::messages::*;
    use std::mem::size_of;
    let cases: &[(usize, i16, &[&str])] = &[
        (size_of::<produce_request::TopicProduceData>(), 0, &["topic_data"]),
        (
            size_of::<produce_request::PartitionProduceData>(),
            0,
            &["topic_data", "partition_data"],
        ),
        (size_of::<fetch_request::FetchTopic>(), 1, &["topics"]),
        (
            size_of::<fetch_request::FetchPartition>(),
            1,
            &["topics", "partitions"],
        ),
        (
            size_of::<fetch_request::ForgottenTopic>(),
            1,
            &["forgotten_topics_data"],
        ),
        (
            size_of::<list_offsets_request::ListOffsetsPartition>(),
            2,
            &["topics", "partitions"],
        ),
        (
            size_of::<metadata_request::MetadataRequestTopic>(),
            3,
            &["topics"],
        ),
        (
            size_of::<offset_commit_request::OffsetCommitRequestTopic>(),
            8,
            &["topics"],
        ),
        (
            size_of::<offset_commit_request::OffsetCommitRequestPartition>(),
            8,
            &["topics", "partitions"],
        ),
        (
            size_of::<offset_fetch_request::OffsetFetchRequestGroup>(),
            9,
            &["groups"],
        ),
        (
            size_of::<join_group_request::JoinGroupRequestProtocol>(),
            11,
            &["protocols"],
        ),
        (size_of::<leave_group_request::MemberIdentity>(), 13, &["members"]),
        (size_of::<kafka_protocol::protocol::StrBytes>(), 15, &["groups"]),
        (
            size_of::<create_topics_request::CreatableTopic>(),
            19,
            &["topics"],
        ),
        (
            size_of::<create_topics_request::CreatableTopicConfig>(),
            19,
            &["topics", "configs"],
        ),
        (
            size_of::<delete_topics_request::DeleteTopicState>(),
            20,
            &["topics"],
        ),
        (
            size_of::<describe_configs_request::DescribeConfigsResource>(),
            32,
            &["resources"],
        ),
        (
            size_of::<create_partitions_request::CreatePartitionsTopic>(),
            37,
            &["topics"],
        ),
        (
            size_of::<BrokerId>(),
            37,
            &["topics", "assignments", "broker_ids"],
        ),
        (
            size_of::<alter_partition_request::PartitionData>(),
            56,
            &["topics", "partitions"],
        ),
        (
            size_of::<broker_registration_request::Listener>(),
            62,
            &["listeners"],
        ),
    ];
    for (real, key, path) in cases {
        let estimate = element_cost(element(*key, path));
        assert!(
            *real as u64 <= estimate,
            "api {key} {path:?}: size {real} > estimate {estimate}"
        );
    }
}

/// Many tiny elements: counts are consistent with the bytes, but decoding
/// would allocate far more than the frame; the budget stops it.
#[test]
fn decode_budget_caps_amplification() {
    // DescribeGroups v5: compact array of 9M empty group names (1 byte each)
    // -> 9 MB on the wire, ~288 MB of StrBytes once decoded.
    let n: u32 = 9_000_000;
    let mut body = Vec::with_capacity(n as usize + 8);
    let mut v = n + 1;
    while v >= 0x80 {
        body.push((v as u8) | 0x80);
        v >>= 7;
    }
    body.push(v as u8);
    body.resize(body.len() + n as usize, 1);
    body.extend_from_slice(&[0, 0]);
    assert!(matches!(
        check_request_body(15, 5, &body),
        Err(WireError::DecodeBudget { field: "groups", .. })
    ));
    // A tenth of it is fine.
    let n = 900_000u32;
    let mut body = vec![0xa1, 0xf7, 0x36]; // varint 900_001
    body.resize(body.len() + n as usize, 1);
    body.extend_from_slice(&[0, 0]);
    assert_eq!(check_request_body(15, 5, &body), Ok(()));
}

/// Writes one valid frame per (api, version) into `$KAVKA_FUZZ_SEEDS`, as a
/// starting corpus for the cargo-fuzz target (which otherwise spends its
/// first minutes discovering api keys and versions).
#[test]
#[ignore = "writes files; run by hand to refresh the fuzz corpus"]
fn write_fuzz_seeds() {
    let dir = std::env::var("KAVKA_FUZZ_SEEDS").expect("set KAVKA_FUZZ_SEEDS to a directory");
    std::fs::create_dir_all(&dir).unwrap();
    for s in ALL {
        for v in s.min..=s.max {
            let mut frame = Vec::new();
            frame.extend_from_slice(&s.key.to_be_bytes());
            frame.extend_from_slice(&v.to_be_bytes());
            frame.extend_from_slice(&7i32.to_be_bytes());
            frame.extend_from_slice(&4i16.to_be_bytes());
            frame.extend_from_slice(b"seed");
            if s.is_flexible(v) {
                frame.push(0);
            }
            frame.extend_from_slice(&gen_body(s, v, &mut Rng::new(v as u64)));
            std::fs::write(format!("{dir}/{}-v{v}", s.name), frame).unwrap();
        }
    }
}
