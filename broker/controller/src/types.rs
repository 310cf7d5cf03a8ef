//! Domain newtypes for cluster metadata.
//!
//! Names follow Kafka: topic names are validated with Kafka's rules and ids are
//! displayed the way Kafka displays them (URL-safe base64 of the 16 uuid bytes,
//! no padding), so ids printed by Kavka can be pasted into Kafka tools.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::{InvalidTopicName, UuidParseError};

/// Longest legal topic name (Kafka's `Topic.MAX_NAME_LENGTH`).
pub const MAX_TOPIC_NAME_LEN: usize = 249;

/// A validated Kafka topic name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicName(String);

impl TopicName {
    /// Validates `name` with Kafka's rules: 1..=249 characters of
    /// `[a-zA-Z0-9._-]`, and neither `.` nor `..` (they would be path components).
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidTopicName> {
        let name = name.into();
        // Characters are checked before the length so that a name of
        // multi-byte characters gets the more useful error.
        let bad_char = name.chars().find(|c| !is_legal_topic_char(*c));
        let reason = if name.is_empty() {
            Some("the name is empty".to_string())
        } else if name == "." || name == ".." {
            Some("'.' and '..' are not allowed as topic names".to_string())
        } else if let Some(c) = bad_char {
            Some(format!(
                "it contains the character {c:?}; only ASCII letters, digits, '.', '_' and \
                 '-' are allowed"
            ))
        } else if name.len() > MAX_TOPIC_NAME_LEN {
            Some(format!(
                "the name is {} characters long, the maximum is {MAX_TOPIC_NAME_LEN}",
                name.len()
            ))
        } else {
            None
        };
        match reason {
            Some(reason) => Err(InvalidTopicName { name, reason }),
            None => Ok(Self(name)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The form Kafka uses to detect names that collide in metric names, where
    /// '.' and '_' are interchangeable (`Topic.unifyCollisionChars`).
    pub fn collision_key(&self) -> String {
        self.0.replace('.', "_")
    }

    /// Whether two distinct names would collide in metric names.
    pub fn collides_with(&self, other: &TopicName) -> bool {
        self != other && self.collision_key() == other.collision_key()
    }
}

fn is_legal_topic_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-'
}

impl fmt::Display for TopicName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for TopicName {
    type Err = InvalidTopicName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

// Sound because Eq, Ord and Hash of TopicName are those of its String, which
// agree with str's; lets maps keyed by TopicName be queried with a &str.
impl std::borrow::Borrow<str> for TopicName {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for TopicName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for TopicName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for TopicName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::new(s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Kafka's uuid text form

const B64_ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding of 16 bytes: always 22 characters.
pub fn kafka_base64_encode(bytes: &[u8; 16]) -> String {
    let mut out = String::with_capacity(22);
    for chunk in bytes.chunks(3) {
        let b0 = chunk[0];
        let b1 = chunk.get(1).copied().unwrap_or(0);
        let b2 = chunk.get(2).copied().unwrap_or(0);
        let n = (u32::from(b0) << 16) | (u32::from(b1) << 8) | u32::from(b2);
        // A chunk of k bytes yields k + 1 significant characters.
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(B64_ALPHABET[idx as usize]));
        }
    }
    out
}

fn b64_value(c: u8) -> Option<u32> {
    let v = match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'-' => 62,
        b'_' => 63,
        _ => return None,
    };
    Some(u32::from(v))
}

/// Parses Kafka's uuid text form. Accepts the 22-character unpadded form and,
/// like Java's decoder, the 24-character form padded with "==". The unused low
/// bits of the last character must be zero so that every uuid has exactly one
/// text form.
pub fn kafka_base64_decode(s: &str) -> Result<[u8; 16], UuidParseError> {
    let err = |reason: &str| UuidParseError {
        input: s.chars().take(64).collect(),
        reason: reason.to_string(),
    };
    let body = match s.len() {
        22 => s,
        24 if s.ends_with("==") => &s[..22],
        _ => {
            return Err(err(
                "expected 22 characters of URL-safe base64 (16 bytes, no padding)",
            ))
        }
    };
    // 22 characters carry 132 bits: 21 full characters (126 bits) plus the top
    // 2 bits of the last one, whose low 4 bits are padding and must be zero.
    let mut value: u128 = 0;
    for &c in &body.as_bytes()[..21] {
        let v = b64_value(c).ok_or_else(|| err("contains a character outside [A-Za-z0-9_-]"))?;
        value = (value << 6) | u128::from(v);
    }
    let last =
        b64_value(body.as_bytes()[21]).ok_or_else(|| err("contains a character outside [A-Za-z0-9_-]"))?;
    if last & 0x0f != 0 {
        return Err(err("non-canonical encoding: trailing bits are not zero"));
    }
    value = (value << 2) | u128::from(last >> 4);
    Ok(value.to_be_bytes())
}

/// A topic id. The nil uuid is Kafka's `Uuid.ZERO_UUID` ("no id") and uuid
/// `0..01` is reserved for the metadata topic; neither is ever assigned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TopicId(Uuid);

impl TopicId {
    /// Kafka's ZERO id, used on the wire for "no topic id".
    pub const ZERO: TopicId = TopicId(Uuid::nil());
    /// Kafka's reserved id of the `__cluster_metadata` topic.
    pub const METADATA_TOPIC: TopicId = TopicId(Uuid::from_u128(1));

    /// A fresh random id, avoiding the reserved ids and, like Kafka's
    /// `Uuid.randomUuid`, ids whose text form starts with '-' (it would read as
    /// a command-line flag).
    pub fn random() -> Self {
        loop {
            let id = TopicId(Uuid::new_v4());
            if !id.is_reserved() && !id.to_kafka_string().starts_with('-') {
                return id;
            }
        }
    }

    pub fn is_reserved(&self) -> bool {
        *self == Self::ZERO || *self == Self::METADATA_TOPIC
    }

    pub fn is_zero(&self) -> bool {
        *self == Self::ZERO
    }

    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        TopicId(Uuid::from_bytes(bytes))
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        self.0.as_bytes()
    }

    pub const fn from_uuid(uuid: Uuid) -> Self {
        TopicId(uuid)
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    /// Kafka's text form: URL-safe base64 without padding, 22 characters.
    pub fn to_kafka_string(&self) -> String {
        kafka_base64_encode(self.0.as_bytes())
    }

    pub fn from_kafka_string(s: &str) -> Result<Self, UuidParseError> {
        kafka_base64_decode(s).map(Self::from_bytes)
    }
}

impl fmt::Display for TopicId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_kafka_string())
    }
}

impl FromStr for TopicId {
    type Err = UuidParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::from_kafka_string(s)
    }
}

impl Serialize for TopicId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_kafka_string())
    }
}

impl<'de> Deserialize<'de> for TopicId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::from_kafka_string(&s).map_err(serde::de::Error::custom)
    }
}

/// The cluster id: Kafka's text form of a random uuid (22 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ClusterId(String);

impl ClusterId {
    pub fn generate() -> Self {
        ClusterId(TopicId::random().to_kafka_string())
    }

    /// Accepts what Kafka's storage tool accepts: the text form of a uuid.
    pub fn parse(s: &str) -> Result<Self, UuidParseError> {
        kafka_base64_decode(s)?;
        Ok(ClusterId(s[..22].to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClusterId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for ClusterId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClusterId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

// ---------------------------------------------------------------------------
// Integer newtypes

macro_rules! int_newtype {
    ($(#[$doc:meta])* $name:ident($inner:ty)) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name(pub $inner);

        impl $name {
            pub const fn get(self) -> $inner {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl From<$inner> for $name {
            fn from(v: $inner) -> Self {
                $name(v)
            }
        }
    };
}

int_newtype!(
    /// A partition index within a topic (0-based, contiguous).
    PartitionId(i32)
);
int_newtype!(
    /// A broker's `node.id`.
    BrokerId(i32)
);
int_newtype!(
    /// Bumped whenever a partition's leader is (re)elected.
    LeaderEpoch(i32)
);
int_newtype!(
    /// Bumped on every change of a partition's registration (leader, ISR,
    /// replicas); AlterPartition requests carry it for optimistic concurrency.
    PartitionEpoch(i32)
);
int_newtype!(
    /// A broker registration's epoch; Kafka uses the metadata offset of the
    /// registration record, so it only grows.
    BrokerEpoch(i64)
);

impl LeaderEpoch {
    pub fn next(self) -> Self {
        LeaderEpoch(self.0.saturating_add(1))
    }
}

impl PartitionEpoch {
    pub fn next(self) -> Self {
        PartitionEpoch(self.0.saturating_add(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_name_rules() {
        assert!(TopicName::new("orders").is_ok());
        assert!(TopicName::new("a.b_c-D9").is_ok());
        assert!(TopicName::new("x".repeat(249)).is_ok());
        for bad in ["", ".", "..", "a b", "ä", "a/b", "a:b"] {
            let err = TopicName::new(bad).unwrap_err();
            assert_eq!(err.name, bad);
            assert!(err.to_string().contains("topic name"), "{err}");
        }
        let err = TopicName::new("x".repeat(250)).unwrap_err();
        assert!(err.reason.contains("250"), "{}", err.reason);
        assert!(err.reason.contains("249"), "{}", err.reason);
        let err = TopicName::new("a b").unwrap_err();
        assert!(err.reason.contains("' '"), "{}", err.reason);
    }

    #[test]
    fn topic_name_collisions() {
        let a = TopicName::new("a.b").unwrap();
        let b = TopicName::new("a_b").unwrap();
        let c = TopicName::new("a-b").unwrap();
        assert!(a.collides_with(&b));
        assert!(!a.collides_with(&a));
        assert!(!a.collides_with(&c));
    }

    #[test]
    fn topic_name_serde_validates() {
        let n: TopicName = serde_json::from_str("\"ok\"").unwrap();
        assert_eq!(n.as_str(), "ok");
        assert!(serde_json::from_str::<TopicName>("\"..\"").is_err());
    }

    #[test]
    fn kafka_base64_known_values() {
        // Kafka prints Uuid(0, 1) as "AAAAAAAAAAAAAAAAAAAAAQ".
        assert_eq!(
            TopicId::METADATA_TOPIC.to_kafka_string(),
            "AAAAAAAAAAAAAAAAAAAAAQ"
        );
        assert_eq!(TopicId::ZERO.to_kafka_string(), "AAAAAAAAAAAAAAAAAAAAAA");
        let all = TopicId::from_bytes([0xff; 16]);
        assert_eq!(all.to_kafka_string(), "_____________________w");
        // Sequential bytes exercise every position.
        let seq: [u8; 16] = std::array::from_fn(|i| i as u8);
        assert_eq!(kafka_base64_encode(&seq), "AAECAwQFBgcICQoLDA0ODw");
    }

    #[test]
    fn kafka_base64_round_trip_and_errors() {
        for _ in 0..200 {
            let id = TopicId::random();
            let s = id.to_kafka_string();
            assert_eq!(s.len(), 22);
            assert!(!s.starts_with('-'));
            assert!(!id.is_reserved());
            assert_eq!(TopicId::from_kafka_string(&s).unwrap(), id);
            assert_eq!(TopicId::from_kafka_string(&format!("{s}==")).unwrap(), id);
        }
        assert!(TopicId::from_kafka_string("short").is_err());
        assert!(TopicId::from_kafka_string("AAAAAAAAAAAAAAAAAAAA+Q").is_err());
        // Last char 'R' has non-zero low bits.
        let e = TopicId::from_kafka_string("AAAAAAAAAAAAAAAAAAAAAR").unwrap_err();
        assert!(e.reason.contains("trailing"), "{e}");
    }

    #[test]
    fn topic_id_serde_uses_kafka_form() {
        let id = TopicId::from_bytes([7; 16]);
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, format!("\"{}\"", id.to_kafka_string()));
        assert_eq!(serde_json::from_str::<TopicId>(&json).unwrap(), id);
    }

    #[test]
    fn cluster_id_generate_and_parse() {
        let c = ClusterId::generate();
        assert_eq!(c.as_str().len(), 22);
        assert_eq!(ClusterId::parse(c.as_str()).unwrap(), c);
        assert!(ClusterId::parse("not-a-cluster-id").is_err());
    }

    #[test]
    fn epochs_advance() {
        assert_eq!(LeaderEpoch(3).next(), LeaderEpoch(4));
        assert_eq!(PartitionEpoch(i32::MAX).next(), PartitionEpoch(i32::MAX));
        assert_eq!(serde_json::to_string(&BrokerId(5)).unwrap(), "5");
    }
}
