//! `__consumer_offsets` formats, checked against byte strings written by
//! hand from Kafka's schemas (OffsetCommitKey/Value.json,
//! GroupMetadataKey/Value.json), and `group_partition`.

use proptest::prelude::*;

use super::*;

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn be64(v: i64) -> [u8; 8] {
    v.to_be_bytes()
}

#[test]
fn offset_commit_key_v1() {
    let bytes = cat(&[&[0, 1], &[0, 2], b"g1", &[0, 1], b"t", &[0, 0, 0, 5]]);
    let key = RecordKey::OffsetCommit {
        group: "g1".into(),
        topic: "t".into(),
        partition: 5,
    };
    assert_eq!(decode_key(&bytes).unwrap(), key);
    assert_eq!(encode_key(&key).as_ref(), bytes.as_slice());
    // Version 0 has the same layout.
    let mut v0 = bytes.clone();
    v0[1] = 0;
    assert_eq!(decode_key(&v0).unwrap(), key);
}

#[test]
fn group_metadata_key_v2_and_other_keys() {
    let bytes = cat(&[&[0, 2], &[0, 3], b"grp"]);
    let key = RecordKey::GroupMetadata { group: "grp".into() };
    assert_eq!(decode_key(&bytes).unwrap(), key);
    assert_eq!(encode_key(&key).as_ref(), bytes.as_slice());
    assert_eq!(
        decode_key(&[0, 11, 1, 2]).unwrap(),
        RecordKey::Other { version: 11 }
    );
    assert!(decode_key(&[0xff, 0xff]).is_err());
    assert!(decode_key(&[0]).is_err());
}

#[test]
fn offset_commit_value_versions() {
    let v3 = cat(&[&[0, 3], &be64(100), &[0, 0, 0, 7], &[0, 2], b"md", &be64(1234)]);
    let value = OffsetCommitValue {
        offset: 100,
        leader_epoch: 7,
        metadata: "md".into(),
        commit_timestamp: 1234,
        expire_timestamp: None,
    };
    assert_eq!(decode_offset_commit_value(&v3).unwrap(), value);
    assert_eq!(encode_offset_commit_value(&value).as_ref(), v3.as_slice());

    let v1 = cat(&[&[0, 1], &be64(100), &[0, 0], &be64(1234), &be64(5678)]);
    let expiring = OffsetCommitValue {
        leader_epoch: -1,
        metadata: String::new(),
        expire_timestamp: Some(5678),
        ..value.clone()
    };
    assert_eq!(decode_offset_commit_value(&v1).unwrap(), expiring);
    assert_eq!(encode_offset_commit_value(&expiring).as_ref(), v1.as_slice());

    for version in [0u8, 2] {
        let old = cat(&[&[0, version], &be64(100), &[0, 2], b"md", &be64(1234)]);
        let decoded = decode_offset_commit_value(&old).unwrap();
        assert_eq!(
            decoded,
            OffsetCommitValue {
                leader_epoch: -1,
                ..value.clone()
            }
        );
    }

    // v4: flexible, with an unknown tagged field to skip.
    let v4 = cat(&[
        &[0, 4],
        &be64(100),
        &[0, 0, 0, 7],
        &[3],
        b"md",
        &be64(1234),
        &[1, 0, 2, 0xaa, 0xbb],
    ]);
    assert_eq!(decode_offset_commit_value(&v4).unwrap(), value);
    assert!(decode_offset_commit_value(&[0, 5, 0]).is_err());
}

fn member_v3() -> MemberMetadata {
    MemberMetadata {
        member_id: "m1".into(),
        group_instance_id: None,
        client_id: "c".into(),
        client_host: "h".into(),
        rebalance_timeout: 300,
        session_timeout: 100,
        subscription: Bytes::from_static(&[1, 2]),
        assignment: Bytes::from_static(&[3]),
    }
}

#[test]
fn group_metadata_value_v3() {
    let bytes = cat(&[
        &[0, 3],
        &[0, 8],
        b"consumer",
        &[0, 0, 0, 4],
        &[0, 5],
        b"range",
        &[0, 2],
        b"m1",
        &be64(99),
        &[0, 0, 0, 1],
        &[0, 2],
        b"m1",
        &[0xff, 0xff],
        &[0, 1],
        b"c",
        &[0, 1],
        b"h",
        &[0, 0, 1, 0x2c],
        &[0, 0, 0, 0x64],
        &[0, 0, 0, 2, 1, 2],
        &[0, 0, 0, 1, 3],
    ]);
    let value = GroupMetadataValue {
        protocol_type: "consumer".into(),
        generation: 4,
        protocol: Some("range".into()),
        leader: Some("m1".into()),
        current_state_timestamp: 99,
        members: vec![member_v3()],
    };
    assert_eq!(decode_group_metadata_value(&bytes).unwrap(), value);
    assert_eq!(encode_group_metadata_value(&value).as_ref(), bytes.as_slice());
    // Every strict prefix is rejected, never a panic.
    for n in 0..bytes.len() {
        assert!(decode_group_metadata_value(&bytes[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn group_metadata_value_v0_and_empty() {
    let v0 = cat(&[
        &[0, 0],
        &[0, 8],
        b"consumer",
        &[0, 0, 0, 4],
        &[0xff, 0xff],
        &[0xff, 0xff],
        &[0, 0, 0, 1],
        &[0, 2],
        b"m1",
        &[0, 1],
        b"c",
        &[0, 1],
        b"h",
        &[0, 0, 0, 0x64],
        &[0, 0, 0, 2, 1, 2],
        &[0, 0, 0, 1, 3],
    ]);
    let v = decode_group_metadata_value(&v0).unwrap();
    assert_eq!(v.protocol, None);
    assert_eq!(v.leader, None);
    assert_eq!(v.current_state_timestamp, -1);
    assert_eq!(
        v.members,
        vec![MemberMetadata {
            rebalance_timeout: -1,
            ..member_v3()
        }]
    );
}

#[test]
fn group_metadata_value_v4_flexible() {
    let bytes = cat(&[
        &[0, 4],
        &[9],
        b"consumer",
        &[0, 0, 0, 4],
        &[0],
        &[0],
        &be64(99),
        &[2],
        &[3],
        b"m1",
        &[0],
        &[2],
        b"c",
        &[2],
        b"h",
        &[0, 0, 1, 0x2c],
        &[0, 0, 0, 0x64],
        &[3, 1, 2],
        &[2, 3],
        &[0],
        &[0],
    ]);
    let v = decode_group_metadata_value(&bytes).unwrap();
    assert_eq!(v.protocol, None);
    assert_eq!(v.members, vec![member_v3()]);
    for n in 0..bytes.len() {
        assert!(decode_group_metadata_value(&bytes[..n]).is_err(), "prefix {n}");
    }
}

#[test]
fn lengths_from_the_wire_are_bounded() {
    // A members count of i32::MAX with nothing behind it.
    let bytes = cat(&[
        &[0, 3],
        &[0, 0],
        &[0, 0, 0, 1],
        &[0xff, 0xff],
        &[0xff, 0xff],
        &be64(0),
        &[0x7f, 0xff, 0xff, 0xff],
    ]);
    assert!(matches!(
        decode_group_metadata_value(&bytes),
        Err(DecodeError::InvalidLength { .. })
    ));
    // A string claiming more bytes than remain, and a negative length.
    assert!(matches!(
        decode_key(&[0, 2, 0x7f, 0xff, b'a']),
        Err(DecodeError::Truncated { .. })
    ));
    assert!(matches!(
        decode_key(&[0, 2, 0xff, 0xfe]),
        Err(DecodeError::InvalidLength { .. })
    ));
    // Flexible: a compact length beyond the input, a runaway varint.
    assert!(decode_offset_commit_value(&cat(&[
        &[0, 4],
        &be64(1),
        &[0, 0, 0, 0],
        &[0xff, 0xff, 0xff, 0x0f]
    ]))
    .is_err());
    assert!(matches!(
        decode_offset_commit_value(&cat(&[&[0, 4], &be64(1), &[0, 0, 0, 0], &[0xff; 6]])),
        Err(DecodeError::BadVarint { .. })
    ));
    assert!(matches!(
        decode_group_metadata_value(&cat(&[&[0, 1], &[0, 1], &[0xc3]])),
        Err(DecodeError::InvalidUtf8 { .. }) | Err(DecodeError::Truncated { .. })
    ));
}

#[test]
fn tombstones_have_no_value() {
    let g = GroupId::new("g");
    let t = group_tombstone(&g);
    assert_eq!(t.value, None);
    assert_eq!(
        decode_key(&t.key).unwrap(),
        RecordKey::GroupMetadata { group: "g".into() }
    );
    let o = offset_tombstone(&g, &TopicPartition::new("t", 1));
    assert_eq!(o.value, None);
}

#[test]
fn java_string_hash_matches_known_values() {
    assert_eq!(java_string_hash(""), 0);
    assert_eq!(java_string_hash("a"), 97);
    // 97 * 31 + 98
    assert_eq!(java_string_hash("ab"), 3105);
    // Computed with an independent UTF-16 implementation of hashCode.
    assert_eq!(java_string_hash("test-group"), 627_841_412);
    assert_eq!(java_string_hash("my-group"), -1_906_497_762);
    // The famous string whose hashCode is Integer.MIN_VALUE.
    assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
    // A supplementary character counts as two UTF-16 units: 0xD83D * 31 + 0xDE00.
    assert_eq!(java_string_hash("😀"), 0xD83D * 31 + 0xDE00);
}

#[test]
fn group_partition_matches_kafka() {
    assert_eq!(group_partition("", 50), 0);
    assert_eq!(group_partition("a", 50), 97 % 50);
    assert_eq!(group_partition("test-group", 50), 627_841_412 % 50);
    assert_eq!(group_partition("my-group", 50), 1_906_497_762 % 50);
    // Utils.abs(Integer.MIN_VALUE) == 0, not a negative partition.
    assert_eq!(group_partition("polygenelubricants", 50), 0);
    assert_eq!(group_partition("polygenelubricants", 7), 0);
    assert_eq!(group_partition("x", 1), 0);
}

fn arb_string() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9 ._-]{0,12}"
}

fn arb_bytes() -> impl Strategy<Value = Bytes> {
    proptest::collection::vec(any::<u8>(), 0..16).prop_map(Bytes::from)
}

prop_compose! {
    fn arb_member()(
        member_id in arb_string(), instance in proptest::option::of(arb_string()),
        client_id in arb_string(), client_host in arb_string(),
        rebalance_timeout in any::<i32>(), session_timeout in any::<i32>(),
        subscription in arb_bytes(), assignment in arb_bytes(),
    ) -> MemberMetadata {
        MemberMetadata { member_id, group_instance_id: instance, client_id, client_host,
            rebalance_timeout, session_timeout, subscription, assignment }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn group_metadata_round_trips(
        protocol_type in arb_string(), generation in any::<i32>(),
        protocol in proptest::option::of(arb_string()), leader in proptest::option::of(arb_string()),
        ts in any::<i64>(), members in proptest::collection::vec(arb_member(), 0..4),
    ) {
        let v = GroupMetadataValue { protocol_type, generation, protocol, leader, current_state_timestamp: ts, members };
        prop_assert_eq!(decode_group_metadata_value(&encode_group_metadata_value(&v)).unwrap(), v);
    }

    #[test]
    fn offset_value_round_trips(offset in any::<i64>(), epoch in -1i32..100, metadata in arb_string(),
        commit in any::<i64>(), expire in proptest::option::of(any::<i64>())) {
        // Version 1 (with an expire timestamp) has no leader epoch.
        let leader_epoch = if expire.is_some() { -1 } else { epoch };
        let v = OffsetCommitValue { offset, leader_epoch, metadata, commit_timestamp: commit, expire_timestamp: expire };
        prop_assert_eq!(decode_offset_commit_value(&encode_offset_commit_value(&v)).unwrap(), v);
    }

    #[test]
    fn decoders_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_key(&bytes);
        let _ = decode_offset_commit_value(&bytes);
        let _ = decode_group_metadata_value(&bytes);
        let _ = subscribed_topics(&bytes);
    }

    #[test]
    fn group_partition_is_in_range(id in ".{0,20}", n in 1i32..200) {
        let p = group_partition(&id, n);
        prop_assert!((0..n).contains(&p));
    }
}

#[test]
fn subscription_topics() {
    assert_eq!(
        subscribed_topics(&subscription(&["a", "bb"])).unwrap(),
        vec!["a", "bb"]
    );
    // Version 0 exactly: topics + null user data.
    let v0 = cat(&[&[0, 0], &[0, 0, 0, 1], &[0, 1], b"x", &[0xff, 0xff, 0xff, 0xff]]);
    assert_eq!(subscribed_topics(&v0).unwrap(), vec!["x"]);
    assert!(subscribed_topics(&v0[..v0.len() - 1]).is_err());
    assert!(subscribed_topics(&[0xff, 0xff, 0, 0, 0, 0]).is_err());
}
