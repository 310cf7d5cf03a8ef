//! The records of `__consumer_offsets`, in Kafka's own binary formats so
//! that Kafka's tools (e.g. kafka-console-consumer with the offsets
//! formatter) can read our log and we can read theirs.
//!
//! Every key and value starts with an i16 version. Keys (never flexible):
//! - versions 0 and 1: OffsetCommitKey `group: STRING, topic: STRING, partition: INT32`
//! - version 2: GroupMetadataKey `group: STRING`
//! - higher versions are other coordinators' records (KIP-848, share groups...).
//!
//! OffsetCommitValue: v0/v2 `offset, metadata, commit_timestamp`;
//! v1 adds `expire_timestamp`; v3 `offset, leader_epoch, metadata, commit_timestamp`;
//! v4 is v3 in the flexible encoding. We write v3, or v1 when the commit
//! carries an explicit retention (as Kafka does).
//!
//! GroupMetadataValue: `protocol_type, generation, protocol?, leader?,
//! [current_state_timestamp (v2+)], members[member_id, [group_instance_id? (v3+)],
//! client_id, client_host, [rebalance_timeout (v1+)], session_timeout,
//! subscription, assignment]`; v4 is v3 in the flexible encoding. We write v3.
//!
//! A tombstone (null value) deletes an offset or a group.

use bytes::Bytes;

use super::codec::{DecodeError, Reader, Writer};
use super::types::{GroupId, TopicPartition};

/// A key/value pair to append to (or read from) `__consumer_offsets`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub key: Bytes,
    /// `None` is a tombstone.
    pub value: Option<Bytes>,
}

/// A decoded record key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKey {
    OffsetCommit {
        group: String,
        topic: String,
        partition: i32,
    },
    GroupMetadata {
        group: String,
    },
    /// A record type this coordinator does not handle.
    Other {
        version: i16,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetCommitValue {
    pub offset: i64,
    /// -1 when unknown (and in versions before 3).
    pub leader_epoch: i32,
    pub metadata: String,
    pub commit_timestamp: i64,
    /// Only in version 1 (commits with an explicit retention time).
    pub expire_timestamp: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMetadataValue {
    pub protocol_type: String,
    pub generation: i32,
    pub protocol: Option<String>,
    pub leader: Option<String>,
    /// -1 when unknown (and in versions before 2).
    pub current_state_timestamp: i64,
    pub members: Vec<MemberMetadata>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberMetadata {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub client_id: String,
    pub client_host: String,
    /// -1 in version 0 (no rebalance timeout; use the session timeout).
    pub rebalance_timeout: i32,
    pub session_timeout: i32,
    pub subscription: Bytes,
    pub assignment: Bytes,
}

const OFFSET_KEY_VERSION: i16 = 1;
const GROUP_KEY_VERSION: i16 = 2;

pub fn encode_key(key: &RecordKey) -> Bytes {
    let mut w = Writer::new();
    match key {
        RecordKey::OffsetCommit {
            group,
            topic,
            partition,
        } => {
            w.i16(OFFSET_KEY_VERSION)
                .string(group)
                .string(topic)
                .i32(*partition);
        }
        RecordKey::GroupMetadata { group } => {
            w.i16(GROUP_KEY_VERSION).string(group);
        }
        RecordKey::Other { version } => {
            w.i16(*version);
        }
    }
    w.finish()
}

pub fn decode_key(bytes: &[u8]) -> Result<RecordKey, DecodeError> {
    let mut r = Reader::new(bytes);
    let version = r.i16("record key version")?;
    match version {
        0 | 1 => Ok(RecordKey::OffsetCommit {
            group: r.string("offset key group")?,
            topic: r.string("offset key topic")?,
            partition: r.i32("offset key partition")?,
        }),
        2 => Ok(RecordKey::GroupMetadata {
            group: r.string("group key group")?,
        }),
        v if v < 0 => Err(DecodeError::UnsupportedVersion {
            what: "record key",
            version: v,
        }),
        v => Ok(RecordKey::Other { version: v }),
    }
}

pub fn encode_offset_commit_value(v: &OffsetCommitValue) -> Bytes {
    let mut w = Writer::new();
    match v.expire_timestamp {
        Some(expire) => {
            w.i16(1)
                .i64(v.offset)
                .string(&v.metadata)
                .i64(v.commit_timestamp)
                .i64(expire);
        }
        None => {
            w.i16(3)
                .i64(v.offset)
                .i32(v.leader_epoch)
                .string(&v.metadata)
                .i64(v.commit_timestamp);
        }
    }
    w.finish()
}

pub fn decode_offset_commit_value(bytes: &[u8]) -> Result<OffsetCommitValue, DecodeError> {
    let mut r = Reader::new(bytes);
    let version = r.i16("offset value version")?;
    let offset = |r: &mut Reader| r.i64("offset value offset");
    match version {
        0 | 2 => Ok(OffsetCommitValue {
            offset: offset(&mut r)?,
            leader_epoch: -1,
            metadata: r.string("offset value metadata")?,
            commit_timestamp: r.i64("offset value commit timestamp")?,
            expire_timestamp: None,
        }),
        1 => Ok(OffsetCommitValue {
            offset: offset(&mut r)?,
            leader_epoch: -1,
            metadata: r.string("offset value metadata")?,
            commit_timestamp: r.i64("offset value commit timestamp")?,
            expire_timestamp: Some(r.i64("offset value expire timestamp")?),
        }),
        3 => Ok(OffsetCommitValue {
            offset: offset(&mut r)?,
            leader_epoch: r.i32("offset value leader epoch")?,
            metadata: r.string("offset value metadata")?,
            commit_timestamp: r.i64("offset value commit timestamp")?,
            expire_timestamp: None,
        }),
        4 => {
            let value = OffsetCommitValue {
                offset: offset(&mut r)?,
                leader_epoch: r.i32("offset value leader epoch")?,
                metadata: r.compact_string("offset value metadata")?,
                commit_timestamp: r.i64("offset value commit timestamp")?,
                expire_timestamp: None,
            };
            r.skip_tagged_fields("offset value tagged fields")?;
            Ok(value)
        }
        v => Err(DecodeError::UnsupportedVersion {
            what: "offset commit value",
            version: v,
        }),
    }
}

pub fn encode_group_metadata_value(v: &GroupMetadataValue) -> Bytes {
    let mut w = Writer::new();
    w.i16(3)
        .string(&v.protocol_type)
        .i32(v.generation)
        .nullable_string(v.protocol.as_deref())
        .nullable_string(v.leader.as_deref())
        .i64(v.current_state_timestamp)
        .i32(v.members.len() as i32);
    for m in &v.members {
        w.string(&m.member_id)
            .nullable_string(m.group_instance_id.as_deref())
            .string(&m.client_id)
            .string(&m.client_host)
            .i32(m.rebalance_timeout)
            .i32(m.session_timeout)
            .bytes(&m.subscription)
            .bytes(&m.assignment);
    }
    w.finish()
}

pub fn decode_group_metadata_value(bytes: &[u8]) -> Result<GroupMetadataValue, DecodeError> {
    let mut r = Reader::new(bytes);
    let version = r.i16("group value version")?;
    if !(0..=4).contains(&version) {
        return Err(DecodeError::UnsupportedVersion {
            what: "group metadata value",
            version,
        });
    }
    if version == 4 {
        return decode_group_metadata_flexible(&mut r);
    }
    let protocol_type = r.string("group value protocol type")?;
    let generation = r.i32("group value generation")?;
    let protocol = r.nullable_string("group value protocol")?;
    let leader = r.nullable_string("group value leader")?;
    let current_state_timestamp = if version >= 2 {
        r.i64("group value state timestamp")?
    } else {
        -1
    };
    let count = r
        .array_len("group value members")?
        .ok_or(DecodeError::UnexpectedNull {
            what: "group value members",
        })?;
    let mut members = Vec::new();
    for _ in 0..count {
        let member_id = r.string("member id")?;
        let group_instance_id = if version >= 3 {
            r.nullable_string("member group instance id")?
        } else {
            None
        };
        let client_id = r.string("member client id")?;
        let client_host = r.string("member client host")?;
        let rebalance_timeout = if version >= 1 {
            r.i32("member rebalance timeout")?
        } else {
            -1
        };
        members.push(MemberMetadata {
            member_id,
            group_instance_id,
            client_id,
            client_host,
            rebalance_timeout,
            session_timeout: r.i32("member session timeout")?,
            subscription: r.bytes("member subscription")?,
            assignment: r.bytes("member assignment")?,
        });
    }
    Ok(GroupMetadataValue {
        protocol_type,
        generation,
        protocol,
        leader,
        current_state_timestamp,
        members,
    })
}

fn decode_group_metadata_flexible(r: &mut Reader) -> Result<GroupMetadataValue, DecodeError> {
    let protocol_type = r.compact_string("group value protocol type")?;
    let generation = r.i32("group value generation")?;
    let protocol = r.compact_nullable_string("group value protocol")?;
    let leader = r.compact_nullable_string("group value leader")?;
    let current_state_timestamp = r.i64("group value state timestamp")?;
    let count = r
        .compact_array_len("group value members")?
        .ok_or(DecodeError::UnexpectedNull {
            what: "group value members",
        })?;
    let mut members = Vec::new();
    for _ in 0..count {
        members.push(MemberMetadata {
            member_id: r.compact_string("member id")?,
            group_instance_id: r.compact_nullable_string("member group instance id")?,
            client_id: r.compact_string("member client id")?,
            client_host: r.compact_string("member client host")?,
            rebalance_timeout: r.i32("member rebalance timeout")?,
            session_timeout: r.i32("member session timeout")?,
            subscription: r.compact_bytes("member subscription")?,
            assignment: r.compact_bytes("member assignment")?,
        });
        r.skip_tagged_fields("member tagged fields")?;
    }
    r.skip_tagged_fields("group value tagged fields")?;
    Ok(GroupMetadataValue {
        protocol_type,
        generation,
        protocol,
        leader,
        current_state_timestamp,
        members,
    })
}

fn offset_key(group: &GroupId, tp: &TopicPartition) -> Bytes {
    encode_key(&RecordKey::OffsetCommit {
        group: group.0.clone(),
        topic: tp.topic.clone(),
        partition: tp.partition,
    })
}

pub fn offset_commit_record(group: &GroupId, tp: &TopicPartition, value: &OffsetCommitValue) -> Record {
    Record {
        key: offset_key(group, tp),
        value: Some(encode_offset_commit_value(value)),
    }
}

pub fn offset_tombstone(group: &GroupId, tp: &TopicPartition) -> Record {
    Record {
        key: offset_key(group, tp),
        value: None,
    }
}

pub fn group_metadata_record(group: &GroupId, value: &GroupMetadataValue) -> Record {
    Record {
        key: encode_key(&RecordKey::GroupMetadata {
            group: group.0.clone(),
        }),
        value: Some(encode_group_metadata_value(value)),
    }
}

pub fn group_tombstone(group: &GroupId) -> Record {
    Record {
        key: encode_key(&RecordKey::GroupMetadata {
            group: group.0.clone(),
        }),
        value: None,
    }
}

/// Java's `String.hashCode`: `h = 31 * h + c` over UTF-16 code units, with
/// i32 wrap-around.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, unit| h.wrapping_mul(31).wrapping_add(i32::from(unit)))
}

/// The `__consumer_offsets` partition of a group, as Kafka computes it:
/// `Utils.abs(groupId.hashCode) % offsets.topic.num.partitions`, where
/// Kafka's `abs` maps i32::MIN to 0.
pub fn group_partition(group_id: &str, num_partitions: i32) -> i32 {
    if num_partitions <= 0 {
        return 0;
    }
    let hash = java_string_hash(group_id);
    let abs = if hash == i32::MIN { 0 } else { hash.abs() };
    abs % num_partitions
}
